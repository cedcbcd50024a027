"""The HTML report's view model: plain data computed from findings, inventory and checks.

The template only lays this out; every number and ranking is decided here, so that it is tested
without a browser."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secpillar.checks.frameworks import wa_best_practices, wa_questions
from secpillar.checks.frameworks.coverage import TARGET
from secpillar.checks.registry import Check
from secpillar.model import Finding, Inventory, Severity, Status
from secpillar.report.attestations import AttestationStatus
from secpillar.report.compare import Comparison

WEIGHT = {
    Severity.CRITICAL: 10.0,
    Severity.HIGH: 5.0,
    Severity.MEDIUM: 2.0,
    Severity.LOW: 1.0,
    Severity.INFORMATIONAL: 0.25,
}
_CLI = re.compile(r"\baws [a-z0-9-]+ [a-z0-9-]+[^()\n;]*")


@dataclass
class Tally:
    passed: int = 0
    failed: int = 0
    muted: int = 0
    errors: int = 0

    def add(self, status: Status) -> None:
        if status is Status.PASS:
            self.passed += 1
        elif status is Status.FAIL:
            self.failed += 1
        elif status is Status.MUTED:
            self.muted += 1
        else:
            self.errors += 1

    @property
    def judged(self) -> int:
        return self.passed + self.failed

    @property
    def rate(self) -> float | None:
        """Pass rate over PASS + FAIL (``None`` when nothing was judged)."""
        return self.passed / self.judged if self.judged else None

    @property
    def rate_pct(self) -> str:
        return "n/a" if self.rate is None else f"{round(self.rate * 100)}%"

    @property
    def band(self) -> str:
        """A colour band for the rate: good / fair / poor / none."""
        if self.rate is None:
            return "none"
        return "good" if self.rate >= 0.9 else "fair" if self.rate >= 0.6 else "poor"


@dataclass
class PracticeView:
    id: str
    title: str
    evidence: str
    checks: list[str]
    target: int
    tally: Tally
    failing_accounts: list[str]
    attestation: AttestationStatus | None = None

    @property
    def coverage(self) -> str:
        if self.evidence == "process":
            return "attestation"
        return "met" if len(self.checks) >= self.target else "under"


@dataclass
class QuestionView:
    id: str
    title: str
    practices: list[PracticeView]
    tally: Tally


@dataclass
class FixItem:
    check_id: str
    title: str
    severity: str
    count: int
    accounts: list[str]
    wa: list[str]
    score: float
    steps: list[str]
    cli: list[str]
    terraform: str


@dataclass
class Remediation:
    steps: list[str]
    cli: list[str]
    terraform: str


@dataclass
class FindingView:
    f: Finding
    account_name: str
    remediation: Remediation
    evidence_json: str
    question: str


@dataclass
class HtmlModel:
    title: str
    generated: str
    scan: Mapping[str, Any]
    counts: dict[str, int]
    failing_by_severity: list[tuple[str, int]]
    accounts: list[tuple[str, str]]
    regions: list[str]
    resources: int
    questions: list[QuestionView]
    heat: dict[str, dict[str, Tally]]
    fix_first: list[FixItem]
    findings: list[FindingView]
    gaps: list[dict[str, str]]
    attestations: list[AttestationStatus]
    comparison: Comparison | None
    history: list[dict[str, Any]]
    coverage: dict[str, int] = field(default_factory=dict)

    @property
    def overall(self) -> Tally:
        t = Tally()
        t.passed, t.failed = self.counts.get("PASS", 0), self.counts.get("FAIL", 0)
        return t


def derive_remediation(check: Check | None, text: str) -> Remediation:
    """Steps, CLI commands and Terraform for a finding. Checks may declare ``remediation_cli``
    and ``remediation_terraform``; otherwise the CLI commands are the ``aws …`` commands quoted
    in the remediation text and the steps are its sentences."""
    cli = list(getattr(check, "remediation_cli", ()) or ())
    terraform = str(getattr(check, "remediation_terraform", "") or "")
    found = [m.group(0).strip().rstrip(".,") for m in _CLI.finditer(text)]
    cli += [c for c in found if c not in cli]
    prose = _CLI.sub("", text) if text.strip().startswith("aws ") else text
    steps = [s.strip() for s in re.split(r"(?<=[.;])\s+(?=[A-Z])", prose) if s.strip(" .;()")]
    return Remediation(steps, cli, terraform)


def _question_of(bp_ids: Sequence[str]) -> str:
    return bp_ids[0].split("-")[0] if bp_ids else ""


def build_model(
    findings: Sequence[Finding],
    inventory: Inventory,
    checks: Iterable[Check],
    scan: Mapping[str, Any] | None = None,
    attestations: Sequence[AttestationStatus] = (),
    comparison: Comparison | None = None,
    history: Sequence[Mapping[str, Any]] = (),
    title: str = "secpillar — Well-Architected Security Pillar report",
    generated: str = "",
) -> HtmlModel:
    checks = list(checks)
    by_id = {c.id: c for c in checks}
    known = wa_best_practices()
    counts = {s.value: 0 for s in Status}
    failing_sev = {s: 0 for s in Severity}
    bp_tally: dict[str, Tally] = defaultdict(Tally)
    bp_failing: dict[str, set[str]] = defaultdict(set)
    heat: dict[str, dict[str, Tally]] = defaultdict(lambda: defaultdict(Tally))
    fix: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        counts[f.status.value] += 1
        if f.status is Status.FAIL:
            failing_sev[f.severity] += 1
            fix[f.check_id].append(f)
        for qid in sorted({b.split("-")[0] for b in f.wa}):
            heat[f.resource.account][qid].add(f.status)
        for bp_id in f.wa:
            bp_tally[bp_id].add(f.status)
            if f.status is Status.FAIL:
                bp_failing[bp_id].add(f.resource.account)
    names = {a: inventory.account_name(a) for a in {*inventory.accounts, *heat}}
    att = {a.practice: a for a in attestations}
    cited: dict[str, list[str]] = defaultdict(list)
    for c in checks:
        for bp_id in c.wa:
            cited[bp_id].append(c.id)
    questions = []
    for qid, qtitle in wa_questions():
        practices = []
        qt = Tally()
        for bp in (b for b in known.values() if b.question_id == qid):
            t = bp_tally.get(bp.id, Tally())
            qt.passed, qt.failed = qt.passed + t.passed, qt.failed + t.failed
            qt.muted, qt.errors = qt.muted + t.muted, qt.errors + t.errors
            practices.append(
                PracticeView(
                    bp.id,
                    bp.title,
                    bp.evidence,
                    sorted(cited.get(bp.id, [])),
                    TARGET[bp.evidence],
                    t,
                    sorted(names.get(a, a) for a in bp_failing.get(bp.id, set())),
                    att.get(bp.id),
                )
            )
        questions.append(QuestionView(qid, qtitle, practices, qt))
    fix_first = []
    for check_id, items in fix.items():
        sev = items[0].severity
        check = by_id.get(check_id)
        rem = derive_remediation(check, items[0].remediation)
        fix_first.append(
            FixItem(
                check_id,
                items[0].title,
                sev.value,
                len(items),
                sorted({names.get(f.resource.account, f.resource.account) for f in items}),
                list(items[0].wa),
                round(WEIGHT[sev] * len(items), 2),
                rem.steps,
                rem.cli,
                rem.terraform,
            )
        )
    fix_first.sort(key=lambda x: (-x.score, -Severity(x.severity).rank, x.check_id))
    order = {s: i for i, s in enumerate((Status.FAIL, Status.ERROR, Status.MUTED, Status.PASS))}
    views = [
        FindingView(
            f,
            names.get(f.resource.account, f.resource.account),
            derive_remediation(by_id.get(f.check_id), f.remediation),
            json.dumps(dict(f.evidence), indent=2, sort_keys=True, default=str),
            _question_of(f.wa),
        )
        for f in sorted(
            findings,
            key=lambda f: (order[f.status], -f.severity.rank, f.check_id, f.resource.account, f.resource.arn),
        )
    ]
    covered = {"met": 0, "under": 0, "attestation": 0}
    for qv in questions:
        for p in qv.practices:
            covered[p.coverage] += 1
    accounts = sorted(((a, names.get(a, a)) for a in names), key=lambda x: (x[1].lower(), x[0]))
    return HtmlModel(
        title=title,
        generated=generated,
        scan=dict(scan or {}),
        counts=counts,
        failing_by_severity=[(s.value, failing_sev[s]) for s in sorted(Severity, reverse=True)],
        accounts=accounts,
        regions=list(inventory.regions),
        resources=len(inventory),
        questions=questions,
        heat={a: dict(v) for a, v in heat.items()},
        fix_first=fix_first,
        findings=views,
        gaps=[g.to_dict() | {"account_name": names.get(g.account_id, g.account_id)} for g in inventory.gaps],
        attestations=list(attestations),
        comparison=comparison,
        history=[dict(h) for h in history],
        coverage=covered,
    )
