"""A scan where one account's role cannot be assumed and one service answers AccessDenied
completes, reports both as gaps, and exits 0 (3 with --fail-on)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.cli_process import run_cli
from tests.functional.moto_auth import set_auth

from secpillar.sandbox.seed import SeedOrg, create_organization, policy
from secpillar.sandbox.server import SandboxProcess

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def restricted() -> Iterator[dict[str, Any]]:
    """An organization whose scanner may not assume PROD's role nor call S3 (moto enforces
    IAM identity policies once auth is switched on)."""
    with SandboxProcess() as proc:
        org = SeedOrg(proc.url)
        create_organization(org)
        # Give the member accounts' access role permissions (moto enforces them once auth is on).
        for name in ("LOGS", "TEST", "STG"):
            org.client(name, "iam").put_role_policy(
                RoleName="OrganizationAccountAccessRole",
                PolicyName="admin",
                PolicyDocument=policy({"Effect": "Allow", "Action": "*", "Resource": "*"}),
            )
        iam = org.client("MGMT", "iam")
        iam.create_user(UserName="scanner")
        iam.put_user_policy(
            UserName="scanner",
            PolicyName="scan",
            PolicyDocument=policy(
                {"Effect": "Allow", "Action": "*", "Resource": "*"},
                {
                    "Effect": "Deny",
                    "Action": "sts:AssumeRole",
                    "Resource": f"arn:aws:iam::{org.account_id('PROD')}:role/*",
                },
                {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
            ),
        )
        key = iam.create_access_key(UserName="scanner")["AccessKey"]
        set_auth(proc.url, "0")
        try:
            yield {"url": proc.url, "org": org, "key": key}
        finally:
            set_auth(proc.url, "inf")


def _scan(env_key: dict[str, Any], url: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.update(
        AWS_ACCESS_KEY_ID=env_key["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=env_key["SecretAccessKey"],
        AWS_DEFAULT_REGION="us-east-1",
    )
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    return run_cli("scan", "--endpoint-url", url, "--org", "--regions", "us-east-1", "--out", str(out),
                   "--format", "console,json", *extra, env=env)  # fmt: skip


def test_scan_reports_gaps_and_completes(restricted: dict[str, Any], tmp_path: Path) -> None:
    proc = _scan(restricted["key"], restricted["url"], tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    inv = json.loads((tmp_path / "inventory.json").read_text())
    gaps = inv["gaps"]
    prod = restricted["org"].account_id("PROD")
    assert any(g["kind"] == "assume_role_failed" and g["account"] == prod for g in gaps), gaps
    denied = {(g["account"], g["service"]) for g in gaps if g["kind"] == "denied"}
    test_acct = restricted["org"].account_id("TEST")
    assert ("123456789012", "s3") in denied
    assert (test_acct, "s3") not in denied  # the deny is on the scanner user, not the member role
    # The other accounts were still scanned.
    scanned = {r["accountId"] for r in inv["resources"]}
    assert {test_acct, restricted["org"].account_id("LOGS"), "123456789012"} <= scanned
    assert prod not in scanned
    assert "Gaps" in proc.stdout
    # No credential reaches the output.
    text = (tmp_path / "inventory.json").read_text() + (tmp_path / "findings.json").read_text()
    assert restricted["key"]["SecretAccessKey"] not in text


def test_fail_on_gates_with_exit_3(restricted: dict[str, Any], tmp_path: Path) -> None:
    proc = _scan(restricted["key"], restricted["url"], tmp_path, "--fail-on", "low")
    assert proc.returncode == 3, proc.stderr[-2000:]
    findings = json.loads((tmp_path / "findings.json").read_text())
    assert any(f["status"] == "FAIL" for f in findings)


def test_scanner_credentials_are_denied_elsewhere(restricted: dict[str, Any]) -> None:
    """Sanity: the restriction is really enforced by the server (so the gaps above are real)."""
    key = restricted["key"]
    s3 = boto3.client(
        "s3",
        endpoint_url=restricted["url"],
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )
    with pytest.raises(s3.exceptions.ClientError) as err:
        s3.list_buckets()
    assert err.value.response["Error"]["Code"] in {"AccessDenied", "AccessDeniedException", "403"}
