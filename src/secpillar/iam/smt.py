"""Proofs about outside access with an SMT solver (z3).

``prove_no_outside_access(policies, action, resource, account, boundary)`` decides the claim "no
principal outside the organization can perform ACTION on RESOURCE": **proved** (no request from
outside is allowed), **refuted** with a concrete counter-example request (principal ARN, account,
context values, object key), or **unknown** (outside the encoded fragment, or the solver timed out).
A counter-example is always fed back to :func:`secpillar.iam.evaluate.evaluate`, which must allow it.

The encoding mirrors the evaluator for a caller from outside (see ``evaluate``): the request is
cross-account with the caller's own identity policies allowing everything, so it is allowed exactly
when no applicable Deny (resource policy, RCPs) matches, every RCP level has a matching Allow (when
RCPs apply), and some resource-policy Allow matches. The caller is symbolic: anonymous, an IAM user,
role, assumed-role session or root user of an account that is not the organization's, or a service
principal (``*.amazonaws.com``) acting for such an account. Keys AWS derives from the caller
(``aws:PrincipalAccount``, ``aws:PrincipalArn``, ``aws:PrincipalType``, ``aws:username`` …) are terms
over it; ``aws:PrincipalOrgID``/``aws:PrincipalOrgPaths``/``aws:SourceOrgID``/``aws:SourceAccount``/
``aws:SourceArn``/``aws:SourceVpce``/``aws:SourceVpc`` may be absent or hold an outsider's value; every
other key is free (absent, or any value). Strings use z3's string theory with regular expressions for
``*``/``?`` wildcards (ARN wildcards confined to their segment as the matcher does), IP addresses are
32-bit vectors, numbers and dates integers.

The fragment: every condition operator except ``BinaryEquals``; policy variables, ``Federated``
principals (web identity, SAML) and ``aws:userid`` make the verdict unknown. Values range over
printable ASCII (plus any character a policy literal uses) and each context key holds at most one
value; IPv6 sources are not modelled.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import z3  # type: ignore[import-untyped]

from secpillar.iam.evaluate import RCP_SERVICES, PolicySet, Request, evaluate
from secpillar.iam.policy import Policy, parse_policy
from secpillar.iam.smt_encode import (
    ANON,
    KIND_NAMES,
    ROLE,
    ROOT,
    SERVICE,
    SESSION,
    USER,
    Boundary,
    Encoder,
    Unsupported,
    decision,
    extra_chars,
    sval,
)

__all__ = [
    "PROVED",
    "REFUTED",
    "UNKNOWN",
    "Boundary",
    "Unsupported",
    "Verdict",
    "boundary_of",
    "prove_no_outside_access",
    "prove_target",
]  # fmt: skip

PROVED, REFUTED, UNKNOWN = "proved", "refuted", "unknown"
ALLOW_ALL = parse_policy({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}, "identity")
DEFAULT_TIMEOUT_MS = 5000
NICE_TIMEOUT_MS = 300


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: str  # proved, refuted, unknown
    claim: str
    action: str
    resource: str
    counterexample: dict[str, Any] | None = None
    reason: str = ""
    seconds: float = 0.0
    confirmed: bool | None = None  # the evaluator's answer on the counter-example

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"verdict": self.verdict, "claim": self.claim, "action": self.action,
                             "resource": self.resource, "seconds": round(self.seconds, 3)}  # fmt: skip
        if self.counterexample is not None:
            d["counterexample"] = self.counterexample
            d["evaluatorAllows"] = self.confirmed
        if self.reason:
            d["reason"] = self.reason
        return d

    def words(self) -> str:
        if self.verdict == PROVED:
            return f"proved: {self.claim}"
        if self.verdict == REFUTED and self.counterexample:
            ce = self.counterexample
            who = ce.get("principal") or "an anonymous caller"
            ctx = ", ".join(f"{k}={v}" for k, v in ce.get("context", {}).items()) or "no context keys"
            return f"refuted: {who} is allowed {self.action} on {ce.get('resource')} with {ctx}"
        return f"unknown: {self.reason}"


def prove_no_outside_access(
    policies: Sequence[Policy],
    action: str,
    resource: str,
    resource_account: str,
    boundary: Boundary,
    rcps: tuple[tuple[Policy, ...], ...] | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    only_services: bool = False,
    services: bool = True,
) -> Verdict:
    """Prove or refute "no principal outside the organization can ``action`` on ``resource``".

    ``resource`` ending in ``/*`` (``arn:aws:s3:::bucket/*``) stands for every object of the bucket:
    the object key is part of the search. ``only_services``: only AWS service principals can reach the
    resource from outside (S3's RestrictPublicBuckets on a public bucket policy)."""
    t0 = time.monotonic()
    claim = f"no principal outside the organization can {action} on {resource}"

    def done(verdict: str, **kw: Any) -> Verdict:
        return Verdict(verdict, claim, action, resource, seconds=time.monotonic() - t0, **kw)

    la = action.lower()
    symbolic = resource.endswith("/*")
    rcp_applies = (rcps is not None and resource_account != boundary.management_account
                   and la.split(":", 1)[0] in RCP_SERVICES)  # fmt: skip
    all_pols = list(policies) + [p for lv in (rcps or ()) for p in lv]
    chars = extra_chars(all_pols)
    kinds = (
        [SERVICE] if only_services else [ANON, ROOT, ROLE, USER, SESSION] + ([SERVICE] if services else [])
    )
    deadline = t0 + timeout_ms / 1000
    gave_up = ""
    for kind in kinds:  # one small query per kind of caller; the first counter-example ends the search
        key = z3.String("object_key")
        res_expr = z3.Concat(sval(resource[:-1]), key) if symbolic else sval(resource)
        enc = Encoder(boundary, action, res_expr, resource_account, chars, fixed_kind=kind)
        try:
            enc.variables = any(p.version == "2012-10-17" for p in all_pols)
            allowed = decision(
                enc, policies, rcps if rcp_applies else None, la, None if symbolic else resource
            )
            constraints = enc.caller_constraints() + enc.outsider_constraints()
        except Unsupported as exc:
            return done(UNKNOWN, reason=str(exc))
        solver = z3.Solver()
        solver.set("timeout", max(50, int((deadline - time.monotonic()) * 1000)))
        solver.add(*constraints, allowed)
        if symbolic:
            solver.add(z3.Length(key) >= 1, z3.InRe(key, enc.domain))
        answer = solver.check()
        if answer == z3.unsat:
            continue
        if answer != z3.sat:
            gave_up = f"the solver gave up on {KIND_NAMES[kind]} callers ({solver.reason_unknown()})"
            continue
        ce = _readable(solver, enc, key if symbolic else None, resource)
        ps = PolicySet(identity=(ALLOW_ALL,), resource=tuple(policies), rcps=rcps)
        req = Request(ce["principal"], action, ce["resource"], resource_account, ce["context"],
                      boundary.management_account or None)  # fmt: skip
        if not evaluate(req, ps).allowed:
            why = "the solver's counter-example is not allowed by the evaluator (a disagreement)"
            return done(UNKNOWN, counterexample=ce, confirmed=False, reason=why)
        return done(REFUTED, counterexample=ce, confirmed=True)
    return done(UNKNOWN, reason=gave_up) if gave_up else done(PROVED)


def _readable(solver: Any, enc: Encoder, key: Any, resource: str) -> dict[str, Any]:
    """The counter-example, with plain names and object keys when the solver finds such one quickly."""
    model = solver.model()
    solver.push()
    solver.set("timeout", NICE_TIMEOUT_MS)
    plain = z3.Concat(z3.Range("a", "z"), z3.Star(z3.Union(z3.Range("a", "z"), z3.Re("/"))))
    names = {USER: [enc.name], ROLE: [enc.name], SESSION: [enc.name, enc.sess]}.get(enc.fixed_kind, [])
    solver.add(*[z3.InRe(x, plain) for x in names + ([key] if key is not None else [])])
    if solver.check() == z3.sat:
        model = solver.model()
    solver.pop()
    return _counterexample(enc, model, key, resource)


def _counterexample(enc: Encoder, model: z3.ModelRef, key: z3.SeqRef | None, resource: str) -> dict[str, Any]:
    def text(e: z3.ExprRef) -> str:
        return str(model.eval(e, model_completion=True).as_string())

    kind = model.eval(enc.kind, model_completion=True).as_long()
    principal: str | None = None if kind == ANON else text(enc.arn())
    ctx: dict[str, str] = {}
    for lk, (present, var, typ) in sorted(enc.keys.items()):
        if not z3.is_true(model.eval(present, model_completion=True)):
            continue
        if var is None:
            ctx[enc.spelling[lk]] = "secpillar"
        elif typ == "ip":
            ctx[enc.spelling[lk]] = str(
                ipaddress.IPv4Address(model.eval(var, model_completion=True).as_long())
            )
        elif typ == "int":
            ctx[enc.spelling[lk]] = str(model.eval(var, model_completion=True).as_long())
        else:
            ctx[enc.spelling[lk]] = text(var)
    res = resource[:-1] + text(key) if key is not None else resource
    out: dict[str, Any] = {"principal": principal, "kind": KIND_NAMES[kind], "resource": res, "context": ctx}
    if kind in (USER, ROLE, SESSION, ROOT):
        out["account"] = text(enc.acct)
    if kind == SERVICE:
        out["service"] = text(enc.svc)
    return out


def boundary_of(org: Any) -> Boundary:
    """The organization of an :class:`~secpillar.iam.inventory.OrgIam` as the solver sees it."""
    from secpillar.iam.exposure import org_accounts

    owned = frozenset(r.arn for r in org.inventory if r.arn)
    return Boundary(org.organization_id, org_accounts(org), org.management_account, owned)


def prove_target(
    org: Any,
    target: Any,
    action: str | None = None,
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    only_services: bool = False,
    boundary: Boundary | None = None,
) -> Verdict:
    """The verdict for one :class:`~secpillar.iam.exposure.Target` (its headline action by default;
    an S3 object action covers every object of the bucket)."""
    from secpillar.iam.catalogue import action_info
    from secpillar.iam.exposure import HEADLINE, rcps_for

    act = action or HEADLINE.get(target.resource_type, "")
    if not act:
        allowed = [st for st in target.policy.statements if st.allow and not st.not_action]
        act = next((a for st in allowed for a in st.actions if ":" in a and "*" not in a), "")
    resource = target.arn
    info = action_info(act)
    if target.resource_type == "AWS::S3::Bucket" and info is not None and "object" in info.resource_types:
        resource = f"{target.arn}/*"
    b = boundary or boundary_of(org)
    return prove_no_outside_access([target.policy], act, resource, target.account, b,
                                   rcps_for(org, target.account), timeout_ms, only_services,
                                   services=not target.trust)  # fmt: skip


def prove_report(
    org: Any,
    report: Any,
    actions: Sequence[str] = (),
    timeout_ms: int = DEFAULT_TIMEOUT_MS,
    progress: Any = None,
) -> dict[str, list[Verdict]]:
    """Verdicts for every examined resource of an :class:`~secpillar.iam.exposure.ExposureReport`:
    the given ``actions`` that apply to its service (its headline action when none does), plus every
    action an exposure grants; each exposure gets its verdicts in ``proofs``. ``progress(n)`` is
    called after each resource."""
    from secpillar.iam.exposure import BUCKET, HEADLINE

    b = boundary_of(org)
    exposed = {e.target.arn: e for e in report.exposures}
    out: dict[str, list[Verdict]] = {}
    for t in report.examined:
        service = "sts" if t.trust else [*t.arn.split(":"), "", "", ""][2]
        acts = [a for a in actions if a.lower().startswith(f"{service}:")] or [
            HEADLINE.get(t.resource_type, "")
        ]
        e = exposed.get(t.arn)
        if e is not None:
            acts += [g.actions[0] for g in e.grants if g.via == "policy" and g.actions]
        only_services = (
            e is not None and t.resource_type == BUCKET and any("RestrictPublic" in n for n in e.notes)
        )
        verdicts = [prove_target(org, t, a or None, timeout_ms, only_services, boundary=b)
                    for a in dict.fromkeys(acts)]  # fmt: skip
        out[t.arn] = verdicts
        if e is not None:
            e.proofs = verdicts
        if progress is not None:
            progress(1)
    return out
