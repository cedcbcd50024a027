"""A game day against a running endpoint (not the sandbox it starts itself): refused unless
--confirm-account names the endpoint's account (exit 2, nothing run); with it, a technique runs,
is detected from the trail's files and is cleaned up."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from secpillar.cli.main import app

pytestmark = pytest.mark.functional
ACCOUNT = "123456789012"
TECHNIQUE = "aws.defense-evasion.security-group-open-port-22"


def run(endpoint: str, *extra: str) -> Any:
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    return CliRunner().invoke(app, ["gameday", "run", "--target", endpoint, "-t", TECHNIQUE, *extra], env=env)


def test_refused_without_confirmation(moto_endpoint: str, aws_client: Any) -> None:
    result = run(moto_endpoint)
    assert result.exit_code == 2
    assert f"--confirm-account {ACCOUNT}" in result.output
    assert (
        aws_client("ec2").describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["secpillar-gd-*"]}]
        )["SecurityGroups"]
        == []
    )


def test_refused_when_the_account_does_not_match(moto_endpoint: str) -> None:
    result = run(moto_endpoint, "--confirm-account", "111122223333")
    assert result.exit_code == 2
    assert "does not match" in result.output and ACCOUNT in result.output


def test_confirmation_is_refused_for_the_sandbox() -> None:
    result = CliRunner().invoke(app, ["gameday", "run", "--confirm-account", ACCOUNT, "-t", TECHNIQUE])
    assert result.exit_code == 2


def test_unknown_technique_is_a_usage_error() -> None:
    result = CliRunner().invoke(app, ["gameday", "run", "-t", "aws.nothing.such"])
    assert result.exit_code == 2 and "no technique matches" in result.output


def test_confirmed_endpoint_runs_detects_remediates_and_cleans_up(
    moto_endpoint: str, aws_client: Any
) -> None:
    s3, ct = aws_client("s3"), aws_client("cloudtrail")
    s3.create_bucket(Bucket="trail-logs")
    ct.create_trail(Name="main", S3BucketName="trail-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="main")
    result = run(moto_endpoint, "--confirm-account", ACCOUNT, "--format", "json", "--wait", "5")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["target"]["kind"] == "endpoint" and doc["target"]["account"] == ACCOUNT
    (t,) = doc["techniques"]
    assert t["id"] == TECHNIQUE and t["status"] == "ran"
    assert t["detected"] and t["detections"] == ["ct.security-group-open-to-world"]
    assert t["remediated"] and t["responses"][0]["action"] == "ec2.revoke-world-ingress"
    assert t["left_behind"] == []
    groups = aws_client("ec2").describe_security_groups()["SecurityGroups"]
    assert not [g for g in groups if g["GroupName"].startswith("secpillar-gd-")]


def test_aws_managed_policies_are_opt_in(aws_client: Any) -> None:
    """A plain sandbox has no AWS managed policies (moto loads them only when asked); the game day's
    sandbox asks for AdministratorAccess (SECPILLAR_SANDBOX_AWS_MANAGED_POLICIES), which the
    e2e game day attaches."""
    from botocore.exceptions import ClientError

    iam = aws_client("iam")
    iam.create_user(UserName="plain")
    with pytest.raises(ClientError) as err:
        iam.attach_user_policy(UserName="plain", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert err.value.response["Error"]["Code"] == "NoSuchEntity"
