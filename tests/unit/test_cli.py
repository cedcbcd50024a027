from __future__ import annotations

import json

from typer.testing import CliRunner

from secpillar.cli.main import app
from secpillar.cli.scan import exit_code_for
from secpillar.model import Finding, FindingResource, Inventory, Severity, Status
from secpillar.scan import ScanResult

runner = CliRunner()


def result_with(*sev_status: tuple[Severity, Status]) -> ScanResult:
    from datetime import UTC, datetime

    findings = [
        Finding("aws.x.y", "T", st, sev, FindingResource(f"arn:{i}", "AWS::X::Y", "1" * 12, "us-east-1"), "m")
        for i, (sev, st) in enumerate(sev_status)
    ]
    now = datetime.now(UTC)
    return ScanResult(Inventory(), findings, [], now, now)


def test_fail_on_exit_codes() -> None:
    r = result_with((Severity.MEDIUM, Status.FAIL), (Severity.CRITICAL, Status.PASS))
    assert exit_code_for(r, None) == 0
    assert exit_code_for(r, Severity.HIGH) == 0
    assert exit_code_for(r, Severity.MEDIUM) == 3
    assert exit_code_for(r, Severity.LOW) == 3


def test_checks_list_json() -> None:
    res = runner.invoke(app, ["checks", "list", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)
    assert len(rows) >= 40
    assert {"id", "title", "severity", "wa", "frameworks", "remediation"} <= set(rows[0])


def test_bad_options_exit_2() -> None:
    assert runner.invoke(app, ["scan", "--format", "xml"]).exit_code == 2
    assert runner.invoke(app, ["scan", "--fail-on", "urgent"]).exit_code == 2
    res = runner.invoke(app, ["checks", "list", "--checks", "aws.nope.none"])
    assert res.exit_code == 2 and "no check matches" in res.output


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.startswith("secpillar ")
