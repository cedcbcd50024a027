"""Leaf matchers of an event pattern: the values inside a field's array, compiled to predicates.

A leaf of an EventBridge pattern is an array; each element is an exact value (string, number,
``true``, ``false``, ``null``) or a one-key object naming a filter (``prefix``, ``suffix``,
``equals-ignore-case``, ``wildcard``, ``anything-but``, ``numeric``, ``exists``, ``cidr``). The
array is an OR. This module validates one leaf and turns it into a :class:`Leaf`: one predicate per
JSON type of event value, so that matching an event never looks at the pattern again.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from secpillar.errors import ValidationError

Pred = Callable[[Any], bool]

OPERATORS = frozenset(
    {"prefix", "suffix", "equals-ignore-case", "wildcard", "anything-but", "numeric", "exists", "cidr"}
)
NUMERIC_LIMIT = 5.0e9  # numeric filters accept bounds in [-5.0e9, +5.0e9]
NUMERIC_OPS = ("=", "<", "<=", ">", ">=")


def _true(_v: Any) -> bool:
    return True


def _false(_v: Any) -> bool:
    return False


def is_number(v: Any) -> bool:
    return type(v) in (int, float)


def _any_of(preds: list[Pred]) -> Pred:
    """One predicate that is true when any of ``preds`` is (specialised for 0, 1, 2 and n)."""
    if not preds:
        return _false
    if any(p is _true for p in preds):
        return _true
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda v: a(v) or b(v)
    tup = tuple(preds)
    return lambda v: any(p(v) for p in tup)


@dataclass(frozen=True)
class Leaf:
    """A compiled leaf: a predicate for each JSON type, and whether absence matches (``exists: false``)."""

    on_str: Pred
    on_num: Pred
    on_bool: Pred
    on_null: bool
    absent_ok: bool
    exact_strings: frozenset[str] | None  # set when the leaf is only exact strings (used to index rules)

    def test(self, v: Any) -> bool:
        """True when the present scalar value ``v`` satisfies one of the leaf's values."""
        t = type(v)
        if t is str:
            return self.on_str(v)
        if t is int or t is float:
            return self.on_num(v)
        if t is bool:
            return self.on_bool(v)
        if v is None:
            return self.on_null
        return False


class _Builder:
    """Collects the predicates of one leaf, per JSON type."""

    def __init__(self) -> None:
        self.strings: set[str] = set()
        self.numbers: set[int | float] = set()
        self.bools: set[bool] = set()
        self.null = False
        self.str_preds: list[Pred] = []
        self.num_preds: list[Pred] = []
        self.other_any = False  # an anything-but: true for booleans and null
        self.absent_ok = False
        self.only_strings = True

    def build(self) -> Leaf:
        strings = frozenset(self.strings)
        str_preds = list(self.str_preds)
        if strings:
            str_preds.insert(0, strings.__contains__)
        numbers = frozenset(self.numbers)
        num_preds = list(self.num_preds)
        if numbers:
            num_preds.insert(0, numbers.__contains__)
        bools = frozenset(self.bools)
        if self.other_any:
            on_bool: Pred = _true
        elif bools:
            on_bool = bools.__contains__
        else:
            on_bool = _false
        return Leaf(
            on_str=_any_of(str_preds),
            on_num=_any_of(num_preds),
            on_bool=on_bool,
            on_null=self.null or self.other_any,
            absent_ok=self.absent_ok,
            exact_strings=strings if self.only_strings and strings else None,
        )


def compile_leaf(values: Any, where: str) -> Leaf:
    """Validate and compile the array at a pattern leaf."""
    if not isinstance(values, list):
        raise ValidationError("a pattern value must be an array of match values", where)
    if not values:
        raise ValidationError("empty arrays are not allowed", where)
    b = _Builder()
    for i, value in enumerate(values):
        at = f"{where}[{i}]"
        if isinstance(value, bool):
            b.bools.add(value)
            b.only_strings = False
        elif value is None:
            b.null = True
            b.only_strings = False
        elif isinstance(value, str):
            b.strings.add(value)
        elif is_number(value):
            b.numbers.add(value)
            b.only_strings = False
        elif isinstance(value, dict):
            b.only_strings = False
            _add_operator(b, value, at)
        else:
            raise ValidationError("a match value must be a string, number, true, false, null or a filter", at)
    return b.build()


def _one_key(obj: dict[str, Any], where: str) -> tuple[str, Any]:
    if len(obj) != 1:
        what = "empty" if not obj else f"{len(obj)} keys"
        raise ValidationError(f"a filter object must have exactly one key, not {what}", where)
    return next(iter(obj.items()))


def _string(value: Any, what: str, where: str, *, empty: bool = True) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{what} must be a string", where)
    if not empty and not value:
        raise ValidationError(f"{what} must not be empty", where)
    return value


def _strings(value: Any, what: str, where: str, *, empty: bool = True) -> list[str]:
    """One string or a non-empty list of strings."""
    if isinstance(value, list):
        if not value:
            raise ValidationError(f"{what} list must not be empty", where)
        return [_string(v, what, f"{where}[{i}]", empty=empty) for i, v in enumerate(value)]
    return [_string(value, what, where, empty=empty)]


def _add_operator(b: _Builder, obj: dict[str, Any], where: str) -> None:
    op, arg = _one_key(obj, where)
    at = f"{where}.{op}"
    if op == "exists":
        if not isinstance(arg, bool):
            raise ValidationError("exists must be true or false", at)
        if arg:
            b.str_preds.append(_true)
            b.num_preds.append(_true)
            b.other_any = True
        else:
            b.absent_ok = True
    elif op in ("prefix", "suffix"):
        b.str_preds.append(_affix(op, arg, at))
    elif op == "equals-ignore-case":
        low = _string(arg, "equals-ignore-case", at).lower()
        b.str_preds.append(lambda v: v.lower() == low)
    elif op == "wildcard":
        b.str_preds.append(wildcard(_string(arg, "wildcard", at), at))
    elif op == "numeric":
        b.num_preds.append(numeric(arg, at))
    elif op == "cidr":
        b.str_preds.append(cidr(arg, at))
    elif op == "anything-but":
        _anything_but(b, arg, at)
    else:
        raise ValidationError(f"unknown filter {op!r}; expected one of {', '.join(sorted(OPERATORS))}", at)


def _affix(op: str, arg: Any, where: str) -> Pred:
    """``prefix``/``suffix``: a string, or ``{"equals-ignore-case": string}``."""
    if isinstance(arg, dict):
        sub, text = _one_key(arg, where)
        if sub != "equals-ignore-case":
            raise ValidationError(f"{op} accepts only a string or equals-ignore-case, not {sub!r}", where)
        low = _string(text, f"{op} equals-ignore-case", f"{where}.{sub}").lower()
        if op == "prefix":
            return lambda v: v.lower().startswith(low)
        return lambda v: v.lower().endswith(low)
    text = _string(arg, op, where)
    if op == "prefix":
        return lambda v: v.startswith(text)
    return lambda v: v.endswith(text)


def wildcard_regex(text: str, where: str) -> tuple[re.Pattern[str] | None, str]:
    """The regex of a wildcard value (None when it has no ``*``) and its unescaped literal text.

    ``*`` matches any run of characters, ``\\*`` a literal asterisk and ``\\\\`` a backslash; any other
    escape and two consecutive ``*`` are rejected, as EventBridge does.
    """
    parts: list[str] = []
    literal: list[str] = []
    has_star = False
    prev_star = False
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            if i + 1 >= len(text) or text[i + 1] not in "*\\":
                raise ValidationError("in a wildcard, a backslash may only escape '*' or '\\'", where)
            literal.append(text[i + 1])
            prev_star = False
            i += 2
            continue
        if c == "*":
            if prev_star:
                raise ValidationError("consecutive wildcard characters are not allowed", where)
            parts.append(re.escape("".join(literal)))
            literal = []
            parts.append(".*")
            has_star = prev_star = True
        else:
            literal.append(c)
            prev_star = False
        i += 1
    parts.append(re.escape("".join(literal)))
    if not has_star:
        return None, "".join(literal)
    return re.compile("".join(parts), re.DOTALL), ""


def wildcard(text: str, where: str) -> Pred:
    rx, literal = wildcard_regex(text, where)
    if rx is None:
        return lambda v: v == literal
    full = rx.fullmatch
    return lambda v: full(v) is not None


def _bound(value: Any, op: str, where: str) -> float:
    if not is_number(value):
        raise ValidationError(f"the value after {op!r} must be a number", where)
    if not -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT:
        raise ValidationError("numeric values must be between -5.0e9 and 5.0e9 inclusive", where)
    return float(value)


def numeric(arg: Any, where: str) -> Pred:
    """``numeric``: ``["=", n]``, ``[op, n]``, or a range ``[">"|">=", low, "<"|"<=", high]``."""
    if not isinstance(arg, list) or len(arg) not in (2, 4):
        raise ValidationError("numeric must be an array of one or two [operator, number] pairs", where)
    op = arg[0]
    if op not in NUMERIC_OPS:
        raise ValidationError(
            f"unknown numeric operator {op!r}; expected one of {NUMERIC_OPS}", f"{where}[0]"
        )
    x = _bound(arg[1], op, f"{where}[1]")
    if len(arg) == 2:
        if op == "=":
            return lambda v: v == x
        if op == "<":
            return lambda v: v < x
        if op == "<=":
            return lambda v: v <= x
        if op == ">":
            return lambda v: v > x
        return lambda v: v >= x
    if op not in (">", ">="):
        raise ValidationError("a numeric range must start with '>' or '>='", f"{where}[0]")
    op2 = arg[2]
    if op2 not in ("<", "<="):
        raise ValidationError("a numeric range must end with '<' or '<='", f"{where}[2]")
    y = _bound(arg[3], op2, f"{where}[3]")
    if not x < y:
        raise ValidationError("the lower bound of a numeric range must be below the upper bound", where)
    if op == ">":
        if op2 == "<":
            return lambda v: x < v < y
        return lambda v: x < v <= y
    if op2 == "<":
        return lambda v: x <= v < y
    return lambda v: x <= v <= y


def cidr(arg: Any, where: str) -> Pred:
    """``cidr``: an IPv4 or IPv6 block (a bare address is a one-address block); matches IP strings."""
    text = _string(arg, "cidr", where)
    try:
        net = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise ValidationError(f"{text!r} is not an IPv4 or IPv6 CIDR block", where) from None
    lo, hi, version = int(net.network_address), int(net.broadcast_address), net.version
    cache: dict[str, bool] = {}

    def pred(v: str) -> bool:
        hit = cache.get(v)
        if hit is None:
            try:
                ip = ipaddress.ip_address(v)
            except ValueError:
                hit = False
            else:
                hit = ip.version == version and lo <= int(ip) <= hi
            if len(cache) < 4096:
                cache[v] = hit
        return hit

    return pred


def _anything_but(b: _Builder, arg: Any, where: str) -> None:
    """``anything-but``: true for any present value except those excluded (values of other types pass)."""
    b.other_any = True
    if isinstance(arg, dict):
        sub, val = _one_key(arg, where)
        at = f"{where}.{sub}"
        if sub in ("prefix", "suffix"):
            texts = tuple(_strings(val, f"anything-but {sub}", at, empty=False))
            if sub == "prefix":
                b.str_preds.append(lambda v: not v.startswith(texts))
            else:
                b.str_preds.append(lambda v: not v.endswith(texts))
        elif sub == "equals-ignore-case":
            lows = frozenset(t.lower() for t in _strings(val, "anything-but equals-ignore-case", at))
            b.str_preds.append(lambda v: v.lower() not in lows)
        elif sub == "wildcard":
            preds = [wildcard(t, at) for t in _strings(val, "anything-but wildcard", at)]
            hit = _any_of(preds)
            b.str_preds.append(lambda v: not hit(v))
        else:
            raise ValidationError(
                f"anything-but accepts prefix, suffix, equals-ignore-case or wildcard, not {sub!r}", at
            )
        b.num_preds.append(_true)
        return
    items = arg if isinstance(arg, list) else [arg]
    if not items:
        raise ValidationError("anything-but list must not be empty", where)
    if all(isinstance(x, str) for x in items):
        excluded = frozenset(items)
        b.str_preds.append(lambda v: v not in excluded)
        b.num_preds.append(_true)
    elif all(is_number(x) for x in items):
        nums = frozenset(items)
        b.num_preds.append(lambda v: v not in nums)
        b.str_preds.append(_true)
    else:
        raise ValidationError(
            "anything-but takes a string, a number, or a list of only strings or only numbers", where
        )
