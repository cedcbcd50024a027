from __future__ import annotations

import json

import pytest

from secpillar.model import (
    ACCOUNT_TYPE,
    Account,
    Finding,
    FindingResource,
    Gap,
    GapKind,
    Inventory,
    Resource,
    Severity,
    Status,
    account_arn,
)
from secpillar.model.finding import finding_id


def bucket(name: str, account: str = "111111111111") -> Resource:
    return Resource(
        resource_type="AWS::S3::Bucket",
        resource_id=name,
        arn=f"arn:aws:s3:::{name}",
        account_id=account,
        region="us-east-1",
        name=name,
        configuration={"name": name},
        supplementary={"BucketPolicy": {"policyText": None}},
        tags={"DataClassification": "Internal"},
    )


def test_severity_orders_and_parses() -> None:
    assert Severity.CRITICAL > Severity.HIGH > Severity.MEDIUM > Severity.LOW > Severity.INFORMATIONAL
    assert Severity.parse(" High ") is Severity.HIGH
    assert Severity.CRITICAL.ocsf_id == 5 and Severity.INFORMATIONAL.ocsf_id == 1
    with pytest.raises(ValueError, match="expected one of"):
        Severity.parse("urgent")


def test_resource_round_trips_in_config_item_shape() -> None:
    r = bucket("b1")
    d = r.to_dict()
    assert d["resourceType"] == "AWS::S3::Bucket" and d["awsRegion"] == "us-east-1"
    assert d["supplementaryConfiguration"]["BucketPolicy"] == {"policyText": None}
    assert Resource.from_dict(json.loads(json.dumps(d))) == r


def test_inventory_indexes_and_round_trips() -> None:
    inv = Inventory(
        resources=[bucket("a"), bucket("b", "222222222222")],
        gaps=[
            Gap(
                GapKind.DENIED, "222222222222", "us-east-1", "s3", "GetBucketPolicy", "denied", "AccessDenied"
            )
        ],
        accounts={"111111111111": Account("111111111111", "PROD")},
    )
    assert len(inv) == 2
    assert inv.get("arn:aws:s3:::a") is not None
    assert [r.name for r in inv.by_account("222222222222")] == ["b"]
    assert inv.find("AWS::S3::Bucket", "b", account_id="111111111111") is None
    assert inv.account_name("111111111111") == "PROD" and inv.account_name("3") == "3"
    again = Inventory.from_dict(json.loads(json.dumps(inv.to_dict())))
    assert [r.arn for r in again] == [r.arn for r in inv]
    assert again.gaps == inv.gaps and again.accounts == inv.accounts


def test_finding_id_is_stable_and_specific() -> None:
    assert finding_id("aws.x.y", "arn:1") == finding_id("aws.x.y", "arn:1")
    assert finding_id("aws.x.y", "arn:1") != finding_id("aws.x.y", "arn:2")
    assert finding_id("aws.x.y", "arn:1") != finding_id("aws.x.z", "arn:1")


def test_finding_json_has_the_documented_fields() -> None:
    f = Finding(
        check_id="aws.iam.root-mfa-enabled",
        title="Root user has MFA",
        status=Status.FAIL,
        severity=Severity.CRITICAL,
        resource=FindingResource(account_arn("111111111111"), ACCOUNT_TYPE, "111111111111", "global", "PROD"),
        message="no MFA",
        wa=("SEC01-BP02",),
        frameworks={"aws-fsbp": ("IAM.9",)},
    )
    d = f.to_dict()
    for key in (
        "finding_id",
        "check_id",
        "title",
        "status",
        "severity",
        "resource",
        "source",
        "wa",
        "frameworks",
        "message",
        "evidence",
        "remediation",
    ):
        assert key in d
    assert d["class_uid"] == 2003 and d["severity_id"] == 5
    assert d["resource"]["account"] == "111111111111"
    assert Finding.from_dict(json.loads(json.dumps(d))) == f
