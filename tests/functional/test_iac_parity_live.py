"""Parity, live: the same Terraform gives the same status as the sandbox resource deployed with
the same settings.

For each ``live`` row of tests/fixtures/terraform/parity.yaml, the insecure and then the secure
module is (1) checked as Terraform with ``secpillar iac`` and (2) deployed onto a fresh moto
server by :mod:`iac_deploy` (the boto3 calls the AWS provider makes, with its documented
defaults) and scanned live through the real collectors with ``run_scan``. The check must FAIL on
both for the insecure module and PASS on both for the secure one."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.functional.iac_deploy import Deployer, is_deployed

from secpillar.iac import IacOptions, run_iac
from secpillar.scan import ScanOptions, run_scan
from secpillar.sources.terraform.hcl import load_folder

ROWS: list[dict[str, Any]] = yaml.safe_load(
    (Path(__file__).parents[1] / "fixtures" / "terraform" / "parity.yaml").read_text()
)
NOT_DEPLOYED = {
    # moto's run_instances gives every instance in the default subnet a public IP address.
    "aws.ec2.instance-no-public-ip",
    # CloudFront distributions are exercised live by the sandbox e2e (they need its moto patches).
    "aws.cloudfront.viewer-https",
    "aws.cloudfront.s3-origin-access-control",
}
LIVE = [r for r in ROWS if r.get("live") and r["check"] not in NOT_DEPLOYED]


@pytest.fixture(scope="module")
def sandbox(moto_server: str) -> Iterator[str]:
    with pytest.MonkeyPatch.context() as mp:
        for k, v in {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "x",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            mp.setenv(k, v)
        yield moto_server


def reset(url: str) -> None:
    req = urllib.request.Request(f"{url}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30):
        pass


def terraform_status(folder: Path, check: str, name: str | None) -> set[str]:
    result = run_iac(IacOptions(path=str(folder), checks=[check]))
    return {f.status.value for f in result.findings if name is None or f.resource.name == name}


def live_status(url: str, folder: Path, check: str, name: str | None) -> set[str]:
    reset(url)
    deployed = Deployer(url).apply(load_folder(folder))
    scan = run_scan(ScanOptions(endpoint_url=url, use_org=False, regions=["us-east-1"], checks=[check]))
    assert not [g for g in scan.inventory.gaps if g.kind.value != "unsupported"], scan.inventory.gaps
    return {
        f.status.value
        for f in scan.findings
        if is_deployed(f.resource.arn, deployed) and (name is None or f.resource.name == name)
    }


@pytest.mark.parametrize("row", LIVE, ids=[r["check"] for r in LIVE])
def test_terraform_and_deployed_resource_agree(row: dict[str, Any], sandbox: str, tmp_path: Path) -> None:
    for variant, expected in (("insecure", "FAIL"), ("secure", "PASS")):
        folder = tmp_path / variant
        folder.mkdir()
        (folder / "main.tf").write_text(row[variant])
        assert terraform_status(folder, row["check"], row.get("resource")) == {expected}, variant
        assert live_status(sandbox, folder, row["check"], row.get("resource")) == {expected}, variant


def test_parity_is_proven_live_for_at_least_twenty_checks() -> None:
    assert len({r["check"] for r in LIVE}) >= 20
