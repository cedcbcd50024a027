"""Notifications through real servers: SMTP (aiosmtpd on loopback), a Slack-compatible webhook (a
local HTTP server) and SNS (moto, read back through an SQS subscription). Each says what happened,
who did it, what was done (or would have been, in dry-run) and how to roll back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.functional.respond_support import (
    ACCOUNT,
    SmtpSink,
    WebhookSink,
    api_call,
    bucket_policy,
    context,
    public_policy,
)

from secpillar.respond.handler import Responder
from secpillar.respond.rules import parse_rules


def _setup_bucket(aws_client: Any, ctx: Any) -> dict[str, Any]:
    from secpillar.respond.actions.s3 import BASELINE_KIND, baseline_key

    s3 = aws_client("s3")
    s3.create_bucket(Bucket="data")
    ctx.store.save_baseline(BASELINE_KIND, baseline_key(ACCOUNT, "data"), {"policy": bucket_policy("data")})
    s3.put_bucket_policy(Bucket="data", Policy=public_policy("data"))
    return api_call("aws.s3", "PutBucketPolicy", {"bucketName": "data"})


def _rules(mode: str, notify: list[dict[str, Any]]) -> Any:
    return parse_rules(
        {
            "rules": [
                {
                    "name": "bucket-policy-changed",
                    "pattern": {"source": ["aws.s3"], "detail": {"eventName": ["PutBucketPolicy"]}},
                    "mode": mode,
                    "actions": [{"type": "s3.restore-bucket-policy"}, *notify],
                }
            ]
        }
    )


@pytest.mark.parametrize("mode", ["apply", "dry-run"])
def test_email_over_smtp(mode: str, moto_endpoint: str, aws_client: Any, tmp_path: Path) -> None:
    ctx = context(moto_endpoint, tmp_path)
    event = _setup_bucket(aws_client, ctx)
    with SmtpSink() as smtp:
        params = {
            "to": ["secops@example.com"],
            "from": "bot@example.com",
            "host": "127.0.0.1",
            "port": smtp.port,
        }
        out = Responder(_rules(mode, [{"type": "notify.email", "params": params}]), ctx).handle(event)
        (msg,) = smtp.wait_for(1)
    assert smtp.envelopes == [("bot@example.com", ["secops@example.com"])]
    remediation, note = out.changes
    assert note.action == "notify.email" and note.status == "sent"
    body = msg.get_content()
    assert "PutBucketPolicy" in msg["Subject"] and "data" in msg["Subject"]
    assert f"arn:aws:iam::{ACCOUNT}:user/mallory" in body and "203.0.113.9" in body  # who
    assert "What happened" in body and "PutBucketPolicy" in body
    if mode == "apply":
        assert msg["Subject"].startswith("[secpillar] APPLIED")
        assert "[APPLIED] s3.restore-bucket-policy: put back the known good bucket policy" in body
        assert f"secpillar respond rollback {remediation.id}" in body
    else:
        assert msg["Subject"].startswith("[secpillar] DRY-RUN")
        assert "What would have been done (dry-run: nothing was changed)" in body
        assert "[DRY-RUN, NOT APPLIED] s3.restore-bucket-policy: would put back" in body
        assert "nothing to roll back" in body and "rollback chg-" not in body


def test_email_failure_is_recorded_and_retried(moto_endpoint: str, aws_client: Any, tmp_path: Path) -> None:
    """An unreachable SMTP server is a transient failure: the remediation stays applied (once), the
    notification is marked for retry, and a redelivery sends it without touching the bucket again."""
    from tests.functional.respond_support import free_port

    ctx = context(moto_endpoint, tmp_path)
    event = _setup_bucket(aws_client, ctx)
    port = free_port()
    rules = _rules(
        "apply",
        [{"type": "notify.email", "params": {"to": "a@example.com", "host": "127.0.0.1", "port": port}}],
    )
    first = Responder(rules, ctx).handle(event)
    assert first.retry and [c.status for c in first.changes] == ["applied", "error"]
    with SmtpSink() as smtp:
        rules = _rules(
            "apply",
            [
                {
                    "type": "notify.email",
                    "params": {"to": "a@example.com", "host": "127.0.0.1", "port": smtp.port},
                }
            ],
        )
        # same rule name and action index: the same change ids
        second = Responder(rules, ctx).handle(event)
        smtp.wait_for(1)
    assert not second.retry
    assert [c.status for c in second.changes] == ["applied", "sent"]
    applied = [e for e in ctx.store.log() if e["status"] == "applied"]
    assert len(applied) == 1


def test_webhook_slack_compatible(
    moto_endpoint: str, aws_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = context(moto_endpoint, tmp_path)
    event = _setup_bucket(aws_client, ctx)
    event["detail"]["userAgent"] = "<!channel> <https://evil.example|click>"
    with WebhookSink() as hook:
        monkeypatch.setenv("SLACK_URL", f"{hook.url}/services/T000/B000/SECRETTOKEN")
        out = Responder(
            _rules("apply", [{"type": "notify.webhook", "params": {"url_env": "SLACK_URL"}}]), ctx
        ).handle(event)
    (path, headers, body) = hook.posts[0]
    assert path == "/services/T000/B000/SECRETTOKEN"
    assert headers["Content-Type"] == "application/json"
    assert "PutBucketPolicy" in body["text"] and "rollback chg-" in body["text"]
    assert "<!channel>" not in body["text"] and "&lt;!channel&gt;" in body["text"]  # no mention, no link
    assert body["secpillar"]["changes"][0]["status"] == "applied"
    note = out.changes[-1]
    assert note.status == "sent" and "SECRETTOKEN" not in note.description
    assert "SECRETTOKEN" not in (tmp_path / "changes.log").read_text()


def test_sns_publish(moto_endpoint: str, aws_client: Any, tmp_path: Path) -> None:
    ctx = context(moto_endpoint, tmp_path)
    event = _setup_bucket(aws_client, ctx)
    sns, sqs = aws_client("sns"), aws_client("sqs")
    topic = sns.create_topic(Name="secops")["TopicArn"]
    q = sqs.create_queue(QueueName="secops-inbox")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn)
    out = Responder(_rules("dry-run", [{"type": "notify.sns", "params": {"topic_arn": topic}}]), ctx).handle(
        event
    )
    assert out.changes[-1].status == "sent"
    msgs = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=2)["Messages"]
    envelope = json.loads(msgs[0]["Body"])
    assert envelope["Subject"].startswith("[secpillar] DRY-RUN") and len(envelope["Subject"]) <= 100
    assert "would put back the known good bucket policy" in envelope["Message"]
    assert aws_client("s3").get_bucket_policy(Bucket="data")["Policy"] == public_policy("data")  # dry-run
