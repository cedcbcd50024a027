"""History: new / resolved / still-open findings between two scans (matched by finding_id), and
history.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.report.conftest import finding

from secpillar.errors import UsageError
from secpillar.model import Severity, Status
from secpillar.report.compare import (
    compare,
    extend_history,
    load_findings,
    previous_history,
    run_summary,
)


def test_new_resolved_open() -> None:
    before = [
        finding("aws.a.one", Status.FAIL, arn="arn:aws:s3:::stays"),  # FAIL -> FAIL: open
        finding("aws.a.one", Status.FAIL, arn="arn:aws:s3:::fixed"),  # FAIL -> PASS: resolved
        finding("aws.a.one", Status.FAIL, arn="arn:aws:s3:::deleted"),  # FAIL -> gone: resolved
        finding("aws.a.one", Status.FAIL, arn="arn:aws:s3:::muted"),  # FAIL -> MUTED: resolved
        finding("aws.a.one", Status.PASS, arn="arn:aws:s3:::broke"),  # PASS -> FAIL: new
        finding("aws.a.one", Status.PASS, arn="arn:aws:s3:::fine"),  # PASS -> PASS: nothing
    ]
    after = [
        finding("aws.a.one", Status.FAIL, arn="arn:aws:s3:::stays"),
        finding("aws.a.one", Status.PASS, arn="arn:aws:s3:::fixed"),
        finding("aws.a.one", Status.MUTED, arn="arn:aws:s3:::muted"),
        finding("aws.a.one", Status.FAIL, arn="arn:aws:s3:::broke"),
        finding("aws.a.one", Status.PASS, arn="arn:aws:s3:::fine"),
        finding("aws.a.two", Status.FAIL, Severity.CRITICAL, arn="arn:aws:s3:::stays"),  # new check: new
    ]
    c = compare(before, after, {"started": "t0"}, {"started": "t1"})
    arns = {
        k: [(ch.finding.check_id, ch.finding.resource.arn) for ch in v]
        for k, v in (("new", c.new), ("resolved", c.resolved), ("open", c.open))
    }
    assert arns["new"] == [("aws.a.two", "arn:aws:s3:::stays"), ("aws.a.one", "arn:aws:s3:::broke")]
    assert sorted(a for _, a in arns["resolved"]) == [
        "arn:aws:s3:::deleted",
        "arn:aws:s3:::fixed",
        "arn:aws:s3:::muted",
    ]
    assert arns["open"] == [("aws.a.one", "arn:aws:s3:::stays")]
    assert c.counts == {"new": 2, "resolved": 3, "open": 1}
    gone = next(ch for ch in c.resolved if ch.finding.resource.arn.endswith("deleted"))
    assert (gone.previous_status, gone.status) == ("FAIL", None)
    d = c.to_dict()
    assert d["previous"] == {"started": "t0"} and d["new"][1]["previous_status"] == "PASS"


def test_history_summary_and_limit() -> None:
    fs = [finding("aws.a.one", Status.FAIL), finding("aws.a.one", Status.PASS, arn="arn:aws:s3:::b")]
    entry = run_summary(fs, {"started": "2025-06-01T00:00:00"})
    assert entry["status"]["FAIL"] == 1 and entry["failing_by_severity"]["high"] == 1
    hist = [{"started": f"2025-05-{i:02d}"} for i in range(1, 6)]
    assert (
        extend_history(hist, entry, limit=3)[-1] is entry and len(extend_history(hist, entry, limit=3)) == 3
    )
    # The same run written twice (same start time) is one entry.
    assert len(extend_history([entry], dict(entry))) == 1


def test_previous_folder(tmp_path: Path) -> None:
    fs = [finding("aws.a.one", Status.FAIL)]
    (tmp_path / "findings.json").write_text(json.dumps([f.to_dict() for f in fs]))
    (tmp_path / "inventory.json").write_text(json.dumps({"scan": {"started": "2025-05-01T00:00:00"}}))
    assert [f.finding_id for f in load_findings(tmp_path)] == [fs[0].finding_id]
    # A folder from a scan without history.json: one entry made from its findings.
    hist = previous_history(tmp_path)
    assert len(hist) == 1 and hist[0]["started"] == "2025-05-01T00:00:00" and hist[0]["status"]["FAIL"] == 1
    (tmp_path / "history.json").write_text(json.dumps([{"started": "a"}, {"started": "b"}]))
    assert [h["started"] for h in previous_history(tmp_path)] == ["a", "b"]


@pytest.mark.parametrize(
    ("content", "error"),
    [
        ("{not json", "is not valid JSON"),
        ('{"a": 1}', "expected a JSON array"),
        ('[{"check_id": "x"}]', "finding 0 is not a secpillar finding"),
    ],
)
def test_bad_previous_findings(tmp_path: Path, content: str, error: str) -> None:
    (tmp_path / "findings.json").write_text(content)
    with pytest.raises(UsageError, match=error):
        load_findings(tmp_path)
    with pytest.raises(UsageError, match="cannot read previous findings"):
        load_findings(tmp_path / "nowhere")
