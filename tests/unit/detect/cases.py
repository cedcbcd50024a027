"""Load the detection fixture cases (tests/fixtures/detect/*.yaml) and expand their events.

A case names a ``detection``, the AWS documentation its event shapes come from (``source``),
optional ``params``, the CloudTrail ``events`` (partial records merged onto a default record;
``as`` picks an identity, ``t`` is seconds after 2024-05-01T10:00:00Z, ``id`` the eventID) or
VPC ``flows``, and ``fire``: the list of alerts expected, each as the list of its event ids
(``[]`` = the detection must not fire; for flow detections, the number of alerts).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

CASES_DIR = Path(__file__).parent.parent.parent / "fixtures" / "detect"
T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)
ACCOUNT = "111111111111"

IDENTITIES: dict[str, dict[str, Any]] = {
    "alice": {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEALICE0001",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAEXAMPLEALICE0001",
        "userName": "alice",
    },
    "bob": {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEBOB00001",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAEXAMPLEBOB00001",
        "userName": "bob",
    },
    "root": {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEROOT0001",
    },
    "hidden": {
        "type": "IAMUser",
        "accountId": ACCOUNT,
        "accessKeyId": "",
        "userName": "HIDDEN_DUE_TO_SECURITY_REASONS",
    },
    "role": {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEDEPLOY01:deploy-session",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/deploy/deploy-session",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEDEPLOY01",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEDEPLOY01",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/deploy",
                "accountId": ACCOUNT,
                "userName": "deploy",
            },
            "attributes": {"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": "false"},
        },
    },
    "instance": {
        "type": "AssumedRole",
        "principalId": "AROAEXAMPLEWEBROLE1:i-0abc1234def567890",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/web/i-0abc1234def567890",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEINSTANCE1",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEWEBROLE1",
                "arn": f"arn:aws:iam::{ACCOUNT}:role/web",
                "accountId": ACCOUNT,
                "userName": "web",
            },
            "attributes": {"creationDate": "2024-05-01T09:00:00Z", "mfaAuthenticated": "false"},
            "ec2RoleDelivery": "2.0",
        },
    },
}


def expand_event(partial: dict[str, Any], index: int) -> dict[str, Any]:
    event = dict(partial)
    who = event.pop("as", "alice")
    t = event.pop("t", index * 10)
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": IDENTITIES[who],
        "eventTime": (T0 + timedelta(seconds=t)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "awsRegion": "us-east-1",
        "sourceIPAddress": "203.0.113.10",
        "userAgent": "aws-cli/2.15.0",
        "eventType": "AwsApiCall",
        "readOnly": False,
        "managementEvent": True,
        "recipientAccountId": ACCOUNT,
        "eventID": event.pop("id", f"e{index}"),
    }
    record.update(event)
    return record


def expand_flow(partial: dict[str, Any]) -> dict[str, Any]:
    flow: dict[str, Any] = {
        "version": 2,
        "account_id": ACCOUNT,
        "interface_id": "eni-0123456789abcdef0",
        "srcaddr": "198.51.100.7",
        "dstaddr": "10.0.1.20",
        "srcport": 50000,
        "dstport": 22,
        "protocol": 6,
        "packets": 10,
        "bytes": 840,
        "action": "ACCEPT",
        "log_status": "OK",
    }
    t = int(partial.pop("t", 0))
    flow.update(partial)
    flow["start"] = int(T0.timestamp()) + t
    flow["end"] = flow["start"] + 60
    return flow


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text()) or []):
            case["_where"] = f"{path.stem}#{i} {case['detection']}: {case.get('case', '')}"
            case["records"] = [expand_event(dict(e), j) for j, e in enumerate(case.get("events", []))]
            flows: list[dict[str, Any]] = []
            for f in case.get("flows", []):
                for k in range(int(f.pop("repeat", 1))):
                    g = dict(f)
                    g["t"] = int(g.get("t", 0)) + k * int(g.pop("every", 0))
                    g["srcport"] = int(g.get("srcport", 50000)) + (k if g.pop("vary_srcport", True) else 0)
                    g["dstport"] = int(g.get("dstport", 22)) + k * int(g.pop("dstport_step", 0))
                    flows.append(expand_flow(g))
            case["flow_rows"] = flows
            cases.append(case)
    return cases
