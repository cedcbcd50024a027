"""The detection registry: threat detections register under a stable id with a class decorator.

A detection is a small class that states what it is in class attributes (title, severity, the
GuardDuty finding type it corresponds to, MITRE ATT&CK technique, Well-Architected best practices,
parameters with defaults) and one SQL query in DuckDB's dialect over the lake's views
(``cloudtrail`` or ``flowlogs``). Parameters appear in the SQL as ``${name}`` and are rendered as
SQL literals before the query runs, so the rendered text also transpiles (sqlglot) to Spark SQL.

Every query returns the same columns (:data:`ALERT_COLUMNS`): one row per alert.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from secpillar.errors import RegistryError, UsageError
from secpillar.model import Severity

ALERT_COLUMNS = (
    "event_ids",
    "principal",
    "source_ip",
    "account",
    "region",
    "first_seen",
    "last_seen",
    "event_count",
    "resource",
    "detail",
)
"""The columns every detection query returns, in this order."""

ParamValue = int | float | str | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Param:
    """A tunable value of a detection (threshold, window, allow-list) with a documented default.

    A list parameter left empty renders as ``derived`` (a subquery over the lake), so that a
    detection can learn, for instance, the organization's accounts from the data itself."""

    name: str
    default: ParamValue
    description: str
    derived: str = ""

    def parse(self, text: str) -> ParamValue:
        """The value of ``text`` in this parameter's type (``--param id.name=value``)."""
        kind = type(self.default)
        try:
            if kind is bool:
                raise ValueError
            if kind is int:
                return int(text)
            if kind is float:
                return float(text)
        except ValueError:
            raise UsageError(f"parameter {self.name} expects a {kind.__name__}, got {text!r}") from None
        if kind is tuple:
            return tuple(x.strip() for x in text.split(",") if x.strip())
        return text

    def render(self, value: ParamValue) -> str:
        """``value`` as a SQL literal (a list as a parenthesised IN-list)."""
        if isinstance(value, tuple):
            if not value:
                return f"({self.derived})" if self.derived else "(NULL)"
            return "(" + ", ".join(sql_string(v) for v in value) + ")"
        if isinstance(value, str):
            return sql_string(value)
        return repr(value)


PLACEHOLDER = re.compile(r"\$\{([a-z_][a-z0-9_]*)\}")


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class Detection:
    """Base class of every detection. Subclasses set the class attributes and ``sql``."""

    id: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[Severity]
    source: ClassVar[str] = "cloudtrail"
    """The lake view the query reads: ``cloudtrail`` or ``flowlogs``."""
    guardduty: ClassVar[str | None] = None
    """The GuardDuty finding type this detection corresponds to, where one exists."""
    attack: ClassVar[tuple[str, ...]]
    """MITRE ATT&CK technique ids (``T1562.008``)."""
    tactic: ClassVar[str]
    """MITRE ATT&CK tactic name (``Defense Evasion``)."""
    wa: ClassVar[tuple[str, ...]]
    """Well-Architected Security Pillar best-practice ids this detection evidences."""
    params: ClassVar[tuple[Param, ...]] = ()
    description: ClassVar[str]
    """What fires it and why it matters, in one or two sentences."""
    sql: ClassVar[str]
    """The query in DuckDB's dialect, with ``${param}`` placeholders."""
    parity: ClassVar[bool] = True
    """Whether the rendered query gives the same rows on Spark SQL (checked by a test)."""

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise UsageError(f"detection {self.id} has no parameter {name!r}")

    def render(self, overrides: Mapping[str, ParamValue] | None = None) -> str:
        """The SQL with every parameter replaced by its literal (defaults unless overridden)."""
        values: dict[str, str] = {}
        given = dict(overrides or {})
        for p in self.params:
            values[p.name] = p.render(given.pop(p.name, p.default))
        if given:
            raise UsageError(f"detection {self.id} has no parameter {', '.join(sorted(given))}")

        def fill(match: re.Match[str]) -> str:
            try:
                return values[match.group(1)]
            except KeyError:
                raise RegistryError(f"detection {self.id}: unknown placeholder {match.group(0)}") from None

        # Two passes: a derived default (a subquery) may itself name another parameter.
        return PLACEHOLDER.sub(fill, PLACEHOLDER.sub(fill, self.sql))


D = TypeVar("D", bound=type[Detection])


class DetectionRegistry:
    """Detections by id. Registering an id twice is an error."""

    def __init__(self) -> None:
        self._items: dict[str, Detection] = {}

    def register(self, cls: D) -> D:
        det_id = getattr(cls, "id", None)
        if not det_id:
            raise RegistryError(f"detection class {cls.__name__} has no id")
        if det_id in self._items:
            raise RegistryError(f"duplicate detection id {det_id!r} ({cls.__name__})")
        self._items[det_id] = cls()
        return cls

    def get(self, det_id: str) -> Detection:
        try:
            return self._items[det_id]
        except KeyError:
            raise RegistryError(f"unknown detection id {det_id!r}") from None

    def __contains__(self, det_id: object) -> bool:
        return det_id in self._items

    def __iter__(self) -> Iterator[Detection]:
        return iter(sorted(self._items.values(), key=lambda d: d.id))

    def __len__(self) -> int:
        return len(self._items)

    def select(self, patterns: Sequence[str] = ()) -> list[Detection]:
        """Detections whose id equals a pattern or starts with a pattern ending in ``*``
        (``ct.s3-*``); all when ``patterns`` is empty. An unmatched pattern is a usage error."""
        if not patterns:
            return list(self)
        out: dict[str, Detection] = {}
        for pattern in patterns:
            hits = [d for d in self if _matches(d.id, pattern)]
            if not hits:
                raise UsageError(f"no detection matches {pattern!r}; see docs/detect.md")
            out.update((d.id, d) for d in hits)
        return sorted(out.values(), key=lambda d: d.id)


def _matches(det_id: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return det_id.startswith(pattern[:-1])
    return det_id == pattern


REGISTRY = DetectionRegistry()
register = REGISTRY.register

ID_RE = re.compile(r"^(ct|flow)\.[a-z0-9]+(?:-[a-z0-9]+)*$")


def parse_params(items: Sequence[str], registry: DetectionRegistry) -> dict[str, dict[str, ParamValue]]:
    """``["ct.x.threshold=5"]`` -> ``{"ct.x": {"threshold": 5}}``, checked against the registry."""
    out: dict[str, dict[str, ParamValue]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        det_id, dot, name = key.strip().rpartition(".")
        if not sep or not dot or not det_id or not name:
            raise UsageError(f"--param expects DETECTION.NAME=VALUE, got {item!r}")
        det = registry.get(det_id) if det_id in registry else None
        if det is None:
            raise UsageError(f"--param {item!r}: unknown detection {det_id!r}")
        out.setdefault(det_id, {})[name] = det.param(name).parse(value.strip())
    return out


def describe(det: Detection) -> dict[str, Any]:
    """The metadata of a detection as plain data (for docs and JSON output)."""
    return {
        "id": det.id,
        "title": det.title,
        "severity": det.severity.value,
        "source": det.source,
        "guardduty": det.guardduty,
        "attack": list(det.attack),
        "tactic": det.tactic,
        "wa": list(det.wa),
        "params": {
            p.name: (list(p.default) if isinstance(p.default, tuple) else p.default) for p in det.params
        },
        "description": det.description,
    }
