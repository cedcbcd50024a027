from __future__ import annotations

import csv
import io

from rich.console import Console

from secpillar.model import Finding, FindingResource, Inventory, Severity, Status
from secpillar.report.console import scan_summary
from secpillar.report.csvout import findings_csv
from secpillar.report.summary import by_best_practice, top_failing

HOSTILE = "[bold red]pwn[/] <script>alert(1)</script>"


def finding(status: Status, sev: Severity, name: str = "b", wa: tuple[str, ...] = ("SEC08-BP02",)) -> Finding:
    return Finding(
        check_id="aws.s3.bucket-encryption-at-rest",
        title="Bucket encrypted",
        status=status,
        severity=sev,
        resource=FindingResource(
            f"arn:aws:s3:::{name}", "AWS::S3::Bucket", "111111111111", "us-east-1", name, {"owner": HOSTILE}
        ),
        message=f"bucket {name}: {HOSTILE}",
        wa=wa,
        remediation="=cmd|' /C calc'!A0",
    )


def test_summary_counts_by_best_practice() -> None:
    rows = by_best_practice(
        [
            finding(Status.PASS, Severity.LOW, "a"),
            finding(Status.FAIL, Severity.HIGH, "b"),
            finding(Status.FAIL, Severity.HIGH, "c", ("SEC08-BP02", "SEC07-BP01")),
        ]
    )
    assert [r.bp_id for r in rows] == ["SEC07-BP01", "SEC08-BP02"]
    assert (rows[1].passed, rows[1].failed) == (1, 2)
    assert rows[1].title == "Enforce encryption at rest"


def test_top_failing_puts_the_most_severe_first() -> None:
    top = top_failing(
        [
            finding(Status.FAIL, Severity.LOW, "a"),
            finding(Status.FAIL, Severity.CRITICAL, "b"),
            finding(Status.PASS, Severity.CRITICAL, "c"),
        ]
    )
    assert [f.resource.name for f in top] == ["b", "a"]


def test_console_shows_hostile_values_as_text() -> None:
    console = Console(record=True, width=200, color_system=None)
    console.print(scan_summary(Inventory(), [finding(Status.FAIL, Severity.HIGH, HOSTILE)], 1.0))
    out = console.export_text()
    assert "[bold red]pwn[/]" in out


def test_csv_neutralises_formulas() -> None:
    rows = list(
        csv.DictReader(io.StringIO(findings_csv([finding(Status.FAIL, Severity.HIGH, "=HYPERLINK(1)")])))
    )
    assert rows[0]["resource_name"] == "'=HYPERLINK(1)"
    assert rows[0]["remediation"].startswith("'=")
    assert rows[0]["wa"] == "SEC08-BP02"
