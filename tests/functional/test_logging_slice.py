"""Logging slice against moto: the CloudTrail, Config, GuardDuty and ECR collectors on resources
made through boto3, and the seeder's round trip (every planted flaw FAILs, clean resources don't)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from secpillar.aws.session import ClientFactory
from secpillar.collect.base import CollectContext, GapSink
from secpillar.collect.cloudtrail import CloudTrailCollector
from secpillar.collect.config import ConfigCollector
from secpillar.collect.ecr import EcrCollector
from secpillar.collect.guardduty import GuardDutyCollector
from secpillar.model import Resource, Status
from secpillar.sandbox import seed
from secpillar.sandbox.seed import SeedOrg
from secpillar.sandbox.seeders import logging as logging_seeder
from secpillar.scan import ScanOptions, run_scan

pytestmark = pytest.mark.functional

ACCT = "123456789012"
CHECKS = ["cloudtrail", "config", "guardduty", "ecr"]


def _ctx(endpoint: str) -> CollectContext:
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    return CollectContext(ACCT, "main", "us-east-1", ClientFactory(session, endpoint), GapSink())


def _by_type(items: list[Resource], rtype: str) -> list[Resource]:
    return [r for r in items if r.resource_type == rtype]


def test_collectors_read_what_boto3_created(moto_endpoint: str, aws_client: Callable[..., Any]) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="own-trail-logs")
    ct = aws_client("cloudtrail")
    ct.create_trail(Name="main-trail", S3BucketName="own-trail-logs", IsMultiRegionTrail=True)
    ct.start_logging(Name="main-trail")
    aws_client("cloudtrail", "eu-west-1").create_trail(Name="eu-trail", S3BucketName="own-trail-logs")
    cfg = aws_client("config")
    cfg.put_configuration_recorder(
        ConfigurationRecorder={"name": "default", "roleARN": f"arn:aws:iam::{ACCT}:role/config"}
    )
    aws_client("guardduty").create_detector(Enable=True)
    ecr = aws_client("ecr")
    ecr.create_repository(repositoryName="app/api", imageScanningConfiguration={"scanOnPush": True})
    ecr.set_repository_policy(
        repositoryName="app/api",
        policyText=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
                        "Action": "ecr:BatchGetImage",
                    }
                ],
            }
        ),
    )
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": "sha256:" + "1" * 64,
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 2,
                    "digest": "sha256:" + "2" * 64,
                }
            ],
        }
    )
    ecr.put_image(repositoryName="app/api", imageManifest=manifest, imageTag="1.0")
    ecr.start_image_scan(repositoryName="app/api", imageId={"imageTag": "1.0"})

    ctx = _ctx(moto_endpoint)
    got = list(CloudTrailCollector().collect(ctx))
    (trail,) = _by_type(got, "AWS::CloudTrail::Trail")  # the eu-west-1 trail belongs to eu-west-1's job
    assert trail.arn == f"arn:aws:cloudtrail:us-east-1:{ACCT}:trail/main-trail"
    assert trail.configuration["status"]["isLogging"] is True
    assert trail.configuration["s3BucketInTrailAccount"] is True
    assert "eventSelectors" in trail.configuration
    assert [r.arn for r in _by_type(got, "AWS::::Account")] == [f"arn:aws:iam::{ACCT}:root"]

    (region,) = ConfigCollector().collect(ctx)
    assert region.arn == f"arn:aws::us-east-1:{ACCT}:account"
    (rec,) = region.supplementary["ConfigurationRecorders"]
    assert rec["name"] == "default" and rec["status"]["recording"] is False

    (region,) = GuardDutyCollector().collect(ctx)
    (det,) = region.supplementary["GuardDutyDetectors"]
    assert det["status"] == "ENABLED" and det["detectorId"]

    (repo,) = EcrCollector().collect(ctx)
    assert repo.arn == f"arn:aws:ecr:us-east-1:{ACCT}:repository/app/api"
    assert repo.configuration["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.supplementary["RepositoryPolicy"]["Statement"][0]["Action"] == "ecr:BatchGetImage"
    (image,) = repo.supplementary["ImageScanFindings"]
    assert image["imageTags"] == ["1.0"] and image["scanStatus"] == "COMPLETE"
    assert image["findingSeverityCounts"] == {"HIGH": 1}  # moto's default scan result
    assert not ctx.sink.gaps


def test_empty_region_reads_as_nothing_not_unknown(moto_endpoint: str) -> None:
    ctx = _ctx(moto_endpoint)
    assert _by_type(list(CloudTrailCollector().collect(ctx)), "AWS::CloudTrail::Trail") == []
    (region,) = ConfigCollector().collect(ctx)
    assert region.supplementary == {"ConfigurationRecorders": []}
    (region,) = GuardDutyCollector().collect(ctx)
    assert region.supplementary == {"GuardDutyDetectors": []}
    assert list(EcrCollector().collect(ctx)) == []
    assert not ctx.sink.gaps


def test_seeded_flaws_fail_and_clean_resources_pass(moto_endpoint: str) -> None:
    seed.seed_random(moto_endpoint)
    org = SeedOrg(moto_endpoint)
    seed.create_organization(org)
    logging_seeder.seed(org)
    # The seeder also records flaws of its buckets for the S3 and tagging checks: the demo's e2e
    # test holds those (the tag policy they need comes from the storage seeder).
    flaws = [f for f in org.manifest.flaws if f.check_id.split(".")[1] in CHECKS]
    assert len(flaws) >= 8

    result = run_scan(ScanOptions(endpoint_url=moto_endpoint, regions=["us-east-1"], checks=CHECKS))
    fails = {(f.check_id, f.resource.arn) for f in result.findings if f.status is Status.FAIL}
    missing = [(f.check_id, f.account, f.resource) for f in flaws if (f.check_id, f.arn) not in fails]
    assert not missing, missing
    for clean in org.manifest.clean:
        wrong = [c for c, arn in fails if arn == clean.arn]
        assert not wrong, (clean.resource, wrong)
    passes = {(f.check_id, f.resource.arn) for f in result.findings if f.status is Status.PASS}
    trail = next(c.arn for c in org.manifest.clean if c.resource.startswith("trail "))
    assert {c for c, arn in passes if arn == trail} >= {
        "aws.cloudtrail.multi-region",
        "aws.cloudtrail.logging",
        "aws.cloudtrail.log-file-validation",
        "aws.cloudtrail.kms-encryption",
        "aws.cloudtrail.central-bucket",
    }
    # Every account is covered by the organization trail.
    covered = {
        f.resource.account
        for f in result.findings
        if f.check_id == "aws.cloudtrail.enabled-in-account" and f.status is Status.PASS
    }
    assert covered == set(org.accounts.values())
