"""Issue 9's criteria, end to end: `secpillar gameday run --target sandbox --rescan` runs the whole
catalogue on a fresh sandbox; every technique a detection claims is detected, every expected
response makes it safe, nothing is left behind and a re-scan finds no new FAIL. Then every record
a detonation wrote is compared with the shape AWS writes for its event
(tests/fixtures/gameday/cloudtrail_shapes.yaml, sources cited there)."""

from __future__ import annotations

import gzip
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from secpillar.cli.main import app
from secpillar.gameday import load_all

pytestmark = pytest.mark.e2e
SHAPES = yaml.safe_load(
    (Path(__file__).parents[1] / "fixtures" / "gameday" / "cloudtrail_shapes.yaml").read_text()
)
TYPES: dict[str, Any] = {"str": str, "int": int, "bool": bool, "list": list, "dict": dict}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("gameday")
    html = out / "scorecard.html"
    t0 = time.monotonic()
    result = CliRunner().invoke(
        app,
        [
            "gameday",
            "run",
            "--target",
            "sandbox",
            "--rescan",
            "--out",
            str(out),
            "--html",
            str(html),
            "--format",
            "json",
        ],
    )
    seconds = time.monotonic() - t0
    assert result.exit_code == 0, result.output[-3000:]
    return {"doc": json.loads(result.stdout), "out": out, "html": html, "seconds": seconds}


def by_id(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["id"]: t for t in run["doc"]["techniques"]}


def test_whole_catalogue_runs_in_minutes(run: dict[str, Any]) -> None:
    techniques = by_id(run)
    catalogue = list(load_all())
    assert set(techniques) == {t.id for t in catalogue}
    emulated = [t.id for t in catalogue if not t.not_emulated]
    assert len(emulated) >= 25
    assert [tid for tid in emulated if techniques[tid]["status"] != "ran"] == []
    assert all(techniques[t.id]["status"] == "not-emulated" for t in catalogue if t.not_emulated)
    assert run["seconds"] < 300, f"{run['seconds']:.0f}s"


def test_every_claimed_technique_is_detected_by_every_claiming_detection(run: dict[str, Any]) -> None:
    summary = run["doc"]["summary"]
    assert summary["failures"] == []
    for t in run["doc"]["techniques"]:
        if t["status"] == "ran" and t["expected_detections"]:
            assert t["detected"] and set(t["detections"]) >= set(t["expected_detections"]), t["id"]
            assert t["seconds_to_detect"] is not None and t["seconds_to_detect"] < 10


def test_expected_responses_make_it_safe(run: dict[str, Any]) -> None:
    remediated = [t for t in run["doc"]["techniques"] if t["expected_responses"]]
    assert len(remediated) >= 8
    for t in remediated:
        assert t["remediated"], t["id"]
        assert t["seconds_to_remediate"] >= t["seconds_to_detect"]
        assert {r["action"] for r in t["responses"] if r["status"] == "applied"} >= set(
            t["expected_responses"]
        )


def test_uncovered_techniques_are_reported_as_gaps(run: dict[str, Any]) -> None:
    gaps = {g["technique"]: g["kind"] for g in run["doc"]["gaps"]}
    assert gaps == {
        "aws.defense-evasion.cloudwatch-alarm-delete": "undetected",
        "aws.impact.s3-lifecycle-expire-all": "undetected",
    }


def test_leaves_the_sandbox_as_it_found_it(run: dict[str, Any]) -> None:
    assert [(t["id"], t["left_behind"]) for t in run["doc"]["techniques"] if t["left_behind"]] == []
    rescan = run["doc"]["rescan"]
    assert rescan["fail_before"] > 0
    assert rescan["new_fail"] == [], rescan["new_fail"]
    assert rescan["resolved"] == [], rescan["resolved"]


def test_scorecard_files(run: dict[str, Any]) -> None:
    saved = json.loads((run["out"] / "scorecard.json").read_text())
    assert saved["run_id"] == run["doc"]["run_id"]
    page = run["html"].read_text()
    for tid in by_id(run):
        assert tid in page
    assert "Detection coverage by ATT&amp;CK tactic" in page


# -- the records' shapes ---------------------------------------------------------------------------
def detonation_records(run: dict[str, Any]) -> list[dict[str, Any]]:
    tag = f"secpillar-gameday/{run['doc']['run_id']}/"
    out = []
    for path in sorted((run["out"] / "trail").rglob("*.json.gz")):
        for rec in json.loads(gzip.decompress(path.read_bytes()))["Records"]:
            agent = rec.get("userAgent", "")
            if tag in agent and agent.endswith("/detonate"):
                out.append(rec)
    return out


def check(spec: Any, value: Any, where: str) -> list[str]:
    """Differences between ``value`` and ``spec`` (see the fixture's header)."""
    if spec == "any":
        return []
    if spec is None or spec == "null":
        return [] if value is None else [f"{where}: expected null, got {json.dumps(value)[:80]}"]
    if isinstance(spec, str) and spec.startswith("="):
        want = spec[1:]
        return [] if str(value) == want else [f"{where}: expected {want!r}, got {value!r}"]
    if isinstance(spec, str):
        ok = isinstance(value, TYPES[spec]) and not (spec == "int" and isinstance(value, bool))
        return [] if ok else [f"{where}: expected {spec}, got {type(value).__name__}"]
    if isinstance(spec, list):
        if not isinstance(value, list) or not value:
            return [f"{where}: expected a non-empty list, got {json.dumps(value)[:80]}"]
        return [e for i, item in enumerate(value) for e in check(spec[0], item, f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{where}: expected an object, got {json.dumps(value)[:80]}"]
    errors = []
    for key, sub in spec.items():
        if key not in value:
            errors.append(f"{where}.{key}: missing")
        else:
            errors += check(sub, value[key], f"{where}.{key}")
    return errors


def _get(record: dict[str, Any], path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def record_errors(rec: dict[str, Any]) -> list[str]:
    name = rec["eventName"]
    spec = SHAPES["events"][name]
    errors = check(SHAPES["record"]["required"], rec, name)
    if not re.match(SHAPES["record"]["eventTime"], rec["eventTime"]):
        errors.append(f"{name}.eventTime: {rec['eventTime']}")
    if not re.match(SHAPES["record"]["eventVersion"], rec["eventVersion"]):
        errors.append(f"{name}.eventVersion: {rec['eventVersion']}")
    identity = SHAPES["identity"].get(rec["userIdentity"].get("type"))
    if identity is None:
        errors.append(f"{name}.userIdentity.type: {rec['userIdentity'].get('type')}")
    else:
        errors += check(identity, rec["userIdentity"], f"{name}.userIdentity")
    for key in ("eventSource", "awsRegion", "eventType"):
        if key in spec and rec[key] != spec[key]:
            errors.append(f"{name}.{key}: expected {spec[key]}, got {rec[key]}")
    if rec["readOnly"] is not spec["readOnly"]:
        errors.append(f"{name}.readOnly: expected {spec['readOnly']}")
    for key in ("requestParameters", "responseElements", "additionalEventData", "resources"):
        if key in spec:
            errors += check(spec[key], rec.get(key), f"{name}.{key}")
    absent = list(spec.get("absent", []))
    if rec["eventType"] == "AwsApiCall":
        errors += check(SHAPES["record"]["api_call"], rec, name)
    if "when_failed" in spec:
        failed = (rec.get("responseElements") or {}).get(name) == "Failure"
        errors += check(spec["when_failed" if failed else "when_succeeded"], rec, name)
        absent += spec["when_failed_absent"] if failed else []
    for path in absent:
        if _get(rec, path) is not None:
            errors.append(f"{name}.{path}: should not be there")
    return errors


def test_every_event_a_detonation_uses_has_a_documented_shape(run: dict[str, Any]) -> None:
    names = {r["eventName"] for r in detonation_records(run)}
    declared = {e for t in load_all() if not t.not_emulated for e in t.events}
    assert names == declared
    assert names <= set(SHAPES["events"]), sorted(names - set(SHAPES["events"]))


def test_detonation_records_have_the_shape_aws_writes(run: dict[str, Any]) -> None:
    records = detonation_records(run)
    assert len(records) >= 50
    errors = sorted({e for rec in records if "errorCode" not in rec for e in record_errors(rec)})
    assert errors == [], "\n".join(errors)
