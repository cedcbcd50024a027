"""KMS transforms on responses recorded from moto (tests/fixtures/responses/kms)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.kms import is_customer_managed, rotation_applies, transform_key

RECORDED = json.loads(
    (Path(__file__).parent.parent / "fixtures" / "responses" / "kms" / "keys.json").read_text()
)


def key(description: str) -> dict[str, Any]:
    for calls in RECORDED["keys"].values():
        if calls["describe_key"]["KeyMetadata"]["Description"] == description:
            return dict(calls)
    raise KeyError(description)


def aliases_of(key_id: str) -> list[str]:
    return [a["AliasName"] for a in RECORDED["list_aliases"]["Aliases"] if a.get("TargetKeyId") == key_id]


def test_symmetric_key_with_rotation() -> None:
    calls = key("app data")
    meta = calls["describe_key"]["KeyMetadata"]
    assert rotation_applies(meta)
    r = transform_key(
        meta,
        calls["get_key_rotation_status"],
        calls["get_key_policy"],
        calls["list_resource_tags"]["Tags"],
        aliases_of(meta["KeyId"]),
    )
    assert r.resource_type == "AWS::KMS::Key"
    assert r.arn == meta["Arn"] and r.resource_id == meta["KeyId"]
    assert (r.account_id, r.region, r.name) == ("123456789012", "us-east-1", "app-data")
    cfg = r.configuration
    assert cfg["keyManager"] == "CUSTOMER" and cfg["keySpec"] == "SYMMETRIC_DEFAULT"
    assert cfg["keyRotationEnabled"] is True
    assert cfg["aliases"] == ["alias/app-data"]
    assert isinstance(cfg["creationDate"], str)
    policy = r.supplementary["KeyPolicy"]["policyText"]
    assert policy["Statement"][0]["Action"] == "kms:*"
    assert r.tags == {"DataClassification": "Confidential"}


def test_rotation_not_applicable_is_left_out() -> None:
    signing = key("signing")["describe_key"]["KeyMetadata"]
    doomed = key("doomed")["describe_key"]["KeyMetadata"]
    assert not rotation_applies(signing)
    assert doomed["KeyState"] == "PendingDeletion" and not rotation_applies(doomed)
    r = transform_key(signing, None, key("signing")["get_key_policy"], [])
    assert "keyRotationEnabled" not in r.configuration
    assert r.name == signing["KeyId"]


def test_failed_calls_are_unknown() -> None:
    meta = key("app data")["describe_key"]["KeyMetadata"]
    r = transform_key(meta, None, None, None)
    assert "keyRotationEnabled" not in r.configuration
    assert "KeyPolicy" not in r.supplementary
    assert r.supplementary["TagsUnknown"] is True
    bad = transform_key(meta, None, {"Policy": "{oops"}, [])
    assert "KeyPolicy" not in bad.supplementary


def test_aws_managed_keys_are_recognised() -> None:
    meta = key("app data")["describe_key"]["KeyMetadata"]
    assert is_customer_managed(meta, aliases_of(meta["KeyId"]))
    assert not is_customer_managed(meta, ["alias/aws/ebs"])
    assert not is_customer_managed({**meta, "KeyManager": "AWS"})
