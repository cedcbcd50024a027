"""Terraform's built-in functions, as far as the checks need them (``jsonencode``, ``merge``,
``lookup``, ``format``, ``concat``, ``file`` …). A function not listed, or one given an unknown
argument it cannot see through, returns UNKNOWN."""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

from secpillar.errors import ValidationError
from secpillar.sources.terraform.expr import (
    UNKNOWN,
    Node,
    Scope,
    _number,
    _parse,
    contains_unknown,
    evaluate,
    to_string,
)

# ---- functions ---------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    raise TypeError("unknown value")


def _jsonencode(v: Any) -> Any:
    if contains_unknown(v):
        return UNKNOWN
    return json.dumps(v, separators=(",", ":"), default=_json_default)


def _jsondecode(v: Any) -> Any:
    try:
        return json.loads(v)
    except (TypeError, ValueError):
        return UNKNOWN


def _merge(*maps: Any) -> Any:
    out: dict[str, Any] = {}
    for m in maps:
        if m is None:
            continue
        if not isinstance(m, Mapping):
            return UNKNOWN
        out.update(m)
    return out


def _lookup(m: Any, key: Any, *default: Any) -> Any:
    if isinstance(m, Mapping) and key in m:
        return m[key]
    return default[0] if default else UNKNOWN


def _coalesce(*vals: Any) -> Any:
    for v in vals:
        if v is UNKNOWN:
            return UNKNOWN
        if v is not None and v != "":
            return v
    return None


def _flatten(v: Any) -> Any:
    out: list[Any] = []
    for item in v:
        if isinstance(item, list):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out


def _format(fmt: str, *args: Any) -> Any:
    it = iter(args)

    def sub(m: re.Match[str]) -> str:
        if m.group(0) == "%%":
            return "%"
        return to_string(next(it))

    return re.sub(r"%%|%[-+ #0]*\d*(?:\.\d+)?[a-zA-Z]", sub, fmt)


def _one(v: Any) -> Any:
    if not v:
        return None
    return v[0] if len(v) == 1 else UNKNOWN


def _tomap(v: Any) -> Any:
    return dict(v) if isinstance(v, Mapping) else UNKNOWN


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "jsonencode": _jsonencode,
    "jsondecode": _jsondecode,
    "merge": _merge,
    "concat": lambda *ls: [x for lst in ls for x in (lst or [])],
    "lookup": _lookup,
    "coalesce": _coalesce,
    "coalescelist": lambda *ls: next((lst for lst in ls if lst), []),
    "compact": lambda lst: [x for x in lst if x not in (None, "")],
    "contains": lambda lst, v: v in lst,
    "distinct": lambda lst: [
        json.loads(x) for x in dict.fromkeys(json.dumps(x, sort_keys=True) for x in lst)
    ],
    "element": lambda lst, i: lst[int(i) % len(lst)] if lst else UNKNOWN,
    "flatten": _flatten,
    "format": _format,
    "join": lambda sep, lst: sep.join(to_string(x) for x in lst),
    "split": lambda sep, s: s.split(sep),
    "keys": sorted,
    "values": lambda m: [m[k] for k in sorted(m)],
    "length": len,
    "lower": lambda s: s.lower(),
    "upper": lambda s: s.upper(),
    "title": lambda s: s.title(),
    "trimspace": lambda s: s.strip(),
    "trimprefix": lambda s, p: s.removeprefix(p),
    "trimsuffix": lambda s, p: s.removesuffix(p),
    "replace": lambda s, a, b: s.replace(a, b),
    "substr": lambda s, o, n: s[int(o) :] if int(n) < 0 else s[int(o) : int(o) + int(n)],
    "tostring": lambda v: to_string(v) if v is not None else None,
    "tonumber": lambda v: _number(v) if v is not None else None,
    "tobool": lambda v: v if isinstance(v, bool) or v is None else str(v).lower() == "true",
    "tolist": list,
    "toset": lambda v: list(dict.fromkeys(v)),
    "tomap": _tomap,
    "max": lambda *a: max(_flatten(list(a))),
    "min": lambda *a: min(_flatten(list(a))),
    "range": lambda *a: list(range(*(int(x) for x in a))),
    "zipmap": lambda k, v: dict(zip(k, v, strict=False)),
    "one": _one,
    "try": lambda *a: next((x for x in a if x is not UNKNOWN), UNKNOWN),
    "can": lambda v: v is not UNKNOWN,
    "sort": sorted,
    "reverse": lambda lst: list(reversed(lst)),
    "slice": lambda lst, a, b: lst[int(a) : int(b)],
    "startswith": lambda s, p: s.startswith(p),
    "endswith": lambda s, p: s.endswith(p),
    "abs": abs,
    "base64encode": lambda s: base64.b64encode(s.encode()).decode(),
    "sensitive": lambda v: v,
    "nonsensitive": lambda v: v,
}
_LAZY = {"try", "can", "coalesce"}


def call_function(name: str, arg_nodes: list[Node], expand: bool, scope: Scope) -> Any:
    name = name.rsplit("::", maxsplit=1)[-1]
    if name in ("file", "templatefile"):
        return _file(name, arg_nodes, scope)
    fn = FUNCTIONS.get(name)
    if fn is None:
        return UNKNOWN
    args = [evaluate(a, scope) for a in arg_nodes]
    if expand and args:
        last = args.pop()
        if not isinstance(last, list):
            return UNKNOWN
        args.extend(last)
    if name not in _LAZY and name not in ("merge", "lookup") and any(contains_unknown(a) for a in args):
        if name in ("concat", "flatten", "tolist", "toset", "compact", "one", "element", "jsonencode"):
            if any(a is UNKNOWN for a in args):
                return UNKNOWN
        else:
            return UNKNOWN
    if name == "lookup" and (args[0] is UNKNOWN or (len(args) > 1 and args[1] is UNKNOWN)):
        return UNKNOWN
    try:
        return fn(*args)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ZeroDivisionError):
        return UNKNOWN


def _file(name: str, arg_nodes: list[Node], scope: Scope) -> Any:
    path = evaluate(arg_nodes[0], scope) if arg_nodes else UNKNOWN
    if not isinstance(path, str):
        return UNKNOWN
    full = path if os.path.isabs(path) else os.path.join(scope.base_dir, path)
    try:
        with open(full, encoding="utf-8") as fh:
            text = fh.read()
    except OSError:
        return UNKNOWN
    if name == "file":
        return text
    variables = evaluate(arg_nodes[1], scope) if len(arg_nodes) > 1 else {}
    if not isinstance(variables, Mapping):
        return UNKNOWN
    quoted = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    try:
        node = _parse(quoted)
    except ValidationError:
        return UNKNOWN
    return evaluate(node, Scope(lambda n: variables.get(n, UNKNOWN), scope.base_dir))
