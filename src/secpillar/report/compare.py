"""History: what changed between two scans, and a small history of run summaries.

Findings are matched by ``finding_id`` (a stable hash of check id and resource ARN):

- **new**: FAIL now, and not FAIL in the previous scan (absent, PASS, MUTED or ERROR);
- **resolved**: FAIL in the previous scan, and not FAIL now (PASS, MUTED, or the resource is gone);
- **open**: FAIL in both.

``history.json`` keeps one summary per run (time, counts by status, failing counts by severity),
oldest first, so that the HTML report can draw the trend without reading old findings."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError
from secpillar.model import Finding, Severity, Status

HISTORY_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Change:
    finding: Finding
    """The finding as it is now (or, for a resolved finding whose resource is gone, as it was)."""
    previous_status: str | None
    status: str | None

    def to_dict(self) -> dict[str, Any]:
        f = self.finding
        return {
            "finding_id": f.finding_id,
            "check_id": f.check_id,
            "title": f.title,
            "severity": f.severity.value,
            "account": f.resource.account,
            "region": f.resource.region,
            "resource": f.resource.arn,
            "previous_status": self.previous_status,
            "status": self.status,
        }


@dataclass
class Comparison:
    new: list[Change] = field(default_factory=list)
    resolved: list[Change] = field(default_factory=list)
    open: list[Change] = field(default_factory=list)
    previous: Mapping[str, Any] = field(default_factory=dict)
    current: Mapping[str, Any] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {"new": len(self.new), "resolved": len(self.resolved), "open": len(self.open)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "previous": dict(self.previous),
            "current": dict(self.current),
            "counts": self.counts,
            "new": [c.to_dict() for c in self.new],
            "resolved": [c.to_dict() for c in self.resolved],
            "open": [c.to_dict() for c in self.open],
        }


def _order(c: Change) -> tuple[int, str, str, str]:
    f = c.finding
    return (-f.severity.rank, f.check_id, f.resource.account, f.resource.arn)


def compare(
    previous: Iterable[Finding],
    current: Iterable[Finding],
    previous_info: Mapping[str, Any] | None = None,
    current_info: Mapping[str, Any] | None = None,
) -> Comparison:
    before = {f.finding_id: f for f in previous}
    now = {f.finding_id: f for f in current}
    out = Comparison(previous=previous_info or {}, current=current_info or {})
    for fid, f in now.items():
        old = before.get(fid)
        old_status = old.status.value if old else None
        if f.status is Status.FAIL:
            target = out.open if old is not None and old.status is Status.FAIL else out.new
            target.append(Change(f, old_status, f.status.value))
    for fid, old in before.items():
        if old.status is not Status.FAIL:
            continue
        cur = now.get(fid)
        if cur is None or cur.status is not Status.FAIL:
            out.resolved.append(Change(cur or old, old.status.value, cur.status.value if cur else None))
    for lst in (out.new, out.resolved, out.open):
        lst.sort(key=_order)
    return out


def run_summary(findings: Sequence[Finding], info: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """One history entry: when, counts by status, failing counts by severity, accounts failing."""
    by_status = {s.value: 0 for s in Status}
    failing = {s.value: 0 for s in Severity}
    for f in findings:
        by_status[f.status.value] += 1
        if f.status is Status.FAIL:
            failing[f.severity.value] += 1
    return {
        "started": str((info or {}).get("started", "")),
        "findings": len(findings),
        "status": by_status,
        "failing_by_severity": failing,
    }


def load_findings(path: Path) -> list[Finding]:
    """Findings from a ``findings.json`` (or the folder holding one); a bad file is a usage error."""
    file = path / "findings.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read previous findings {file}: {exc.strerror or exc}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{file} is not valid JSON: {exc}") from None
    if not isinstance(data, list):
        raise UsageError(f"{file}: expected a JSON array of findings")
    out = []
    for i, d in enumerate(data):
        try:
            out.append(Finding.from_dict(d))
        except (KeyError, ValueError, TypeError) as exc:
            raise UsageError(f"{file}: finding {i} is not a secpillar finding ({exc})") from None
    return out


def scan_info(folder: Path) -> dict[str, Any]:
    """The ``scan`` block of a folder's ``inventory.json`` (empty when absent or unreadable)."""
    try:
        data = json.loads((folder / "inventory.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return {}
    scan = data.get("scan") if isinstance(data, dict) else None
    return dict(scan) if isinstance(scan, dict) else {}


def load_history(folder: Path) -> list[dict[str, Any]]:
    """A folder's ``history.json`` (a list of run summaries), or ``[]``."""
    try:
        data = json.loads((folder / "history.json").read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return []
    return [d for d in data if isinstance(d, dict)] if isinstance(data, list) else []


def extend_history(
    history: list[dict[str, Any]], entry: dict[str, Any], limit: int = HISTORY_LIMIT
) -> list[dict[str, Any]]:
    """``history`` plus ``entry`` (an entry with the same start time replaces the old one)."""
    kept = [h for h in history if not entry.get("started") or h.get("started") != entry.get("started")]
    return [*kept, entry][-limit:]


def previous_history(folder: Path) -> list[dict[str, Any]]:
    """The history a previous output folder carries: its ``history.json``, or one entry made from
    its findings when it has none (an older scan)."""
    history = load_history(folder)
    if history:
        return history
    return [run_summary(load_findings(folder), scan_info(folder))]


def history_json(history: Sequence[Mapping[str, Any]]) -> str:
    return json.dumps(list(history), indent=2) + "\n"


def compare_json(comparison: Comparison) -> str:
    return json.dumps(comparison.to_dict(), indent=2) + "\n"
