"""A live scan of the sandbox organization and a scan of the AWS Config snapshot of the same
inventory agree: the sandbox inventory is dumped in AWS Config's snapshot shape (files and S3
keys as AWS delivers them), ``secpillar scan --config-snapshot`` reads it back from a folder and
from ``s3://``, and for every check a snapshot can evaluate no finding contradicts the live one
and the FAIL set is the live FAIL set, except for the checks listed in ``UNRECORDED`` whose
inputs AWS Config does not record (those give fewer results, never different ones)."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.cli_process import run_cli, sandbox_env

from secpillar.checks import load_all
from secpillar.sandbox.seed import REGION, seed
from secpillar.sandbox.server import SandboxProcess
from secpillar.scan import ScanOptions, run_scan
from secpillar.sources.config_snapshot import evaluable
from secpillar.sources.config_snapshot.dump import snapshot_documents

pytestmark = pytest.mark.functional

BUCKET = "org-config-snapshots"

UNRECORDED = {
    "aws.cloudtrail.logging": "a trail's logging status",
    "aws.ec2.vpc-flow-logs": "VPC flow logs (their own Config type, not read yet)",
    "aws.iam.console-users-centralized": "login profiles / the credential report",
    "aws.iam.password-policy-strong": "the password policy",
    "aws.iam.root-mfa-enabled": "the credential report",
    "aws.iam.server-certificates-not-expired": "IAM server certificates",
    "aws.iam.user-console-mfa": "MFA devices and login profiles",
    "aws.iam.user-no-access-keys": "access keys",
    "aws.iam.user-one-active-key": "access keys",
    "aws.kms.key-policy-no-public": "key policies",
    "aws.kms.key-rotation-enabled": "key rotation status",
    "aws.kms.key-shared-within-organization": "key policies",
    "aws.organizations.management-account-no-workloads": "the organization",
    "aws.organizations.security-services-delegated": "the organization",
    "aws.s3.account-public-access-block": "an account without a public access block has no item",
    "aws.s3.bucket-public-access-block": "the account-level block, when it is not set",
}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(*args, env=sandbox_env())


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("snapshots")
    with SandboxProcess() as proc:
        seed(proc.url)
        live = run_scan(ScanOptions(endpoint_url=proc.url, use_org=True, regions=[REGION]))
        assert not [g for g in live.inventory.gaps if g.kind.value == "denied"]
        docs = snapshot_documents(live.inventory.resources, home_region=REGION)
        s3 = boto3.client(
            "s3",
            endpoint_url=proc.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=BUCKET)
        for key, data in docs.items():
            (folder / key).parent.mkdir(parents=True, exist_ok=True)
            (folder / key).write_bytes(data)
            s3.put_object(Bucket=BUCKET, Key=key, Body=data)
        s3.put_object(Bucket=BUCKET, Key="AWSLogs/ConfigWritabilityCheckFile", Body=b"")
        yield {"url": proc.url, "live": live.findings, "folder": folder, "files": len(docs)}


def _statuses(findings: list[dict[str, Any]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = defaultdict(dict)
    for f in findings:
        out[f["check_id"]][f["resource"]["arn"]] = f["status"]
    return out


def _scan_snapshot(source: str, out: Path, *extra: str) -> list[dict[str, Any]]:
    proc = _cli("scan", "--config-snapshot", source, "--format", "json", "--out", str(out), *extra)
    assert proc.returncode == 0, proc.stderr[-3000:]
    findings: list[dict[str, Any]] = json.loads((out / "findings.json").read_text())
    return findings


def test_snapshot_scan_agrees_with_the_live_scan(org: dict[str, Any], tmp_path: Path) -> None:
    snap = _scan_snapshot(str(org["folder"]), tmp_path)
    assert org["files"] == 5 and {f["source"] for f in snap} == {"snapshot"}
    live = _statuses([f.to_dict() for f in org["live"]])
    got = _statuses(snap)
    checks, _ = evaluable(load_all())
    same = []
    for check in checks:
        lv, sv = live.get(check.id, {}), got.get(check.id, {})
        wrong = {a: (lv.get(a), s) for a, s in sv.items() if lv.get(a) != s}
        assert not wrong, f"{check.id}: snapshot contradicts live {wrong}"
        fails_live = {a for a, s in lv.items() if s == "FAIL"}
        fails_snap = {a for a, s in sv.items() if s == "FAIL"}
        if check.id in UNRECORDED:
            assert len(sv) < len(lv), f"{check.id} is listed as unrecorded but gave every result"
        else:
            assert fails_snap == fails_live, (check.id, fails_live - fails_snap, fails_snap - fails_live)
            same.append(check.id)
    assert len(same) >= 60
    planted = sum(1 for c in same for s in live.get(c, {}).values() if s == "FAIL")
    assert planted >= 100  # the planted flaws the snapshot finds as the live scan does
    inventory = json.loads((tmp_path / "inventory.json").read_text())
    assert not [g for g in inventory["gaps"] if g["kind"] == "error"]


def test_snapshot_from_s3_reads_the_same(org: dict[str, Any], tmp_path: Path) -> None:
    local = _scan_snapshot(str(org["folder"]), tmp_path / "local")
    remote = _scan_snapshot(f"s3://{BUCKET}/AWSLogs/", tmp_path / "s3", "--endpoint-url", org["url"])
    key = lambda f: (f["check_id"], f["resource"]["arn"], f["status"])  # noqa: E731
    assert sorted(map(key, remote)) == sorted(map(key, local))
    missing = _cli(
        "scan", "--config-snapshot", f"s3://{BUCKET}/nothing-here/", "--endpoint-url", org["url"],
        "--format", "json", "--out", str(tmp_path / "none"),
    )  # fmt: skip
    assert missing.returncode == 0, missing.stderr[-2000:]
    gaps = json.loads((tmp_path / "none" / "inventory.json").read_text())["gaps"]
    assert any("no AWS Config snapshot file" in g["message"] for g in gaps)
