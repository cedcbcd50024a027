"""`secpillar detect` over a lake built from the fixture events: JSON output, exit codes, time
window, parameters, Sigma listing, findings written to the lake."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from tests.unit.detect.cases import load_cases
from tests.unit.detect.lakeutil import write_lake
from typer.testing import CliRunner

from secpillar.cli.main import app

FIXTURES = Path(__file__).parent.parent / "fixtures" / "detect"


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    cases = load_cases()
    wanted = ("ct.console-login-after-failures", "ct.kms-key-deletion")
    records = [r for c in cases for r in c["records"] if c["detection"] in wanted and c["fire"]]
    for i, r in enumerate(records):
        r["eventID"] = f"{r['eventID']}-{i}"
    write_lake(root, records, [])
    return root


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["detect", *args])
    return result.exit_code, result.output


def test_json_findings_and_fail_on(lake: Path) -> None:
    code, out = invoke("--lake", str(lake), "--format", "json", "--no-save", "--fail-on", "high")
    assert code == 3, out
    doc = json.loads(out)
    by_id: dict[str, list[dict[str, object]]] = {}
    for f in doc["findings"]:
        by_id.setdefault(str(f["finding_info"]["analytic"]["uid"]), []).append(f)
    assert set(by_id) >= {"ct.console-login-after-failures", "ct.kms-key-deletion"}
    after = by_id["ct.console-login-after-failures"][0]
    assert after["event_ids"] == ["a1-0", "a2-1", "a3-2", "ok-3"]
    assert after["class_uid"] == 2004 and after["count"] == 4
    code, _ = invoke("--lake", str(lake), "--format", "json", "--no-save", "--fail-on", "critical")
    assert code == 0


def test_since_window_and_params(lake: Path) -> None:
    code, out = invoke("--lake", str(lake), "--format", "json", "--no-save", "--since", "2030-01-01")
    assert code == 0 and json.loads(out)["findings"] == []
    args = [
        "--lake",
        str(lake),
        "--format",
        "json",
        "--no-save",
        "--detections",
        "ct.console-login-after-failures",
    ]
    code, out = invoke(*args, "--param", "ct.console-login-after-failures.threshold=4")
    assert json.loads(out)["findings"] == []
    code, out = invoke(*args, "--param", "ct.console-login-after-failures.nope=4")
    assert code == 2 and "no parameter" in out


def test_sigma_rules_run_and_refusals_are_listed(lake: Path) -> None:
    _code, out = invoke(
        "--lake", str(lake), "--format", "json", "--no-save", "--sigma", str(FIXTURES / "sigma_bad")
    )
    doc = json.loads(out)
    assert {s["rule"] for s in doc["sigma_not_converted"]} >= {"Keyword Search", "Unknown Field", "broken"}
    _, out = invoke("--lake", str(lake), "--no-save", "--sigma", str(FIXTURES / "sigma_bad"))
    assert "not converted" in out and "keyword search" in out


def test_findings_are_saved_to_the_lake_once(lake: Path) -> None:
    invoke("--lake", str(lake), "--detections", "ct.kms-key-deletion")
    invoke("--lake", str(lake), "--detections", "ct.kms-key-deletion")
    files = list((lake / "findings").glob("*.parquet"))
    con = duckdb.connect()
    rows = con.execute(
        f"SELECT detection_id, event_ids FROM read_parquet('{lake}/findings/*.parquet')"
    ).fetchall()
    assert len(files) == 1 and rows == [("ct.kms-key-deletion", ["kms-4"])]


def test_missing_lake_is_a_clear_error(tmp_path: Path) -> None:
    code, out = invoke("--lake", str(tmp_path / "nope"))
    assert code == 2 and "logs ingest" in out
