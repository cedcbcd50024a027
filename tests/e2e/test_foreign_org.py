"""`secpillar scan --org` on an organization seeded by a script that is not ours: the collector
relies on nothing but the AWS APIs. This seeder uses plain boto3 only."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from tests.cli_process import run_cli

from secpillar.sandbox.server import SandboxProcess

pytestmark = pytest.mark.e2e

KW = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}


def _member_client(url: str, account: str, service: str) -> Any:
    sts = boto3.client("sts", endpoint_url=url, **KW)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole", RoleSessionName="other-seeder"
    )["Credentials"]
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with SandboxProcess() as proc:
        url = proc.url
        org = boto3.client("organizations", endpoint_url=url, **KW)
        org.create_organization(FeatureSet="ALL")
        acct = org.create_account(Email="w@example.com", AccountName="Workload")["CreateAccountStatus"][
            "AccountId"
        ]
        s3 = _member_client(url, acct, "s3")
        s3.create_bucket(Bucket="someone-elses-public-bucket")
        s3.put_bucket_acl(Bucket="someone-elses-public-bucket", ACL="public-read")
        ec2 = _member_client(url, acct, "ec2")
        vpc = ec2.create_vpc(CidrBlock="172.20.0.0/16")["Vpc"]["VpcId"]
        sg = ec2.create_security_group(GroupName="ssh-anywhere", Description="x", VpcId=vpc)["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=sg,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )
        out = tmp_path_factory.mktemp("foreign")
        run = run_cli("scan", "--endpoint-url", url, "--org", "--regions", "us-east-1", "--out", str(out),
                      "--format", "json")  # fmt: skip
        yield {"account": acct, "sg": sg, "vpc": vpc, "run": run, "out": out}


def test_scan_of_a_foreign_org(foreign: dict[str, Any]) -> None:
    run = foreign["run"]
    assert run.returncode == 0, run.stderr[-2000:]
    findings = json.loads((foreign["out"] / "findings.json").read_text())
    failing = {(f["check_id"], f["resource"]["arn"]) for f in findings if f["status"] == "FAIL"}
    acct = foreign["account"]
    assert ("aws.s3.bucket-acl-not-public", "arn:aws:s3:::someone-elses-public-bucket") in failing
    sg_arn = f"arn:aws:ec2:us-east-1:{acct}:security-group/{foreign['sg']}"
    assert ("aws.ec2.sg-admin-ports-ipv4", sg_arn) in failing
    vpc_arn = f"arn:aws:ec2:us-east-1:{acct}:vpc/{foreign['vpc']}"
    assert ("aws.ec2.vpc-flow-logs", vpc_arn) in failing
    inv = json.loads((foreign["out"] / "inventory.json").read_text())
    assert {a["id"] for a in inv["accounts"]} == {"123456789012", acct}
