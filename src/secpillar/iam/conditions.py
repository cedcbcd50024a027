"""Condition operators, compiled once per policy and evaluated against a request context.

Semantics (IAM JSON policy elements: Condition operators; Conditions with multiple context keys or
values; Single-valued vs. multivalued context keys):

* Several operators in a block, and several keys under one operator, are ANDed; several values for
  one key are ORed; for a negated operator (``StringNotEquals``…) they are NORed.
* A key absent from the request: the condition is false, except for negated operators (true),
  ``...IfExists`` (true) and ``Null`` (which tests for the absence itself).
* ``ForAllValues:`` is true when every request value matches (and when the key is absent or empty);
  ``ForAnyValue:`` is true when at least one request value matches (false when absent or empty).
* Without a set qualifier a multivalued request key matches when any of its values matches.
* Context key names are case-insensitive: the context is lower-cased once per request.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from secpillar.errors import ValidationError
from secpillar.iam.matching import arn_condition_matches, has_wildcard, string_like
from secpillar.iam.variables import Template, has_variables, parse_template

Context = Mapping[str, Sequence[str]]
Matcher = Callable[[str, Context], bool]

#: base operator -> (family, negated)
OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("string", False),
    "StringNotEquals": ("string", True),
    "StringEqualsIgnoreCase": ("stringi", False),
    "StringNotEqualsIgnoreCase": ("stringi", True),
    "StringLike": ("like", False),
    "StringNotLike": ("like", True),
    "NumericEquals": ("num=", False),
    "NumericNotEquals": ("num=", True),
    "NumericLessThan": ("num<", False),
    "NumericLessThanEquals": ("num<=", False),
    "NumericGreaterThan": ("num>", False),
    "NumericGreaterThanEquals": ("num>=", False),
    "DateEquals": ("date=", False),
    "DateNotEquals": ("date=", True),
    "DateLessThan": ("date<", False),
    "DateLessThanEquals": ("date<=", False),
    "DateGreaterThan": ("date>", False),
    "DateGreaterThanEquals": ("date>=", False),
    "Bool": ("bool", False),
    "BinaryEquals": ("binary", False),
    "IpAddress": ("ip", False),
    "NotIpAddress": ("ip", True),
    "ArnEquals": ("arn", False),
    "ArnLike": ("arn", False),
    "ArnNotEquals": ("arn", True),
    "ArnNotLike": ("arn", True),
    "Null": ("null", False),
}
_BY_LOWER = {k.lower(): k for k in OPERATORS}
_QUALIFIERS = {"forallvalues": "ForAllValues", "foranyvalue": "ForAnyValue"}
#: families whose values may hold policy variables
_VARIABLE_FAMILIES = {"string", "stringi", "like", "bool", "arn"}


@dataclass(frozen=True, slots=True)
class Operator:
    text: str
    base: str
    family: str
    negated: bool
    qualifier: str  # "", "ForAllValues", "ForAnyValue"
    if_exists: bool


def parse_operator(text: str, where: str = "") -> Operator:
    qualifier = ""
    rest = text
    if ":" in text:
        q, rest = text.split(":", 1)
        if q.lower() not in _QUALIFIERS:
            raise ValidationError(f"unknown set qualifier {q!r} in condition operator {text!r}", where)
        qualifier = _QUALIFIERS[q.lower()]
    if_exists = False
    if rest.lower().endswith("ifexists"):
        if_exists = True
        rest = rest[: -len("ifexists")]
    base = _BY_LOWER.get(rest.lower())
    if base is None:
        raise ValidationError(f"unknown condition operator {text!r}", where)
    family, negated = OPERATORS[base]
    if base == "Null" and (if_exists or qualifier):
        raise ValidationError(f"{text!r}: Null takes neither IfExists nor a set qualifier", where)
    return Operator(text, base, family, negated, qualifier, if_exists)


def _str_value(v: object, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int | float):
        return str(v)
    raise ValidationError(
        f"condition value must be a string, number or boolean, not {type(v).__name__}", where
    )


def parse_date(text: str) -> float | None:
    """ISO 8601 (date, date-time, with or without zone; UTC when none) or epoch seconds."""
    t = text.strip()
    try:
        return float(t)
    except ValueError:
        pass
    try:
        dt = datetime.fromisoformat(t)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _parse_number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _static_matcher(family: str, values: list[str], where: str) -> Matcher:
    """A matcher telling whether one request value matches any of the policy values."""
    if family == "string":
        s = frozenset(values)
        return lambda v, _c: v in s
    if family == "stringi":
        si = frozenset(x.lower() for x in values)
        return lambda v, _c: v.lower() in si
    if family == "like":
        if not any(has_wildcard(x) for x in values):
            s2 = frozenset(values)
            return lambda v, _c: v in s2
        return lambda v, _c: any(string_like(p, v) for p in values)
    if family == "bool":
        sb = frozenset(x.lower() for x in values)
        return lambda v, _c: v.lower() in sb
    if family == "arn":
        return lambda v, _c: any(arn_condition_matches(p, v) for p in values)
    if family.startswith("num"):
        nums: list[float] = []
        for x in values:
            n = _parse_number(x)
            if n is None:
                raise ValidationError(f"{x!r} is not a number", where)
            nums.append(n)
        return _ordered(family[3:], nums, _parse_number)
    if family.startswith("date"):
        dates: list[float] = []
        for x in values:
            d = parse_date(x)
            if d is None:
                raise ValidationError(f"{x!r} is not an ISO 8601 date or epoch time", where)
            dates.append(d)
        return _ordered(family[4:], dates, parse_date)
    if family == "ip":
        nets = []
        for x in values:
            try:
                nets.append(ipaddress.ip_network(x.strip(), strict=False))
            except ValueError:
                raise ValidationError(f"{x!r} is not an IP address or CIDR block", where) from None

        def ip_match(v: str, _c: Context) -> bool:
            try:
                addr = ipaddress.ip_address(v.strip().split("/")[0])
            except ValueError:
                return False
            return any(addr in n for n in nets)

        return ip_match
    if family == "binary":
        raw = frozenset(values)
        decoded = frozenset(b for b in (_b64(x) for x in values) if b is not None)
        return lambda v, _c: v in raw or _b64(v) in decoded
    raise ValidationError(f"unsupported operator family {family}", where)  # pragma: no cover


def _ordered(op: str, refs: list[float], parse: Callable[[str], float | None]) -> Matcher:
    def m(v: str, _c: Context) -> bool:
        x = parse(v)
        if x is None:
            return False
        if op == "=":
            return any(x == r for r in refs)
        if op == "<":
            return any(x < r for r in refs)
        if op == "<=":
            return any(x <= r for r in refs)
        if op == ">":
            return any(x > r for r in refs)
        return any(x >= r for r in refs)

    return m


def _dynamic_matcher(family: str, templates: list[Template]) -> Matcher:
    """Values with policy variables, resolved against each request's context."""

    def m(v: str, ctx: Context) -> bool:
        for t in templates:
            if family == "like":
                rx = t.resolve_regex(ctx)
                if rx is not None and rx.match(v):
                    return True
                continue
            text = t.resolve_text(ctx)
            if text is None:
                continue
            if (
                (family == "string" and v == text)
                or (family in ("stringi", "bool") and v.lower() == text.lower())
                or (family == "arn" and arn_condition_matches(text, v))
            ):
                return True
        return False

    return m


@dataclass(frozen=True, slots=True)
class Clause:
    """One ``operator: {key: values}`` pair."""

    op: Operator
    key: str  # as written
    lkey: str  # lower-cased for lookup
    values: tuple[str, ...]
    match: Matcher

    def holds(self, ctx: Context) -> bool:
        op = self.op
        vals = ctx.get(self.lkey)
        present = bool(vals)
        if op.family == "null":
            want = {x.lower() for x in self.values}
            return ("true" in want and not present) or ("false" in want and present)
        if not present:
            if op.if_exists:
                return True
            if op.qualifier == "ForAllValues":
                return True
            if op.qualifier == "ForAnyValue":
                return False
            return op.negated
        assert vals is not None
        m = self.match
        if op.qualifier == "ForAllValues":
            return all((not m(v, ctx)) if op.negated else m(v, ctx) for v in vals)
        if op.qualifier == "ForAnyValue":
            return any((not m(v, ctx)) if op.negated else m(v, ctx) for v in vals)
        hit = any(m(v, ctx) for v in vals)
        return not hit if op.negated else hit


def compile_condition(block: object, where: str, variables: bool) -> tuple[Clause, ...]:
    """Validate and compile a statement's ``Condition`` element."""
    if not isinstance(block, dict):
        raise ValidationError("Condition must be an object of operators", where)
    clauses: list[Clause] = []
    for op_text, body in block.items():
        w = f"{where}.{op_text}"
        op = parse_operator(str(op_text), w)
        if not isinstance(body, dict) or not body:
            raise ValidationError("a condition operator must map context keys to values", w)
        for key, raw in body.items():
            wk = f"{w}.{key}"
            if not isinstance(key, str) or not key:
                raise ValidationError("empty condition key", wk)
            items = raw if isinstance(raw, list) else [raw]
            if not items:
                raise ValidationError("a condition key needs at least one value", wk)
            values = [_str_value(x, wk) for x in items]
            if op.family == "null":
                bad = [x for x in values if x.lower() not in ("true", "false")]
                if bad:
                    raise ValidationError(f"Null takes true or false, not {bad[0]!r}", wk)
                matcher: Matcher = lambda _v, _c: False  # noqa: E731
            elif variables and op.family in _VARIABLE_FAMILIES and any(has_variables(x) for x in values):
                matcher = _dynamic_matcher(op.family, [parse_template(x, wk) for x in values])
            else:
                matcher = _static_matcher(op.family, values, wk)
            clauses.append(Clause(op, key, key.lower(), tuple(values), matcher))
    return tuple(clauses)
