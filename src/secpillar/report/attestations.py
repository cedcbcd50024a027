"""Attestations: a person's answer for the Security Pillar's *process* best practices.

Configuration cannot show that a team models threats (SEC01-BP07) or runs game days
(SEC10-BP08); a person answers those in ``attestations.yaml``::

    stale_after_days: 365          # optional; an older answer is reported as stale
    attestations:
      - practice: SEC01-BP07       # a best-practice id of the pillar
        answer: "yes"              # yes | no | partial
        owner: alice@example.com
        date: 2025-03-01           # when it was last answered
        evidence: https://wiki.example.com/threat-models   # link (optional)
        notes: Threat models reviewed each quarter          # (optional)

Parsing validates every entry and reports all problems at once (a :class:`ValidationError` that
names the entry and the field); nothing here prints.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from secpillar.checks.frameworks import wa_best_practices
from secpillar.errors import UsageError, ValidationError

ANSWERS = ("yes", "no", "partial")
DEFAULT_STALE_DAYS = 365
_KEYS = {"practice", "answer", "owner", "date", "evidence", "notes"}


@dataclass(frozen=True, slots=True)
class Attestation:
    practice: str
    answer: str
    owner: str
    date: date
    evidence: str = ""
    notes: str = ""


@dataclass(frozen=True, slots=True)
class AttestationFile:
    attestations: tuple[Attestation, ...]
    stale_after_days: int = DEFAULT_STALE_DAYS
    source: str = ""


@dataclass(frozen=True, slots=True)
class AttestationStatus:
    """A process best practice and its answer (``None`` when nobody answered it)."""

    practice: str
    title: str
    question: str
    attestation: Attestation | None
    state: str
    """``attested`` (yes), ``partial``, ``no``, ``stale`` (answered too long ago), ``not attested``."""
    age_days: int | None = None

    def to_dict(self) -> dict[str, Any]:
        a = self.attestation
        return {
            "practice": self.practice,
            "title": self.title,
            "question": self.question,
            "state": self.state,
            "answer": a.answer if a else None,
            "owner": a.owner if a else None,
            "date": a.date.isoformat() if a else None,
            "age_days": self.age_days,
            "evidence": a.evidence if a else None,
            "notes": a.notes if a else None,
        }


def _answer(value: Any) -> str | None:
    # YAML 1.1 reads a bare yes/no as a boolean: accept both spellings.
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if isinstance(value, str) and value.strip().lower() in ANSWERS:
        return value.strip().lower()
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _entry(raw: Any, where: str, known: Mapping[str, Any], errors: list[str]) -> Attestation | None:
    if not isinstance(raw, dict):
        errors.append(f"{where}: expected a mapping with practice, answer, owner, date")
        return None
    before = len(errors)
    extra = sorted(set(map(str, raw)) - _KEYS)
    if extra:
        errors.append(f"{where}: unknown field(s) {', '.join(extra)} (allowed: {', '.join(sorted(_KEYS))})")
    practice = str(raw.get("practice", "")).strip().upper()
    if not practice:
        errors.append(f"{where}.practice: missing (a best-practice id such as SEC01-BP07)")
    elif practice not in known:
        errors.append(f"{where}.practice: {practice!r} is not a Security Pillar best practice")
    answer = _answer(raw.get("answer"))
    if answer is None:
        errors.append(f"{where}.answer: {raw.get('answer')!r} is not one of {', '.join(ANSWERS)}")
    owner = raw.get("owner")
    if not isinstance(owner, str) or not owner.strip():
        errors.append(f"{where}.owner: missing (who answers for it)")
    when = _date(raw.get("date"))
    if when is None:
        errors.append(f"{where}.date: {raw.get('date')!r} is not a date (YYYY-MM-DD)")
    if len(errors) > before:
        return None
    assert answer is not None and when is not None and isinstance(owner, str)
    return Attestation(
        practice,
        answer,
        owner.strip(),
        when,
        str(raw.get("evidence") or "").strip(),
        str(raw.get("notes") or "").strip(),
    )


def parse_attestations(text: str, source: str = "attestations.yaml") -> AttestationFile:
    """Parse and validate the file's text; every problem is reported in one error."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError(f"not valid YAML: {exc}", source) from None
    if data is None:
        data = {}
    if isinstance(data, list):
        data = {"attestations": data}
    if not isinstance(data, dict):
        raise ValidationError("expected a mapping with an 'attestations' list", source)
    errors: list[str] = []
    stale = data.get("stale_after_days", DEFAULT_STALE_DAYS)
    if not isinstance(stale, int) or isinstance(stale, bool) or stale < 1:
        errors.append(f"stale_after_days: {stale!r} is not a positive number of days")
        stale = DEFAULT_STALE_DAYS
    extra = sorted(set(map(str, data)) - {"attestations", "stale_after_days"})
    if extra:
        errors.append(f"unknown top-level field(s) {', '.join(extra)}")
    entries = data.get("attestations") or []
    if not isinstance(entries, list):
        errors.append("attestations: expected a list")
        entries = []
    known = wa_best_practices()
    out: list[Attestation] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(entries):
        a = _entry(raw, f"attestations[{i}]", known, errors)
        if a is None:
            continue
        if a.practice in seen:
            errors.append(
                f"attestations[{i}].practice: {a.practice} already answered in entry {seen[a.practice]}"
            )
            continue
        seen[a.practice] = i
        out.append(a)
    if errors:
        raise ValidationError("; ".join(errors), source)
    return AttestationFile(tuple(out), stale, source)


def load_attestations(path: Path) -> AttestationFile:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read attestations file {path}: {exc.strerror or exc}") from None
    return parse_attestations(text, str(path))


def attestation_status(
    file: AttestationFile | None, now: datetime | None = None, practices: Iterable[str] | None = None
) -> list[AttestationStatus]:
    """One row per process best practice (or per id of ``practices``), answered or not.

    An answer given to a non-process best practice is kept too: a team may attest what the
    checks only partly show."""
    now = now or datetime.now(UTC)
    known = wa_best_practices()
    given = {a.practice: a for a in (file.attestations if file else ())}
    ids = (
        list(practices)
        if practices is not None
        else [bp.id for bp in known.values() if bp.evidence == "process"]
    )
    ids += [p for p in given if p not in ids]
    stale_days = file.stale_after_days if file else DEFAULT_STALE_DAYS
    rows = []
    for pid in sorted(ids):
        bp = known[pid]
        a = given.get(pid)
        if a is None:
            rows.append(AttestationStatus(pid, bp.title, bp.question_id, None, "not attested"))
            continue
        age = (now.date() - a.date).days
        if age > stale_days:
            state = "stale"
        else:
            state = {"yes": "attested", "partial": "partial", "no": "no"}[a.answer]
        rows.append(AttestationStatus(pid, bp.title, bp.question_id, a, state, age))
    return rows


EXAMPLE = """\
# attestations.yaml: answers for the Security Pillar's process best practices.
stale_after_days: 365
attestations:
  - practice: SEC01-BP07
    answer: "yes"
    owner: security-lead@example.com
    date: 2025-01-15
    evidence: https://wiki.example.com/security/threat-models
    notes: Threat models for each workload, reviewed each quarter.
"""
