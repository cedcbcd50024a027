"""Who can perform an action on a resource: every user and role of the organization that is allowed,
directly or through a chain of role assumptions, with the path and why each hop is allowed.

A hop ``A -> role R`` exists when the evaluator allows ``A`` ``sts:AssumeRole`` on ``R``: the trust
policy of ``R`` must allow ``A`` and, unless it names ``A`` itself within one account, ``A``'s identity
side (identity policies, boundary, SCPs) must allow it too (IAM User Guide, "Cross-account policy
evaluation logic"; "How to use trust policies with IAM roles"). Candidate callers are taken from the
trust policy's ``Principal`` (the ARNs, roles and accounts it names, or everyone for ``*``), so the
graph costs one evaluation per (role, plausible caller), not per pair of principals.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secpillar.iam.evaluate import Decision
from secpillar.iam.inventory import OrgIam, Principal

ASSUME = "sts:AssumeRole"


@dataclass(frozen=True, slots=True)
class Step:
    """One hop of a path: ``source`` obtains the permissions of ``target`` by ``method``."""

    source: str
    target: str
    method: str
    explanation: str

    def to_dict(self) -> dict[str, str]:
        return {
            "from": self.source,
            "to": self.target,
            "method": self.method,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class Access:
    """A principal that can perform the action, and how (``path`` is empty when it can directly)."""

    principal: str
    label: str
    path: tuple[Step, ...]
    explanation: str  # why the last principal of the path is allowed

    def to_dict(self) -> dict[str, Any]:
        return {
            "principal": self.principal,
            "name": self.label,
            "direct": not self.path,
            "path": [s.to_dict() for s in self.path],
            "explanation": self.explanation,
        }


@dataclass
class WhoCan:
    action: str
    resource: str
    accesses: list[Access] = field(default_factory=list)
    issues: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "resource": self.resource,
            "principals": [a.to_dict() for a in self.accesses],
            "issues": list(self.issues),
        }


def allow_sources(org: OrgIam, principal: str, action: str, resource: str, decision: Decision) -> str:
    """The policies (and statements) that allowed a decision, in words."""
    parts = []
    for r in decision.reasons:
        if r.effect == "Allow":
            stmt = f" (statement {r.sid or r.statement_index})" if r.statement_index is not None else ""
            parts.append(org.reason_label(principal, action, resource, r) + stmt)
    return ", ".join(dict.fromkeys(parts)) or "its own account's root user"


def has_action(p: Principal, laction: str) -> bool:
    """Whether any identity policy of ``p`` has an Allow statement covering the action (a cheap filter:
    without one, only a resource policy can allow)."""
    return any(st.allow for ref in p.policies for st in ref.policy.for_action(laction))


def _trust_candidates(
    org: OrgIam, role: Principal, by_account: Mapping[str, list[Principal]]
) -> dict[str, bool]:
    """Principals the trust policy could admit -> whether it names them itself (else via their account)."""
    out: dict[str, bool] = {}
    if role.trust is None:
        return out
    everyone = [p for ps in by_account.values() for p in ps]
    for st in role.trust.for_action(ASSUME.lower()):
        if not st.allow:
            continue
        spec = st.principal
        if spec is None or spec.wildcard:  # NotPrincipal or "*": anyone may be admitted
            for p in everyone:
                out[p.arn] = True
            continue
        for arn in spec.aws:
            hit = org.principal(arn)
            if hit is not None:
                out[hit.arn] = True
        for key in spec.roles:
            acct, name = key.split("/", 1)
            hit = org.principal(f"arn:aws:iam::{acct}:role/{name}")
            if hit is not None:
                out[hit.arn] = True
        for acct in spec.accounts:
            for p in by_account.get(acct, ()):
                out.setdefault(p.arn, False)
    return out


_GRAPHS: weakref.WeakKeyDictionary[OrgIam, dict[str, list[Step]]] = weakref.WeakKeyDictionary()


def assume_graph(org: OrgIam) -> dict[str, list[Step]]:
    """principal ARN -> the roles it can assume (one :class:`Step` each); computed once per OrgIam."""
    got = _GRAPHS.get(org)
    if got is not None:
        return got
    by_account: dict[str, list[Principal]] = {}
    for p in org.principals():
        by_account.setdefault(p.account, []).append(p)
    graph: dict[str, list[Step]] = {}
    for role in org.principals():
        if role.kind != "role" or role.service_linked:
            continue
        for arn, named in _trust_candidates(org, role, by_account).items():
            caller = org.principal(arn)
            if caller is None or arn == role.arn or caller.service_linked:
                continue
            if not named and not has_action(caller, ASSUME.lower()):
                continue  # admitted only through its account: its own policies must allow, and none can
            d = org.evaluate(arn, ASSUME, role.arn)
            if d.allowed:
                why = allow_sources(org, arn, ASSUME, role.arn, d)
                text = f"{caller.label} can assume {role.label}: allowed by {why}"
                graph.setdefault(arn, []).append(Step(arn, role.arn, ASSUME, text))
    _GRAPHS[org] = graph
    return graph


def paths_to(org: OrgIam, targets: Iterable[str]) -> dict[str, tuple[Step, ...]]:
    """For every principal that can reach one of ``targets`` by assuming roles, its shortest path
    (targets themselves map to an empty path)."""
    reverse: dict[str, list[Step]] = {}
    for steps in assume_graph(org).values():
        for s in steps:
            reverse.setdefault(s.target, []).append(s)
    best: dict[str, tuple[Step, ...]] = {t: () for t in targets}
    queue = deque(best)
    while queue:
        node = queue.popleft()
        for s in reverse.get(node, ()):
            if s.source not in best:
                best[s.source] = (s, *best[node])
                queue.append(s.source)
    return best


def who_can(org: OrgIam, action: str, resource: str, context: Mapping[str, Any] | None = None) -> WhoCan:
    """Every principal allowed ``action`` on ``resource``, directly or through role chains."""
    result = WhoCan(action, resource, issues=list(org.issues))
    laction = action.lower()
    has_resource_policy = org.resource_policy_for(resource, action) is not None
    direct: dict[str, str] = {}
    for p in org.principals():
        if not has_resource_policy and not has_action(p, laction):
            continue  # nothing of its own allows it and no resource policy can
        ctx = org.context_for(p.arn, context)
        d = org.evaluate(p.arn, action, resource, ctx)
        if d.allowed:
            direct[p.arn] = (
                f"{p.label} is allowed {action}: by {allow_sources(org, p.arn, action, resource, d)}"
            )
    for arn, path in sorted(paths_to(org, direct).items(), key=lambda kv: (len(kv[1]), kv[0])):
        who = org.principal(arn)
        final = path[-1].target if path else arn
        result.accesses.append(Access(arn, who.label if who else arn, path, direct[final]))
    return result


def describe(access: Access) -> str:
    """The access in plain words, one sentence per hop."""
    if not access.path:
        return access.explanation + "."
    hops = "; then ".join(s.explanation for s in access.path)
    n = len(access.path)
    return f"{access.label} reaches it through {n} role assumption(s): {hops}; and {access.explanation}."
