"""CloudTrail transforms on responses recorded from moto (tests/fixtures/responses/cloudtrail)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.checks import CheckContext, load_all
from secpillar.collect.cloudtrail import arn_account, owned_trails, transform_account, transform_trail
from secpillar.model import Gap, GapKind, Inventory

FIX = Path(__file__).parent.parent / "fixtures" / "responses" / "cloudtrail"
ACCT = "123456789012"


def load(name: str) -> Any:
    return json.loads((FIX / f"{name}.json").read_text())


def trails() -> dict[str, dict[str, Any]]:
    return {t["Name"]: t for t in load("describe_trails")["trailList"]}


def test_trail_with_status_selectors_and_tags() -> None:
    trail = trails()["org-trail"]
    tags = {t["ResourceId"]: t["TagsList"] for t in load("list_tags")["ResourceTagList"]}
    r = transform_trail(
        trail,
        ACCT,
        "us-east-1",
        status=load("get_trail_status_logging"),
        selectors=load("get_event_selectors_default"),
        tags=tags[trail["TrailARN"]],
        bucket_in_trail_account=True,
    )
    assert r.resource_type == "AWS::CloudTrail::Trail"
    assert r.arn == r.resource_id == f"arn:aws:cloudtrail:us-east-1:{ACCT}:trail/org-trail"
    assert r.name == "org-trail" and r.region == "us-east-1" and r.account_id == ACCT
    cfg = r.configuration
    assert cfg["isMultiRegionTrail"] is True and cfg["logFileValidationEnabled"] is True
    assert cfg["s3BucketName"] == "central-trail-logs"
    assert cfg["kmsKeyId"].startswith("arn:aws:kms:")
    assert cfg["status"]["isLogging"] is True
    assert cfg["eventSelectors"] == [] and cfg["advancedEventSelectors"] == []
    assert cfg["s3BucketInTrailAccount"] is True
    assert r.tags == {"team": "security"}
    json.dumps(r.to_dict())  # plain JSON


def test_unknown_parts_are_left_out() -> None:
    r = transform_trail(trails()["local-trail"], ACCT, "us-east-1", status=None, selectors=None)
    assert "status" not in r.configuration and "eventSelectors" not in r.configuration
    assert "s3BucketInTrailAccount" not in r.configuration
    assert "kmsKeyId" not in r.configuration


def test_stopped_trail_and_write_only_selectors() -> None:
    r = transform_trail(
        trails()["local-trail"],
        ACCT,
        "us-east-1",
        status=load("get_trail_status_stopped"),
        selectors=load("get_event_selectors_write_only"),
    )
    assert r.configuration["status"]["isLogging"] is False
    assert r.configuration["eventSelectors"] == [
        {"includeManagementEvents": True, "readWriteType": "WriteOnly"}
    ]


def test_owned_trails_drop_other_accounts_and_regions() -> None:
    listed = load("describe_trails")["trailList"]
    other = dict(
        listed[0], TrailARN="arn:aws:cloudtrail:us-east-1:999999999999:trail/org", IsOrganizationTrail=True
    )
    shadow = dict(listed[1], HomeRegion="eu-west-1")
    kept = owned_trails([*listed, other, shadow], ACCT, "us-east-1")
    assert [t["Name"] for t in kept] == ["org-trail", "local-trail"]
    assert arn_account("arn:aws:cloudtrail:us-east-1:999999999999:trail/org") == "999999999999"
    assert arn_account("bogus") == ""


def test_account_pseudo_resource_shape() -> None:
    r = transform_account(ACCT, "PROD", "aws")
    assert (r.resource_type, r.resource_id, r.arn, r.region) == (
        "AWS::::Account",
        ACCT,
        f"arn:aws:iam::{ACCT}:root",
        "global",
    )
    assert r.configuration == {"accountId": ACCT} and not r.supplementary


def test_enabled_in_account_is_silent_when_cloudtrail_could_not_be_read() -> None:
    """No trail plus a CloudTrail gap in the account means unknown, not FAIL."""
    check = load_all().get("aws.cloudtrail.enabled-in-account")
    account = transform_account(ACCT, "PROD", "aws")
    gap = Gap(GapKind.DENIED, ACCT, "us-east-1", "cloudtrail", "DescribeTrails", "denied")
    assert list(check.evaluate(account, CheckContext(Inventory([account], gaps=[gap])))) == []
    results = list(check.evaluate(account, CheckContext(Inventory([account]))))
    assert [r.status.value for r in results] == ["FAIL"]
