"""Resources that principals outside the organization, or anonymous users, can reach through their
resource-based policies: S3 bucket policies (and ACLs), KMS key policies, SQS queue, SNS topic, Lambda
function, ECR repository and Secrets Manager secret policies, IAM role trust policies.

Every answer comes from the evaluator (:func:`secpillar.iam.evaluate.evaluate`), never from reading
the policy text: for each resource policy and each action of the resource's service that some Allow
statement names, outside callers (:mod:`secpillar.iam.exposure_context`) are tried under the contexts
they can present. An outside caller holds its own account's identity policies, so the request is
cross-account with an identity side that allows everything; the resource account's RCPs apply (IAM
User Guide, "Cross-account policy evaluation logic"; AWS Organizations, "Resource control policies").

S3 specifics (Amazon S3 User Guide, "Blocking public access to your Amazon S3 storage"): when
``RestrictPublicBuckets`` is on for the bucket or its account and the policy is public, only AWS service
principals and the bucket owner's account keep access; ``IgnorePublicAcls`` makes public ACL grants
void. ACL grants are not policies: they are read as AllUsers (anonymous), AuthenticatedUsers (any AWS
account) or a canonical user of an unknown owner.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secpillar.iam.catalogue import ACCESS_LEVELS, ActionInfo, action_info, expand
from secpillar.iam.evaluate import PolicySet, Request, evaluate
from secpillar.iam.exposure_context import (
    ANY_SERVICE,
    Caller,
    anonymous_possible,
    clause_words,
    contexts,
    outside_callers,
)
from secpillar.iam.inventory import ROLE, OrgIam
from secpillar.iam.policy import Policy, Statement, parse_policy

BUCKET = "AWS::S3::Bucket"
#: resource type -> the catalogue's resource-type names its actions act on
RESOURCE_KINDS: dict[str, tuple[str, ...]] = {
    BUCKET: ("bucket", "object"),
    "AWS::KMS::Key": ("key",),
    "AWS::SQS::Queue": ("queue",),
    "AWS::SNS::Topic": ("topic",),
    "AWS::Lambda::Function": ("function",),
    "AWS::ECR::Repository": ("repository",),
    "AWS::SecretsManager::Secret": ("Secret",),
    ROLE: ("role",),
}
#: the action a proof is about when none is given
HEADLINE: dict[str, str] = {
    BUCKET: "s3:GetObject",
    "AWS::KMS::Key": "kms:Decrypt",
    "AWS::SQS::Queue": "sqs:SendMessage",
    "AWS::SNS::Topic": "sns:Publish",
    "AWS::Lambda::Function": "lambda:InvokeFunction",
    "AWS::ECR::Repository": "ecr:BatchGetImage",
    "AWS::SecretsManager::Secret": "secretsmanager:GetSecretValue",
    ROLE: "sts:AssumeRole",
}
TRUST_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity")
ALLOW_ALL = parse_policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, "identity")
_EMPTY = parse_policy({"Statement": []})
_ACL_ACTIONS = {
    "READ": ("s3:ListBucket", "s3:ListBucketVersions"),
    "WRITE": ("s3:PutObject", "s3:DeleteObject"),
    "READ_ACP": ("s3:GetBucketAcl",),
    "WRITE_ACP": ("s3:PutBucketAcl",),
}
_ACL_ACTIONS["FULL_CONTROL"] = tuple(a for v in _ACL_ACTIONS.values() for a in v)
_PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": ("anonymous", "anonymous users (no AWS credentials)"),
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": (
        "any-account", "any AWS account's principals"),
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Target:
    """One resource-based policy to examine."""

    arn: str
    resource_type: str
    account: str
    region: str
    name: str
    label: str  # "bucket policy of x", "trust policy of role y"
    policy: Policy

    @property
    def trust(self) -> bool:
        return self.resource_type == ROLE


@dataclass(frozen=True, slots=True)
class Grant:
    """What one outside party can do to the resource, and under which conditions."""

    who: str  # anonymous, any-account, account, principal, service, federated
    label: str
    principal: str | None
    actions: tuple[str, ...]
    levels: Mapping[str, tuple[str, ...]]
    conditions: tuple[str, ...]
    statements: tuple[str, ...]
    example: Mapping[str, Any]  # the request the evaluator allowed
    via: str = "policy"  # policy, acl

    def words(self) -> str:
        def acts(names: tuple[str, ...]) -> str:
            return ", ".join(names) if len(names) <= 6 else f"{', '.join(names[:5])}, … ({len(names)} in all)"

        what = "; ".join(f"{lvl}: {acts(a)}" for lvl, a in self.levels.items())
        if self.via == "ACL":
            how = f"through the bucket ACL ({', '.join(self.example.get('acl', []))})"
        else:
            how = (
                f"through statement {', '.join(self.statements)}" if self.statements else "through the policy"
            )
        cond = f", only when {' and '.join(self.conditions)}" if self.conditions else ", with no condition"
        return f"{self.label} can {what} {how}{cond}"

    def to_dict(self) -> dict[str, Any]:
        return {"who": self.who, "label": self.label, "principal": self.principal,
                "actions": list(self.actions), "accessLevels": {k: list(v) for k, v in self.levels.items()},
                "conditions": list(self.conditions), "statements": list(self.statements),
                "example": dict(self.example), "via": self.via, "explanation": self.words()}  # fmt: skip


@dataclass
class Exposure:
    """A resource and every outside party that can reach it."""

    target: Target
    grants: list[Grant]
    notes: list[str] = field(default_factory=list)
    proofs: list[Any] = field(default_factory=list)  # smt.Verdict, attached by --prove

    @property
    def public(self) -> bool:
        return any(g.who in ("anonymous", "any-account") for g in self.grants)

    def explanation(self) -> str:
        t = self.target
        head = f"{t.label} ({t.account}) lets principals outside the organization in: "
        return head + "; ".join(g.words() for g in self.grants) + "."

    def to_dict(self) -> dict[str, Any]:
        t = self.target
        return {"arn": t.arn, "resourceType": t.resource_type, "account": t.account, "region": t.region,
                "name": t.name, "policy": t.label, "public": self.public,
                "grants": [g.to_dict() for g in self.grants], "notes": list(self.notes),
                "explanation": self.explanation(),
                "proofs": [p.to_dict() for p in self.proofs]}  # fmt: skip


@dataclass
class ExposureReport:
    exposures: list[Exposure]
    examined: list[Target]
    issues: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"examined": len(self.examined), "exposed": len(self.exposures),
                "exposures": [e.to_dict() for e in self.exposures], "issues": list(self.issues)}  # fmt: skip


def org_accounts(org: OrgIam) -> frozenset[str]:
    """The organization's accounts (the scanned accounts when no organization was read)."""
    accts = set(org.inventory.accounts)
    if not accts:
        accts = {r.account_id for r in org.inventory if r.account_id}
    return frozenset(accts)


def rcps_for(org: OrgIam, account: str) -> tuple[tuple[Policy, ...], ...] | None:
    """The RCP levels that govern resources of ``account`` (None: not in an organization)."""
    return org._levels(org._rcps, account)[0]  # OrgIam computes the levels once


def targets(org: OrgIam) -> list[Target]:
    """Every resource policy and role trust policy of the inventory."""
    out: list[Target] = []
    for rp in org.resource_policies.values():
        res = org.inventory.get(rp.arn)
        region = res.region if res else ""
        name = res.display_name if res else rp.arn
        out.append(Target(rp.arn, rp.resource_type, rp.account, region, name, rp.label, rp.policy))
    with_policy = {t.arn for t in out}
    for b in org.inventory.by_type(BUCKET):  # a bucket without a policy may still grant through its ACL
        if b.arn not in with_policy and isinstance(b.supplementary.get("AccessControlList"), Mapping):
            out.append(Target(b.arn, BUCKET, b.account_id, b.region, b.display_name,
                              f"bucket ACL of {b.display_name}", _EMPTY))  # fmt: skip
    for p in org.principals():
        if p.kind == "role" and p.trust is not None and not p.service_linked:
            out.append(Target(p.arn, ROLE, p.account, "", p.name, f"trust policy of role {p.name}", p.trust))
    return sorted(out, key=lambda t: (t.resource_type, t.arn))


@functools.cache
def _candidates(service: str, resource_type: str, trust: bool) -> tuple[tuple[str, ActionInfo], ...]:
    """(lower-case action, catalogue entry) of the actions a policy of this kind can grant: the
    service's actions that act on the target's resource kind (the trust actions for a trust policy)."""
    names: Sequence[str] = TRUST_ACTIONS if trust else (tuple(expand(f"{service}:*")) if service else ())
    kinds = set(RESOURCE_KINDS.get(resource_type, ()))
    out = []
    for a in names:
        info = action_info(a)
        if info is None or (kinds and not kinds & set(info.resource_types)):
            continue
        out.append((a.lower(), info))
    return tuple(out)


def target_actions(t: Target) -> list[tuple[str, str]]:
    """(action, access level) of every catalogued action some Allow statement of the policy names."""
    parts = t.arn.split(":")
    service = "" if t.trust or len(parts) <= 2 else parts[2]
    out = []
    for low, info in _candidates(service, t.resource_type, bool(t.trust)):
        if any(st.allow for st in t.policy.for_action(low)):
            out.append((info.action, info.access_level))
    return out


def _resources_for(t: Target, action: str) -> list[str]:
    """The ARN(s) a request for ``action`` names: an S3 object action names objects of the bucket."""
    info = action_info(action)
    if t.resource_type != BUCKET or info is None or "object" not in info.resource_types:
        return [t.arn]
    keys = ["secpillar-probe"]
    for st in t.policy.for_action(action.lower()):
        for r in st.resources or ():
            if st.allow and r.startswith(t.arn + "/"):
                keys.append(r[len(t.arn) + 1 :].replace("*", "x").replace("?", "x") or "x")
    return [f"{t.arn}/{k}" for k in dict.fromkeys(keys)]


def _ordered(levels: Mapping[str, list[str]]) -> dict[str, tuple[str, ...]]:
    """Access levels in the catalogue's order (List, Read, Write, Tagging, Permissions management)."""
    rank = {lvl: i for i, lvl in enumerate(ACCESS_LEVELS)}
    return {k: tuple(levels[k]) for k in sorted(levels, key=lambda x: rank.get(x, len(rank)))}


def _statement_label(st: Statement) -> str:
    return st.sid or f"#{st.index}"


class _Analyser:
    def __init__(self, org: OrgIam) -> None:
        self.org = org
        self.accounts = org_accounts(org)
        self.org_id = org.organization_id

    def grants(self, t: Target) -> list[Grant]:
        rcps = rcps_for(self.org, t.account)
        ps = PolicySet(identity=(ALLOW_ALL,), resource=(t.policy,), rcps=rcps)
        callers = outside_callers(t.policy.statements, self.accounts, t.trust)
        found: dict[str, dict[str, Any]] = {}
        # the decision depends on the action only through the statements that name it (and the resource
        # it acts on): actions sharing both share the answer, which is computed once
        memo: dict[tuple[Any, ...], tuple[dict[str, Any], list[Statement]] | None] = {}
        for action, level in target_actions(t):
            la = action.lower()
            stmts = list(t.policy.for_action(la)) + [
                st for lv in rcps or () for p in lv for st in p.for_action(la)
            ]
            for caller in callers:
                if caller.who == "anonymous" and not anonymous_possible(action):
                    continue
                key = (caller.label, tuple(id(st) for st in stmts), tuple(_resources_for(t, action)))
                if key not in memo:
                    memo[key] = self._first_allowed(t, ps, caller, action, stmts)
                hit = memo[key]
                if hit is None:
                    continue
                req, allow_stmts = {**hit[0], "action": action}, hit[1]
                g = found.setdefault(caller.label, {"caller": caller, "actions": {}, "conds": {}, "sids": {},
                                                    "example": req})  # fmt: skip
                g["actions"][action] = level
                for st in allow_stmts:
                    g["sids"][_statement_label(st)] = None
                    for c in st.conditions:
                        g["conds"][clause_words(c)] = None
        return self._merge(found)

    def _first_allowed(
        self, t: Target, ps: PolicySet, caller: Caller, action: str, stmts: list[Statement]
    ) -> tuple[dict[str, Any], list[Statement]] | None:
        for resource in _resources_for(t, action):
            for ctx in contexts(stmts, caller, self.org_id):
                req = Request(
                    caller.principal, action, resource, t.account, ctx, self.org.management_account or None
                )
                d = evaluate(req, ps)
                if d.allowed:
                    idx = {r.statement_index for r in d.reasons if r.policy_type == "resource"}
                    used = [st for st in t.policy.statements if st.index in idx]
                    example = {"principal": caller.principal, "action": action, "resource": resource,
                               "context": ctx}  # fmt: skip
                    return example, used
        return None

    @staticmethod
    def _merge(found: dict[str, dict[str, Any]]) -> list[Grant]:
        grants = []
        wide = {a for g in found.values() if g["caller"].who == "any-account" for a in g["actions"]}
        anon = {a for g in found.values() if g["caller"].who == "anonymous" for a in g["actions"]}
        for g in found.values():
            caller: Caller = g["caller"]
            acts: dict[str, str] = g["actions"]
            if caller.who in ("account", "principal") and set(acts) <= wide:
                continue  # already said by "any AWS account"
            if caller.who == "any-account" and set(acts) <= anon:
                continue  # said by "anyone, anonymous users included"
            if caller.who == "anonymous":
                caller = Caller(None, "anonymous", "anyone, anonymous users included")
            levels: dict[str, list[str]] = {}
            for a, lvl in sorted(acts.items()):
                levels.setdefault(lvl or "Unknown", []).append(a)
            grants.append(Grant(caller.who, caller.label, caller.principal, tuple(sorted(acts)),
                                _ordered(levels), tuple(g["conds"]),
                                tuple(g["sids"]), g["example"]))  # fmt: skip
        return grants


def _bucket_flag(org: OrgIam, t: Target, flag: str) -> bool:
    res = org.inventory.get(t.arn)
    own = res.supplementary.get("PublicAccessBlockConfiguration") if res else None
    if isinstance(own, Mapping) and own.get(flag):
        return True
    acct = org.inventory.find("AWS::::Account", t.account)
    block = acct.supplementary.get("S3AccountPublicAccessBlock") if acct else None
    return isinstance(block, Mapping) and bool(block.get(flag))


def acl_grants(org: OrgIam, bucket_arn: str) -> list[Grant]:
    """A bucket's ACL grants to AllUsers, AuthenticatedUsers or canonical users the scan does not own."""
    res = org.inventory.get(bucket_arn)
    acl = res.supplementary.get("AccessControlList") if res else None
    if not isinstance(acl, Mapping):
        return []
    owners = {
        str(((b.supplementary.get("AccessControlList") or {}).get("owner") or {}).get("id", ""))
        for b in org.inventory.by_type(BUCKET)
    } - {""}
    out: dict[str, dict[str, Any]] = {}
    for g in acl.get("grants") or ():
        if not isinstance(g, Mapping):
            continue
        grantee = g.get("grantee") or {}
        perm = str(g.get("permission", ""))
        uri = str(grantee.get("uri") or grantee.get("URI") or "")
        if uri in _PUBLIC_GROUPS:
            who, label = _PUBLIC_GROUPS[uri]
        elif str(grantee.get("type", "")) == "CanonicalUser" and str(grantee.get("id", "")) not in owners:
            who, label = "canonical", f"canonical user {grantee.get('id')} (not an owner the scan knows)"
        else:
            continue
        entry = out.setdefault(label, {"who": who, "actions": set(), "perms": []})
        entry["actions"] |= set(_ACL_ACTIONS.get(perm, ()))
        entry["perms"].append(perm)
    grants = []
    for label, e in out.items():
        levels: dict[str, list[str]] = {}
        for a in sorted(e["actions"]):
            info = action_info(a)
            levels.setdefault(info.access_level if info else "Unknown", []).append(a)
        grants.append(Grant(e["who"], label, None, tuple(sorted(e["actions"])),
                            _ordered(levels), (), (),
                            {"acl": sorted(set(e["perms"]))}, via="ACL"))  # fmt: skip
    return grants


def analyse_target(org: OrgIam, t: Target, analyser: _Analyser | None = None) -> Exposure | None:
    """The exposure of one resource policy, or None when no outside party can reach it."""
    an = analyser or _Analyser(org)
    grants = an.grants(t)
    notes: list[str] = []
    if t.resource_type == BUCKET:
        if any(g.who in ("anonymous", "any-account") for g in grants) and _bucket_flag(
            org, t, "restrictPublicBuckets"
        ):
            kept = [g for g in grants if g.who == "service"]
            notes.append("the policy is public, but RestrictPublicBuckets limits access to AWS services "
                         "and the bucket owner's account: the grants below it are void")  # fmt: skip
            grants = kept
        acl = acl_grants(org, t.arn)
        if acl and _bucket_flag(org, t, "ignorePublicAcls"):
            notes.append("public ACL grants are ignored (IgnorePublicAcls)")
            acl = [g for g in acl if g.who == "canonical"]
        grants += acl
    public = {a for g in grants if g.who in ("anonymous", "any-account") for a in g.actions}
    grants = [g for g in grants if not (g.principal == ANY_SERVICE and set(g.actions) <= public)]
    return Exposure(t, grants, notes) if grants else None


def exposure(org: OrgIam, types: Sequence[str] | None = None) -> ExposureReport:
    """Every resource of the organization that outside principals or anonymous users can reach."""
    an = _Analyser(org)
    examined = [t for t in targets(org) if types is None or t.resource_type in types]
    out = []
    issues = list(org.issues)
    for t in examined:
        e = analyse_target(org, t, an)
        if e is not None:
            out.append(e)
    return ExposureReport(out, examined, issues)
