"""Amazon EventBridge event patterns: parse, validate, and compile to closures once.

Semantics (Amazon EventBridge User Guide, "Event patterns", "Content filtering", "Arrays"; the
open-source matcher EventBridge runs, aws/event-ruler, for the details the guide leaves out):

* A pattern is a JSON object with the event's structure; its leaves are arrays of match values.
  All fields must match (AND); any value of a leaf's array may match (OR).
* When the event's value is an array, the leaf matches if any element matches (arrays are
  flattened, nested arrays too). When a pattern object meets an array of objects, the fields of
  that object must all be matched inside ONE element: matches are array-consistent, as
  EventBridge's ``rulesForJSONEvent`` is (two fields matched in different elements of the same
  array do not make a match).
* ``exists`` looks at leaves only: ``{"exists": false}`` matches when no leaf value is present
  at the path (missing field, an object, an empty array); ``{"exists": true}`` matches any leaf,
  ``null`` included.
* ``$or`` (at any level) takes an array of two or more objects; each is a branch of an OR.

Invalid patterns raise :class:`~secpillar.errors.ValidationError` whose ``where`` is the JSON
path of the culprit (``$.detail.state[0].numeric``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secpillar.errors import ValidationError
from secpillar.respond.values import OPERATORS, Leaf, compile_leaf

OR_KEY = "$or"
_MISSING: Any = object()
_SIMPLE_KEY = re.compile(r"^[A-Za-z0-9_$@-]+$")

ObjMatch = Callable[[Mapping[str, Any]], bool]
FieldMatch = Callable[[Mapping[str, Any]], bool]


def child_path(where: str, key: str) -> str:
    """``$.a`` + ``b`` -> ``$.a.b``; keys that are not plain names are bracketed and quoted."""
    if _SIMPLE_KEY.match(key):
        return f"{where}.{key}"
    return f"{where}[{json.dumps(key)}]"


def _iter_elements(values: list[Any]) -> Any:
    """The elements of an event array, nested arrays flattened."""
    for v in values:
        if type(v) is list:
            yield from _iter_elements(v)
        else:
            yield v


@dataclass
class CompiledObject:
    """A compiled pattern object: ``match(obj)`` for a present JSON object, ``absent`` when there is none."""

    match: ObjMatch
    absent: bool
    # fields required at this level (outside any $or), for indexing rules by exact values
    exact: dict[str, frozenset[str]] = field(default_factory=dict)
    children: dict[str, CompiledObject] = field(default_factory=dict)


def _leaf_field(key: str, leaf: Leaf) -> FieldMatch:
    on_str, test, absent_ok = leaf.on_str, leaf.test, leaf.absent_ok

    def match(obj: Mapping[str, Any]) -> bool:
        v = obj.get(key, _MISSING)
        t = type(v)
        if t is str:
            return on_str(v)
        if t is list:
            seen = False
            for x in _iter_elements(v):
                if type(x) is dict:
                    continue
                if test(x):
                    return True
                seen = True
            return absent_ok and not seen
        if v is _MISSING or t is dict:
            return absent_ok
        return test(v)

    return match


def _object_field(key: str, sub: CompiledObject) -> FieldMatch:
    inner, absent = sub.match, sub.absent

    def match(obj: Mapping[str, Any]) -> bool:
        v = obj.get(key, _MISSING)
        t = type(v)
        if t is dict:
            return inner(v)
        if t is list:
            empty = True
            for x in _iter_elements(v):
                empty = False
                if type(x) is dict:
                    if inner(x):
                        return True
                elif absent:
                    return True
            return absent and empty
        return absent

    return match


def _or_field(branches: list[CompiledObject]) -> FieldMatch:
    matchers = tuple(b.match for b in branches)

    def match(obj: Mapping[str, Any]) -> bool:
        return any(m(obj) for m in matchers)

    return match


def _all(fields: Sequence[FieldMatch]) -> ObjMatch:
    fs = tuple(fields)
    if len(fs) == 1:
        return fs[0]
    if len(fs) == 2:
        a, b = fs
        return lambda obj: a(obj) and b(obj)
    if len(fs) == 3:
        a, b, c = fs
        return lambda obj: a(obj) and b(obj) and c(obj)

    def match(obj: Mapping[str, Any]) -> bool:
        return all(f(obj) for f in fs)

    return match


def compile_object(pattern: Any, where: str, *, in_or: bool = False) -> CompiledObject:
    """Validate and compile one pattern object (the whole pattern, a nested object, or a $or branch)."""
    if not isinstance(pattern, dict):
        raise ValidationError("a pattern must be a JSON object", where)
    if not pattern:
        raise ValidationError("empty objects are not allowed in a pattern", where)
    ranked: list[tuple[int, FieldMatch]] = []
    absent = True
    out = CompiledObject(match=lambda _o: False, absent=False)
    for key, value in pattern.items():
        if not isinstance(key, str):
            raise ValidationError("field names must be strings", where)
        at = child_path(where, key)
        if key == OR_KEY:
            branches = _compile_or(value, at)
            ranked.append((3, _or_field(branches)))
            absent = absent and any(b.absent for b in branches)
            continue
        if in_or and key in OPERATORS:
            raise ValidationError(f"{key!r} is a filter name and cannot be a field name inside $or", at)
        if isinstance(value, dict):
            sub = compile_object(value, at, in_or=in_or)
            out.children[key] = sub
            ranked.append((2, _object_field(key, sub)))
            absent = absent and sub.absent
        elif isinstance(value, list):
            leaf = compile_leaf(value, at)
            if leaf.exact_strings is not None:
                out.exact[key] = leaf.exact_strings
            ranked.append((0 if leaf.exact_strings is not None else 1, _leaf_field(key, leaf)))
            absent = absent and leaf.absent_ok
        else:
            raise ValidationError(f"the value of {key!r} must be an object or an array", at)
    ranked.sort(key=lambda r: r[0])
    out.match = _all([f for _, f in ranked])
    out.absent = absent
    return out


def _compile_or(value: Any, where: str) -> list[CompiledObject]:
    if not isinstance(value, list):
        raise ValidationError("$or must be an array of objects", where)
    if len(value) < 2:
        raise ValidationError("$or needs at least two objects", where)
    branches = []
    for i, branch in enumerate(value):
        at = f"{where}[{i}]"
        if not isinstance(branch, dict):
            raise ValidationError("only objects are allowed in a $or array", at)
        branches.append(compile_object(branch, at, in_or=True))
    return branches


@dataclass(frozen=True)
class EventPattern:
    """A validated, compiled event pattern. ``matches(event)`` never re-reads the pattern."""

    pattern: dict[str, Any]
    compiled: CompiledObject

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether the event (a parsed JSON object) matches the pattern."""
        if not isinstance(event, dict):
            return False
        return self.compiled.match(event)

    def required_exact(self, path: Sequence[str]) -> frozenset[str] | None:
        """The exact strings the field at ``path`` must equal (outside any $or), else None."""
        node = self.compiled
        for key in path[:-1]:
            child = node.children.get(key)
            if child is None:
                return None
            node = child
        return node.exact.get(path[-1])


def compile_pattern(pattern: Any, where: str = "$") -> EventPattern:
    """Validate and compile a pattern given as parsed JSON (a dict) or as JSON text."""
    if isinstance(pattern, str | bytes):
        try:
            pattern = json.loads(pattern)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"the pattern is not valid JSON: {exc}", where) from None
    compiled = compile_object(pattern, where)
    return EventPattern(pattern=pattern, compiled=compiled)


def matches(pattern: Any, event: Mapping[str, Any]) -> bool:
    """One-off convenience: compile ``pattern`` and test ``event`` (compile once when testing many)."""
    return compile_pattern(pattern).matches(event)
