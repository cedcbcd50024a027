"""A small incident: mallory makes a bucket public from 203.0.113.9; a detection alerts; the
responder restores the policy. CloudTrail records in the shape CloudTrail delivers them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from secpillar.detect.findings import write_findings
from secpillar.detect.runner import Alert
from secpillar.lake.testing import write_lake
from secpillar.model import Severity
from secpillar.respond.changes import Change, ChangeStore

ACCOUNT = "123456789012"
MALLORY = f"arn:aws:iam::{ACCOUNT}:user/mallory"
BUCKET_ARN = "arn:aws:s3:::payroll"


def record(
    name: str,
    at: str,
    params: dict[str, Any],
    *,
    arn: str = MALLORY,
    ip: str = "203.0.113.9",
    error: str | None = None,
    read_only: bool = False,
    eid: str = "",
) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "arn": arn,
            "accountId": ACCOUNT,
            "userName": arn.rsplit("/", 1)[-1],
        },
        "eventTime": at,
        "eventSource": "s3.amazonaws.com",
        "eventName": name,
        "awsRegion": "us-east-1",
        "sourceIPAddress": ip,
        "userAgent": "aws-cli/2",
        "requestParameters": params,
        "eventID": eid or f"{name}-{at}",
        "readOnly": read_only,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
    }
    if error:
        rec["errorCode"] = error
    return rec


RECORDS = [
    record("ListBuckets", "2026-11-28T10:00:00Z", {}, read_only=True),
    record("GetBucketPolicy", "2026-11-28T10:01:00Z", {"bucketName": "payroll"}, read_only=True),
    record("PutBucketPolicy", "2026-11-28T10:02:00Z", {"bucketName": "payroll"}, eid="evt-public"),
    record("DeleteBucket", "2026-11-28T10:03:00Z", {"bucketName": "payroll"}, error="AccessDenied"),
    # someone else, elsewhere, on another bucket: not in the incident
    record(
        "PutBucketPolicy",
        "2026-11-28T10:04:00Z",
        {"bucketName": "other"},
        arn=f"arn:aws:iam::{ACCOUNT}:user/bob",
        ip="198.51.100.7",
    ),
    # mallory before the window
    record("ListBuckets", "2026-11-27T09:00:00Z", {}, read_only=True),
]


def alert() -> Alert:
    t = datetime(2026, 11, 28, 10, 2, 30, tzinfo=UTC)
    return Alert(
        detection_id="aws.s3.bucket-made-public",
        title="S3 bucket policy made public",
        severity=Severity.HIGH,
        source="cloudtrail",
        guardduty=None,
        attack=("T1530",),
        tactic="collection",
        wa=("SEC03-BP07",),
        event_ids=("evt-public",),
        principal=MALLORY,
        source_ip="203.0.113.9",
        account=ACCOUNT,
        region="us-east-1",
        first_seen=t,
        last_seen=t,
        count=1,
        resource="payroll",
        detail="<script>alert(1)</script> | `x`",
    )


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    root = tmp_path / "lake"
    write_lake(root, RECORDS)
    write_findings(root, [alert()], detected_at=datetime(2026, 11, 28, 10, 3, tzinfo=UTC))
    return root


@pytest.fixture
def store(tmp_path: Path) -> ChangeStore:
    st = ChangeStore(tmp_path / "state").init()
    ch = Change(
        id="chg-00000000000000000001",
        action="s3.restore-bucket-policy",
        target={"account": ACCOUNT, "region": "us-east-1", "bucket": "payroll"},
        description="put back the known good bucket policy of bucket payroll",
        rule="bucket-policy-changed",
        event_id="evt-public",
        event={"actor": MALLORY, "source_ip": "203.0.113.9", "resources": []},
        mode="apply",
    )
    st.save(ch, "planned")
    st.save(ch, "applying")
    st.save(ch, "applied")
    return st
