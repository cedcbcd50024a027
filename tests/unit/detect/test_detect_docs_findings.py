"""docs/detect.md lists every detection as the registry declares it; findings are OCSF Detection
Findings and are written to the lake's findings table once."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from secpillar.detect import load_all
from secpillar.detect.docs import render
from secpillar.detect.findings import FINDINGS_SCHEMA, to_ocsf, write_findings
from secpillar.detect.runner import Alert
from secpillar.model import Severity

DOC = Path(__file__).parent.parent.parent.parent / "docs" / "detect.md"


def test_doc_table_matches_registry() -> None:
    page = DOC.read_text(encoding="utf-8")
    assert render(page) == page, "docs/detect.md is stale: run `python -m secpillar.detect.docs`"
    for det in load_all():
        assert f"`{det.id}`" in page


def alert(event_ids: tuple[str, ...] = ("e1", "e2")) -> Alert:
    t = datetime(2024, 5, 1, 10, tzinfo=UTC)
    return Alert(
        detection_id="ct.console-brute-force-ip",
        title="Console brute force",
        severity=Severity.MEDIUM,
        source="cloudtrail",
        guardduty=None,
        attack=("T1110.001",),
        tactic="Credential Access",
        wa=("SEC02-BP01",),
        event_ids=event_ids,
        principal="arn:aws:iam::111111111111:user/alice",
        source_ip="198.51.100.66",
        account="111111111111",
        region="us-east-1",
        first_seen=t,
        last_seen=t,
        count=len(event_ids),
        resource=None,
        detail="2 distinct failed sign-ins in the burst",
    )


def test_ocsf_detection_finding_fields() -> None:
    f = to_ocsf(alert())
    assert f["class_uid"] == 2004 and f["type_uid"] == 200401 and f["severity_id"] == 3
    assert f["event_ids"] == ["e1", "e2"] and f["count"] == 2
    assert f["finding_type"] == "ct.console-brute-force-ip"
    assert f["attack"] == {"tactic": "Credential Access", "techniques": ["T1110.001"]}
    assert f["finding_info"]["attacks"][0]["technique"]["uid"] == "T1110.001"
    assert f["src_endpoint"]["ip"] == "198.51.100.66" and f["first_seen"] == "2024-05-01T10:00:00Z"


def test_findings_written_once(tmp_path: Path) -> None:
    path, n = write_findings(tmp_path, [alert(), alert(("e3",))])
    assert path is not None and n == 2
    table = pq.read_table(path)
    assert table.schema.equals(FINDINGS_SCHEMA)
    assert sorted(map(tuple, table.column("event_ids").to_pylist())) == [("e1", "e2"), ("e3",)]
    again, n2 = write_findings(tmp_path, [alert(), alert(("e4",))])
    assert n2 == 1 and again is not None
    assert len(list((tmp_path / "findings").glob("*.parquet"))) == 2
    assert not list((tmp_path / "findings").glob(".*"))
