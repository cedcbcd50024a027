"""CSV renderer: one row per finding, flat columns a spreadsheet reads."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from secpillar.model import Finding

COLUMNS = (
    "finding_id",
    "status",
    "severity",
    "check_id",
    "title",
    "account",
    "region",
    "resource_type",
    "resource_arn",
    "resource_name",
    "wa",
    "frameworks",
    "message",
    "remediation",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) from resource names and tags."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def findings_csv(findings: Iterable[Finding]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(COLUMNS)
    for f in findings:
        frameworks = ";".join(f"{k}:{','.join(v)}" for k, v in f.frameworks.items())
        row = (
            f.finding_id,
            f.status.value,
            f.severity.value,
            f.check_id,
            f.title,
            f.resource.account,
            f.resource.region,
            f.resource.type,
            f.resource.arn,
            f.resource.name,
            ";".join(f.wa),
            frameworks,
            f.message,
            f.remediation,
        )
        writer.writerow([_cell(str(v)) for v in row])
    return buf.getvalue()
