"""The Responder without AWS: rate limits per rule, mode override, unknown actions, targets missing
from the event (skipped with the reason, the other actions still run), alert events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secpillar.errors import RegistryError, UsageError
from secpillar.respond.actions import ActionContext
from secpillar.respond.changes import ChangeStore
from secpillar.respond.handler import Responder
from secpillar.respond.rules import parse_rules


def _event(n: int, name: str = "PutBucketPolicy", **params: Any) -> dict[str, Any]:
    return {
        "id": f"e-{n}",
        "source": "aws.s3",
        "detail-type": "AWS API Call via CloudTrail",
        "account": "123456789012",
        "region": "us-east-1",
        "detail": {"eventName": name, "requestParameters": params},
    }


def _responder(tmp_path: Path, rule: dict[str, Any], clock: Any = None, mode: str = "rules") -> Responder:
    ctx = ActionContext(store=ChangeStore(tmp_path).init())  # no AWS clients
    kwargs = {"clock": clock} if clock else {}
    return Responder(parse_rules({"rules": [rule]}), ctx, mode=mode, **kwargs)


RULE = {
    "name": "r",
    "pattern": {"source": ["aws.s3"]},
    "actions": [{"type": "s3.restore-bucket-policy"}, {"type": "s3.enable-block-public-access"}],
    "rate_limit": {"max": 2, "per_seconds": 60},
}


def test_rate_limit_per_rule_window(tmp_path: Path) -> None:
    now = [0.0]
    r = _responder(tmp_path, RULE, clock=lambda: now[0])
    reasons = []
    for n in range(3):
        out = r.handle(_event(n, bucketName="b"))
        reasons.append({c.reason for c in out.changes})
    assert all("rate limit" not in x for reason in reasons[:2] for x in reason)
    assert reasons[2] == {"rate limit: at most 2 firings per 60 s"}
    now[0] = 61.0  # the window has passed
    out = r.handle(_event(4, bucketName="b"))
    assert all("rate limit" not in c.reason for c in out.changes)


def test_missing_target_is_skipped_and_the_next_action_runs(tmp_path: Path) -> None:
    r = _responder(tmp_path, {k: v for k, v in RULE.items() if k != "rate_limit"})
    out = r.handle(_event(1))  # no bucketName anywhere
    assert [c.status for c in out.changes] == ["skipped", "skipped"]
    assert "names no bucket" in out.changes[0].reason
    # with a bucket but no AWS access: each action says why, none raises
    out = r.handle(_event(2, bucketName="b"))
    assert [c.status for c in out.changes] == ["skipped", "skipped"]
    assert "needs AWS access" in out.changes[1].reason


def test_unknown_action_and_bad_mode(tmp_path: Path) -> None:
    with pytest.raises(RegistryError):
        _responder(
            tmp_path, {"name": "r", "pattern": {"source": ["aws.s3"]}, "actions": [{"type": "x.nope"}]}
        )
    with pytest.raises(UsageError):
        _responder(tmp_path, RULE, mode="yolo")


def test_detection_rules_fire_only_on_their_alerts(tmp_path: Path) -> None:
    rule = {"name": "d", "detection": "aws.s3.public", "actions": [{"type": "s3.enable-block-public-access"}]}
    r = _responder(tmp_path, rule)
    assert r.handle(_event(1, bucketName="b")).matched == []
    alert = {**_event(2, bucketName="b"), "source": "secpillar.detect"}
    alert["detail"] = {**alert["detail"], "detection_id": "aws.s3.public"}
    assert r.handle(alert).matched == ["d"]
    alert["detail"]["detection_id"] = "aws.s3.other"
    alert["id"] = "e-3"
    assert r.handle(alert).matched == []
