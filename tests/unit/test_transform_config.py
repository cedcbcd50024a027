"""AWS Config recorder transforms on responses recorded from moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.config import transform_recorders
from secpillar.model import account_region_resource

FIX = Path(__file__).parent.parent / "fixtures" / "responses" / "config"


def load(name: str) -> Any:
    return json.loads((FIX / f"{name}.json").read_text())


def test_recording_recorder() -> None:
    recs = transform_recorders(
        load("describe_configuration_recorders")["ConfigurationRecorders"],
        load("describe_configuration_recorder_status_recording")["ConfigurationRecordersStatus"],
    )
    assert len(recs) == 1
    rec = recs[0]
    assert rec["name"] == "default"
    assert rec["roleARN"].endswith("AWSServiceRoleForConfig")
    assert rec["recordingGroup"]["allSupported"] is True
    assert rec["status"]["recording"] is True and rec["status"]["lastStatus"] == "PENDING"


def test_stopped_recorder() -> None:
    recs = transform_recorders(
        load("describe_configuration_recorders")["ConfigurationRecorders"],
        load("describe_configuration_recorder_status_stopped")["ConfigurationRecordersStatus"],
    )
    assert recs[0]["status"]["recording"] is False


def test_status_unknown_and_missing() -> None:
    recorders = load("describe_configuration_recorders")["ConfigurationRecorders"]
    assert "status" not in transform_recorders(recorders, None)[0]
    assert transform_recorders(recorders, [])[0]["status"] == {
        "recording": False,
        "lastStatus": "NOT_STARTED",
    }
    assert (
        transform_recorders(load("describe_configuration_recorders_none")["ConfigurationRecorders"], []) == []
    )


def test_account_region_shape() -> None:
    r = account_region_resource("222222222222", "PROD", "us-east-1", "aws", {"ConfigurationRecorders": []})
    assert r.resource_type == "AWS::::AccountRegion"
    assert r.resource_id == "222222222222/us-east-1"
    assert r.arn == "arn:aws::us-east-1:222222222222:account"
    assert r.name == "PROD us-east-1" and r.region == "us-east-1"
    assert r.configuration == {"accountId": "222222222222", "region": "us-east-1"}
    assert r.supplementary == {"ConfigurationRecorders": []}
