"""A scan's posture findings (OCSF Compliance Finding, class 2003) as rows of the lake's
``findings`` table, so that scans can be compared with SQL (``secpillar logs query``).

Each scan appends one file ``<lake>/findings/scan-<scan_id>.parquet`` (written under a temporary
name and renamed). Its columns are the detection findings' (:data:`FINDINGS_SCHEMA`: the table
stays one table, and a query over detection columns still works) plus the posture ones:
``scan_id``, ``scanned_at``, ``check_id``, ``status`` (FAIL, PASS, MUTED, ERROR),
``resource_type`` and ``resource_name``. ``finding_uid`` is the finding's stable id (check id +
resource ARN), so the same finding in two scans has the same uid::

    -- new FAILs in scan B compared with scan A
    SELECT b.check_id, b.resource FROM findings b
    WHERE b.scan_id = 'B' AND b.status = 'FAIL' AND b.finding_uid NOT IN
      (SELECT finding_uid FROM findings WHERE scan_id = 'A' AND status = 'FAIL')
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from secpillar.detect.findings import FINDINGS_SCHEMA
from secpillar.model import Finding

CLASS_UID = 2003
POSTURE_COLUMNS = (
    ("scan_id", pa.string()),
    ("scanned_at", pa.timestamp("us", tz="UTC")),
    ("check_id", pa.string()),
    ("status", pa.string()),
    ("resource_type", pa.string()),
    ("resource_name", pa.string()),
)
POSTURE_SCHEMA = pa.schema([*FINDINGS_SCHEMA, *(pa.field(n, t) for n, t in POSTURE_COLUMNS)])


def new_scan_id(started: datetime) -> str:
    """``20260101T120000Z-1a2b3c4d``: sortable by time, unique."""
    return f"{started.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}"


def posture_row(f: Finding, scan_id: str, scanned_at: datetime) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(POSTURE_SCHEMA.names)
    row.update(
        finding_uid=f.finding_id,
        class_uid=CLASS_UID,
        title=f.title,
        severity=f.severity.value,
        severity_id=f.severity.ocsf_id,
        finding_type=f.check_id,
        wa=list(f.wa),
        account=f.resource.account,
        region=f.resource.region,
        resource=f.resource.arn,
        detail=f.message,
        source=f.source,
        detected_at=scanned_at,
        ocsf=json.dumps(f.to_dict(), sort_keys=True, default=str),
        scan_id=scan_id,
        scanned_at=scanned_at,
        check_id=f.check_id,
        status=f.status.value,
        resource_type=f.resource.type,
        resource_name=f.resource.name,
    )
    return row


def write_scan_findings(
    lake: Path, findings: Sequence[Finding], scanned_at: datetime, scan_id: str | None = None
) -> tuple[Path, str, int]:
    """Append one scan's findings to ``<lake>/findings/``; returns (file, scan id, rows)."""
    scan_id = scan_id or new_scan_id(scanned_at)
    when = scanned_at.astimezone(UTC)
    rows = [posture_row(f, scan_id, when) for f in findings]
    folder = lake / "findings"
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"scan-{scan_id}.parquet"
    tmp = folder / f".scan-{scan_id}.parquet.tmp"
    pq.write_table(pa.Table.from_pylist(rows, schema=POSTURE_SCHEMA), tmp)
    os.replace(tmp, final)
    return final, scan_id, len(rows)
