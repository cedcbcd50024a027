"""Aggregations the reports share: pass/fail per best practice, top failing findings."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from secpillar.checks.frameworks import wa_best_practices
from secpillar.model import Finding, Status


@dataclass
class PracticeRow:
    bp_id: str
    title: str
    checks: set[str] = field(default_factory=set)
    passed: int = 0
    failed: int = 0
    muted: int = 0
    errors: int = 0
    failing_accounts: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return self.passed + self.failed

    @property
    def pass_rate(self) -> float:
        return self.passed / self.total if self.total else 1.0


def by_best_practice(findings: Iterable[Finding]) -> list[PracticeRow]:
    """One row per Well-Architected best practice that some finding evidences, in id order."""
    known = wa_best_practices()
    rows: dict[str, PracticeRow] = {}
    for f in findings:
        for bp in f.wa:
            row = rows.get(bp)
            if row is None:
                row = rows[bp] = PracticeRow(bp, known[bp].title if bp in known else bp)
            row.checks.add(f.check_id)
            if f.status is Status.PASS:
                row.passed += 1
            elif f.status is Status.FAIL:
                row.failed += 1
                row.failing_accounts.add(f.resource.account)
            elif f.status is Status.MUTED:
                row.muted += 1
            else:
                row.errors += 1
    return [rows[k] for k in sorted(rows)]


def status_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.value: 0 for s in Status}
    for f in findings:
        counts[f.status.value] += 1
    return counts


def top_failing(findings: Sequence[Finding], limit: int = 15) -> list[Finding]:
    """Failing findings, most severe first (then by check and resource for a stable order)."""
    failing = [f for f in findings if f.status is Status.FAIL]
    failing.sort(key=lambda f: (-f.severity.rank, f.check_id, f.resource.account, f.resource.arn))
    return failing[:limit]
