"""The Lambda entry point against moto: an SQS batch (partial batch failures name only the bad
record; a redelivered event does nothing) and a direct EventBridge invocation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.functional.respond_support import api_call

from secpillar.respond import lambda_handler

RULES = """
rules:
  - name: pab-removed
    pattern: {source: [aws.s3], detail: {eventName: [DeleteBucketPublicAccessBlock]}}
    mode: apply
    actions: [{type: s3.enable-block-public-access}]
"""


@pytest.fixture
def configured(moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    monkeypatch.setenv("SECPILLAR_RULES", str(rules))
    monkeypatch.setenv("SECPILLAR_RESPOND_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("SECPILLAR_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    lambda_handler.reset()
    yield
    lambda_handler.reset()


def _pab(s3: Any, bucket: str) -> bool:
    try:
        return all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    except s3.exceptions.ClientError:
        return False


def test_sqs_batch_with_partial_failures(configured: None, aws_client: Any) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="bucket-a")
    ev = api_call("aws.s3", "DeleteBucketPublicAccessBlock", {"bucketName": "bucket-a"})
    batch = {
        "Records": [
            {"messageId": "m1", "body": json.dumps(ev)},
            {"messageId": "m2", "body": "not json"},
            {"messageId": "m3", "body": json.dumps(ev)},  # the same event delivered twice
        ]
    }
    out = lambda_handler.handler(batch, None)
    assert out["batchItemFailures"] == [{"itemIdentifier": "m2"}]
    assert out["results"][0]["changes"][0]["status"] == "applied"
    assert out["results"][2] == {"event_id": ev["id"], "duplicate": True}
    assert _pab(s3, "bucket-a")


def test_direct_eventbridge_invocation(configured: None, aws_client: Any) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="bucket-b")
    ev = api_call("aws.s3", "DeleteBucketPublicAccessBlock", {"bucketName": "bucket-b"})
    out = lambda_handler.handler(ev, None)
    assert out["matched"] == ["pab-removed"] and _pab(s3, "bucket-b")


def test_missing_configuration_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECPILLAR_RULES", raising=False)
    lambda_handler.reset()
    with pytest.raises(Exception, match="SECPILLAR_RULES"):
        lambda_handler.handler({"Records": []}, None)
