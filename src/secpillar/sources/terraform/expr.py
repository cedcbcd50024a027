"""A small evaluator of Terraform (HCL native syntax) expressions.

python-hcl2 hands attribute values back as Python literals, or as text: ``'"a-${var.x}"'`` for a
template string and ``'${var.enc ? 1 : 0}'`` for any other expression. This module parses that
text (literals, templates, references, indexing, splats, operators, conditionals, ``for``
expressions and the usual functions) and evaluates it against a :class:`Scope`.

A value that Terraform only knows after apply (a computed attribute, a variable without a value,
a function we do not model) evaluates to :data:`UNKNOWN`; every operation on it stays unknown,
so an unknown never turns into a made-up secure or insecure value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from secpillar.errors import ValidationError


class _Unknown:
    """The value of an expression Terraform only knows after apply."""

    _instance: _Unknown | None = None

    def __new__(cls) -> _Unknown:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNKNOWN"

    def __bool__(self) -> bool:
        # ``value or default`` keeps an unknown value unknown (it is then left out as unknown).
        return True


UNKNOWN: Any = _Unknown()
"""The one unknown marker (compare with ``is``)."""


def is_unknown(value: Any) -> bool:
    return value is UNKNOWN


def contains_unknown(value: Any) -> bool:
    if value is UNKNOWN:
        return True
    if isinstance(value, Mapping):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(contains_unknown(v) for v in value)
    return False


# ---- tokens ------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/)
  | (?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<op>\.\.\.|==|!=|<=|>=|&&|\|\||=>|\[\*\]|\.\*|[-+*/%<>!?:.,()\[\]{}=])
  | (?P<str>")
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True, slots=True)
class Tok:
    kind: str  # num, ident, op, str, end
    value: Any


def _read_string(text: str, i: int) -> tuple[list[Any], int]:
    """A quoted template starting after its opening quote -> (parts, index after the closing
    quote). Parts are literal strings and ``("expr", text)`` interpolations."""
    parts: list[Any] = []
    buf: list[str] = []
    escapes = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            if nxt in escapes:
                buf.append(escapes[nxt])
                i += 2
                continue
            if nxt == "u" and i + 6 <= len(text):
                buf.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            buf.append(nxt)
            i += 2
            continue
        if c == '"':
            if buf:
                parts.append("".join(buf))
            return parts, i + 1
        if text.startswith("$${", i) or text.startswith("%%{", i):
            buf.append(text[i + 1 : i + 3])
            i += 3
            continue
        if text.startswith("${", i) or text.startswith("%{", i):
            end = _matching_brace(text, i + 1)
            if buf:
                parts.append("".join(buf))
                buf = []
            kind = "expr" if c == "$" else "directive"
            parts.append((kind, text[i + 2 : end].strip().lstrip("~").rstrip("~")))
            i = end + 1
            continue
        buf.append(c)
        i += 1
    raise ValidationError("unterminated string", where=text[:60])


def _matching_brace(text: str, i: int) -> int:
    """Index of the ``}`` that closes the ``{`` at ``i`` (strings inside are skipped)."""
    depth = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            _, i = _read_string(text, i + 1)
            continue
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValidationError("unbalanced braces", where=text[:60])


def tokenize(text: str) -> list[Tok]:
    toks: list[Tok] = []
    i = 0
    while i < len(text):
        m = _TOKEN.match(text, i)
        if not m:
            raise ValidationError(f"cannot read expression at {text[i : i + 20]!r}", where=text[:60])
        kind = m.lastgroup or ""
        if kind == "str":
            parts, i = _read_string(text, m.end())
            toks.append(Tok("str", parts))
            continue
        i = m.end()
        if kind == "ws":
            continue
        value: Any = m.group(kind)
        if kind == "num":
            value = float(value) if any(c in value for c in ".eE") else int(value)
        toks.append(Tok(kind, value))
    toks.append(Tok("end", None))
    return toks


# ---- AST ---------------------------------------------------------------------------------------

Node = tuple[Any, ...]


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks = tokenize(text)
        self.i = 0

    def peek(self, offset: int = 0) -> Tok:
        return self.toks[min(self.i + offset, len(self.toks) - 1)]

    def take(self) -> Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def accept(self, op: str) -> bool:
        tok = self.peek()
        if tok.kind == "op" and tok.value == op:
            self.i += 1
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.accept(op):
            raise ValidationError(f"expected {op!r}, found {self.peek().value!r}", where=self.text[:80])

    def parse(self) -> Node:
        node = self.expr()
        if self.peek().kind != "end":
            raise ValidationError(f"unexpected {self.peek().value!r}", where=self.text[:80])
        return node

    def expr(self) -> Node:
        cond = self.binary(0)
        if self.accept("?"):
            a = self.expr()
            self.expect(":")
            b = self.expr()
            return ("cond", cond, a, b)
        return cond

    _LEVELS: tuple[tuple[str, ...], ...] = (
        ("||",),
        ("&&",),
        ("==", "!="),
        ("<", ">", "<=", ">="),
        ("+", "-"),
        ("*", "/", "%"),
    )

    def binary(self, level: int) -> Node:
        if level == len(self._LEVELS):
            return self.unary()
        left = self.binary(level + 1)
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value in self._LEVELS[level]:
                self.i += 1
                right = self.binary(level + 1)
                left = ("bin", tok.value, left, right)
            else:
                return left

    def unary(self) -> Node:
        if self.accept("!"):
            return ("not", self.unary())
        if self.accept("-"):
            return ("neg", self.unary())
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while True:
            tok = self.peek()
            if tok.kind != "op":
                return node
            if tok.value == ".":
                self.i += 1
                name = self.take()
                if name.kind == "op" and name.value == "*":
                    node = ("splat", node, self._splat_tail())
                    continue
                node = ("attr", node, name.value)
            elif tok.value in (".*", "[*]"):
                self.i += 1
                node = ("splat", node, self._splat_tail())
            elif tok.value == "[":
                self.i += 1
                idx = self.expr()
                self.expect("]")
                node = ("index", node, idx)
            else:
                return node

    def _splat_tail(self) -> list[Any]:
        tail: list[Any] = []
        while True:
            tok = self.peek()
            if tok.kind == "op" and tok.value == "." and self.peek(1).kind in ("ident", "num"):
                self.i += 1
                tail.append(("attr", self.take().value))
            elif tok.kind == "op" and tok.value == "[":
                self.i += 1
                idx = self.expr()
                self.expect("]")
                tail.append(("index", idx))
            else:
                return tail

    def primary(self) -> Node:
        tok = self.take()
        if tok.kind == "num":
            return ("lit", tok.value)
        if tok.kind == "str":
            return ("tmpl", [p if isinstance(p, str) else (p[0], _parse(p[1])) for p in tok.value])
        if tok.kind == "ident":
            if tok.value in ("true", "false"):
                return ("lit", tok.value == "true")
            if tok.value == "null":
                return ("lit", None)
            if self.peek().kind == "op" and self.peek().value == "(":
                self.i += 1
                args: list[Node] = []
                expand = False
                while not self.accept(")"):
                    args.append(self.expr())
                    if self.accept("..."):
                        expand = True
                    if not self.accept(","):
                        self.expect(")")
                        break
                return ("call", tok.value, args, expand)
            return ("ref", tok.value)
        if tok.kind == "op" and tok.value == "(":
            node = self.expr()
            self.expect(")")
            return node
        if tok.kind == "op" and tok.value == "[":
            if self.peek().kind == "ident" and self.peek().value == "for":
                return self.for_expr("]")
            items: list[Node] = []
            while not self.accept("]"):
                items.append(self.expr())
                if not self.accept(","):
                    self.expect("]")
                    break
            return ("tuple", items)
        if tok.kind == "op" and tok.value == "{":
            if self.peek().kind == "ident" and self.peek().value == "for":
                return self.for_expr("}")
            pairs: list[tuple[Node, Node]] = []
            while not self.accept("}"):
                key = self.expr()
                if key[0] == "ref":
                    key = ("lit", key[1])
                if not (self.accept("=") or self.accept(":")):
                    raise ValidationError("expected '=' in object", where=self.text[:80])
                pairs.append((key, self.expr()))
                self.accept(",")
            return ("object", pairs)
        raise ValidationError(f"unexpected {tok.value!r}", where=self.text[:80])

    def for_expr(self, close: str) -> Node:
        self.take()  # for
        names = [self.take().value]
        if self.accept(","):
            names.append(self.take().value)
        if self.take().value != "in":
            raise ValidationError("expected 'in' in for expression", where=self.text[:80])
        coll = self.expr()
        self.expect(":")
        key = self.expr()
        value: Node | None = None
        if close == "}":
            self.expect("=>")
            value = self.expr()
            self.accept("...")
        cond: Node | None = None
        if self.peek().kind == "ident" and self.peek().value == "if":
            self.i += 1
            cond = self.expr()
        self.expect(close)
        return ("for", names, coll, key, value, cond)


_CACHE: dict[str, Node] = {}


def _parse(text: str) -> Node:
    node = _CACHE.get(text)
    if node is None:
        node = _CACHE[text] = _Parser(text).parse()
    return node


def parse_value_text(text: str) -> Node:
    """python-hcl2's text for a value -> AST (``'${...}'`` is an expression, the rest a string)."""
    if text.startswith("${") and _matching_brace(text, 1) == len(text) - 1:
        return _parse(text[2:-1])
    if text.startswith('"'):
        return _parse(text)
    return ("lit", text)


# ---- evaluation --------------------------------------------------------------------------------

Resolver = Callable[[str], Any]


class Scope:
    """Names an expression may read: ``var``, ``local``, ``each``, ``count``, resource types …
    ``lookup`` resolves the first name of a reference (UNKNOWN when it has no value)."""

    def __init__(self, lookup: Resolver, base_dir: str = ".") -> None:
        self.lookup = lookup
        self.base_dir = base_dir

    def child(self, names: Mapping[str, Any]) -> Scope:
        parent = self.lookup

        def lookup(name: str) -> Any:
            return names[name] if name in names else parent(name)

        return Scope(lookup, self.base_dir)


def evaluate_value(value: Any, scope: Scope) -> Any:
    """Evaluate a python-hcl2 attribute value (literal, text, dict, list) in ``scope``."""
    if isinstance(value, str):
        return evaluate(parse_value_text(value), scope)
    if isinstance(value, dict):
        return {_key(k): evaluate_value(v, scope) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [evaluate_value(v, scope) for v in value]
    return value


def _key(k: str) -> str:
    return k[1:-1] if len(k) >= 2 and k[0] == '"' and k[-1] == '"' else k


def evaluate(node: Node, scope: Scope) -> Any:
    kind = node[0]
    if kind == "lit":
        return node[1]
    if kind == "tmpl":
        out: list[str] = []
        for part in node[1]:
            if isinstance(part, str):
                out.append(part)
                continue
            if part[0] != "expr":
                return UNKNOWN
            v = evaluate(part[1], scope)
            if v is UNKNOWN or isinstance(v, dict | list):
                return UNKNOWN
            out.append(to_string(v))
        if len(node[1]) == 1 and not isinstance(node[1][0], str):
            v = evaluate(node[1][0][1], scope)
            return v if not isinstance(v, bool | int | float) else to_string(v)
        return "".join(out)
    if kind == "ref":
        return scope.lookup(node[1])
    if kind == "attr":
        return get_item(evaluate(node[1], scope), node[2])
    if kind == "index":
        return get_item(evaluate(node[1], scope), evaluate(node[2], scope))
    if kind == "splat":
        base = evaluate(node[1], scope)
        if base is UNKNOWN:
            return UNKNOWN
        items = list(base.values()) if isinstance(base, Instances) else base
        if base is None:
            items = []
        elif not isinstance(items, list):
            items = [items]
        result = []
        for item in items:
            value = item
            for step in node[2]:
                value = get_item(value, step[1] if step[0] == "attr" else evaluate(step[1], scope))
            result.append(value)
        return result
    if kind == "tuple":
        return [evaluate(n, scope) for n in node[1]]
    if kind == "object":
        obj: dict[str, Any] = {}
        for k, v in node[1]:
            key = evaluate(k, scope)
            if key is UNKNOWN:
                return UNKNOWN
            obj[to_string(key)] = evaluate(v, scope)
        return obj
    if kind == "cond":
        c = evaluate(node[1], scope)
        if c is UNKNOWN:
            a, b = evaluate(node[2], scope), evaluate(node[3], scope)
            return a if a == b and not contains_unknown(a) else UNKNOWN
        return evaluate(node[2] if _truthy(c) else node[3], scope)
    if kind == "not":
        v = evaluate(node[1], scope)
        return UNKNOWN if v is UNKNOWN else not _truthy(v)
    if kind == "neg":
        v = evaluate(node[1], scope)
        return UNKNOWN if v is UNKNOWN else -_number(v)
    if kind == "bin":
        return _binary(node[1], node[2], node[3], scope)
    if kind == "call":
        from secpillar.sources.terraform.functions import call_function

        return call_function(node[1], node[2], node[3], scope)
    if kind == "for":
        return _for(node, scope)
    raise ValidationError(f"unknown expression node {kind}")


class Instances(dict[str, Any]):
    """The instances of a resource or module with ``for_each``, by key (a splat walks them)."""


def _truthy(v: Any) -> bool:
    if isinstance(v, str):
        return v.lower() == "true"
    return bool(v)


def _number(v: Any) -> float | int:
    if isinstance(v, bool):
        raise ValidationError("a bool is not a number")
    if isinstance(v, int | float):
        return v
    f = float(str(v))
    return int(f) if f.is_integer() else f


def _binary(op: str, left: Node, right: Node, scope: Scope) -> Any:
    a = evaluate(left, scope)
    if op == "&&" and a is not UNKNOWN and not _truthy(a):
        return False
    if op == "||" and a is not UNKNOWN and _truthy(a):
        return True
    b = evaluate(right, scope)
    if op in ("&&", "||"):
        if b is UNKNOWN:
            return UNKNOWN
        if a is UNKNOWN:
            if op == "&&":
                return UNKNOWN if _truthy(b) else False
            return True if _truthy(b) else UNKNOWN
        return _truthy(b)
    if a is UNKNOWN or b is UNKNOWN:
        return UNKNOWN
    if op == "==":
        return _normal(a) == _normal(b)
    if op == "!=":
        return _normal(a) != _normal(b)
    x, y = _number(a), _number(b)
    ops: dict[str, Callable[[Any, Any], Any]] = {
        "<": lambda p, q: p < q,
        ">": lambda p, q: p > q,
        "<=": lambda p, q: p <= q,
        ">=": lambda p, q: p >= q,
        "+": lambda p, q: p + q,
        "-": lambda p, q: p - q,
        "*": lambda p, q: p * q,
        "/": lambda p, q: p / q,
        "%": lambda p, q: p % q,
    }
    return ops[op](x, y)


def _normal(v: Any) -> Any:
    if isinstance(v, bool):
        return v
    if isinstance(v, int | float):
        return float(v)
    return v


def _for(node: Node, scope: Scope) -> Any:
    _, names, coll_node, key_node, value_node, cond_node = node
    coll = evaluate(coll_node, scope)
    if coll is UNKNOWN or (contains_unknown(coll) and not isinstance(coll, list | dict)):
        return UNKNOWN
    pairs: Iterator[tuple[Any, Any]]
    if isinstance(coll, Mapping):
        pairs = iter(coll.items())
    elif isinstance(coll, list):
        pairs = iter(enumerate(coll))
    else:
        return UNKNOWN
    as_obj = value_node is not None
    out_list: list[Any] = []
    out_obj: dict[str, Any] = {}
    for k, v in pairs:
        bound = {names[0]: v} if len(names) == 1 else {names[0]: k, names[1]: v}
        inner = scope.child(bound)
        if cond_node is not None:
            c = evaluate(cond_node, inner)
            if c is UNKNOWN:
                return UNKNOWN
            if not _truthy(c):
                continue
        key = evaluate(key_node, inner)
        if as_obj:
            if key is UNKNOWN:
                return UNKNOWN
            out_obj[to_string(key)] = evaluate(value_node, inner)
        else:
            out_list.append(key)
    return out_obj if as_obj else out_list


def get_item(base: Any, key: Any) -> Any:
    if base is UNKNOWN or key is UNKNOWN:
        return UNKNOWN
    if base is None:
        return UNKNOWN
    if isinstance(base, Mapping):
        k = to_string(key) if not isinstance(key, str) else key
        if k in base:
            return base[k]
        return UNKNOWN
    if isinstance(base, list):
        try:
            return base[int(key)]
        except (ValueError, IndexError, TypeError):
            return UNKNOWN
    return UNKNOWN


def to_string(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if v is None:
        return ""
    return str(v)
