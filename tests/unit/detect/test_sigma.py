"""Sigma rules (SigmaHQ format, aws/cloudtrail) converted to SQL over the lake and run on events;
rules that cannot be converted are listed with the reason."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlglot
from sigma.collection import SigmaCollection
from sqlglot.errors import ErrorLevel
from tests.unit.detect.cases import expand_event
from tests.unit.detect.lakeutil import connect, write_lake

from secpillar.detect.runner import run_detections
from secpillar.detect.sigma import Unconvertible, field_sql, load_sigma, rule_to_detection

FIXTURES = Path(__file__).parent.parent.parent / "fixtures" / "detect"
RULES, SKIPPED = load_sigma(FIXTURES / "sigma")
BY_TITLE = {d.title: d for d in RULES}


def fired(title: str, events: list[dict[str, object]], tmp_path: Path) -> list[tuple[str, ...]]:
    write_lake(tmp_path, [expand_event(e, i) for i, e in enumerate(events)])
    result = run_detections(connect(tmp_path), [BY_TITLE[title]])
    assert not result.errors, result.errors
    assert all(a.source == "sigma" for a in result.alerts)
    return [a.event_ids for a in result.alerts]


def test_every_good_rule_converts_and_transpiles() -> None:
    assert len(RULES) == 5 and not SKIPPED, SKIPPED
    for det in RULES:
        assert det.id.startswith("sigma.0c4d2c7e")
        assert det.attack and det.tactic != "Unknown"
        sqlglot.transpile(det.render(), read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)


def test_bad_rules_are_listed_with_their_reason() -> None:
    dets, skipped = load_sigma(FIXTURES / "sigma_bad")
    assert dets == []
    reasons = {s.rule: s.reason for s in skipped}
    assert "pipe" in reasons["Many Secret Reads (aggregation pipe)"]
    assert "keyword" in reasons["Keyword Search"]
    assert "tlsDetails.tlsVersion" in reasons["Unknown Field"]
    assert "not aws/cloudtrail" in reasons["Windows Process"]
    assert "cannot be read" in reasons["broken"]


def test_list_values_and_null_and_not(tmp_path: Path) -> None:
    events = [
        {"id": "stop", "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"},
        {"id": "del", "eventSource": "cloudtrail.amazonaws.com", "eventName": "deletetrail"},
        {"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "errorCode": "AccessDenied"},
        {
            "eventSource": "cloudtrail.amazonaws.com",
            "eventName": "UpdateTrail",
            "userAgent": "cloudformation.amazonaws.com",
        },
        {"eventSource": "cloudtrail.amazonaws.com", "eventName": "StartLogging"},
    ]
    assert sorted(fired("CloudTrail Trail Tampering", events, tmp_path)) == [("del",), ("stop",)]


def test_one_of_filters_and_endswith(tmp_path: Path) -> None:
    events = [
        {"as": "root", "id": "r", "eventSource": "iam.amazonaws.com", "eventName": "CreateUser"},
        {
            "as": "root",
            "eventSource": "kms.amazonaws.com",
            "eventName": "RotateKey",
            "eventType": "AwsServiceEvent",
        },
        {"as": "alice", "eventSource": "iam.amazonaws.com", "eventName": "CreateUser"},
    ]
    assert fired("Root User Activity Outside AWS Services", events, tmp_path) == [("r",)]


def test_nested_request_parameters_and_selection_wildcards(tmp_path: Path) -> None:
    cfg = {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }

    def put(event_id: str, **changes: bool) -> dict[str, object]:
        params = {"bucketName": "b", "PublicAccessBlockConfiguration": {**cfg, **changes}}
        call = {"eventSource": "s3.amazonaws.com", "eventName": "PutBucketPublicAccessBlock"}
        return {"id": event_id, **call, "requestParameters": params}

    events = [put("acls", BlockPublicAcls=False), put("pol", BlockPublicPolicy=False), put("none")]
    assert sorted(fired("S3 Public Access Block Loosened", events, tmp_path)) == [("acls",), ("pol",)]


def test_regex_contains_all_and_cidr(tmp_path: Path) -> None:
    ua = "aws-cli/2.15.0 Python/3.11.6 Linux/6.1"
    events = [
        {
            "as": "instance",
            "id": "out",
            "sourceIPAddress": "198.51.100.9",
            "userAgent": ua,
            "eventName": "ListBuckets",
        },
        {"as": "instance", "sourceIPAddress": "10.1.2.3", "userAgent": ua, "eventName": "ListBuckets"},
        {"as": "instance", "sourceIPAddress": "172.20.0.1", "userAgent": ua, "eventName": "ListBuckets"},
        {
            "as": "instance",
            "sourceIPAddress": "198.51.100.9",
            "userAgent": "Boto3/1.34 Python/3.11",
            "eventName": "X",
        },
        {"as": "role", "sourceIPAddress": "198.51.100.9", "userAgent": ua, "eventName": "ListBuckets"},
    ]
    title = "Instance Role Session Used by a Command-line Client From a Foreign Network"
    assert fired(title, events, tmp_path) == [("out",)]


def test_field_reference(tmp_path: Path) -> None:
    events = [
        {
            "id": "other",
            "eventSource": "iam.amazonaws.com",
            "eventName": "CreateAccessKey",
            "requestParameters": {"userName": "bob"},
        },
        {
            "eventSource": "iam.amazonaws.com",
            "eventName": "CreateAccessKey",
            "requestParameters": {"userName": "alice"},
        },
    ]
    assert fired("Access Key Created For Another User", events, tmp_path) == [("other",)]


def test_field_mapping() -> None:
    assert field_sql("eventName") == "eventname"
    assert field_sql("userIdentity.sessionContext.sessionIssuer.userName") == (
        "useridentity.sessioncontext.sessionissuer.username"
    )
    assert (
        field_sql("requestParameters.x-amz-acl")
        == "json_extract_string(requestparameters, '$.\"x-amz-acl\"')"
    )
    with pytest.raises(Unconvertible):
        field_sql("userIdentity.nosuch")


def test_ipv6_cidr_is_refused() -> None:
    text = """
title: v6
logsource: {product: aws, service: cloudtrail}
detection:
  sel:
    sourceIPAddress|cidr: 2001:db8::/32
  condition: sel
"""
    rule = SigmaCollection.from_yaml(text).rules[0]
    with pytest.raises(Unconvertible, match="IPv6"):
        rule_to_detection(rule, "v6.yml")
