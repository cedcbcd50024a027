"""Coverage of a framework by the registered checks.

The Security Pillar's targets: an *automated* best practice needs at least two independent checks,
a *partial* one at least one, a *process* one is answered by a person (an attestation). CIS and
FSBP controls are covered when at least one check cites them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from secpillar.checks.frameworks import CIS, Control, Framework
from secpillar.checks.registry import Check

TARGET = {"automated": 2, "partial": 1, "process": 0}


@dataclass(frozen=True, slots=True)
class ControlCoverage:
    control: Control
    checks: tuple[str, ...]
    target: int
    """Checks needed (WA: by evidence class; CIS/FSBP: 1)."""
    mapping: bool = False
    """A mapping target (CIS, FSBP): its state is ``mapped`` or ``not mapped``, never a shortfall."""

    @property
    def attestation(self) -> bool:
        """A process best practice: a person answers it in ``attestations.yaml``."""
        return self.control.evidence == "process"

    @property
    def met(self) -> bool:
        return len(self.checks) >= self.target

    @property
    def state(self) -> str:
        """``attestation``, ``met`` or ``under`` (fewer checks than the target); for a mapping
        target ``mapped`` or ``not mapped``."""
        if self.mapping:
            return "mapped" if self.checks else "not mapped"
        if self.attestation:
            return "attestation"
        return "met" if self.met else "under"


def _cited(fw: Framework, check: Check) -> tuple[str, ...]:
    if not fw.finding_key:
        return tuple(check.wa)
    return tuple(check.cis if fw.finding_key == CIS else check.fsbp)


def coverage(fw: Framework, checks: Iterable[Check]) -> list[ControlCoverage]:
    """One row per control of ``fw`` in the framework's order, with the checks that cite it."""
    cited: dict[str, list[str]] = {c.id: [] for c in fw.controls}
    for check in checks:
        for cid in _cited(fw, check):
            if cid in cited:
                cited[cid].append(check.id)
    rows = []
    for c in fw.controls:
        target = TARGET.get(c.evidence, 0) if not fw.finding_key else 1
        rows.append(ControlCoverage(c, tuple(sorted(set(cited[c.id]))), target, bool(fw.finding_key)))
    return rows


def unknown_citations(fw: Framework, checks: Iterable[Check]) -> dict[str, list[str]]:
    """Check id -> the ids it cites that ``fw`` does not know (should be empty)."""
    known = fw.by_id
    out: dict[str, list[str]] = {}
    for check in checks:
        bad = [cid for cid in _cited(fw, check) if cid not in known]
        if bad:
            out[check.id] = bad
    return out


def summary(rows: Iterable[ControlCoverage]) -> dict[str, int]:
    """Counts by state and evidence class, for the headline."""
    out: dict[str, int] = {"controls": 0, "covered": 0}
    for r in rows:
        out["controls"] += 1
        out[r.state] = out.get(r.state, 0) + 1
        if r.checks:
            out["covered"] += 1
    return out
