"""The check registry: checks register under a stable id with a class decorator.

A check is a small class that states what it is in class attributes and implements
``evaluate(resource, ctx)``, yielding :class:`Result` values (nothing when the check does not
apply to that resource). A check never calls AWS: it reads the resource and, through ``ctx``,
the rest of the inventory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from secpillar.errors import RegistryError, UsageError
from secpillar.model import Inventory, Resource, Severity, Status


@dataclass(frozen=True, slots=True)
class Result:
    """What a check says about one resource."""

    status: Status
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class CheckContext:
    """What a check may read besides the resource: the inventory, the clock and settings.

    ``settings`` holds thresholds (``access_key_max_age_days`` …); checks read them with
    :meth:`setting` so that every threshold has a documented default."""

    inventory: Inventory
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    settings: Mapping[str, Any] = field(default_factory=dict)

    def setting(self, name: str, default: Any) -> Any:
        return self.settings.get(name, default)


class Check:
    """Base class of every check. Subclasses set the class attributes and ``evaluate``."""

    id: ClassVar[str]
    title: ClassVar[str]
    severity: ClassVar[Severity]
    resource_types: ClassVar[tuple[str, ...]]
    """The resource types the check judges (one result set per resource of these types)."""
    reads: ClassVar[tuple[str, ...]] = ()
    """Other resource types it reads through ``ctx.inventory`` (collected, never judged)."""
    wa: ClassVar[tuple[str, ...]]
    """Well-Architected Security Pillar best-practice ids this check evidences."""
    cis: ClassVar[tuple[str, ...]] = ()
    """CIS AWS Foundations Benchmark v5.0 control ids."""
    fsbp: ClassVar[tuple[str, ...]] = ()
    """AWS Foundational Security Best Practices control ids (e.g. ``S3.8``)."""
    risk: ClassVar[str]
    """Why it matters, in one or two sentences."""
    remediation: ClassVar[str]

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        raise NotImplementedError

    # Helpers so that checks read as sentences.
    @staticmethod
    def passed(message: str, **evidence: Any) -> Result:
        return Result(Status.PASS, message, evidence)

    @staticmethod
    def failed(message: str, **evidence: Any) -> Result:
        return Result(Status.FAIL, message, evidence)


C = TypeVar("C", bound=type[Check])


class CheckRegistry:
    """Checks by id. Registering an id twice is an error."""

    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def register(self, cls: C) -> C:
        check_id = getattr(cls, "id", None)
        if not check_id:
            raise RegistryError(f"check class {cls.__name__} has no id")
        if check_id in self._checks:
            raise RegistryError(f"duplicate check id {check_id!r} ({cls.__name__})")
        self._checks[check_id] = cls()
        return cls

    def get(self, check_id: str) -> Check:
        try:
            return self._checks[check_id]
        except KeyError:
            raise RegistryError(f"unknown check id {check_id!r}") from None

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def __iter__(self) -> Iterator[Check]:
        return iter(sorted(self._checks.values(), key=lambda c: c.id))

    def __len__(self) -> int:
        return len(self._checks)

    def select(
        self,
        include: Iterable[str] = (),
        exclude: Iterable[str] = (),
        predicate: Callable[[Check], bool] | None = None,
    ) -> list[Check]:
        """Checks whose id matches one of ``include`` (all when empty) and none of ``exclude``.
        Patterns are ids, id prefixes ending in ``*`` (``aws.s3.*``) or service names (``s3``)."""
        inc, exc = list(include), list(exclude)
        for pattern in inc + exc:
            if not any(_matches(c.id, pattern) for c in self._checks.values()):
                raise UsageError(f"no check matches {pattern!r}; see `secpillar checks list`")
        out = []
        for c in self:
            if inc and not any(_matches(c.id, p) for p in inc):
                continue
            if any(_matches(c.id, p) for p in exc):
                continue
            if predicate is not None and not predicate(c):
                continue
            out.append(c)
        return out


def _matches(check_id: str, pattern: str) -> bool:
    if pattern.endswith("*"):
        return check_id.startswith(pattern[:-1])
    if "." not in pattern:
        return check_id.startswith(f"aws.{pattern}.")
    return check_id == pattern


REGISTRY = CheckRegistry()
register = REGISTRY.register
