"""Wildcard matching for actions, ARNs and strings, compiled once.

* Actions (``s3:Get*``) match case-insensitively; ``*`` is any run of characters, ``?`` one character.
* ARNs match case-sensitively and segment by segment: a wildcard inside one of the colon-separated
  segments stays in that segment, except that a ``*`` ending a segment may run past the colons
  (the Resource element's documented rule), and the resource part (after the fifth colon) is free.
* ``StringLike`` values match case-sensitively with ``*`` and ``?`` anywhere.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass


def _glob_body(pattern: str, *, arn: bool) -> str:
    """Translate ``*``/``?`` to a regex body; with ``arn`` the wildcard stays inside its segment."""
    out: list[str] = []
    colons = 0
    n = len(pattern)
    for i, ch in enumerate(pattern):
        if ch == "*":
            if arn and colons < 5:
                nxt = pattern[i + 1] if i + 1 < n else ""
                out.append(".*" if nxt in (":", "") else "[^:]*")
            else:
                out.append(".*")
        elif ch == "?":
            out.append("[^:]" if arn and colons < 5 else ".")
        else:
            if ch == ":":
                colons += 1
            out.append(re.escape(ch))
    return "".join(out)


@functools.lru_cache(maxsize=8192)
def glob_regex(pattern: str, ignore_case: bool = False, arn: bool = False) -> re.Pattern[str]:
    flags = re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL
    return re.compile(_glob_body(pattern, arn=arn) + r"\Z", flags)


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


@dataclass(frozen=True, slots=True)
class PatternSet:
    """A set of glob patterns: exact strings are a set lookup, wildcards one combined regex.

    ``star`` short-cuts a bare ``*``. Action sets are stored lower-cased (case-insensitive).
    """

    star: bool
    exact: frozenset[str]
    regex: re.Pattern[str] | None

    def match(self, value: str) -> bool:
        if self.star or value in self.exact:
            return True
        return self.regex is not None and self.regex.match(value) is not None


def compile_patterns(patterns: Iterable[str], *, ignore_case: bool = False, arn: bool = False) -> PatternSet:
    exact: set[str] = set()
    wild: list[str] = []
    star = False
    for p in patterns:
        if p == "*":
            star = True
        elif has_wildcard(p):
            wild.append(_glob_body(p.lower() if ignore_case else p, arn=arn))
        else:
            exact.add(p.lower() if ignore_case else p)
    regex = re.compile("(?:" + "|".join(wild) + r")\Z", re.DOTALL) if wild else None
    return PatternSet(star, frozenset(exact), regex)


def action_matches(pattern: str, action: str) -> bool:
    """``s3:get*`` matches ``s3:GetObject`` (case-insensitive)."""
    return glob_regex(pattern.lower(), False, False).match(action.lower()) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """ARN pattern match: case-sensitive, wildcards confined to their segment (see module doc)."""
    if pattern == "*":
        return True
    if not has_wildcard(pattern):
        return pattern == arn
    return glob_regex(pattern, False, True).match(arn) is not None


def string_like(pattern: str, value: str, ignore_case: bool = False) -> bool:
    if not has_wildcard(pattern):
        return pattern.lower() == value.lower() if ignore_case else pattern == value
    return glob_regex(pattern, ignore_case, False).match(value) is not None


def arn_condition_matches(pattern: str, value: str) -> bool:
    """ArnEquals/ArnLike: each of the six colon-delimited parts compared separately, wildcards allowed."""
    if pattern == "*":
        return True
    vparts = value.split(":", 5)
    pparts = pattern.split(":", 5)
    if len(vparts) != 6 or len(pparts) != 6:
        return False
    return all(string_like(p, v) for p, v in zip(pparts, vparts, strict=True))
