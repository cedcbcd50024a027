"""End-to-end latency on the sandbox, from the API call to the remediation.

One sandbox server (moto + the CloudTrail recorder) and one ``secpillar respond watch`` process in
apply mode. Each trial makes a bucket public with ``PutBucketPolicy`` and polls ``GetBucketPolicy``
every 10 ms until the known good policy is back: the time covers the recorder turning the call into
a CloudTrail record and publishing it to EventBridge (every ``--flush`` seconds, the recorder's
batching interval), EventBridge's delivery to SQS, the worker's long poll, matching, the plan (a
read) and the restore (a write). The recorder's flush interval is the floor, so the figures are
also shown against it.

    .venv/bin/python bench/respond_latency.py [--trials 20] [--flush 1.0]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3

RULES = """
rules:
  - name: bucket-policy-changed
    pattern:
      source: [aws.s3]
      detail-type: [AWS API Call via CloudTrail]
      detail: {eventSource: [s3.amazonaws.com], eventName: [PutBucketPolicy]}
    conditions: {ignore_failed_calls: true}
    mode: apply
    actions: [{type: s3.restore-bucket-policy}]
"""


def _policy(bucket: str, principal: Any, sid: str) -> str:
    statement = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _sid(s3: Any) -> str:
    return str(json.loads(s3.get_bucket_policy(Bucket="bench")["Policy"])["Statement"][0]["Sid"])


def measure(trials: int, flush: float) -> dict[str, float]:
    from secpillar.sandbox.server import SandboxProcess

    os.environ["SECPILLAR_CLOUDTRAIL_FLUSH_SECONDS"] = str(flush)
    with SandboxProcess() as sandbox, tempfile.TemporaryDirectory() as tmp:
        url = sandbox.url

        def client(service: str) -> Any:
            return boto3.client(
                service,
                region_name="us-east-1",
                endpoint_url=url,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        s3, ct, sqs, events = client("s3"), client("cloudtrail"), client("sqs"), client("events")
        s3.create_bucket(Bucket="trail-logs")
        ct.create_trail(Name="main", S3BucketName="trail-logs")
        ct.start_logging(Name="main")
        good = _policy("bench", {"AWS": "arn:aws:iam::123456789012:root"}, "Owner")
        bad = _policy("bench", "*", "Public")
        s3.create_bucket(Bucket="bench")
        s3.put_bucket_policy(Bucket="bench", Policy=good)
        queue = sqs.create_queue(QueueName="respond")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        pattern = {"source": ["aws.s3"], "detail": {"eventName": ["PutBucketPolicy"]}}
        events.put_rule(Name="respond", EventPattern=json.dumps(pattern))
        events.put_targets(Rule="respond", Targets=[{"Id": "q", "Arn": arn}])
        state, rules = Path(tmp) / "state", Path(tmp) / "rules.yaml"
        rules.write_text(RULES)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        base = [sys.executable, "-m", "secpillar", "respond"]
        subprocess.run(
            [*base, "baseline", "--endpoint-url", url, "--state", str(state), "--bucket", "bench"],
            check=True,
            env=env,
            capture_output=True,
        )
        worker = subprocess.Popen(
            [
                *(*base, "watch", "--queue", queue, "--rules", str(rules)),
                *("--endpoint-url", url, "--state", str(state), "--wait", "20", "--format", "json"),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(2.0)  # the worker has started and is long-polling
            samples = []
            for _ in range(trials):
                t0 = time.perf_counter()
                s3.put_bucket_policy(Bucket="bench", Policy=bad)
                while (
                    json.loads(s3.get_bucket_policy(Bucket="bench")["Policy"])["Statement"][0]["Sid"]
                    != "Owner"
                ):
                    if time.perf_counter() - t0 > 60:
                        raise SystemExit("no remediation within 60 s")
                    time.sleep(0.01)
                samples.append(time.perf_counter() - t0)
                time.sleep(flush)  # let the restore's own (no-op) event pass before the next trial
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    samples.sort()
    return {
        "trials": float(len(samples)),
        "median": statistics.median(samples),
        "p95": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))],
        "min": samples[0],
        "max": samples[-1],
        "flush": flush,
    }


def report(r: dict[str, float]) -> None:
    head = (
        f"end to end, API call -> remediation ({int(r['trials'])} trials, recorder flush {r['flush']:.2f} s)"
    )
    stats = ", ".join(f"{k} {r[k]:.2f} s" for k in ("median", "p95", "min", "max"))
    print(f"{head}: {stats}")
    print(f"median / recorder flush interval: {r['median'] / r['flush']:.2f}x (the flush is the floor)")
    print(f"'within seconds' (p95 under 5 s): {'met' if r['p95'] < 5 else 'NOT met'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--flush", type=float, default=1.0, help="the recorder's flush interval (s)")
    args = ap.parse_args()
    report(measure(args.trials, args.flush))


if __name__ == "__main__":
    main()
