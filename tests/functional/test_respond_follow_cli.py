"""The respond commands against moto: `watch --follow` on the lake (each new CloudTrail row once),
`test --mode plan|apply`, `changes`, `rollback`, `baseline`, `actions`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.functional.respond_support import api_call, bucket_policy, public_policy
from typer.testing import CliRunner

from secpillar.cli.respond import app
from secpillar.lake.schema import record_to_row
from secpillar.lake.testing import write_lake
from secpillar.respond.context import make_context
from secpillar.respond.follow import LakeFollower, envelope, row_to_record
from secpillar.respond.handler import Responder
from secpillar.respond.rules import parse_rules
from secpillar.respond.worker import ProcessedStore

runner = CliRunner()
PAB_RULES = {
    "rules": [
        {
            "name": "pab-removed",
            "pattern": {"source": ["aws.s3"], "detail": {"eventName": ["DeleteBucketPublicAccessBlock"]}},
            "mode": "apply",
            "actions": [{"type": "s3.enable-block-public-access"}],
        }
    ]
}


def _record(bucket: str, at: str) -> dict[str, Any]:
    return dict(
        api_call("aws.s3", "DeleteBucketPublicAccessBlock", {"bucketName": bucket})["detail"], eventTime=at
    )


def test_row_round_trip() -> None:
    rec = api_call("aws.s3", "PutBucketPolicy", {"bucketName": "x", "bucketPolicy": {"Statement": []}})[
        "detail"
    ]
    back = row_to_record(record_to_row(rec))
    for key in (
        "eventName",
        "eventTime",
        "eventID",
        "requestParameters",
        "sourceIPAddress",
        "recipientAccountId",
    ):
        assert back[key] == rec[key], key
    assert back["userIdentity"]["arn"] == rec["userIdentity"]["arn"]
    ev = envelope(back)
    assert (ev["source"], ev["detail-type"], ev["id"]) == (
        "aws.s3",
        "AWS API Call via CloudTrail",
        rec["eventID"],
    )


def test_follow_the_lake(moto_endpoint: str, aws_client: Any, tmp_path: Path) -> None:
    s3 = aws_client("s3")
    for b in ("bucket-one", "bucket-two", "bucket-three"):
        s3.create_bucket(Bucket=b)
    lake = tmp_path / "lake"
    write_lake(
        lake, [_record("bucket-one", "2026-11-28T10:00:00Z"), _record("bucket-two", "2026-11-28T10:01:00Z")]
    )
    ctx = make_context(state=tmp_path / "state", endpoint_url=moto_endpoint)
    processed = ProcessedStore(ctx.store.root / "processed.db")
    follower = LakeFollower(Responder(parse_rules(PAB_RULES), ctx), lake, processed, state=ctx.store.root)
    assert follower.poll() == 2
    assert follower.poll() == 0  # nothing new; rows seen again inside the look-back are skipped
    write_lake(lake, [_record("bucket-three", "2026-11-28T09:59:00Z")])  # late and out of order
    assert follower.poll() == 1
    assert sorted(c.target["bucket"] for c in ctx.store.all() if c.status == "applied") == [
        "bucket-one",
        "bucket-three",
        "bucket-two",
    ]


def test_test_plan_apply_changes_rollback(moto_endpoint: str, aws_client: Any, tmp_path: Path) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="data")
    s3.put_bucket_policy(Bucket="data", Policy=bucket_policy("data"))
    state = ["--state", str(tmp_path / "state"), "--endpoint-url", moto_endpoint]
    res = runner.invoke(app, ["baseline", "--bucket", "data", *state])
    assert res.exit_code == 0 and "1 bucket(s), 1 with a policy" in res.output
    s3.put_bucket_policy(Bucket="data", Policy=public_policy("data"))
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n  - name: r\n    pattern: {source: [aws.s3], detail: {eventName: [PutBucketPolicy]}}\n"
        "    actions: [{type: s3.restore-bucket-policy}]\n"
    )
    events = tmp_path / "e.json"
    events.write_text(json.dumps(api_call("aws.s3", "PutBucketPolicy", {"bucketName": "data"})))

    plan = runner.invoke(app, ["test", str(rules), str(events), "--mode", "plan", "--format", "json", *state])
    assert plan.exit_code == 0, plan.output
    (row,) = [json.loads(x) for x in plan.stdout.splitlines()]
    assert row["event"] == 0 and row["matched"] == ["r"] and row["changes"][0]["status"] == "dry-run"
    assert "Public" in s3.get_bucket_policy(Bucket="data")["Policy"]

    applied = runner.invoke(
        app, ["test", str(rules), str(events), "--mode", "apply", "--format", "json", *state]
    )
    change = json.loads(applied.stdout)["changes"][0]
    assert change["status"] == "applied" and "Owner" in s3.get_bucket_policy(Bucket="data")["Policy"]

    listed = runner.invoke(app, ["changes", "--state", str(tmp_path / "state"), "--format", "json"])
    statuses = {json.loads(x)["id"]: json.loads(x)["status"] for x in listed.stdout.splitlines()}
    assert statuses[change["id"]] == "applied" and "dry-run" in statuses.values()

    res = runner.invoke(app, ["rollback", change["id"], *state])
    assert res.exit_code == 0, res.output
    assert "Public" in s3.get_bucket_policy(Bucket="data")["Policy"]
    again = runner.invoke(app, ["rollback", change["id"], *state])
    assert again.exit_code == 2 and "rolled-back" in again.output
    assert runner.invoke(app, ["rollback", "chg-nope", *state]).exit_code == 2


def test_actions_and_watch_arguments(tmp_path: Path) -> None:
    res = runner.invoke(app, ["actions"])
    assert res.exit_code == 0 and "11 actions" in res.stdout
    rules = tmp_path / "r.yaml"
    rules.write_text("rules: []\n")
    assert runner.invoke(app, ["watch", "--rules", str(rules)]).exit_code == 2
    assert runner.invoke(app, ["watch", "--rules", str(rules), "--follow"]).exit_code == 2


def test_detection_rules_fire_on_alerts_in_the_lake(
    moto_endpoint: str, aws_client: Any, tmp_path: Path
) -> None:
    """A rule with a `detection` trigger fires on the detection's alert (the lake's findings), with
    the CloudTrail record that raised it as the event detail, so the action finds its bucket."""
    from datetime import UTC, datetime

    from secpillar.detect.findings import write_findings
    from secpillar.detect.runner import Alert
    from secpillar.model import Severity

    aws_client("s3").create_bucket(Bucket="bucket-alerted")
    lake = tmp_path / "lake"
    rec = _record("bucket-alerted", "2026-11-28T10:00:00Z")
    write_lake(lake, [rec])
    when = datetime(2026, 11, 28, 10, tzinfo=UTC)
    alert = Alert(
        detection_id="aws.s3.block-public-access-removed",
        title="Block Public Access removed",
        severity=Severity.HIGH,
        source="cloudtrail",
        guardduty=None,
        attack=(),
        tactic="defense-evasion",
        wa=("SEC03-BP07",),
        event_ids=(rec["eventID"],),
        principal=rec["userIdentity"]["arn"],
        source_ip="203.0.113.9",
        account="123456789012",
        region="us-east-1",
        first_seen=when,
        last_seen=when,
        count=1,
        resource="bucket-alerted",
        detail=None,
    )
    write_findings(lake, [alert])
    rules = {
        "rules": [
            {
                "name": "on-alert",
                "detection": "aws.s3.block-public-access-removed",
                "mode": "apply",
                "actions": [{"type": "s3.enable-block-public-access"}],
            }
        ]
    }
    ctx = make_context(state=tmp_path / "state", endpoint_url=moto_endpoint)
    processed = ProcessedStore(ctx.store.root / "processed.db")
    results: list[dict[str, Any]] = []
    follower = LakeFollower(
        Responder(parse_rules(rules), ctx), lake, processed, state=ctx.store.root, on_result=results.append
    )
    assert follower.poll() == 2  # the API call (no pattern rule) and the alert
    assert [r["matched"] for r in results] == [[], ["on-alert"]]
    (change,) = ctx.store.all()
    assert change.status == "applied" and change.target["bucket"] == "bucket-alerted"
    assert follower.poll() == 0


def test_wire_creates_queue_dlq_policy_and_rules(moto_endpoint: str, aws_client: Any) -> None:
    """SQS targets need a queue policy letting events.amazonaws.com send (EventBridge User Guide,
    permissions for SQS targets), scoped here to the rules' ARNs; redrive after 3 deliveries."""
    from secpillar.respond.wire import wire

    sqs, events = aws_client("sqs"), aws_client("events")
    ruleset = parse_rules(
        {
            "rules": [
                {"name": "a:b", "pattern": {"source": ["aws.s3"]}},
                {"name": "d", "detection": "x.y"},  # alerts do not come from EventBridge
            ]
        }
    )
    out = wire(sqs, events, ruleset, "resp", max_receives=3)
    assert out.rules == ["secpillar-a-b"]
    attrs = sqs.get_queue_attributes(QueueUrl=out.queue_url, AttributeNames=["All"])["Attributes"]
    assert json.loads(attrs["RedrivePolicy"])["maxReceiveCount"] in (3, "3")
    statement = json.loads(attrs["Policy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    rule_arn = events.describe_rule(Name="secpillar-a-b")["Arn"]
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"] == [rule_arn]
    assert json.loads(events.describe_rule(Name="secpillar-a-b")["EventPattern"]) == {"source": ["aws.s3"]}
    assert events.list_targets_by_rule(Rule="secpillar-a-b")["Targets"][0]["Arn"] == out.queue_arn
    again = wire(sqs, events, ruleset, "resp", max_receives=3)  # idempotent
    assert again.queue_url == out.queue_url
