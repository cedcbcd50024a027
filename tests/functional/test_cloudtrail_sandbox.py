"""The sandbox's CloudTrail: real-format records delivered to the trail's bucket while it logs,
and "AWS API Call via CloudTrail" events on EventBridge (moto records nothing by itself)."""

from __future__ import annotations

import gzip
import json
import re
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from secpillar.sandbox.console import flush_cloudtrail, simulate_console_login

ACCOUNT = "123456789012"
KEY = re.compile(
    r"^AWSLogs/(?:o-[a-z0-9]+/)?(\d{12})/CloudTrail/([a-z0-9-]+)/(\d{4})/(\d{2})/(\d{2})/"
    r"\1_CloudTrail_\2_\3\4\5T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"
)


def _trail(aws_client: Any, bucket: str = "trail-logs", **extra: Any) -> None:
    aws_client("s3").create_bucket(Bucket=bucket)
    ct = aws_client("cloudtrail")
    ct.create_trail(Name="main-trail", S3BucketName=bucket, IsMultiRegionTrail=True, **extra)
    ct.start_logging(Name="main-trail")


def _delivered(s3: Any, bucket: str = "trail-logs") -> tuple[list[str], list[dict[str, Any]]]:
    keys, records = [], []
    for obj in s3.list_objects_v2(Bucket=bucket).get("Contents", []):
        if "/CloudTrail/" not in obj["Key"]:
            continue
        keys.append(obj["Key"])
        body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
        records.extend(json.loads(gzip.decompress(body))["Records"])
    return keys, records


def _by_name(records: list[dict[str, Any]], name: str) -> dict[str, Any]:
    found = [r for r in records if r["eventName"] == name]
    assert len(found) == 1, (name, [r["eventName"] for r in records])
    return found[0]


def test_records_and_delivery(aws_client: Any, moto_endpoint: str) -> None:
    _trail(aws_client)
    iam, ec2 = aws_client("iam"), aws_client("ec2")
    iam.create_user(UserName="bob")
    secret_key = iam.create_access_key(UserName="bob")["AccessKey"]["SecretAccessKey"]
    iam.create_login_profile(UserName="bob", Password="Corr3ct-Horse-Battery!")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    aws_client("s3").put_public_access_block(
        Bucket="trail-logs",
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False, "IgnorePublicAcls": False,
            "BlockPublicPolicy": False, "RestrictPublicBuckets": False,
        },
    )  # fmt: skip
    sm = aws_client("secretsmanager")
    sm.create_secret(Name="db", SecretString="s3cr3t-value")
    sm.get_secret_value(SecretId="db")
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_user(UserName="nobody")
    flush_cloudtrail(moto_endpoint)

    s3 = aws_client("s3")
    keys, records = _delivered(s3)
    assert keys and all(KEY.match(k) for k in keys), keys
    raw = b"".join(gzip.decompress(s3.get_object(Bucket="trail-logs", Key=k)["Body"].read()) for k in keys)
    for secret in (secret_key, "Corr3ct-Horse-Battery!", "s3cr3t-value"):
        assert secret.encode() not in raw

    auth = _by_name(records, "AuthorizeSecurityGroupIngress")
    assert auth["eventSource"] == "ec2.amazonaws.com" and auth["readOnly"] is False
    perm = auth["requestParameters"]["ipPermissions"]["items"][0]
    assert (perm["ipProtocol"], perm["fromPort"], perm["toPort"]) == ("tcp", 22, 22)
    assert perm["ipRanges"]["items"] == [{"cidrIp": "0.0.0.0/0"}]
    assert auth["userIdentity"]["type"] == "IAMUser" and auth["userIdentity"]["accountId"] == ACCOUNT
    assert auth["recipientAccountId"] == ACCOUNT and auth["eventType"] == "AwsApiCall"
    uuid.UUID(auth["eventID"])

    key = _by_name(records, "CreateAccessKey")
    assert key["requestParameters"] == {"userName": "bob"}
    assert "secretAccessKey" not in key["responseElements"]["accessKey"]
    assert key["responseElements"]["accessKey"]["accessKeyId"].startswith("AKIA")
    assert _by_name(records, "GetSecretValue")["responseElements"] is None
    assert _by_name(records, "GetSecretValue")["readOnly"] is True

    pab = _by_name(records, "PutBucketPublicAccessBlock")
    assert pab["eventSource"] == "s3.amazonaws.com"
    assert pab["requestParameters"]["bucketName"] == "trail-logs"
    assert pab["requestParameters"]["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is False

    failed = _by_name(records, "GetUser")
    assert failed["errorCode"] == "NoSuchEntity" and failed["errorMessage"]
    assert failed["eventSource"] == "iam.amazonaws.com" and failed["awsRegion"] == "us-east-1"


def test_stop_logging_stops_the_evidence(aws_client: Any, moto_endpoint: str) -> None:
    _trail(aws_client)
    iam, ct = aws_client("iam"), aws_client("cloudtrail")
    iam.create_user(UserName="before")
    ct.stop_logging(Name="main-trail")
    iam.create_user(UserName="while-stopped")
    flush_cloudtrail(moto_endpoint)
    ct.start_logging(Name="main-trail")
    iam.create_user(UserName="after")
    flush_cloudtrail(moto_endpoint)
    _keys, records = _delivered(aws_client("s3"))
    users = [r["requestParameters"]["userName"] for r in records if r["eventName"] == "CreateUser"]
    assert sorted(users) == ["after", "before"]  # "while-stopped" left no record
    assert _by_name(records, "StopLogging")["requestParameters"] == {"name": "main-trail"}


def test_no_trail_no_records(aws_client: Any, moto_endpoint: str) -> None:
    aws_client("s3").create_bucket(Bucket="trail-logs")
    aws_client("iam").create_user(UserName="unseen")
    counts = flush_cloudtrail(moto_endpoint)
    assert counts["files"] == 0 and counts["events"] == 0
    assert _delivered(aws_client("s3")) == ([], [])


def test_organization_trail_covers_member_accounts(aws_client: Any, moto_endpoint: str) -> None:
    org = aws_client("organizations")
    org_id = org.create_organization(FeatureSet="ALL")["Organization"]["Id"]
    status = org.create_account(AccountName="prod", Email="prod@example.com")["CreateAccountStatus"]
    member = status["AccountId"]
    _trail(aws_client, IsOrganizationTrail=True)
    creds = aws_client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="ops"
    )["Credentials"]
    member_iam = boto3.client(
        "iam",
        region_name="us-east-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    member_iam.create_user(UserName="member-user")
    flush_cloudtrail(moto_endpoint)
    keys, records = _delivered(aws_client("s3"))
    assert any(k.startswith(f"AWSLogs/{org_id}/{member}/CloudTrail/us-east-1/") for k in keys), keys
    rec = _by_name(records, "CreateUser")
    ident = rec["userIdentity"]
    assert rec["recipientAccountId"] == member
    assert ident["type"] == "AssumedRole"
    assert ident["arn"] == f"arn:aws:sts::{member}:assumed-role/OrganizationAccountAccessRole/ops"
    issuer = ident["sessionContext"]["sessionIssuer"]
    assert issuer["arn"] == f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole"
    assert ident["principalId"].endswith(":ops") and ident["accessKeyId"] == creds["AccessKeyId"]


def test_eventbridge_rule_delivers_to_sqs(aws_client: Any, moto_endpoint: str) -> None:
    _trail(aws_client)
    sqs, events = aws_client("sqs"), aws_client("events")
    url = sqs.create_queue(QueueName="ct-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pattern = {
        "source": ["aws.iam", "aws.signin"],
        "detail-type": ["AWS API Call via CloudTrail", "AWS Console Sign In via CloudTrail"],
        "detail": {"eventName": ["CreateUser", "ConsoleLogin"]},
    }
    events.put_rule(Name="ct", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="ct", Targets=[{"Id": "q", "Arn": arn}])
    aws_client("iam").create_user(UserName="carol")
    aws_client("iam").list_users()
    login = simulate_console_login(moto_endpoint, "carol", success=False, mfa=False, source_ip="198.51.100.9")
    flush_cloudtrail(moto_endpoint)
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    bodies = [json.loads(m["Body"]) for m in msgs]
    by_name = {b["detail"]["eventName"]: b for b in bodies}
    assert set(by_name) == {"CreateUser", "ConsoleLogin"}
    api = by_name["CreateUser"]
    assert (api["detail-type"], api["source"], api["account"]) == (
        "AWS API Call via CloudTrail",
        "aws.iam",
        ACCOUNT,
    )
    _keys, records = _delivered(aws_client("s3"))
    assert api["detail"]["eventID"] == _by_name(records, "CreateUser")["eventID"]
    sign_in = by_name["ConsoleLogin"]
    assert sign_in["detail-type"] == "AWS Console Sign In via CloudTrail"
    assert sign_in["detail"]["eventID"] == login["eventID"]
    assert sign_in["detail"]["responseElements"] == {"ConsoleLogin": "Failure"}
    assert sign_in["detail"]["additionalEventData"]["MFAUsed"] == "No"
    assert sign_in["detail"]["sourceIPAddress"] == "198.51.100.9"


def test_sandbox_logs_ingest_into_the_lake(aws_client: Any, moto_endpoint: str, tmp_path: Path) -> None:
    """The recorder's files are what ``secpillar logs ingest s3://…`` reads."""
    from typer.testing import CliRunner

    from secpillar.cli.main import app
    from secpillar.lake.store import connect

    _trail(aws_client)
    simulate_console_login(moto_endpoint, "root", success=True, mfa=True, source_ip="203.0.113.50")
    aws_client("kms").schedule_key_deletion(
        KeyId=aws_client("kms").create_key()["KeyMetadata"]["KeyId"], PendingWindowInDays=7
    )
    flush_cloudtrail(moto_endpoint)
    lake = tmp_path / "lake"
    args = [
        "logs",
        "ingest",
        "s3://trail-logs/AWSLogs/",
        "--lake",
        str(lake),
        "--endpoint-url",
        moto_endpoint,
    ]
    result = CliRunner().invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["files_quarantined"] == 0
    rows = (
        connect(lake)
        .execute(
            "SELECT eventname, useridentity.type, json_extract_string(additionaleventdata, '$.MFAUsed'), "
            "json_extract_string(requestparameters, '$.pendingWindowInDays') FROM cloudtrail "
            "WHERE eventname IN ('ConsoleLogin', 'ScheduleKeyDeletion') ORDER BY eventname"
        )
        .fetchall()
    )
    assert rows == [("ConsoleLogin", "Root", "Yes", None), ("ScheduleKeyDeletion", "IAMUser", None, "7")]


def test_trail_bucket_with_tls_only_policy_is_readable(aws_client: Any) -> None:
    """A CloudTrail bucket's usual "deny when aws:SecureTransport is false" statement does not lock
    the sandbox (which stands in for AWS's HTTPS endpoints) out of its own logs; an unconditional
    Deny still denies."""
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="tls-only")
    s3.put_object(Bucket="tls-only", Key="AWSLogs/x.json", Body=b"{}")
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "arn:aws:s3:::tls-only/*"}
    tls = {**deny, "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [tls]}))
    assert s3.get_object(Bucket="tls-only", Key="AWSLogs/x.json")["Body"].read() == b"{}"
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]}))
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_object(Bucket="tls-only", Key="AWSLogs/x.json")
