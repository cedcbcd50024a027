"""AWS's policy evaluation logic, exactly as documented, for one request at a time.

References (IAM User Guide): "Policy evaluation logic", "How AWS enforcement code logic evaluates
requests to allow or deny access", "Cross-account policy evaluation logic", "Permissions boundaries
for IAM entities", "Session policies"; AWS Organizations: "SCP evaluation", "Resource control
policies". The order:

1. An explicit ``Deny`` in any applicable policy (identity, resource, boundary, session, SCP, RCP, VPC
   endpoint) decides ``explicitDeny``.
2. RCPs (resource account in an organization; not the management account; not for service-linked
   roles; only for the services RCPs support): every level from the root down must allow.
3. SCPs (principal account in an organization; not the management account; not for service-linked
   roles, service principals or anonymous callers): every level from the root down must allow.
4. VPC endpoint policies, when the request went through an endpoint: one must allow.
5. Same account: a resource-based policy naming the user, the session, or everyone (``*``) allows
   on its own; one naming the role ARN of a session allows when the boundary and session policy
   (if any) also allow; otherwise identity policies must allow, and then the boundary and session
   policy. Role trust policies and KMS key policies are the exception: they must allow.
   Cross account: the resource policy must allow the principal (or its account) *and* the
   identity side (identity, boundary, session) must allow.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secpillar.iam.policy import Policy, Statement, parse_policy
from secpillar.iam.principals import ACCOUNT, DIRECT, ROLE, Caller, parse_caller

ALLOWED, EXPLICIT_DENY, IMPLICIT_DENY = "allowed", "explicitDeny", "implicitDeny"

#: services whose actions RCPs apply to (AWS Organizations, "Resource control policies")
RCP_SERVICES = frozenset(
    {"s3", "sts", "kms", "sqs", "secretsmanager", "cognito-identity", "logs", "dynamodb", "ecr", "aoss"}
)
#: actions whose resource policy must allow even within one account (trust and key policies)
_STS_TRUST = frozenset(
    {"sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity", "sts:tagsession",
     "sts:setsourceidentity", "sts:setcontext"}
)  # fmt: skip


_Cands = tuple[tuple[int, Statement], ...]
_Plan = tuple[_Cands, _Cands, _Cands, _Cands, _Cands, tuple[_Cands, ...] | None, tuple[_Cands, ...] | None]


@dataclass(frozen=True, slots=True)
class Request:
    principal: str | None
    action: str
    resource: str = "*"
    resource_account: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    management_account: str | None = None


@dataclass(frozen=True, slots=True)
class PolicySet:
    """The policies that apply to one request, compiled. ``scps``/``rcps``: None = not in an
    organization; otherwise one tuple of policies per level, root first."""

    identity: tuple[Policy, ...] = ()
    resource: tuple[Policy, ...] = ()
    boundaries: tuple[Policy, ...] = ()
    scps: tuple[tuple[Policy, ...], ...] | None = None
    rcps: tuple[tuple[Policy, ...], ...] | None = None
    session: tuple[Policy, ...] = ()
    endpoint: tuple[Policy, ...] = ()
    _plans: dict[str, _Plan] = field(default_factory=dict, init=False, repr=False, compare=False)

    def plan(self, laction: str) -> _Plan:
        """Per policy type, the statements whose Action covers ``laction``; memoised per action."""
        got = self._plans.get(laction)
        if got is None:

            def c(pols: Sequence[Policy]) -> _Cands:
                return tuple((pi, st) for pi, p in enumerate(pols) for st in p.for_action(laction))

            got = (
                c(self.identity), c(self.resource), c(self.boundaries), c(self.session), c(self.endpoint),
                None if self.scps is None else tuple(c(lv) for lv in self.scps),
                None if self.rcps is None else tuple(c(lv) for lv in self.rcps),
            )  # fmt: skip
            if len(self._plans) < 8192:
                self._plans[laction] = got
        return got

    @classmethod
    def from_documents(cls, policies: Mapping[str, Any]) -> PolicySet:
        """Build from the batch format's ``policies`` object (documents as decoded JSON)."""

        def many(key: str, kind: str, *aliases: str) -> tuple[Policy, ...]:
            raw = next((policies[k] for k in (key, *aliases) if k in policies), None)
            if raw is None:
                return ()
            items = raw if isinstance(raw, list) else [raw]
            return tuple(parse_policy(d, kind, f"policies.{key}[{i}]") for i, d in enumerate(items) if d)

        def levels(key: str, kind: str) -> tuple[tuple[Policy, ...], ...] | None:
            raw = policies.get(key)
            if raw is None:
                return None
            items = raw if isinstance(raw, list) else [raw]
            out = []
            for li, level in enumerate(items):
                docs = level if isinstance(level, list) else [level]
                out.append(
                    tuple(parse_policy(d, kind, f"policies.{key}[{li}][{i}]") for i, d in enumerate(docs))
                )
            return tuple(out)

        return cls(
            identity=many("identity", "any"),
            resource=many("resource", "any"),
            boundaries=many("boundaries", "any", "boundary", "permissionsBoundary"),
            scps=levels("scps", "any"),
            rcps=levels("rcps", "any"),
            session=many("session", "any"),
            endpoint=many("endpoint", "any", "endpoints"),
        )


@dataclass(frozen=True, slots=True)
class Reason:
    effect: str  # Allow, Deny, ImplicitDeny
    policy_type: str
    policy_index: int | None = None
    level: int | None = None
    sid: str | None = None
    statement_index: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"effect": self.effect, "policyType": self.policy_type}
        if self.level is not None:
            d["level"] = self.level
        if self.policy_index is not None:
            d["policyIndex"] = self.policy_index
        if self.statement_index is not None:
            d["sid"] = self.sid
            d["statementIndex"] = self.statement_index
        return d


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str
    reasons: tuple[Reason, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.decision == ALLOWED

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision, "reasons": [r.to_dict() for r in self.reasons]}


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


def prepare_context(
    raw: Mapping[str, Any], caller: Caller, resource_account: str
) -> dict[str, tuple[str, ...]]:
    """Lower-case the key names, make every value a tuple of strings, and add the keys AWS always
    derives from the caller when the request does not give them."""
    ctx: dict[str, tuple[str, ...]] = {}
    for k, v in raw.items():
        if type(v) is str:
            ctx[k.lower()] = (v,)
        elif v is None:
            continue
        elif isinstance(v, list | tuple):
            ctx[k.lower()] = tuple(_value(x) for x in v)
        else:
            ctx[k.lower()] = (_value(v),)
    for k, val in _derived(caller, resource_account):
        if k not in ctx:
            ctx[k] = val
    return ctx


@functools.lru_cache(maxsize=4096)
def _derived(caller: Caller, resource_account: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    derived: dict[str, str] = {}
    if caller.kind == "service":
        derived["aws:principalisawsservice"] = "true"
        derived["aws:principalservicename"] = caller.arn
    elif caller.kind != "anonymous":
        derived["aws:principalisawsservice"] = "false"
        derived["aws:principalaccount"] = caller.account
        derived["aws:principalarn"] = caller.role_arn if caller.kind == "session" else caller.arn
        derived["aws:principaltype"] = {
            "user": "User", "role": "AssumedRole", "session": "AssumedRole",
            "federated": "FederatedUser", "root": "Account",
        }.get(caller.kind, "")  # fmt: skip
        if caller.kind == "user":
            derived["aws:username"] = caller.name
    if resource_account:
        derived["aws:resourceaccount"] = resource_account
    return tuple((k, (v,)) for k, v in derived.items() if v)


def _arn_account(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[4].isdigit() else ""


class _Eval:
    __slots__ = ("caller", "ctx", "denies", "has_boundary", "laction", "resource")

    def __init__(self, caller: Caller, laction: str, resource: str, ctx: Mapping[str, Sequence[str]]) -> None:
        self.caller = caller
        self.laction = laction
        self.resource = resource
        self.ctx = ctx
        self.denies: list[Reason] = []
        self.has_boundary = False

    def scan(
        self, cands: _Cands, ptype: str, principals: bool, level: int | None = None
    ) -> list[tuple[int, Statement, str]]:
        """Matching statements: denies recorded, allows returned with how they named the caller."""
        allows: list[tuple[int, Statement, str]] = []
        if not cands:
            return allows
        res, ctx = self.resource, self.ctx
        for pi, st in cands:
            m = st.resource_matcher
            if m is not None and m.match(res, ctx) == st.not_resource:
                continue
            how = DIRECT
            if principals:
                got = st.principal_match(self.caller, self.has_boundary)
                if got is None:
                    continue
                how = got
            if st.conditions and not all(c.holds(ctx) for c in st.conditions):
                continue
            if st.allow:
                if (
                    how == DIRECT
                    and self.caller.kind in ("session", "role")
                    and st.principal is not None
                    and st.principal.wildcard
                    and any(c.lkey == "aws:principalarn" for c in st.conditions)
                ):
                    how = ROLE  # "*" narrowed to the role ARN by aws:PrincipalArn
                allows.append((pi, st, how))
            else:
                self.denies.append(Reason("Deny", ptype, pi, level, st.sid, st.index))
        return allows


def _reasons(allows: list[tuple[int, Statement, str]], ptype: str) -> list[Reason]:
    return [Reason("Allow", ptype, pi, None, st.sid, st.index) for pi, st, _ in allows]


def evaluate(request: Request, policies: PolicySet) -> Decision:  # noqa: PLR0915
    """Decide one request against its policies (see the module docstring for the order)."""
    caller = parse_caller(request.principal)
    laction = request.action.lower()
    service = laction.split(":", 1)[0]
    ctx = prepare_context(request.context, caller, "")
    res_account = request.resource_account
    if not res_account:
        given = ctx.get("aws:resourceaccount")
        res_account = (given[0] if given else "") or _arn_account(request.resource) or caller.account
    if "aws:resourceaccount" not in ctx and res_account:
        ctx["aws:resourceaccount"] = (res_account,)
    ev = _Eval(caller, laction, request.resource, ctx)
    ev.has_boundary = bool(policies.boundaries)
    mgmt = request.management_account or ""
    identity_side = caller.kind not in ("anonymous", "service", "root")

    # every policy type is scanned so that each explicit deny is found and reported
    ids, ress, bnds, sess, eps, scps, rcps = policies.plan(laction)
    id_allows = ev.scan(ids, "identity", False) if identity_side else []
    res_allows = ev.scan(ress, "resource", True)
    b_allows = ev.scan(bnds, "boundary", False) if identity_side else []
    s_allows = ev.scan(sess, "session", False) if identity_side else []
    ep_allows = ev.scan(eps, "endpoint", True)
    scp_fail: int | None = None
    scp_applies = caller.in_account and caller.account != mgmt and not caller.service_linked
    if scps is not None and scp_applies:
        for li, cands in enumerate(scps):
            if not ev.scan(cands, "scp", False, li) and scp_fail is None:
                scp_fail = li
    rcp_fail: int | None = None
    if rcps is not None and res_account != mgmt and not caller.service_linked and service in RCP_SERVICES:
        for li, cands in enumerate(rcps):
            if not ev.scan(cands, "rcp", True, li) and rcp_fail is None:
                rcp_fail = li

    if ev.denies:
        return Decision(EXPLICIT_DENY, tuple(ev.denies))
    if rcp_fail is not None:
        return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "rcp", level=rcp_fail),))
    if scp_fail is not None:
        return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "scp", level=scp_fail),))
    if policies.endpoint and not ep_allows:
        return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "endpoint"),))

    res_reasons = _reasons(res_allows, "resource")
    kinds = {how for _, _, how in res_allows}
    if caller.kind in ("anonymous", "service"):
        if res_allows:
            return Decision(ALLOWED, tuple(res_reasons))
        return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "resource"),))

    cross = bool(res_account) and res_account != caller.account
    must_resource = cross or (bool(policies.resource) and (service == "kms" or laction in _STS_TRUST))
    if caller.kind == "root":  # the root user has every permission its own account can grant
        if must_resource and not res_allows:
            return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "resource"),))
        return Decision(ALLOWED, tuple(res_reasons))

    boundary_ok = not policies.boundaries or bool(b_allows)
    session_ok = not policies.session or bool(s_allows)
    limits = _reasons(b_allows, "boundary") + _reasons(s_allows, "session")
    if must_resource and not res_allows:
        return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "resource"),))
    if not cross:
        if DIRECT in kinds:  # the user or the session itself: not limited by identity, boundary, session
            direct = [r for r, (_, _, h) in zip(res_reasons, res_allows, strict=True) if h == DIRECT]
            return Decision(ALLOWED, tuple(direct))
        if ROLE in kinds and boundary_ok and session_ok:  # the role ARN: boundary and session still limit
            return Decision(ALLOWED, tuple(res_reasons + limits))
        if ROLE in kinds and not boundary_ok:
            return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "boundary"),))
        if ROLE in kinds:
            return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "session"),))
    # the identity side must allow (same account without a sufficient resource grant, or cross account)
    if not id_allows:
        return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "identity"),))
    if not boundary_ok:
        return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "boundary"),))
    if not session_ok:
        return Decision(IMPLICIT_DENY, (Reason("ImplicitDeny", "session"),))
    used = res_reasons if (cross or ACCOUNT in kinds) else []
    return Decision(ALLOWED, tuple(_reasons(id_allows, "identity") + used + limits))


def evaluate_documents(request: Request, policies: Mapping[str, Any]) -> Decision:
    """Convenience: compile the documents, then evaluate."""
    return evaluate(request, PolicySet.from_documents(policies))
