"""Last known good bucket policy from the lake's CloudTrail history (the Athena table's columns):
the policy the last successful PutBucketPolicy of that bucket set before the event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.lake.testing import write_lake
from secpillar.respond.history import prior_bucket_policy


def _record(name: str, bucket: str, at: str, policy: Any = None, error: str | None = None) -> dict[str, Any]:
    rp: dict[str, Any] = {"bucketName": bucket}
    if policy is not None:
        rp["bucketPolicy"] = policy
    rec = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/admin"},
        "eventTime": at,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "requestParameters": rp,
        "eventID": f"{name}-{bucket}-{at}",
        "recipientAccountId": "123456789012",
    }
    if error:
        rec["errorCode"] = error
    return rec


GOOD = {"Version": "2012-10-17", "Statement": [{"Sid": "Owner", "Effect": "Allow"}]}
BAD = {"Version": "2012-10-17", "Statement": [{"Sid": "Public", "Effect": "Allow", "Principal": "*"}]}


def _event(at: str, bucket: str = "data") -> dict[str, Any]:
    return {"detail": {"eventTime": at, "eventID": f"PutBucketPolicy-{bucket}-{at}"}, "time": at}


def test_policy_before_the_event(tmp_path: Path) -> None:
    write_lake(
        tmp_path,
        [
            _record("PutBucketPolicy", "data", "2026-11-28T10:00:00Z", GOOD),
            _record("PutBucketPolicy", "data", "2026-11-28T10:30:00Z", BAD, error="AccessDenied"),  # failed
            _record("PutBucketPolicy", "other", "2026-11-28T10:40:00Z", BAD),  # another bucket
            _record("PutBucketPolicy", "data", "2026-11-28T11:00:00Z", BAD),  # the offending event
        ],
    )
    found = prior_bucket_policy(tmp_path, "data", _event("2026-11-28T11:00:00Z"))
    assert found is not None and json.loads(found[0] or "") == GOOD
    assert found[1].startswith("2026-11-28T10:00")


def test_deleted_policy_and_no_history(tmp_path: Path) -> None:
    write_lake(
        tmp_path,
        [
            _record("PutBucketPolicy", "data", "2026-11-28T09:00:00Z", GOOD),
            _record("DeleteBucketPolicy", "data", "2026-11-28T10:00:00Z"),
        ],
    )
    assert prior_bucket_policy(tmp_path, "data", _event("2026-11-28T11:00:00Z")) == (
        None,
        "2026-11-28T10:00:00Z",
    )
    assert prior_bucket_policy(tmp_path, "data", _event("2026-11-28T08:00:00Z")) is None
    assert prior_bucket_policy(tmp_path / "empty", "data", _event("2026-11-28T11:00:00Z")) is None
