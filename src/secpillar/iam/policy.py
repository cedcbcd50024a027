"""IAM policy documents: parse and validate into a typed, pre-compiled tree.

``parse_policy(doc)`` accepts a JSON string or a decoded object and returns a ``Policy`` whose
statements carry compiled matchers (action and resource patterns as sets plus one regex, conditions
as closures), so that evaluation never re-reads JSON. An invalid document raises ``ValidationError``
whose ``where`` names the statement and element (``Statement[2].Condition.StringLike.s3:prefix``).

``kind`` adds the rules of a policy type: identity, boundary, session and SCP documents may not name a
``Principal`` and need ``Resource``; resource-based, RCP and VPC endpoint documents need a
``Principal`` (an RCP's must be ``*``); a role trust policy has no ``Resource``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secpillar.errors import ValidationError
from secpillar.iam.conditions import Clause, compile_condition
from secpillar.iam.matching import PatternSet, compile_patterns, has_wildcard
from secpillar.iam.principals import Caller, PrincipalSpec, parse_principal
from secpillar.iam.variables import Template, has_variables, parse_template

VERSIONS = ("2012-10-17", "2008-10-17")
KINDS = ("identity", "resource", "boundary", "session", "scp", "rcp", "endpoint", "trust", "any")
_NO_PRINCIPAL = {"identity", "boundary", "session", "scp"}
_NEEDS_PRINCIPAL = {"resource", "rcp", "endpoint", "trust"}
_STATEMENT_KEYS = {
    "Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction",
    "Resource", "NotResource", "Condition",
}  # fmt: skip
Context = Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class ResourceMatcher:
    static: PatternSet
    templates: tuple[Template, ...]  # entries with policy variables

    cache: dict[str, bool] = field(default_factory=dict, repr=False, compare=False)

    def match(self, resource: str, ctx: Context) -> bool:
        if not self.templates:
            hit = self.cache.get(resource)
            if hit is None:
                hit = self.static.match(resource)
                if len(self.cache) < 4096:
                    self.cache[resource] = hit
            return hit
        if self.static.match(resource):
            return True
        for t in self.templates:
            rx = t.resolve_regex(ctx)
            if rx is not None and rx.match(resource):
                return True
        return False


@dataclass(frozen=True, slots=True)
class Statement:
    index: int
    sid: str | None
    allow: bool
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...] | None  # None: no Resource/NotResource element
    not_resource: bool
    principal: PrincipalSpec | None
    not_principal: PrincipalSpec | None
    conditions: tuple[Clause, ...]
    action_set: PatternSet = field(repr=False, compare=False)
    resource_matcher: ResourceMatcher | None = field(repr=False, compare=False)

    @property
    def effect(self) -> str:
        return "Allow" if self.allow else "Deny"

    def matches_action(self, laction: str) -> bool:
        """``laction`` is lower-cased."""
        return self.action_set.match(laction) != self.not_action

    def matches_resource(self, resource: str, ctx: Context) -> bool:
        m = self.resource_matcher
        if m is None:
            return True
        return m.match(resource, ctx) != self.not_resource

    def matches_conditions(self, ctx: Context) -> bool:
        return all(c.holds(ctx) for c in self.conditions)

    def principal_match(self, caller: Caller, has_boundary: bool = False) -> str | None:
        """How the statement names the caller (see ``principals``); "direct" when it names nobody."""
        if self.principal is not None:
            return self.principal.match(caller)
        if self.not_principal is not None:
            if not self.allow and has_boundary:
                return "direct"  # documented: NotPrincipal+Deny always denies a principal with a boundary
            return None if self.not_principal.excludes(caller) else "direct"
        return "direct"


@dataclass(frozen=True, slots=True)
class Policy:
    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None
    name: str = ""
    document: Any = field(default=None, repr=False, compare=False)
    _by_action: dict[str, tuple[Statement, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def for_action(self, laction: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction covers ``laction`` (lower-cased), memoised."""
        hit = self._by_action.get(laction)
        if hit is None:
            hit = tuple(st for st in self.statements if st.action_set.match(laction) != st.not_action)
            if len(self._by_action) < 8192:
                self._by_action[laction] = hit
        return hit


def _strings(raw: object, where: str, element: str) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise ValidationError(f"{element} must not be empty", where)
    for x in items:
        if not isinstance(x, str) or not x.strip():
            raise ValidationError(f"{element} entries must be non-empty strings", where)
    return [str(x).strip() for x in items]


def _check_action(a: str, where: str) -> None:
    if a == "*":
        return
    service, sep, name = a.partition(":")
    if not sep or not service or not name or " " in a or (has_wildcard(service) and service != "*"):
        raise ValidationError(
            f"action {a!r} is not service:action (wildcards allowed in the action part)", where
        )


def _check_resource(r: str, where: str) -> None:
    if r == "*" or has_variables(r):
        return
    if not r.startswith("arn:") or r.count(":") < 5:
        raise ValidationError(
            f"resource {r!r} is not an ARN (arn:partition:service:region:account:resource)", where
        )


def parse_statement(raw: object, index: int, where: str, kind: str, variables: bool) -> Statement:
    if not isinstance(raw, dict):
        raise ValidationError("a statement must be an object", where)
    unknown = set(raw) - _STATEMENT_KEYS
    if unknown:
        raise ValidationError(f"unknown element(s) {', '.join(sorted(unknown))}", where)
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise ValidationError("Sid must be a string", f"{where}.Sid")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise ValidationError(f'Effect must be "Allow" or "Deny", not {effect!r}', f"{where}.Effect")
    if ("Action" in raw) == ("NotAction" in raw):
        raise ValidationError("exactly one of Action or NotAction is required", where)
    a_el = "Action" if "Action" in raw else "NotAction"
    actions = _strings(raw[a_el], f"{where}.{a_el}", a_el)
    for a in actions:
        _check_action(a, f"{where}.{a_el}")
    if "Resource" in raw and "NotResource" in raw:
        raise ValidationError("Resource and NotResource cannot both appear", where)
    if "Principal" in raw and "NotPrincipal" in raw:
        raise ValidationError("Principal and NotPrincipal cannot both appear", where)
    r_el = "Resource" if "Resource" in raw else "NotResource" if "NotResource" in raw else None
    if kind == "trust" and r_el is not None:
        raise ValidationError("a trust policy has no Resource", where)
    resources: list[str] | None = None
    matcher: ResourceMatcher | None = None
    if r_el is not None:
        resources = _strings(raw[r_el], f"{where}.{r_el}", r_el)
        static, templates = [], []
        for r in resources:
            _check_resource(r, f"{where}.{r_el}")
            if variables and has_variables(r):
                templates.append(parse_template(r, f"{where}.{r_el}"))
            else:
                static.append(r)
        matcher = ResourceMatcher(compile_patterns(static, arn=True), tuple(templates))
    elif kind in _NO_PRINCIPAL:
        raise ValidationError("Resource or NotResource is required", where)
    principal = not_principal = None
    if "Principal" in raw:
        principal = parse_principal(raw["Principal"], f"{where}.Principal")
    if "NotPrincipal" in raw:
        not_principal = parse_principal(raw["NotPrincipal"], f"{where}.NotPrincipal")
    if kind in _NO_PRINCIPAL and (principal or not_principal):
        raise ValidationError(f"a {kind} policy cannot name a Principal", where)
    if kind in _NEEDS_PRINCIPAL and not (principal or not_principal):
        raise ValidationError(f"a {kind} policy statement needs a Principal", where)
    if kind == "rcp" and not (principal and principal.wildcard):
        raise ValidationError('an RCP statement must have "Principal": "*"', f"{where}.Principal")
    conditions: tuple[Clause, ...] = ()
    if "Condition" in raw:
        conditions = compile_condition(raw["Condition"], f"{where}.Condition", variables)
    return Statement(
        index=index,
        sid=sid,
        allow=effect == "Allow",
        actions=tuple(actions),
        not_action=a_el == "NotAction",
        resources=tuple(resources) if resources is not None else None,
        not_resource=r_el == "NotResource",
        principal=principal,
        not_principal=not_principal,
        conditions=conditions,
        action_set=compile_patterns(actions, ignore_case=True),
        resource_matcher=matcher,
    )


def parse_policy(doc: object, kind: str = "any", name: str = "") -> Policy:
    """Parse and validate one policy document (a JSON string or a decoded object)."""
    if kind not in KINDS:
        raise ValidationError(f"unknown policy kind {kind!r}; choose from {', '.join(KINDS)}")
    if isinstance(doc, str | bytes):
        try:
            doc = json.loads(doc)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"not JSON: {exc}", where=name or "policy") from None
    if not isinstance(doc, dict):
        raise ValidationError("a policy must be a JSON object", where=name or "policy")
    unknown = set(doc) - {"Version", "Id", "Statement"}
    if unknown:
        raise ValidationError(
            f"unknown top-level element(s) {', '.join(sorted(unknown))}", where=name or "policy"
        )
    version = doc.get("Version")
    if version is not None and version not in VERSIONS:
        raise ValidationError(f"Version must be one of {', '.join(VERSIONS)}, not {version!r}", "Version")
    pid = doc.get("Id")
    if pid is not None and not isinstance(pid, str):
        raise ValidationError("Id must be a string", "Id")
    if "Statement" not in doc:
        raise ValidationError("Statement is required", where=name or "policy")
    raw = doc["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    variables = version == "2012-10-17"
    stmts = tuple(parse_statement(s, i, f"Statement[{i}]", kind, variables) for i, s in enumerate(items))
    sids = [s.sid for s in stmts if s.sid]
    dup = {s for s in sids if sids.count(s) > 1}
    if dup and kind in ("identity", "boundary", "scp"):
        raise ValidationError(f"duplicate Sid {sorted(dup)[0]!r}", where="Statement")
    return Policy(stmts, version, pid, name, doc)


def validation_errors(doc: object, kind: str = "any") -> list[ValidationError]:
    """Every statement's first error (the document is checked statement by statement)."""
    try:
        parse_policy(doc, kind)
        return []
    except ValidationError as exc:
        first = exc
    if isinstance(doc, str | bytes):
        return [first]
    errors: list[ValidationError] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), list | dict):
        return [first]
    try:
        parse_policy({k: v for k, v in doc.items() if k != "Statement"} | {"Statement": []}, kind)
    except ValidationError as exc:
        errors.append(exc)
    raw = doc["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    variables = doc.get("Version") == "2012-10-17"
    for i, s in enumerate(items):
        try:
            parse_statement(s, i, f"Statement[{i}]", kind, variables)
        except ValidationError as exc:
            errors.append(exc)
    return errors or [first]
