"""Least privilege for one principal: what its identity policies grant beyond need.

* **wildcard grants**: statements allowing ``*``, a whole service (``s3:*``), ``NotAction``, or Write /
  Permissions management actions on ``Resource: *``;
* **permissions management** actions (the catalogue's access level: they change who may do what) and
  **credential exposure** actions (their response carries a secret, a password or temporary
  credentials: :data:`CREDENTIAL_EXPOSURE`) the principal is effectively granted on some resource —
  each checked with the evaluator, so SCPs, boundaries and explicit denies count;
* **granted but unused** actions, and a tightened policy built from the actions actually used, when a
  log lake with CloudTrail records is given (``lake/cloudtrail/**/*.parquet``); without logs what is
  needed cannot be known, and the report says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secpillar.iam.catalogue import action_info, expand
from secpillar.iam.inventory import OrgIam, Principal
from secpillar.iam.policy import Statement
from secpillar.iam.whocan import has_action

#: actions whose answer hands over a credential or a secret (IAM, STS, Secrets Manager, SSM, EC2,
#: ECR, Redshift, RDS, Lightsail, Cognito API references)
CREDENTIAL_EXPOSURE = (
    "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile", "iam:UpdateAccessKey",
    "iam:CreateServiceSpecificCredential", "iam:ResetServiceSpecificCredential",
    "sts:AssumeRole", "sts:GetFederationToken", "sts:GetSessionToken",
    "secretsmanager:GetSecretValue", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath",
    "ec2:GetPasswordData", "ecr:GetAuthorizationToken", "redshift:GetClusterCredentials",
    "rds-db:connect", "lightsail:GetInstanceAccessDetails",
    "lightsail:GetRelationalDatabaseMasterUserPassword",
    "cognito-identity:GetCredentialsForIdentity", "cognito-identity:GetOpenIdToken",
)  # fmt: skip
RISKY_LEVELS = ("Write", "Permissions management")
LAKE_NOTE = "granted-but-unused actions need the log lake (CloudTrail in Parquet): pass --lake DIR"


@dataclass(frozen=True, slots=True)
class WildcardGrant:
    policy: str
    statement: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "statement": self.statement, "actions": list(self.actions),
                "resources": list(self.resources), "reason": self.reason}  # fmt: skip


@dataclass
class LeastPrivilege:
    principal: str
    label: str
    wildcards: list[WildcardGrant] = field(default_factory=list)
    permissions_management: list[str] = field(default_factory=list)
    credential_exposure: list[str] = field(default_factory=list)
    granted: int = 0  # catalogued actions the identity policies allow (before denies)
    used: list[str] | None = None
    unused: list[str] | None = None
    proposal: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "name": self.label,
            "wildcardGrants": [w.to_dict() for w in self.wildcards],
            "permissionsManagement": self.permissions_management,
            "credentialExposure": self.credential_exposure,
            "grantedActions": self.granted,
            "usedActions": self.used,
            "unusedActions": self.unused,
            "proposal": self.proposal,
            "notes": self.notes,
        }


def _stmt_name(st: Statement) -> str:
    return st.sid or f"#{st.index}"


def _granted(st: Statement) -> list[str]:
    if st.not_action:
        return [a for a in expand("*") if not st.matches_action(a.lower())]
    out: list[str] = []
    for pat in st.actions:
        out.extend(expand(pat))
    return out


def wildcard_grants(p: Principal) -> list[WildcardGrant]:
    """The Allow statements of ``p``'s identity policies that grant by wildcard."""
    out: list[WildcardGrant] = []
    for ref in p.policies:
        for st in ref.policy.statements:
            if not st.allow:
                continue
            res = st.resources or ("*",)
            reason = ""
            if st.not_action:
                reason = "NotAction allows every action it does not list"
            elif "*" in st.actions:
                reason = "Action '*' allows every action of every service"
            elif any(a.endswith(":*") for a in st.actions):
                svc = ", ".join(a for a in st.actions if a.endswith(":*"))
                reason = f"service wildcard {svc} allows every action of the service"
            elif "*" in res and not st.not_resource:
                risky = [a for a in _granted(st) if (action_info(a) or _NONE).access_level in RISKY_LEVELS]
                if risky:
                    reason = f"Resource '*' on {len(risky)} write or permissions-management action(s)"
            if reason:
                out.append(WildcardGrant(ref.label, _stmt_name(st), st.actions, tuple(res), reason))
    return out


class _None:
    access_level = ""


_NONE = _None()


def _effective(org: OrgIam, p: Principal, actions: Iterable[str]) -> list[str]:
    """The actions the evaluator allows ``p`` on at least one resource its grants name (``*`` or the
    Resource entries of the statements that allow the action)."""
    out = []
    for a in set(actions):
        la = a.lower()
        targets = {"*"}
        for ref in p.policies:
            for st in ref.policy.for_action(la):
                if st.allow and not st.not_resource:
                    targets.update(st.resources or ())
        if any(org.evaluate(p.arn, a, r).allowed for r in sorted(targets)):
            out.append(a)
    return sorted(out)


def least_privilege(org: OrgIam, principal_arn: str, lake: Path | None = None) -> LeastPrivilege:
    p = org.principal(principal_arn)
    if p is None:
        from secpillar.errors import UsageError

        raise UsageError(f"{principal_arn} is not a user or role of the inventory")
    out = LeastPrivilege(p.arn, p.label)
    out.wildcards = wildcard_grants(p)
    granted: set[str] = set()
    for ref in p.policies:
        for st in ref.policy.statements:
            if st.allow:
                granted.update(_granted(st))
    out.granted = len(granted)
    pm = [a for a in granted if (action_info(a) or _NONE).access_level == "Permissions management"]
    out.permissions_management = _effective(org, p, pm)
    out.credential_exposure = _effective(org, p, [a for a in CREDENTIAL_EXPOSURE if has_action(p, a.lower())])
    if lake is None:
        out.notes.append(LAKE_NOTE)
        return out
    used = used_actions(lake, p)
    if used is None:
        out.notes.append(f"no CloudTrail records under {lake}/cloudtrail: {LAKE_NOTE}")
        return out
    low = {a.lower(): a for a in granted}
    out.used = sorted(low.get(a.lower(), a) for a in used)
    used_low = {a.lower() for a in used}
    out.unused = sorted(a for a in granted if a.lower() not in used_low)
    if out.used:
        by_svc: dict[str, list[str]] = {}
        for a in out.used:
            by_svc.setdefault(a.split(":", 1)[0], []).append(a)
        out.proposal = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": f"Used{svc.title().replace('-', '')}",
                    "Effect": "Allow",
                    "Action": acts,
                    "Resource": "*",
                }
                for svc, acts in sorted(by_svc.items())
            ],
        }
        out.notes.append("the proposal keeps Resource '*': narrow it to the resources named in the records")
    return out


def used_actions(lake: Path, p: Principal) -> list[str] | None:
    """``service:Action`` names ``p`` called according to the lake's CloudTrail records (sessions of a
    role count as the role), or None when the lake has no CloudTrail records."""
    root = lake / "cloudtrail"
    files = list(root.rglob("*.parquet")) if root.is_dir() else []
    if not files:
        return None
    import duckdb

    con = duckdb.connect()
    try:
        rel = con.read_parquet([str(f) for f in files], hive_partitioning=True, union_by_name=True)
        rel.create_view("ct")
        cols = {c.lower(): c for c in rel.columns}
        source = cols.get("eventsource") or cols.get("event_source")
        name = cols.get("eventname") or cols.get("event_name")
        arn_col = next(
            (cols[c] for c in ("useridentity_arn", "user_arn", "principal_arn") if c in cols), None
        )
        arn_expr = f'"{arn_col}"' if arn_col else ('"userIdentity".arn' if "useridentity" in cols else None)
        if not source or not name or arn_expr is None:
            return None
        if p.kind == "role":
            who = f"arn:aws:sts::{p.account}:assumed-role/{p.name}/%"
            cond = f"({arn_expr} = ? OR {arn_expr} LIKE ?)"
            params: list[Any] = [p.arn, who]
        else:
            cond, params = f"{arn_expr} = ?", [p.arn]
        rows = con.execute(
            f'SELECT DISTINCT "{source}", "{name}" FROM ct WHERE {cond}',
            params,
        ).fetchall()
    finally:
        con.close()
    return sorted({f"{str(s).split('.', 1)[0]}:{n}" for s, n in rows if s and n})
