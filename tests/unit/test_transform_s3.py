"""S3 transforms on responses recorded from moto (tests/fixtures/responses/s3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secpillar.collect.s3 import (
    NO_ENCRYPTION,
    NO_PAB,
    NO_POLICY,
    NO_TAGS,
    bucket_region,
    transform_account_pab,
    transform_bucket,
)
from secpillar.model import ACCOUNT_TYPE, GLOBAL

RESPONSES = Path(__file__).parent.parent / "fixtures" / "responses" / "s3"
ABSENT = NO_POLICY | NO_PAB | NO_ENCRYPTION | NO_TAGS
ACCOUNT = "123456789012"


def load(name: str) -> Any:
    return json.loads((RESPONSES / name).read_text())


def as_call(response: dict[str, Any]) -> dict[str, Any] | None:
    """What ``ctx.call`` returns for a recorded response: {} for an absent code, None for errors."""
    if "__error__" in response:
        return {} if response["__error__"] in ABSENT else None
    return response


def bucket(name: str, **overrides: Any) -> Any:
    raw = {k: as_call(v) for k, v in load(f"{name}.json").items()}
    raw.update(overrides)
    listed = next(b for b in load("list_buckets.json")["Buckets"] if b["Name"] == name)
    return transform_bucket(listed, bucket_region(raw["location"]) or "?", ACCOUNT, raw)


def test_hardened_bucket() -> None:
    r = bucket("fixture-hardened")
    assert r.resource_type == "AWS::S3::Bucket"
    assert r.arn == "arn:aws:s3:::fixture-hardened"
    assert (r.resource_id, r.name, r.region, r.account_id) == (
        "fixture-hardened",
        "fixture-hardened",
        "us-east-1",
        ACCOUNT,
    )
    assert r.configuration["name"] == "fixture-hardened"
    assert r.configuration["creationDate"].startswith("2026-")
    sup = r.supplementary
    stmt = sup["BucketPolicy"]["policyText"]["Statement"][0]
    assert stmt["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert sup["PublicAccessBlockConfiguration"] == {
        "blockPublicAcls": True,
        "ignorePublicAcls": True,
        "blockPublicPolicy": True,
        "restrictPublicBuckets": True,
    }
    rule = sup["ServerSideEncryptionConfiguration"]["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert rule["bucketKeyEnabled"] is True
    assert sup["BucketVersioningConfiguration"] == {"status": "Enabled", "isMfaDeleteEnabled": None}
    assert sup["BucketLoggingConfiguration"] == {
        "destinationBucketName": "fixture-logs",
        "logFilePrefix": "hardened/",
    }
    assert sup["AccessControlList"]["grants"][0]["permission"] == "FULL_CONTROL"
    assert r.tags == {"DataClassification": "Confidential"}
    assert "TagsUnknown" not in sup


def test_bare_bucket_missing_configurations_are_none() -> None:
    r = bucket("fixture-bare")
    sup = r.supplementary
    assert sup["BucketPolicy"] == {"policyText": None}
    assert sup["PublicAccessBlockConfiguration"] is None
    assert sup["ServerSideEncryptionConfiguration"] is None
    assert sup["BucketLoggingConfiguration"] is None
    assert sup["BucketVersioningConfiguration"] == {"status": "Off", "isMfaDeleteEnabled": None}
    grantees = [g["grantee"] for g in sup["AccessControlList"]["grants"]]
    assert {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"} in grantees
    assert r.tags == {}
    assert "TagsUnknown" not in sup


def test_failed_calls_leave_keys_out() -> None:
    r = bucket("fixture-bare", policy=None, acl=None, encryption=None, logging=None, tagging=None)
    for key in ("BucketPolicy", "AccessControlList", "ServerSideEncryptionConfiguration"):
        assert key not in r.supplementary
    assert "BucketLoggingConfiguration" not in r.supplementary
    assert r.supplementary["TagsUnknown"] is True
    assert "PublicAccessBlockConfiguration" in r.supplementary


def test_unparsable_policy_is_unknown() -> None:
    r = bucket("fixture-bare", policy={"Policy": "{not json"})
    assert "BucketPolicy" not in r.supplementary


def test_partition_aware_arn() -> None:
    listed = {"Name": "cn-bucket"}
    r = transform_bucket(listed, "cn-north-1", ACCOUNT, {}, partition="aws-cn")
    assert r.arn == "arn:aws-cn:s3:::cn-bucket"
    assert r.supplementary == {"TagsUnknown": True}


@pytest.mark.parametrize(
    ("location", "region"),
    [
        ({"LocationConstraint": None}, "us-east-1"),
        ({"LocationConstraint": "EU"}, "eu-west-1"),
        ({"LocationConstraint": "eu-central-1"}, "eu-central-1"),
        (None, None),
    ],
)
def test_bucket_region(location: dict[str, Any] | None, region: str | None) -> None:
    assert bucket_region(location) == region


def test_account_public_access_block() -> None:
    recorded = load("account_public_access_block.json")
    none = transform_account_pab(ACCOUNT, "prod", as_call(recorded["none"]) or {})
    assert none.resource_type == ACCOUNT_TYPE
    assert none.arn == f"arn:aws:iam::{ACCOUNT}:root"
    assert none.region == GLOBAL
    assert none.configuration == {"accountId": ACCOUNT}
    assert none.supplementary == {"S3AccountPublicAccessBlock": None}
    partial = transform_account_pab(ACCOUNT, "prod", recorded["partial"])
    assert partial.supplementary["S3AccountPublicAccessBlock"] == {
        "blockPublicAcls": True,
        "blockPublicPolicy": False,
        "ignorePublicAcls": True,
        "restrictPublicBuckets": False,
    }
