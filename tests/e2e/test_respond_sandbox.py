"""The issue's end-to-end criterion on the sandbox, with its CloudTrail recorder: someone makes a
bucket public by changing its policy -> the recorder publishes "AWS API Call via CloudTrail" to
the default bus -> an EventBridge rule forwards it to SQS -> a `secpillar respond watch` process
restores the previous policy within seconds (checked through boto3), an e-mail reaches a real SMTP
server, and the action is in the incident timeline; `respond rollback` restores the state before
the remediation. In dry-run nothing changes and the e-mail says what would have been done."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.functional.respond_support import SmtpSink, bucket_policy, public_policy
from typer.testing import CliRunner

from secpillar.cli.main import app
from secpillar.sandbox.server import SandboxProcess

pytestmark = pytest.mark.e2e
REGION = "us-east-1"
ATTACKER_IP = "203.0.113.66"

if importlib.util.find_spec("secpillar.sandbox.cloudtrail") is None:
    pytest.skip("the sandbox CloudTrail recorder is not built", allow_module_level=True)

RULES = """
rules:
  - name: bucket-policy-changed
    pattern:
      source: [aws.s3]
      detail-type: [AWS API Call via CloudTrail]
      detail:
        eventSource: [s3.amazonaws.com]
        eventName: [PutBucketPolicy]
    conditions: {{ignore_failed_calls: true}}
    mode: {mode}
    actions:
      - type: s3.restore-bucket-policy
      - type: notify.email
        params: {{to: [secops@example.com], from: secpillar@example.com, host: 127.0.0.1, port: {port}}}
"""


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    saved = os.environ.get("SECPILLAR_CLOUDTRAIL_FLUSH_SECONDS")
    os.environ["SECPILLAR_CLOUDTRAIL_FLUSH_SECONDS"] = "0.2"
    try:
        with SandboxProcess() as proc:
            yield proc.url
    finally:
        if saved is None:
            os.environ.pop("SECPILLAR_CLOUDTRAIL_FLUSH_SECONDS", None)
        else:
            os.environ["SECPILLAR_CLOUDTRAIL_FLUSH_SECONDS"] = saved


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def setup_bucket(url: str, bucket: str) -> None:
    """A logging trail (the recorder publishes to EventBridge only then) and the bucket's good policy."""
    s3, ct = client(url, "s3"), client(url, "cloudtrail")
    if "trail-logs" not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket="trail-logs")
        ct.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True)
        ct.start_logging(Name="main")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=bucket_policy(bucket))


def wire(url: str, queue_name: str, bucket: str) -> str:
    """The bucket, and an EventBridge rule -> SQS queue made by hand (as a user would in the console)."""
    setup_bucket(url, bucket)
    sqs, events = client(url, "sqs"), client(url, "events")
    queue = sqs.create_queue(QueueName=queue_name, Attributes={"VisibilityTimeout": "10"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"eventSource": ["s3.amazonaws.com"], "eventName": ["PutBucketPolicy"]},
    }
    events.put_rule(Name=f"to-{queue_name}", EventPattern=json.dumps(pattern))
    events.put_targets(Rule=f"to-{queue_name}", Targets=[{"Id": "q", "Arn": arn}])
    return str(queue)


def watch(url: str, queue: str, rules: Path, state: Path) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "secpillar", "respond", "watch", "--queue", queue, "--rules", str(rules)]
    cmd += ["--endpoint-url", url, "--state", str(state), "--wait", "1", "--format", "json"]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def sid(s3: Any, bucket: str) -> str:
    return str(json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]["Sid"])


def wait_until(check: Any, timeout: float) -> float:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if check():
            return time.monotonic() - t0
        time.sleep(0.05)
    raise AssertionError("timed out")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.terminate()
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return err


def test_apply_restores_emails_timeline_and_rollback(sandbox: str, tmp_path: Path) -> None:
    s3 = client(sandbox, "s3")
    queue = wire(sandbox, "respond-apply", "payroll")
    state = tmp_path / "state"
    runner = CliRunner()
    res = runner.invoke(
        app, ["respond", "baseline", "--endpoint-url", sandbox, "--state", str(state), "--bucket", "payroll"]
    )
    assert res.exit_code == 0, res.output
    with SmtpSink() as smtp:
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(mode="apply", port=smtp.port))
        worker = watch(sandbox, queue, rules, state)
        try:
            time.sleep(1.5)  # the worker is polling
            attacker = client(sandbox, "s3")
            attacker.meta.events.register("before-sign.s3.*", _from_attacker_ip)
            attacker.put_bucket_policy(Bucket="payroll", Policy=public_policy("payroll"))
            assert sid(s3, "payroll") == "Public"
            seconds = wait_until(lambda: sid(s3, "payroll") == "Owner", timeout=20)
            assert seconds < 15, f"restored after {seconds:.1f} s"
            (mail,) = smtp.wait_for(1, timeout=20)
            body = mail.get_content()
            assert (
                str(mail["Subject"])
                .strip()
                .startswith("[secpillar] APPLIED: bucket-policy-changed: PutBucketPolicy")
            )
            assert ATTACKER_IP in body and "[APPLIED] s3.restore-bucket-policy" in body
            change_id = body.split("secpillar respond rollback ", 1)[1].split()[0]

            # the incident: the lake from the trail's delivered files, plus the change store
            from secpillar.sandbox.console import flush_cloudtrail

            flush_cloudtrail(sandbox)
            lake = tmp_path / "lake"
            _lake_from_trail(sandbox, lake)
            res = runner.invoke(
                app,
                [
                    *("incident", "open", "--title", "payroll made public"),
                    *("--resource", "arn:aws:s3:::payroll", "--lake", str(lake)),
                    *("--state", str(state), "--dir", str(tmp_path / "inc")),
                ],
            )
            assert res.exit_code == 0, res.output
            iid = res.stdout.split()[0]
            report = runner.invoke(app, ["incident", "report", iid, "--dir", str(tmp_path / "inc")]).stdout
            timeline = report.split("## Timeline", 1)[1].split("## Impact", 1)[0]
            assert "PutBucketPolicy" in timeline and ATTACKER_IP in timeline
            assert (
                "| action | secpillar respond | s3.restore-bucket-policy" in timeline
                and "| applied |" in timeline
            )
            assert change_id in report

            # rollback puts back the state before the remediation, and the worker leaves it alone
            res = runner.invoke(
                app, ["respond", "rollback", change_id, "--endpoint-url", sandbox, "--state", str(state)]
            )
            assert res.exit_code == 0, res.output
            assert sid(s3, "payroll") == "Public"
            time.sleep(3)  # the rollback's own PutBucketPolicy reaches the worker: exempted
            assert sid(s3, "payroll") == "Public"
        finally:
            stop(worker)
    log = [json.loads(x) for x in (state / "changes.log").read_text().splitlines()]
    assert [e["status"] for e in log if e["change"] == change_id].count("applied") == 1


def test_dry_run_changes_nothing_and_says_what_it_would_do(sandbox: str, tmp_path: Path) -> None:
    s3 = client(sandbox, "s3")
    setup_bucket(sandbox, "reports")
    state = tmp_path / "state"
    runner = CliRunner()
    res = runner.invoke(
        app, ["respond", "baseline", "--endpoint-url", sandbox, "--state", str(state), "--bucket", "reports"]
    )
    assert res.exit_code == 0, res.output
    with SmtpSink() as smtp:
        rules = tmp_path / "rules.yaml"
        rules.write_text(RULES.format(mode="dry-run", port=smtp.port))
        # this time the queue, its DLQ and the EventBridge rule come from the rules file
        res = runner.invoke(
            app,
            [
                "respond",
                "wire",
                "--rules",
                str(rules),
                "--queue-name",
                "respond-dry",
                "--endpoint-url",
                sandbox,
            ],
        )
        assert res.exit_code == 0 and "secpillar-bucket-policy-changed" in res.output, res.output
        queue = client(sandbox, "sqs").get_queue_url(QueueName="respond-dry")["QueueUrl"]
        worker = watch(sandbox, queue, rules, state)
        try:
            time.sleep(1.5)
            s3.put_bucket_policy(Bucket="reports", Policy=public_policy("reports"))
            (mail,) = smtp.wait_for(1, timeout=20)
        finally:
            stop(worker)
    body = mail.get_content()
    assert mail["Subject"].startswith("[secpillar] DRY-RUN: bucket-policy-changed")
    assert "What would have been done (dry-run: nothing was changed)" in body
    assert "would put back the known good bucket policy of bucket reports" in body
    assert sid(s3, "reports") == "Public"


def _from_attacker_ip(request: Any, **_: Any) -> None:
    """The sandbox records this header as the call's sourceIPAddress (a caller elsewhere)."""
    request.headers["X-Secpillar-Source-Ip"] = ATTACKER_IP


def _lake_from_trail(url: str, root: Path) -> None:
    from secpillar.lake.testing import write_lake

    s3 = client(url, "s3")
    records: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="trail-logs"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket="trail-logs", Key=obj["Key"])["Body"].read()
            records.extend(json.loads(gzip.decompress(body))["Records"])
    write_lake(root, records)
