"""End to end on the sandbox: a scripted attack ends in the trail's bucket, `secpillar logs ingest`
puts it in the lake, and `secpillar detect` raises each corresponding alert on the right events.
The same checks also run on a lake built straight from the trail's delivered files with the lake's
own record converter (``lake.testing``), so the recorder-to-detection chain is tested even where
the ingest command is not built.

Sequence (stopping the trail last): failed console sign-ins then a success, a bucket made public by
policy, port 22 opened to the world, AdministratorAccess attached, a KMS key scheduled for
deletion, StopLogging; one more call after it must not reach the lake."""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest
from typer.testing import CliRunner

from secpillar.cli.main import app
from secpillar.sandbox.server import SandboxProcess

pytestmark = pytest.mark.e2e
REGION = "us-east-1"
ATTACKER_IP = "198.51.100.66"

if importlib.util.find_spec("secpillar.sandbox.console") is None:
    pytest.skip(
        "the sandbox CloudTrail recorder (secpillar.sandbox.console) is not built", allow_module_level=True
    )


def _ingest_command() -> Any:
    from secpillar.cli import logs

    for cmd in logs.app.registered_commands:
        name = cmd.name or (cmd.callback.__name__ if cmd.callback else "")
        if name == "ingest":
            return cmd
    return None


@pytest.fixture(scope="module")
def sandbox() -> Iterator[str]:
    # moto loads the AWS managed policies (AdministratorAccess) only when asked to.
    saved = os.environ.get("MOTO_IAM_LOAD_MANAGED_POLICIES")
    os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
    try:
        with SandboxProcess() as proc:
            yield proc.url
    finally:
        if saved is None:
            os.environ.pop("MOTO_IAM_LOAD_MANAGED_POLICIES", None)
        else:
            os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = saved


def client(url: str, service: str) -> Any:
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="module")
def attacked(sandbox: str) -> str:
    """Run the scripted sequence against the sandbox; the trail bucket is ``trail-logs``."""
    from secpillar.sandbox.console import flush_cloudtrail, simulate_console_login

    s3, iam, ec2, kms, ct = (client(sandbox, s) for s in ("s3", "iam", "ec2", "kms", "cloudtrail"))
    s3.create_bucket(Bucket="trail-logs")
    ct.create_trail(
        Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True, IncludeGlobalServiceEvents=True
    )
    ct.start_logging(Name="main")
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-9")
    iam.create_user(UserName="bob")
    for _ in range(5):
        simulate_console_login(sandbox, "alice", success=False, source_ip=ATTACKER_IP)
    simulate_console_login(sandbox, "alice", success=True, source_ip=ATTACKER_IP)
    s3.create_bucket(Bucket="public-data")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::public-data/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="public-data", Policy=json.dumps(policy))
    sg = ec2.create_security_group(GroupName="web", Description="web")["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    iam.attach_user_policy(UserName="bob", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    ct.stop_logging(Name="main")
    s3.create_bucket(Bucket="after-the-trail-stopped")
    flush_cloudtrail(sandbox)
    return sandbox


def _lake_from_files(sandbox: str, root: Path) -> None:
    from secpillar.lake.testing import write_lake

    s3 = client(sandbox, "s3")
    records: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="trail-logs"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket="trail-logs", Key=obj["Key"])["Body"].read()
            records.extend(json.loads(gzip.decompress(body))["Records"])
    write_lake(root, records)


@pytest.fixture(scope="module", params=["logs-ingest", "delivered-files"])
def lake(request: pytest.FixtureRequest, attacked: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    sandbox = attacked
    root = tmp_path_factory.mktemp("lake")
    if request.param == "delivered-files":
        _lake_from_files(sandbox, root)
        return root
    if _ingest_command() is None:
        pytest.skip("`secpillar logs ingest` is not built yet")
    args = ["logs", "ingest", "s3://trail-logs/", "--lake", str(root)]
    command = _ingest_command()
    if any("--endpoint-url" in getattr(p, "opts", []) for p in _params(command)):
        args += ["--endpoint-url", sandbox]
    env = {"AWS_ENDPOINT_URL": sandbox, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    result = CliRunner().invoke(app, args, env={**env, "AWS_DEFAULT_REGION": REGION})
    assert result.exit_code == 0, result.output
    return root


def _params(command: Any) -> list[Any]:
    import typer.main

    return list(
        typer.main.get_command_from_info(command, pretty_exceptions_short=True, rich_markup_mode=None).params
    )


def events(root: Path, where: str) -> list[str]:
    con = duckdb.connect()
    glob = f"{root}/cloudtrail/**/*.parquet"
    rows = con.execute(
        f"SELECT eventid FROM read_parquet('{glob}', hive_partitioning = true, union_by_name = true) "
        f"WHERE {where} ORDER BY eventtime, eventid"
    ).fetchall()
    return sorted(str(r[0]) for r in rows)


@pytest.fixture(scope="module")
def alerts(lake: Path) -> dict[str, list[list[str]]]:
    result = CliRunner().invoke(app, ["detect", "--lake", str(lake), "--format", "json"])
    assert result.exit_code == 0, result.output
    out: dict[str, list[list[str]]] = {}
    for f in json.loads(result.output)["findings"]:
        out.setdefault(f["finding_info"]["analytic"]["uid"], []).append(sorted(f["event_ids"]))
    return out


def test_nothing_after_stop_logging_reached_the_lake(lake: Path) -> None:
    assert events(lake, "eventname = 'StopLogging'")
    assert events(lake, "requestparameters LIKE '%after-the-trail-stopped%'") == []


def test_console_brute_force_then_success(lake: Path, alerts: dict[str, list[list[str]]]) -> None:
    failed = events(
        lake, f"eventname = 'ConsoleLogin' AND errormessage IS NOT NULL AND sourceipaddress = '{ATTACKER_IP}'"
    )
    ok = events(
        lake, f"eventname = 'ConsoleLogin' AND errormessage IS NULL AND sourceipaddress = '{ATTACKER_IP}'"
    )
    assert len(failed) == 5 and len(ok) == 1
    assert alerts["ct.console-brute-force-ip"] == [failed]
    assert alerts["ct.console-login-after-failures"] == [sorted(failed + ok)]


@pytest.mark.parametrize(
    ("detection", "where"),
    [
        ("ct.s3-bucket-policy-public", "eventname = 'PutBucketPolicy'"),
        ("ct.security-group-open-to-world", "eventname = 'AuthorizeSecurityGroupIngress'"),
        ("ct.iam-admin-policy-attached", "eventname = 'AttachUserPolicy'"),
        ("ct.kms-key-deletion", "eventname = 'ScheduleKeyDeletion'"),
        ("ct.cloudtrail-stopped", "eventname = 'StopLogging'"),
    ],
)
def test_alert_on_the_exact_event(
    detection: str, where: str, lake: Path, alerts: dict[str, list[list[str]]]
) -> None:
    expected = events(lake, where)
    assert len(expected) == 1, f"the lake holds {len(expected)} events for {where}"
    assert alerts.get(detection) == [expected]
