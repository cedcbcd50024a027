"""Finding: the result of a check on one resource (or of a detection on events).

The JSON form is a subset of OCSF's Compliance Finding (class 2003) / Detection Finding (class
2004): see ``docs/findings.md``. ``finding_id`` is a stable hash of the check id and the resource
ARN, so the same problem on the same resource keeps its id from one scan to the next.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from secpillar import __version__


class Severity(StrEnum):
    """Severity, ordered: ``Severity.HIGH > Severity.LOW``. Values are OCSF's names."""

    INFORMATIONAL = "informational"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def ocsf_id(self) -> int:
        """OCSF ``severity_id``: 1 informational … 5 critical."""
        return self.rank + 1

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank < other.rank

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank <= other.rank

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank > other.rank

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Severity):
            return NotImplemented
        return self.rank >= other.rank

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown severity {text!r}; expected one of {names}") from None


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class Status(StrEnum):
    """The outcome of a check on a resource."""

    FAIL = "FAIL"
    PASS = "PASS"
    MUTED = "MUTED"
    ERROR = "ERROR"


def finding_id(check_id: str, arn: str) -> str:
    """The stable id of a finding: the same check on the same resource gives the same id."""
    return hashlib.sha256(f"{check_id}\x00{arn}".encode()).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class FindingResource:
    arn: str
    type: str
    account: str
    region: str
    name: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "arn": self.arn,
            "type": self.type,
            "account": self.account,
            "region": self.region,
            "name": self.name,
            "tags": dict(self.tags),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FindingResource:
        return cls(
            arn=str(d["arn"]),
            type=str(d["type"]),
            account=str(d["account"]),
            region=str(d["region"]),
            name=str(d.get("name", "")),
            tags={str(k): str(v) for k, v in (d.get("tags") or {}).items()},
        )


@dataclass(frozen=True, slots=True)
class Finding:
    check_id: str
    title: str
    status: Status
    severity: Severity
    resource: FindingResource
    message: str
    source: str = "live"
    wa: tuple[str, ...] = ()
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    evidence: Mapping[str, Any] = field(default_factory=dict)
    remediation: str = ""
    time: str = ""
    location: Mapping[str, Any] | None = None

    @property
    def finding_id(self) -> str:
        return finding_id(self.check_id, self.resource.arn)

    @property
    def failed(self) -> bool:
        return self.status is Status.FAIL

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "finding_id": self.finding_id,
            "check_id": self.check_id,
            "title": self.title,
            "status": self.status.value,
            "severity": self.severity.value,
            "resource": self.resource.to_dict(),
            "source": self.source,
            "wa": list(self.wa),
            "frameworks": {k: list(v) for k, v in self.frameworks.items()},
            "message": self.message,
            "evidence": dict(self.evidence),
            "remediation": self.remediation,
            "time": self.time,
            # OCSF envelope: Compliance Finding.
            "class_uid": 2003,
            "class_name": "Compliance Finding",
            "category_uid": 2,
            "severity_id": self.severity.ocsf_id,
            "metadata": {"product": {"name": "secpillar", "version": __version__}},
        }
        if self.location is not None:
            d["location"] = dict(self.location)
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        return cls(
            check_id=str(d["check_id"]),
            title=str(d["title"]),
            status=Status(d["status"]),
            severity=Severity(d["severity"]),
            resource=FindingResource.from_dict(d["resource"]),
            message=str(d["message"]),
            source=str(d.get("source", "live")),
            wa=tuple(d.get("wa", ())),
            frameworks={k: tuple(v) for k, v in (d.get("frameworks") or {}).items()},
            evidence=dict(d.get("evidence") or {}),
            remediation=str(d.get("remediation", "")),
            time=str(d.get("time", "")),
            location=d.get("location"),
        )
