"""The organization's IAM as the evaluator sees it, built from a scanned :class:`Inventory`.

``OrgIam(inventory)`` gathers, per account, the users (inline policies, attached managed policies,
their groups' policies, permissions boundary), groups, roles (trust policy, inline and attached
policies, boundary), the customer managed policies' default versions, AWS managed policies (their
documents ship with moto, a dependency), the organization's SCPs and RCPs per level from the root
down to the account (the management account is exempt), and the resource-based policies the
collectors recorded (S3 bucket, KMS key, ECR repository policies, role trust policies, and any
other ``...Policy`` supplementary item). Every policy is parsed once and shared.

``policy_set_for(principal, action, resource)`` hands :func:`secpillar.iam.evaluate.evaluate` the
policies of one request; :meth:`OrgIam.evaluate` does both and :meth:`OrgIam.explain` puts a decision
in plain words. What could not be resolved (an unknown managed policy, a document that does not
parse, SCPs whose targets were not read) is listed in ``issues``, never dropped silently.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError, ValidationError
from secpillar.iam.evaluate import Decision, PolicySet, Reason, Request, evaluate
from secpillar.iam.policy import Policy, parse_policy
from secpillar.iam.principals import parse_caller
from secpillar.model import Inventory, Resource

USER, GROUP, ROLE, POLICY = "AWS::IAM::User", "AWS::IAM::Group", "AWS::IAM::Role", "AWS::IAM::Policy"
ORG_POLICY, OU = "AWS::Organizations::Policy", "AWS::Organizations::OrganizationalUnit"
SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"

#: resource types whose resource-based policy the collectors record, and where
RESOURCE_POLICY_KEYS: dict[str, tuple[str, ...]] = {
    "AWS::S3::Bucket": ("BucketPolicy", "policyText"),
    "AWS::KMS::Key": ("KeyPolicy", "policyText"),
    "AWS::ECR::Repository": ("RepositoryPolicy",),
}

#: what the analyses assume of a request when the caller does not say: made over TLS by a principal
#: that signed in with MFA (so that a condition requiring MFA does not hide a path)
DEFAULT_CONTEXT: dict[str, Any] = {"aws:MultiFactorAuthPresent": "true", "aws:SecureTransport": "true"}


@dataclass(frozen=True, slots=True)
class PolicyRef:
    """One policy and where it comes from (for explanations)."""

    label: str  # "managed policy AdminFullAccess (through group Admins)"
    policy: Policy
    arn: str = ""  # the managed policy's ARN; "" for inline policies


@dataclass(frozen=True, slots=True)
class Principal:
    """An IAM user or role with every identity-based policy that applies to it."""

    arn: str
    kind: str  # user, role
    account: str
    name: str
    policies: tuple[PolicyRef, ...]
    boundary: PolicyRef | None = None
    groups: tuple[str, ...] = ()  # group ARNs (users)
    trust: Policy | None = None  # roles
    tags: Mapping[str, str] = field(default_factory=dict)
    service_linked: bool = False
    has_login_profile: bool | None = None  # users; None when unknown
    instance_profiles: int = 0  # roles

    @property
    def label(self) -> str:
        return f"{self.kind} {self.name} ({self.account})"


@dataclass(frozen=True, slots=True)
class Group:
    arn: str
    account: str
    name: str
    policies: tuple[PolicyRef, ...]
    members: tuple[str, ...]  # user ARNs


@dataclass(frozen=True, slots=True)
class ResourcePolicy:
    arn: str
    account: str
    resource_type: str
    label: str
    policy: Policy


def read_inventory(path: Path) -> Inventory:
    """Load a scan's ``inventory.json`` (clear error when it is not one)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict) or "resources" not in data:
        raise UsageError(f"{path}: not an inventory.json written by `secpillar scan`")
    try:
        return Inventory.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: malformed inventory ({exc})") from None


@functools.cache
def _aws_managed() -> dict[str, Any]:
    """AWS managed policies by ``path+name`` (moto ships AWS's documents)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data: dict[str, Any] = json.loads(aws_managed_policies_data)
    return {f"{v.get('Path', '/')}{k}": v.get("Document") for k, v in data.items()}


def aws_managed_document(arn: str) -> Any:
    """The default version of an AWS managed policy by ARN, or None when unknown."""
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[4] != "aws" or not parts[5].startswith("policy/"):
        return None
    return _aws_managed().get(parts[5][len("policy") :])


def _arn_account(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 else ""


def _dig(mapping: Mapping[str, Any], keys: Iterable[str]) -> Any:
    cur: Any = mapping
    for k in keys:
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(k)
    return cur


class OrgIam:
    """The organization's IAM view over one inventory (see the module docstring)."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        self.issues: list[str] = []
        org = inventory.organization or {}
        mgmt = str(org.get("managementAccountId") or "")
        if not mgmt:
            mgmt = next((a.account_id for a in inventory.accounts.values() if a.is_management), "")
        self.management_account = mgmt
        self.organization_id = str(org.get("id") or "")
        self._parsed: dict[str, Policy | None] = {}
        self._managed: dict[str, PolicyRef | None] = {}
        self._managed_res = {r.arn: r for r in inventory.by_type(POLICY)}
        self.groups: dict[str, Group] = {}
        self._principals: dict[str, Principal] = {}
        self._roles_by_key: dict[str, Principal] = {}
        self._sets: dict[
            tuple[str, str, str], tuple[PolicySet, dict[tuple[str, int | None, int | None], str]]
        ] = {}
        self._level_names: dict[str, str] = {
            r.resource_id: f"OU {r.display_name}" for r in inventory.by_type(OU)
        }
        self._build_groups()
        self._build_principals()
        self._scps = self._org_policies(SCP)
        self._rcps = self._org_policies(RCP)
        self.resource_policies: dict[str, ResourcePolicy] = {}
        self._build_resource_policies()

    # ---- building ------------------------------------------------------------------------

    def _parse(self, doc: Any, key: str, label: str, kind: str = "any") -> Policy | None:
        if key in self._parsed:
            return self._parsed[key]
        pol: Policy | None = None
        if not isinstance(doc, dict):
            self.issues.append(f"{label}: no readable document")
        else:
            try:
                pol = parse_policy(doc, kind, label)
            except ValidationError as exc:
                self.issues.append(f"{label}: invalid policy ({exc})")
        self._parsed[key] = pol
        return pol

    def managed(self, arn: str) -> PolicyRef | None:
        """A managed policy (customer managed from the inventory, AWS managed from the dataset)."""
        if arn in self._managed:
            return self._managed[arn]
        res = self._managed_res.get(arn)
        name = arn.rsplit("/", 1)[-1]
        if res is not None:
            doc = res.configuration.get("document")
            label = f"managed policy {name}"
        else:
            doc = aws_managed_document(arn)
            label = f"AWS managed policy {name}"
            if doc is None:
                self.issues.append(f"managed policy {arn} is not in the inventory nor a known AWS policy")
                self._managed[arn] = None
                return None
        pol = self._parse(doc, arn, label)
        ref = PolicyRef(label, pol, arn) if pol is not None else None
        self._managed[arn] = ref
        return ref

    def _attached(self, cfg: Mapping[str, Any], via: str = "") -> list[PolicyRef]:
        out: list[PolicyRef] = []
        for a in cfg.get("attachedManagedPolicies") or ():
            ref = self.managed(str(a.get("policyArn", ""))) if isinstance(a, Mapping) else None
            if ref is not None:
                out.append(PolicyRef(f"{ref.label}{via}", ref.policy, ref.arn) if via else ref)
        return out

    def _inline(self, res: Resource, key: str, owner: str) -> list[PolicyRef]:
        out: list[PolicyRef] = []
        for i, p in enumerate(res.configuration.get(key) or ()):
            if not isinstance(p, Mapping):
                continue
            label = f"inline policy {p.get('policyName', i)} of {owner}"
            pol = self._parse(p.get("policyDocument"), f"{res.arn}#{key}[{i}]", label)
            if pol is not None:
                out.append(PolicyRef(label, pol))
        return out

    def _boundary(self, cfg: Mapping[str, Any]) -> PolicyRef | None:
        arn = _dig(cfg, ("permissionsBoundary", "permissionsBoundaryArn"))
        if not arn:
            return None
        ref = self.managed(str(arn))
        if ref is None:  # a boundary we cannot read allows nothing we can prove: keep it empty
            return PolicyRef(f"permissions boundary {arn} (unreadable)", parse_policy({"Statement": []}))
        return PolicyRef(f"permissions boundary {ref.label}", ref.policy, ref.arn)

    def _build_groups(self) -> None:
        for g in self.inventory.by_type(GROUP):
            owner = f"group {g.display_name}"
            pols = self._inline(g, "groupPolicies", owner) + self._attached(
                g.configuration, f" (through group {g.display_name})"
            )
            members = tuple(
                f"arn:aws:iam::{g.account_id}:user/{m}" for m in g.configuration.get("members") or ()
            )
            self.groups[g.arn] = Group(g.arn, g.account_id, g.display_name, tuple(pols), members)

    def _build_principals(self) -> None:
        by_name = {(g.account, g.name): g for g in self.groups.values()}
        for u in self.inventory.by_type(USER):
            cfg = u.configuration
            owner = f"user {u.display_name}"
            pols = self._inline(u, "userPolicies", owner) + self._attached(cfg)
            groups = []
            for gname in cfg.get("groupList") or ():
                g = by_name.get((u.account_id, str(gname)))
                if g is None:
                    self.issues.append(f"{owner}: group {gname} is not in the inventory")
                    continue
                groups.append(g.arn)
                pols.extend(g.policies)
            lp = cfg["loginProfile"] is not None if "loginProfile" in cfg else None
            p = Principal(u.arn, "user", u.account_id, u.display_name, tuple(pols), self._boundary(cfg),
                          tuple(groups), None, dict(u.tags), False, lp)  # fmt: skip
            self._principals[u.arn] = p
        for r in self.inventory.by_type(ROLE):
            cfg = r.configuration
            owner = f"role {r.display_name}"
            pols = self._inline(r, "rolePolicies", owner) + self._attached(cfg)
            trust = self._parse(
                cfg.get("assumeRolePolicyDocument"), f"{r.arn}#trust", f"trust policy of {owner}"
            )
            slr = "/aws-service-role/" in r.arn
            profiles = len(cfg.get("instanceProfileList") or ())
            p = Principal(r.arn, "role", r.account_id, r.display_name, tuple(pols), self._boundary(cfg), (),
                          trust, dict(r.tags), slr, None, profiles)  # fmt: skip
            self._principals[r.arn] = p
            self._roles_by_key[f"{r.account_id}/{r.display_name}"] = p

    def _org_policies(self, ptype: str) -> dict[str, list[tuple[str, Policy]]] | None:
        """target id -> [(policy name, policy)]; None when the organization's policies are unknown."""
        items = [p for p in self.inventory.by_type(ORG_POLICY) if p.configuration.get("type") == ptype]
        if not items:
            if ptype == SCP and self.management_account:
                self.issues.append("the organization's SCPs were not collected: they are not applied")
            return None
        out: dict[str, list[tuple[str, Policy]]] = {}
        for p in items:
            if "targets" not in p.configuration:
                self.issues.append(f"{ptype} {p.display_name}: targets unknown, not applied")
                continue
            pol = self._parse(p.configuration.get("content"), p.arn, f"{ptype.lower()} {p.display_name}")
            if pol is None:
                continue
            for t in p.configuration.get("targets") or ():
                out.setdefault(str(t.get("targetId", "")), []).append((p.display_name, pol))
        return out

    def _build_resource_policies(self) -> None:
        for res in self.inventory:
            keys = RESOURCE_POLICY_KEYS.get(res.resource_type)
            doc: Any = None
            if keys is not None:
                doc = _dig(res.supplementary, keys)
            elif res.resource_type not in (ROLE, USER, GROUP, POLICY, ORG_POLICY):
                doc = next(
                    (
                        v.get("policyText") if "policyText" in v else v
                        for k, v in res.supplementary.items()
                        if k.endswith("Policy")
                        and isinstance(v, Mapping)
                        and ("Statement" in v or "policyText" in v)
                    ),
                    None,
                )
            if not isinstance(doc, Mapping) or not res.arn:
                continue
            label = f"{res.resource_type.split('::')[-1].lower()} policy of {res.display_name}"
            pol = self._parse(doc, f"{res.arn}#resource", label)
            if pol is not None:
                self.resource_policies[res.arn] = ResourcePolicy(
                    res.arn, res.account_id, res.resource_type, label, pol
                )

    # ---- lookups -------------------------------------------------------------------------

    def principals(self) -> list[Principal]:
        """Every user and role of the organization (service-linked roles included)."""
        return list(self._principals.values())

    def principal(self, arn: str) -> Principal | None:
        """A user or role by ARN; an assumed-role session ARN resolves to its role."""
        p = self._principals.get(arn)
        if p is not None:
            return p
        try:
            caller = parse_caller(arn)
        except ValidationError:
            return None
        return self._roles_by_key.get(caller.role_key) if caller.role_key else None

    def account_name(self, account: str) -> str:
        return self.inventory.account_name(account)

    def _levels(
        self, table: dict[str, list[tuple[str, Policy]]] | None, account: str
    ) -> tuple[tuple[tuple[Policy, ...], ...] | None, list[list[str]], list[str]]:
        acct = self.inventory.accounts.get(account)
        if table is None or acct is None or not acct.parent_ids:
            return None, [], []
        path = [*acct.parent_ids, account]
        names = [
            "the root"
            if i == 0
            else self._level_names.get(t, t)
            if t != account
            else f"account {acct.name or t}"
            for i, t in enumerate(path)
        ]
        levels = [table.get(t, []) for t in path]
        return tuple(tuple(p for _, p in lv) for lv in levels), [[n for n, _ in lv] for lv in levels], names

    def scps_for(self, account: str) -> tuple[tuple[Policy, ...], ...] | None:
        return self._levels(self._scps, account)[0]

    def resource_policy_for(self, resource_arn: str, action: str = "") -> ResourcePolicy | None:
        """The resource-based policy that governs ``resource_arn`` (an S3 object resolves to its bucket;
        a role's trust policy governs only STS actions)."""
        target = self._principals.get(resource_arn)
        if target is not None:
            if target.kind == "role" and target.trust is not None and action.lower().startswith("sts:"):
                return ResourcePolicy(target.arn, target.account, ROLE, f"trust policy of role {target.name}",
                                      target.trust)  # fmt: skip
            return None
        hit = self.resource_policies.get(resource_arn)
        if hit is None and resource_arn.startswith("arn:") and ":s3:::" in resource_arn:
            hit = self.resource_policies.get(resource_arn.split("/", 1)[0])
        return hit

    def resource_account(self, resource_arn: str) -> str | None:
        res = self.inventory.get(resource_arn)
        if res is None and ":s3:::" in resource_arn:
            res = self.inventory.get(resource_arn.split("/", 1)[0])
        if res is not None:
            return res.account_id
        return _arn_account(resource_arn) or None

    # ---- requests ------------------------------------------------------------------------

    def _assemble(
        self, principal: Principal | None, caller_account: str, rp: ResourcePolicy | None, res_account: str
    ) -> tuple[PolicySet, dict[tuple[str, int | None, int | None], str]]:
        key = (principal.arn if principal else f"@{caller_account}", rp.arn if rp else "", res_account)
        hit = self._sets.get(key)
        if hit is not None:
            return hit
        labels: dict[tuple[str, int | None, int | None], str] = {}
        identity: tuple[Policy, ...] = ()
        boundaries: tuple[Policy, ...] = ()
        if principal is not None:
            identity = tuple(r.policy for r in principal.policies)
            for i, r in enumerate(principal.policies):
                labels[("identity", None, i)] = r.label
            if principal.boundary is not None:
                boundaries = (principal.boundary.policy,)
                labels[("boundary", None, 0)] = principal.boundary.label
        scps, scp_names, level_names = self._levels(self._scps, caller_account)
        rcps, rcp_names, rlevel_names = self._levels(self._rcps, res_account)
        for li, names in enumerate(scp_names):
            labels[("scp", li, None)] = f"service control policies at {level_names[li]}"
            for pi, n in enumerate(names):
                labels[("scp", li, pi)] = f"service control policy {n} (attached to {level_names[li]})"
        for li, names in enumerate(rcp_names):
            labels[("rcp", li, None)] = f"resource control policies at {rlevel_names[li]}"
            for pi, n in enumerate(names):
                labels[("rcp", li, pi)] = f"resource control policy {n} (attached to {rlevel_names[li]})"
        if rp is not None:
            labels[("resource", None, 0)] = rp.label
        ps = PolicySet(identity=identity, resource=(rp.policy,) if rp else (), boundaries=boundaries,
                       scps=scps, rcps=rcps)  # fmt: skip
        if len(self._sets) < 200_000:
            self._sets[key] = (ps, labels)
        return ps, labels

    def context_for(self, principal_arn: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The analyses' request context: :data:`DEFAULT_CONTEXT`, the organization id, the
        principal's tags, then ``extra`` (which wins)."""
        ctx = dict(DEFAULT_CONTEXT)
        p = self.principal(principal_arn)
        if self.organization_id and p is not None and p.account in self.inventory.accounts:
            ctx["aws:PrincipalOrgID"] = self.organization_id
        if p is not None:
            for k, v in p.tags.items():
                ctx[f"aws:PrincipalTag/{k}"] = v
        ctx.update(extra or {})
        return ctx

    def policy_set_for(self, principal_arn: str, action: str, resource_arn: str) -> PolicySet:
        """The policies that apply to this request, ready for :func:`evaluate`."""
        return self._bind(principal_arn, action, resource_arn)[0]

    def _bind(
        self, principal_arn: str, action: str, resource_arn: str
    ) -> tuple[PolicySet, dict[tuple[str, int | None, int | None], str], str]:
        p = self.principal(principal_arn)
        caller_account = p.account if p else _arn_account(principal_arn)
        rp = self.resource_policy_for(resource_arn, action)
        res_account = (rp.account if rp else None) or self.resource_account(resource_arn) or caller_account
        ps, labels = self._assemble(p, caller_account, rp, res_account)
        return ps, labels, res_account

    def request(
        self, principal_arn: str, action: str, resource_arn: str, context: Mapping[str, Any] | None = None
    ) -> Request:
        _, _, res_account = self._bind(principal_arn, action, resource_arn)
        return Request(principal_arn, action, resource_arn, res_account, context or {},
                       self.management_account or None)  # fmt: skip

    def evaluate(
        self, principal_arn: str, action: str, resource_arn: str, context: Mapping[str, Any] | None = None
    ) -> Decision:
        """Decide with the principal's real policies; ``context`` None uses :meth:`context_for`."""
        ps, _, res_account = self._bind(principal_arn, action, resource_arn)
        ctx = self.context_for(principal_arn) if context is None else context
        req = Request(principal_arn, action, resource_arn, res_account, ctx, self.management_account or None)
        return evaluate(req, ps)

    def reason_label(self, principal_arn: str, action: str, resource_arn: str, reason: Reason) -> str:
        labels = self._bind(principal_arn, action, resource_arn)[1]
        idx = reason.policy_index if reason.effect != "ImplicitDeny" else None
        got = labels.get((reason.policy_type, reason.level, idx))
        if got is None and reason.policy_type in ("scp", "rcp"):
            got = labels.get((reason.policy_type, reason.level, None))
        return got or reason.policy_type

    def explain(self, principal_arn: str, action: str, resource_arn: str, decision: Decision) -> str:
        """One sentence on why ``decision`` came out as it did."""
        who = self.principal(principal_arn)
        name = who.label if who else principal_arn
        what = f"{action} on {resource_arn}"

        def where(r: Reason) -> str:
            label = self.reason_label(principal_arn, action, resource_arn, r)
            stmt = f" statement {r.sid or r.statement_index}" if r.statement_index is not None else ""
            return f"{label}{stmt}"

        if decision.decision == "allowed":
            by = "; ".join(where(r) for r in decision.reasons if r.effect == "Allow")
            return f"{name} is allowed {what}: {by or 'the root user holds every permission'}."
        if decision.decision == "explicitDeny":
            by = "; ".join(where(r) for r in decision.reasons)
            return f"{name} is denied {what}: an explicit Deny in {by}."
        r = decision.reasons[0] if decision.reasons else Reason("ImplicitDeny", "identity")
        why = {
            "identity": "no identity-based policy of it allows the action on this resource",
            "resource": "the resource's policy does not allow it (it must, for this request)",
            "boundary": "its permissions boundary does not allow it",
            "session": "the session policy does not allow it",
            "endpoint": "no VPC endpoint policy allows it",
        }.get(r.policy_type)
        if why is None:
            why = f"no policy among the {self.reason_label(principal_arn, action, resource_arn, r)} allows it"
        return f"{name} is implicitly denied {what}: {why}."
