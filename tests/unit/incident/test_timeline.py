"""Timelines from the lake (Athena CloudTrail columns, detection findings) and the change store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.unit.incident.conftest import BUCKET_ARN, MALLORY

from secpillar.errors import UsageError
from secpillar.incident.timeline import Scope, build_timeline, parse_since, resource_names
from secpillar.respond.changes import ChangeStore


def _kinds(items: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(i["kind"], i.get("event_name") or i["outcome"]) for i in items]


def test_principal_scope_merges_calls_alerts_and_actions_in_order(lake: Path, store: ChangeStore) -> None:
    tl = build_timeline(Scope(principals=(MALLORY,), since="2026-11-28T00:00:00Z"), lake, store)
    assert [i["kind"] for i in tl.items] == [
        "api-call",
        "api-call",
        "api-call",
        "alert",
        "api-call",
        "action",
    ]
    assert [i["time"] for i in tl.items[:3]] == [
        "2026-11-28T10:00:00Z",
        "2026-11-28T10:01:00Z",
        "2026-11-28T10:02:00Z",
    ]
    assert tl.items[4]["outcome"] == "AccessDenied"
    assert tl.items[-1]["outcome"] == "applied" and tl.items[-1]["ref"] == "chg-00000000000000000001"
    assert tl.sources == {"cloudtrail": 4, "findings": 1, "actions": 1}
    assert all(i["actor"] != "arn:aws:iam::123456789012:user/bob" for i in tl.items)


def test_since_drops_earlier_calls(lake: Path, store: ChangeStore) -> None:
    everything = build_timeline(Scope(principals=(MALLORY,)), lake, store)
    assert len(everything.items) == 7  # the call of the day before is in
    assert everything.items[0]["time"] == "2026-11-27T09:00:00Z"


def test_ip_scope_and_resource_scope(lake: Path, store: ChangeStore) -> None:
    by_ip = build_timeline(Scope(ips=("198.51.100.7",)), lake, store)
    assert [(i["kind"], i["target"]) for i in by_ip.items] == [("api-call", "other")]
    by_bucket = build_timeline(Scope(resources=(BUCKET_ARN,)), lake, store)
    assert _kinds(by_bucket.items) == [
        ("api-call", "GetBucketPolicy"),
        ("api-call", "PutBucketPolicy"),
        ("alert", "high (1 event(s))"),
        ("api-call", "DeleteBucket"),
        ("action", "applied"),
    ]


def test_lake_and_store_are_optional_but_scope_is_not(lake: Path) -> None:
    assert build_timeline(Scope(principals=(MALLORY,)), None, None).items == []
    assert build_timeline(Scope(principals=(MALLORY,)), lake, None).sources == {
        "cloudtrail": 5,
        "findings": 1,
    }
    with pytest.raises(UsageError, match="at least one"):
        build_timeline(Scope(), lake, None)


def test_parse_since_and_resource_names() -> None:
    now = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert parse_since("24h", now) == "2026-11-27T12:00:00Z"
    assert parse_since("7d", now) == "2026-11-21T12:00:00Z"
    assert parse_since("2026-11-28", now) == "2026-11-28T00:00:00Z"
    assert parse_since("2026-11-28T10:00:00+02:00", now) == "2026-11-28T08:00:00Z"
    with pytest.raises(UsageError):
        parse_since("yesterday", now)
    assert resource_names("arn:aws:s3:::payroll") == ["arn:aws:s3:::payroll", "payroll"]
    assert resource_names("arn:aws:ec2:us-east-1:1:security-group/sg-1")[-1] == "sg-1"
    assert resource_names("arn:aws:iam::1:user/path/alice")[-1] == "alice"
