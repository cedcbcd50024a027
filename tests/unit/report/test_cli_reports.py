"""scan's report options fail fast: a bad attestations file, a missing --compare folder or an
unknown format stop the command before any AWS call (the endpoint here does not exist)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from secpillar.cli.main import app
from secpillar.report.outputs import parse_formats

runner = CliRunner()
NOWHERE = ["scan", "--endpoint-url", "http://127.0.0.1:9", "--regions", "us-east-1"]


def test_bad_attestations_file_is_a_usage_error(tmp_path: Path) -> None:
    bad = tmp_path / "att.yaml"
    bad.write_text("attestations:\n  - {practice: SEC01-BP07, answer: sure, owner: a, date: 2025-01-01}\n")
    res = runner.invoke(app, [*NOWHERE, "--attestations", str(bad)])
    assert res.exit_code == 2 and "is not one of yes, no, partial" in " ".join(res.output.split())


def test_missing_compare_folder_is_a_usage_error(tmp_path: Path) -> None:
    res = runner.invoke(app, [*NOWHERE, "--compare", str(tmp_path / "none")])
    assert res.exit_code == 2 and "does not exist" in " ".join(res.output.split())


def test_formats() -> None:
    assert parse_formats("console, HTML,junit") == ["console", "html", "junit"]
    res = runner.invoke(app, [*NOWHERE, "--format", "html,pdf"])
    assert res.exit_code == 2 and "unknown format(s) pdf" in res.output
