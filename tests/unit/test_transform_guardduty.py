"""GuardDuty detector transforms on responses recorded from moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.guardduty import transform_detector

FIX = Path(__file__).parent.parent / "fixtures" / "responses" / "guardduty"


def load(name: str) -> Any:
    return json.loads((FIX / f"{name}.json").read_text())


def test_enabled_detector() -> None:
    (det_id,) = load("list_detectors")["DetectorIds"]
    d = transform_detector(det_id, load("get_detector_enabled"))
    assert d["detectorId"] == det_id
    assert d["status"] == "ENABLED"
    assert d["findingPublishingFrequency"] == "SIX_HOURS"
    assert d["dataSources"]["cloudTrail"]["status"] == "DISABLED"


def test_suspended_and_unreadable_detector() -> None:
    assert transform_detector("d1", load("get_detector_suspended"))["status"] == "DISABLED"
    assert transform_detector("d1", None) == {"detectorId": "d1"}


def test_no_detector_listed() -> None:
    assert load("list_detectors_none")["DetectorIds"] == []
