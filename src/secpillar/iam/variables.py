"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${*}``, ``${?}``, ``${$}``,
and defaults such as ``${aws:username, 'nobody'}``.

Variables are recognised only in policies whose ``Version`` is ``2012-10-17``; in older (or absent)
versions the text is literal. A variable whose key is absent from the request (and has no default),
or holds more than one value, cannot be resolved: the value that uses it matches nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from secpillar.errors import ValidationError
from secpillar.iam.matching import _glob_body

_VAR = re.compile(r"\$\{([^}]*)\}")
_DEFAULT = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")
_SPECIAL = {"*": "*", "?": "?", "$": "$"}

Context = Mapping[str, Sequence[str]]


@dataclass(frozen=True, slots=True)
class Var:
    key: str  # lower-cased context key
    default: str | None


Part = str | Var


@dataclass(frozen=True, slots=True)
class Template:
    """A string with variables: literal parts and ``Var`` parts."""

    parts: tuple[Part, ...]
    text: str

    def resolve(self, ctx: Context) -> tuple[str, ...] | None:
        """The parts with every variable replaced by its value, or None when one is unresolvable."""
        out: list[str] = []
        for p in self.parts:
            if isinstance(p, str):
                out.append(p)
                continue
            vals = ctx.get(p.key)
            if vals is not None and len(vals) == 1:
                out.append(vals[0])
            elif (vals is None or len(vals) == 0) and p.default is not None:
                out.append(p.default)
            else:
                return None
        return tuple(out)

    def resolve_text(self, ctx: Context) -> str | None:
        parts = self.resolve(ctx)
        return None if parts is None else "".join(parts)

    def resolve_regex(self, ctx: Context, ignore_case: bool = False) -> re.Pattern[str] | None:
        """A regex for a wildcard pattern: literal parts keep ``*``/``?``, variable values are literal."""
        parts = self.resolve(ctx)
        if parts is None:
            return None
        kinds = tuple(isinstance(p, str) for p in self.parts)
        return _template_regex(parts, kinds, ignore_case)


@functools.lru_cache(maxsize=8192)
def _template_regex(parts: tuple[str, ...], literal: tuple[bool, ...], ignore_case: bool) -> re.Pattern[str]:
    body = "".join(
        _glob_body(p, arn=False) if lit else re.escape(p) for p, lit in zip(parts, literal, strict=True)
    )
    return re.compile(body + r"\Z", re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def has_variables(text: str) -> bool:
    return "${" in text


def parse_template(text: str, where: str = "") -> Template:
    parts: list[Part] = []
    pos = 0
    for m in _VAR.finditer(text):
        if m.start() > pos:
            parts.append(text[pos : m.start()])
        inner = m.group(1)
        if inner in _SPECIAL:
            parts.append(Var("", _SPECIAL[inner]))  # a literal character, never a wildcard
        else:
            dm = _DEFAULT.match(inner)
            if dm:
                parts.append(Var(dm.group(1).lower(), dm.group(2)))
            elif inner.strip() and "," not in inner and " " not in inner.strip():
                parts.append(Var(inner.strip().lower(), None))
            else:
                raise ValidationError(f"malformed policy variable ${{{inner}}}", where=where)
        pos = m.end()
    if pos < len(text):
        parts.append(text[pos:])
    return Template(tuple(parts), text)
