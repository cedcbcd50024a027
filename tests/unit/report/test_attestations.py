"""attestations.yaml: parsing, validation (every problem named at once) and the state of each
process best practice (attested, partial, no, stale, not attested)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from secpillar.checks.frameworks import wa_best_practices
from secpillar.errors import UsageError, ValidationError
from secpillar.report.attestations import EXAMPLE, attestation_status, load_attestations, parse_attestations

CASES: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "fixtures" / "reports" / "attestations_invalid.yaml").read_text()
)
NOW = datetime(2025, 6, 1, tzinfo=UTC)

VALID = """
stale_after_days: 90
attestations:
  - practice: SEC01-BP07
    answer: yes          # YAML 1.1 reads a bare yes as true: still "yes"
    owner: alice@example.com
    date: 2025-05-01
    evidence: https://wiki.example.com/tm
  - practice: SEC10-BP08
    answer: partial
    owner: bob@example.com
    date: 2025-05-20
  - practice: SEC11-BP03
    answer: no
    owner: carol@example.com
    date: "2025-04-01"
  - practice: SEC11-BP04
    answer: "yes"
    owner: dan@example.com
    date: 2024-01-01       # older than 90 days on 2025-06-01
  - practice: SEC03-BP01   # not a process practice: kept as given
    answer: "yes"
    owner: erin@example.com
    date: 2025-05-30
"""


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_invalid_files_name_the_problem(case: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match=case["error"]):
        parse_attestations(case["text"], "att.yaml")


def test_error_names_the_file() -> None:
    with pytest.raises(ValidationError, match=r"^team/att\.yaml: "):
        parse_attestations("attestations: 3", "team/att.yaml")


def test_states_of_every_process_practice() -> None:
    file = parse_attestations(VALID)
    assert file.stale_after_days == 90
    rows = {r.practice: r for r in attestation_status(file, NOW)}
    process = {bp.id for bp in wa_best_practices().values() if bp.evidence == "process"}
    assert process <= set(rows) and len(process) == 11
    assert rows["SEC01-BP07"].state == "attested" and rows["SEC01-BP07"].attestation is not None
    assert rows["SEC01-BP07"].attestation.answer == "yes" and rows["SEC01-BP07"].age_days == 31
    assert rows["SEC10-BP08"].state == "partial"
    assert rows["SEC11-BP03"].state == "no"
    assert rows["SEC11-BP04"].state == "stale"
    assert rows["SEC03-BP01"].state == "attested"
    assert rows["SEC01-BP03"].state == "not attested" and rows["SEC01-BP03"].attestation is None
    d = rows["SEC01-BP07"].to_dict()
    assert d["owner"] == "alice@example.com" and d["date"] == "2025-05-01"
    assert d["evidence"] == "https://wiki.example.com/tm"


def test_no_file_means_every_process_practice_not_attested() -> None:
    rows = attestation_status(None, NOW)
    assert len(rows) == 11 and {r.state for r in rows} == {"not attested"}


def test_stale_boundary_is_inclusive() -> None:
    entry = "{practice: SEC01-BP07, answer: 'yes', owner: a, date: 2025-05-02}"
    text = f"stale_after_days: 30\nattestations:\n  - {entry}\n"
    rows = {r.practice: r for r in attestation_status(parse_attestations(text), NOW)}
    assert rows["SEC01-BP07"].state == "attested"  # 30 days old
    text = text.replace("2025-05-02", "2025-05-01")
    rows = {r.practice: r for r in attestation_status(parse_attestations(text), NOW)}
    assert rows["SEC01-BP07"].state == "stale"  # 31 days old


def test_example_and_files(tmp_path: Path) -> None:
    assert parse_attestations(EXAMPLE).attestations[0].practice == "SEC01-BP07"
    path = tmp_path / "attestations.yaml"
    path.write_text(EXAMPLE)
    assert load_attestations(path).source == str(path)
    with pytest.raises(UsageError, match="cannot read attestations file"):
        load_attestations(tmp_path / "missing.yaml")
    assert parse_attestations("").attestations == ()
