"""The SQS worker: idempotency by event id, poison messages to the dead-letter queue, SIGTERM
(nothing lost) and SIGKILL mid-batch (no event lost, no action applied twice) on a real
``secpillar respond watch`` process against a moto server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from tests.functional.respond_support import api_call

from secpillar.respond.context import make_context
from secpillar.respond.handler import Responder
from secpillar.respond.rules import parse_rules
from secpillar.respond.worker import ProcessedStore, SqsWorker, parse_body

PAB_RULES = """
rules:
  - name: bucket-public-access-block-removed
    pattern:
      source: [aws.s3]
      detail-type: [AWS API Call via CloudTrail]
      detail: {eventName: [DeleteBucketPublicAccessBlock]}
    mode: apply
    actions:
      - type: s3.enable-block-public-access
"""


def _queue(sqs: Any, name: str, visibility: int = 2) -> str:
    return str(
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": str(visibility)})["QueueUrl"]
    )


def _buckets(s3: Any, n: int) -> list[str]:
    names = [f"bucket-{i:03d}" for i in range(n)]
    for name in names:
        s3.create_bucket(Bucket=name)
    return names


def _send(sqs: Any, url: str, events: list[dict[str, Any]]) -> None:
    for i in range(0, len(events), 10):
        entries = [{"Id": str(j), "MessageBody": json.dumps(e)} for j, e in enumerate(events[i : i + 10])]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def _watch(endpoint: str, queue: str, rules: Path, state: Path, *extra: str) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "secpillar", "respond", "watch", "--queue", queue, "--rules", str(rules)]
    cmd += ["--endpoint-url", endpoint, "--state", str(state), "--wait", "1", "--format", "json", *extra]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _applied(state: Path) -> Counter[str]:
    log = state / "changes.log"
    if not log.exists():
        return Counter()
    counts: Counter[str] = Counter()
    for line in log.read_text().splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        if entry["status"] == "applied":
            counts[entry["change"]] += 1
    return counts


def _pab_on(s3: Any, bucket: str) -> bool:
    try:
        cfg = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        return False
    return all(cfg.values())


def test_sigkill_mid_batch_loses_nothing_and_applies_nothing_twice(
    moto_endpoint: str, aws_client: Any, tmp_path: Path
) -> None:
    s3, sqs = aws_client("s3"), aws_client("sqs")
    names = _buckets(s3, 40)
    queue = _queue(sqs, "events")
    events = [api_call("aws.s3", "DeleteBucketPublicAccessBlock", {"bucketName": n}) for n in names]
    _send(sqs, queue, events + events[:5])  # five duplicates: at-least-once delivery
    rules = tmp_path / "rules.yaml"
    rules.write_text(PAB_RULES)
    state = tmp_path / "state"

    first = _watch(moto_endpoint, queue, rules, state)
    deadline = time.monotonic() + 60
    while not _applied(state) and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.005)
    first.send_signal(signal.SIGKILL)
    first.communicate(timeout=30)
    done_at_kill = sum(_pab_on(s3, n) for n in names)
    assert 0 < done_at_kill < len(names), "the kill must land mid-batch"

    second = _watch(moto_endpoint, queue, rules, state, "--idle-exit", "6")
    _out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err

    assert all(_pab_on(s3, n) for n in names)  # no event lost
    counts = _applied(state)
    assert len(counts) == len(names) and set(counts.values()) == {1}  # none applied twice
    processed = ProcessedStore(state / "processed.db")
    assert sorted(processed.ids()) == sorted(e["id"] for e in events)
    processed.close()
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    assert (
        attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0"
    )


def test_sigterm_finishes_the_current_message_and_gives_the_rest_back(
    moto_endpoint: str, aws_client: Any, tmp_path: Path
) -> None:
    s3, sqs = aws_client("s3"), aws_client("sqs")
    names = _buckets(s3, 30)
    queue = _queue(sqs, "events", visibility=60)  # a message lost in flight would hide for 60 s
    events = [api_call("aws.s3", "DeleteBucketPublicAccessBlock", {"bucketName": n}) for n in names]
    _send(sqs, queue, events)
    rules = tmp_path / "rules.yaml"
    rules.write_text(PAB_RULES)
    state = tmp_path / "state"
    proc = _watch(moto_endpoint, queue, rules, state)
    while not _applied(state) and proc.poll() is None:
        time.sleep(0.005)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "stopped:" in err
    handled = len(ProcessedStore(state / "processed.db"))
    assert 0 < handled < len(names)
    attrs = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
    # everything not handled is back on the queue at once, nothing hidden in flight
    assert int(attrs["ApproximateNumberOfMessages"]) == len(names) - handled
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_poison_messages_go_to_the_dead_letter_queue(
    moto_endpoint: str, aws_client: Any, tmp_path: Path
) -> None:
    s3, sqs = aws_client("s3"), aws_client("sqs")
    _buckets(s3, 1)
    queue, dlq = _queue(sqs, "events"), _queue(sqs, "events-dlq")
    good = api_call("aws.s3", "DeleteBucketPublicAccessBlock", {"bucketName": "bucket-000"})
    missing = api_call("aws.s3", "DeleteBucketPublicAccessBlock", {"bucketName": "no-such-bucket"})
    sqs.send_message(QueueUrl=queue, MessageBody="{not json")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps({"hello": "world"}))
    for e in (good, missing):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(e))

    ctx = make_context(state=tmp_path, endpoint_url=moto_endpoint)
    responder = Responder(parse_rules(__import__("yaml").safe_load(PAB_RULES)), ctx)
    results: list[dict[str, Any]] = []
    worker = SqsWorker(
        responder,
        ctx.client("sqs"),
        queue,
        ProcessedStore(tmp_path / "processed.db"),
        state=tmp_path,
        dlq_url=dlq,
        max_receives=2,
        wait_seconds=1,
        retry_delay=0,
        on_result=results.append,
    )
    stats = worker.run(idle_exit=3)
    assert stats.poisoned == 2 and stats.handled == 2
    dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"])[
        "Messages"
    ]
    bodies = sorted(m["Body"] for m in dead)
    assert bodies == sorted(["{not json", json.dumps({"hello": "world"})])
    assert all("secpillar-reason" in m["MessageAttributes"] for m in dead)
    # the event on a missing bucket is handled: its change failed (NoSuchBucket) and is recorded
    failed = [c for c in ctx.store.all() if c.status == "failed"]
    assert len(failed) == 1 and "no-such-bucket" in json.dumps(failed[0].target)


def test_a_failing_handler_is_retried_then_dead_lettered(
    moto_endpoint: str, aws_client: Any, tmp_path: Path
) -> None:
    sqs = aws_client("sqs")
    queue, dlq = _queue(sqs, "events"), _queue(sqs, "events-dlq")
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(api_call("aws.s3", "X", {})))

    class Broken(Responder):
        def handle(self, event: Any) -> Any:
            raise RuntimeError("bug")

    ctx = make_context(state=tmp_path, endpoint_url=moto_endpoint)
    worker = SqsWorker(
        Broken(parse_rules({"rules": []}), ctx),
        ctx.client("sqs"),
        queue,
        ProcessedStore(tmp_path / "processed.db"),
        state=tmp_path,
        dlq_url=dlq,
        max_receives=3,
        wait_seconds=1,
        retry_delay=0,
    )
    stats = worker.run(idle_exit=3)
    assert stats.retried == 2 and stats.poisoned == 1
    (dead,) = sqs.receive_message(QueueUrl=dlq, MessageAttributeNames=["All"])["Messages"]
    assert "after 3 deliveries" in dead["MessageAttributes"]["secpillar-reason"]["StringValue"]


def test_without_a_dlq_poison_is_kept_in_the_state_dir(
    moto_endpoint: str, aws_client: Any, tmp_path: Path
) -> None:
    sqs = aws_client("sqs")
    queue = _queue(sqs, "events")
    sqs.send_message(QueueUrl=queue, MessageBody="garbage")
    ctx = make_context(state=tmp_path, endpoint_url=moto_endpoint)
    worker = SqsWorker(
        Responder(parse_rules({"rules": []}), ctx),
        ctx.client("sqs"),
        queue,
        ProcessedStore(tmp_path / "processed.db"),
        state=tmp_path,
        wait_seconds=1,
    )
    assert worker.run(idle_exit=2).poisoned == 1
    (saved,) = (tmp_path / "poison").glob("*.json")
    assert json.loads(saved.read_text())["body"] == "garbage"
    assert oct(saved.stat().st_mode & 0o777) == "0o600"


def test_parse_body_unwraps_sns_and_rejects_non_events() -> None:
    ev = api_call("aws.s3", "PutBucketPolicy", {})
    assert parse_body(json.dumps({"Type": "Notification", "Message": json.dumps(ev)})) == ev
    with pytest.raises(ValueError, match="not an EventBridge event"):
        parse_body(json.dumps({"Records": []}))
    assert uuid.UUID(ev["id"])
