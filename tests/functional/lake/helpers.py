"""Writing CloudTrail delivery files, EventBridge events and flow logs for the ingest tests."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any


def record(
    n: int, account: str = "111111111111", region: str = "us-east-1", name: str = "DescribeInstances"
) -> dict[str, Any]:
    when = datetime(2024, 5, 1, tzinfo=UTC) + timedelta(seconds=n)
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "principalId": "AIDAEXAMPLE",
            "arn": f"arn:aws:iam::{account}:user/alice",
            "accountId": account,
            "accessKeyId": "AKIAEXAMPLE",
            "userName": "alice",
        },
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.1",
        "userAgent": "aws-cli/2",
        "requestParameters": {
            "filterSet": {"items": [{"name": "n", "valueSet": {"items": [{"value": str(n)}]}}]}
        },
        "responseElements": None,
        "requestID": str(uuid.UUID(int=n + 10**6)),
        "eventID": str(uuid.UUID(int=n)),
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
    }


def delivery_file(
    root: Path, records: list[dict[str, Any]], name: str, account: str = "111111111111"
) -> Path:
    path = root / "AWSLogs" / account / "CloudTrail" / "us-east-1" / "2024" / "05" / "01" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps({"Records": records}, separators=(",", ":")).encode()))
    return path


def envelope(rec: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws." + rec["eventSource"].split(".")[0],
        "account": rec["recipientAccountId"],
        "time": rec["eventTime"],
        "region": rec["awsRegion"],
        "resources": [],
        "detail": rec,
    }


def many_files(root: Path, files: int, per_file: int, start: int = 0) -> int:
    for f in range(files):
        first = start + f * per_file
        recs = [record(first + i) for i in range(per_file)]
        delivery_file(root, recs, f"111111111111_CloudTrail_us-east-1_20240501T{f:04d}Z_{f:016X}.json.gz")
    return files * per_file
