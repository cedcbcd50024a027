"""The scorecard: one result per technique, coverage by ATT&CK tactic, and the gaps ranked.

JSON (``--format json``)::

    {"techniques": [{"id", "attack", "detected": bool, "detections": [...], "seconds_to_detect",
                     "remediated": bool, "seconds_to_remediate", "left_behind": [...], ...}],
     "summary": {...}, "coverage": [...], "gaps": [...], "target": {...}, ...}

A technique *covered* is one that detections claim (``expected_detections``); the game day fails
(:func:`GameDay.failures`) when a covered technique that ran is not detected by every one of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from secpillar.gameday.technique import TACTICS
from secpillar.model import Severity

STATUSES = ("ran", "prevented", "skipped", "not-emulated", "error")
"""``ran``: detonated; ``prevented``: the attack call was denied (a preventive control held);
``skipped``: nothing to attack here or sandbox only; ``not-emulated``: listed, never run;
``error``: the game day could not carry it out (see ``error``)."""

GAP_KINDS = ("missed", "undetected", "not-remediated", "left-behind")
"""Ranked in this order: a detection that claims the technique missed it; no detection covers it;
an expected response did not make it safe; the cleanup left something behind."""


@dataclass
class TechniqueResult:
    id: str
    title: str
    attack: str
    tactic: str
    severity: str
    status: str = "ran"
    reason: str = ""
    detected: bool = False
    detections: list[str] = field(default_factory=list)
    expected_detections: list[str] = field(default_factory=list)
    missed_detections: list[str] = field(default_factory=list)
    seconds_to_detect: float | None = None
    remediated: bool = False
    seconds_to_remediate: float | None = None
    expected_responses: list[str] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    left_behind: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0

    @property
    def covered(self) -> bool:
        return bool(self.expected_detections)

    @property
    def failed(self) -> bool:
        """A covered technique the game day could not show detected (run, or errored)."""
        return self.covered and self.status in ("ran", "error") and not self.detected

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class GameDay:
    run_id: str
    target: dict[str, Any]
    started: str
    seconds: float = 0.0
    results: list[TechniqueResult] = field(default_factory=list)
    rescan: dict[str, Any] | None = None

    def failures(self) -> list[TechniqueResult]:
        return [r for r in self.results if r.failed]

    def summary(self) -> dict[str, Any]:
        ran = [r for r in self.results if r.status == "ran"]
        by_status = {s: sum(1 for r in self.results if r.status == s) for s in STATUSES}
        covered = [r for r in ran if r.covered]
        return {
            "techniques": len(self.results),
            **by_status,
            "covered": len(covered),
            "detected": sum(1 for r in ran if r.detected),
            "covered_detected": sum(1 for r in covered if r.detected),
            "remediated": sum(1 for r in ran if r.remediated),
            "remediation_expected": sum(1 for r in ran if r.expected_responses),
            "left_behind": sum(1 for r in self.results if r.left_behind),
            "failures": [r.id for r in self.failures()],
            "median_seconds_to_detect": _median([r.seconds_to_detect for r in ran]),
            "median_seconds_to_remediate": _median([r.seconds_to_remediate for r in ran]),
        }

    def coverage(self) -> list[dict[str, Any]]:
        """Per ATT&CK tactic (in the matrix's order): techniques, run, covered, detected, remediated."""
        out = []
        for slug, name in TACTICS.items():
            rows = [r for r in self.results if r.tactic == name]
            if not rows:
                continue
            ran = [r for r in rows if r.status == "ran"]
            detected = sum(1 for r in ran if r.detected)
            out.append(
                {
                    "tactic": name,
                    "slug": slug,
                    "techniques": len(rows),
                    "ran": len(ran),
                    "covered": sum(1 for r in rows if r.covered),
                    "detected": detected,
                    "remediated": sum(1 for r in ran if r.remediated),
                    "percent_detected": round(100 * detected / len(ran)) if ran else None,
                }
            )
        return out

    def gaps(self) -> list[dict[str, Any]]:
        """What to fix first: missed claims, then undetected techniques, then failed responses,
        then residue; within a kind, the most severe first."""
        found = []
        for r in self.results:
            if r.status not in ("ran", "error"):
                continue
            if r.covered and not r.detected:
                missed = ", ".join(r.missed_detections) or ", ".join(r.expected_detections)
                found.append(
                    _gap("missed", r, f"{missed} did not fire" + (f" ({r.error})" if r.error else ""))
                )
            elif not r.covered and not r.detected:
                found.append(_gap("undetected", r, "no detection covers this technique"))
            if r.expected_responses and r.detected and not r.remediated:
                found.append(
                    _gap("not-remediated", r, f"{', '.join(r.expected_responses)} did not make it safe")
                )
            if r.left_behind:
                found.append(_gap("left-behind", r, "; ".join(r.left_behind)))
        found.sort(key=lambda g: (GAP_KINDS.index(g["kind"]), -Severity(g["severity"]).rank, g["technique"]))
        for rank, gap in enumerate(found, 1):
            gap["rank"] = rank
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "target": self.target,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "summary": self.summary(),
            "coverage": self.coverage(),
            "gaps": self.gaps(),
            "techniques": [r.to_dict() for r in self.results],
            "rescan": self.rescan,
        }


def _gap(kind: str, r: TechniqueResult, why: str) -> dict[str, Any]:
    return {
        "kind": kind,
        "technique": r.id,
        "attack": r.attack,
        "tactic": r.tactic,
        "severity": r.severity,
        "why": why,
    }


def _median(values: list[float | None]) -> float | None:
    xs = sorted(v for v in values if v is not None)
    if not xs:
        return None
    mid = len(xs) // 2
    return round(xs[mid] if len(xs) % 2 else (xs[mid - 1] + xs[mid]) / 2, 3)
