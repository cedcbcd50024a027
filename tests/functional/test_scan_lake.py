"""``secpillar scan --lake DIR`` appends each scan's findings to the lake's ``findings`` table, and
``secpillar logs query`` compares two scans with SQL (new, resolved, still-open FAILs)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from tests.cli_process import run_cli, sandbox_env

from secpillar.lake import store

pytestmark = pytest.mark.functional

CHECK = "aws.s3.bucket-versioning"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=sandbox_env())


def _scan(url: str, lake: Path, out: Path) -> str:
    proc = _cli(
        "scan", "--endpoint-url", url, "--regions", "us-east-1", "--checks", CHECK,
        "--format", "json", "--out", str(out), "--lake", str(lake),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    info = json.loads((out / "inventory.json").read_text())
    scan_id: str = info["scan"]["scanId"]
    assert f"scan {scan_id}" in proc.stderr
    return scan_id


def _query(lake: Path, sql: str) -> list[dict[str, Any]]:
    proc = _cli("logs", "query", sql, "--lake", str(lake), "--format", "json")
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows: list[dict[str, Any]] = json.loads(proc.stdout)
    return rows


def test_two_scans_compared_in_the_lake(aws_client: Any, moto_endpoint: str, tmp_path: Path) -> None:
    s3 = aws_client("s3")
    for name in ("kept-unversioned", "fixed-later", "gone-later"):
        s3.create_bucket(Bucket=name)
    lake = tmp_path / "lake"
    id_a = _scan(moto_endpoint, lake, tmp_path / "a")
    s3.put_bucket_versioning(Bucket="fixed-later", VersioningConfiguration={"Status": "Enabled"})
    s3.delete_bucket(Bucket="gone-later")
    s3.create_bucket(Bucket="new-unversioned")
    id_b = _scan(moto_endpoint, lake, tmp_path / "b")

    files = sorted((lake / "findings").glob("scan-*.parquet"))
    assert len(files) == 2
    scans = _query(
        lake, "SELECT scan_id, count(*) AS n FROM findings GROUP BY scan_id ORDER BY min(scanned_at)"
    )
    assert [r["n"] for r in scans] == [3, 3]
    first, second = scans[0]["scan_id"], scans[1]["scan_id"]
    assert [first, second] == [id_a, id_b] and first != second

    def fails(scan: str) -> str:
        return f"SELECT finding_uid, resource FROM findings WHERE scan_id = '{scan}' AND status = 'FAIL'"

    new = _query(
        lake,
        f"SELECT b.resource FROM ({fails(second)}) b WHERE b.finding_uid NOT IN "
        f"(SELECT finding_uid FROM ({fails(first)}))",
    )
    resolved = _query(
        lake,
        f"SELECT a.resource FROM ({fails(first)}) a WHERE a.finding_uid NOT IN "
        f"(SELECT finding_uid FROM ({fails(second)}))",
    )
    still = _query(
        lake, f"SELECT a.resource FROM ({fails(first)}) a JOIN ({fails(second)}) b USING (finding_uid)"
    )
    assert [r["resource"] for r in new] == ["arn:aws:s3:::new-unversioned"]
    assert sorted(r["resource"] for r in resolved) == ["arn:aws:s3:::fixed-later", "arn:aws:s3:::gone-later"]
    assert [r["resource"] for r in still] == ["arn:aws:s3:::kept-unversioned"]

    row = _query(lake, f"SELECT * FROM findings WHERE scan_id = '{second}' AND status = 'PASS'")[0]
    assert row["class_uid"] == 2003 and row["check_id"] == CHECK and row["source"] == "live"
    assert row["resource_type"] == "AWS::S3::Bucket" and row["account"] == "123456789012"
    assert json.loads(row["ocsf"])["check_id"] == CHECK
    assert row["detection_id"] is None  # the detection columns are there, empty


def test_the_findings_view_has_every_column_before_any_scan(tmp_path: Path) -> None:
    con = store.connect(tmp_path / "empty")
    cols = {c for (c,) in con.execute("SELECT column_name FROM (DESCRIBE findings)").fetchall()}
    assert {"scan_id", "check_id", "status", "detection_id", "event_ids"} <= cols
    assert con.execute("SELECT count(*) FROM findings WHERE class_uid = 2003").fetchone() == (0,)
