"""Helpers of the respond tests: CloudTrail-shaped EventBridge events and an action context."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from secpillar.aws.session import ClientFactory, base_session
from secpillar.respond.actions import ActionContext
from secpillar.respond.changes import ChangeStore

ACCOUNT = "123456789012"
REGION = "us-east-1"
MALLORY = {
    "type": "IAMUser",
    "principalId": "AIDAEXAMPLEMALLORY",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
    "accountId": ACCOUNT,
    "accessKeyId": "AKIAEXAMPLEMALLORY1",
    "userName": "mallory",
}


def api_call(
    source: str, name: str, params: dict[str, Any], identity: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """An 'AWS API Call via CloudTrail' event as EventBridge delivers it (AWS CloudTrail User Guide,
    CloudTrail record contents; EventBridge User Guide, events from AWS services)."""
    service = source.split(".", 1)[1]
    eid = str(uuid.uuid4())
    detail = {
        "eventVersion": "1.09",
        "userIdentity": identity or MALLORY,
        "eventTime": "2026-11-28T12:00:00Z",
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.15",
        "requestParameters": params,
        "responseElements": None,
        "eventID": eid,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
        **extra,
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": source,
        "account": ACCOUNT,
        "time": "2026-11-28T12:00:01Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def context(endpoint: str, state: Path) -> ActionContext:
    clients = ClientFactory(base_session(endpoint_url=endpoint), endpoint_url=endpoint)
    return ActionContext(store=ChangeStore(state).init(), clients=clients)


def bucket_policy(bucket: str, principal: str = f"arn:aws:iam::{ACCOUNT}:root") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Owner",
                    "Effect": "Allow",
                    "Principal": {"AWS": principal},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def public_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Public",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )
