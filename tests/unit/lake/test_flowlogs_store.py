"""VPC flow log parsing (AWS's documented version-2 examples) and the lake's location rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from secpillar.lake import flowlogs
from secpillar.lake.store import LAKE_ENV, connect, resolve_lake

# "Flow log record examples", Amazon VPC User Guide: an accepted SSH flow and a NODATA record.
SAMPLE = b"\n".join(
    [
        b"version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end "
        b"action log-status",
        b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 "
        b"1418530010 1418530070 ACCEPT OK",
        b"2 123456789010 eni-1235b8ca123456789 172.31.9.69 172.31.9.12 49761 3389 6 20 4249 "
        b"1418530010 1418530070 REJECT OK",
        b"2 123456789010 eni-1235b8ca123456789 - - - - - - - 1431280876 1431280934 - NODATA",
        b"",
    ]
)


def test_flow_log_v2() -> None:
    table = flowlogs.parse(SAMPLE, "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/x.log.gz")
    rows = table.to_pylist()
    assert rows[0]["dstport"] == 22 and rows[0]["action"] == "ACCEPT" and rows[0]["bytes"] == 4249
    assert rows[1]["action"] == "REJECT" and rows[1]["dstport"] == 3389
    assert rows[2]["srcaddr"] is None and rows[2]["log_status"] == "NODATA"
    assert {(r["account"], r["region"]) for r in rows} == {("123456789010", "us-east-1")}
    assert [r["date"] for r in rows] == ["2014-12-14", "2014-12-14", "2015-05-10"]


def test_custom_format_is_refused() -> None:
    with pytest.raises(flowlogs.FlowLogError):
        flowlogs.parse(b"version vpc-id srcaddr\n5 vpc-1 10.0.0.1\n")


def test_lake_location_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(LAKE_ENV, raising=False)
    assert resolve_lake() == tmp_path / ".secpillar" / "lake"
    monkeypatch.setenv(LAKE_ENV, str(tmp_path / "env-lake"))
    assert resolve_lake() == tmp_path / "env-lake"
    assert resolve_lake(tmp_path / "flag") == tmp_path / "flag"


def test_empty_lake_has_typed_views(tmp_path: Path) -> None:
    con = connect(tmp_path / "nothing-yet")
    for view in ("cloudtrail", "flowlogs", "findings"):
        assert con.execute(f"SELECT count(*) FROM {view}").fetchone() == (0,)
    cols = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE cloudtrail)").fetchall())
    assert cols["readonly"] == "VARCHAR" and cols["useridentity"].startswith("STRUCT(")
    # a detection-style query binds against the empty views
    con.execute("SELECT useridentity.sessioncontext.sessionissuer.arn FROM cloudtrail").fetchall()
