"""S3, KMS, CloudFront and tag policies against a moto server: collectors, and the seeded slice
round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest

from secpillar.model import ACCOUNT_TYPE, Status
from secpillar.sandbox import seed
from secpillar.sandbox.seed import SeedOrg, policy
from secpillar.sandbox.seeders import storage
from secpillar.scan import ScanOptions, run_scan

pytestmark = pytest.mark.functional

ACCOUNT = "123456789012"
STORAGE_CHECKS = ["aws.s3.*", "aws.kms.*", "aws.cloudfront.*", "aws.tagging.*"]


def test_collectors_read_buckets_keys_and_distributions(moto_endpoint: str, aws_client: Any) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="fn-open")
    s3.put_bucket_policy(
        Bucket="fn-open",
        Policy=policy(
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::fn-open/*",
            }
        ),
    )
    s3.put_bucket_tagging(Bucket="fn-open", Tagging={"TagSet": [{"Key": "team", "Value": "web"}]})
    aws_client("s3", "eu-west-1").create_bucket(
        Bucket="fn-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    kms = aws_client("kms")
    rotated = kms.create_key(Description="rotated")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=rotated["KeyId"])
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    cf = aws_client("cloudfront")
    dist = cf.create_distribution(
        DistributionConfig={
            "CallerReference": "fn",
            "Comment": "fn",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": "fn-open.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "allow-all",
                "CachePolicyId": storage.CACHING_OPTIMIZED,
            },
        }
    )["Distribution"]

    result = run_scan(
        ScanOptions(endpoint_url=moto_endpoint, regions=["us-east-1"], checks=STORAGE_CHECKS, use_org=False)
    )
    inv = result.inventory
    assert not [g for g in inv.gaps if g.service in ("s3", "s3control", "kms", "cloudfront")]

    open_bucket = inv.get("arn:aws:s3:::fn-open")
    assert open_bucket is not None and open_bucket.region == "us-east-1"
    assert open_bucket.supplementary["BucketPolicy"]["policyText"]["Statement"][0]["Principal"] == "*"
    assert open_bucket.supplementary["PublicAccessBlockConfiguration"] is None
    assert open_bucket.tags == {"team": "web"}
    eu = inv.get("arn:aws:s3:::fn-eu")
    assert eu is not None and eu.region == "eu-west-1"
    assert eu.supplementary["BucketPolicy"] == {"policyText": None}

    account = inv.get(f"arn:aws:iam::{ACCOUNT}:root")
    assert account is not None and account.resource_type == ACCOUNT_TYPE
    assert account.supplementary["S3AccountPublicAccessBlock"] is None

    key = inv.get(rotated["Arn"])
    assert key is not None and key.configuration["keyRotationEnabled"] is True
    assert key.supplementary["KeyPolicy"]["policyText"]["Statement"]
    sig = inv.get(signing["Arn"])
    assert sig is not None and "keyRotationEnabled" not in sig.configuration
    assert {k.arn for k in inv.by_type("AWS::KMS::Key")} == {rotated["Arn"], signing["Arn"]}

    d = inv.get(dist["ARN"])
    assert d is not None
    behavior = d.configuration["distributionConfig"]["defaultCacheBehavior"]
    assert behavior["viewerProtocolPolicy"] == "allow-all"

    fails = {(f.check_id, f.resource.arn) for f in result.findings if f.status is Status.FAIL}
    assert ("aws.s3.bucket-policy-not-public", "arn:aws:s3:::fn-open") in fails
    assert ("aws.s3.account-public-access-block", f"arn:aws:iam::{ACCOUNT}:root") in fails
    assert ("aws.cloudfront.origin-bucket-not-public", dist["ARN"]) in fails
    assert ("aws.kms.key-rotation-enabled", rotated["Arn"]) not in fails


def test_account_public_access_block_is_read(moto_endpoint: str) -> None:
    s3c = storage.s3control(SeedOrg(moto_endpoint), "MGMT")
    s3c.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration=storage.PAB_ALL)
    result = run_scan(
        ScanOptions(
            endpoint_url=moto_endpoint,
            regions=["us-east-1"],
            checks=["aws.s3.account-public-access-block"],
            use_org=False,
        )
    )
    account = result.inventory.get(f"arn:aws:iam::{ACCOUNT}:root")
    assert account is not None
    assert account.supplementary["S3AccountPublicAccessBlock"]["restrictPublicBuckets"] is True
    assert [f.status for f in result.findings] == [Status.PASS]


def test_storage_slice_round_trip(moto_endpoint: str) -> None:
    seed.seed_random(moto_endpoint)
    org = SeedOrg(moto_endpoint)
    seed.create_organization(org)
    storage.seed(org)
    manifest = org.manifest
    assert len(manifest.flaws) >= 10

    result = run_scan(ScanOptions(endpoint_url=moto_endpoint, regions=["us-east-1"], checks=STORAGE_CHECKS))
    fails = {(f.check_id, f.resource.arn) for f in result.findings if f.status is Status.FAIL}
    missed = [(f.check_id, f.account, f.resource) for f in manifest.flaws if (f.check_id, f.arn) not in fails]
    assert not missed, missed
    clean = {c.arn for c in manifest.clean}
    wrong = [
        (f.check_id, f.resource.arn, f.message)
        for f in result.findings
        if f.failed and f.resource.arn in clean
    ]
    assert not wrong, wrong
    # The clean bucket passes every S3 check and the tag policy.
    data = next(c.arn for c in manifest.clean if "app-data" in c.resource and c.arn.startswith("arn:aws:s3"))
    passed = {f.check_id for f in result.findings if f.resource.arn == data and f.status is Status.PASS}
    assert {
        "aws.s3.bucket-policy-not-public",
        "aws.s3.bucket-acl-not-public",
        "aws.s3.bucket-public-access-block",
        "aws.s3.bucket-encryption-at-rest",
        "aws.s3.bucket-tls-only",
        "aws.s3.bucket-access-logging",
        "aws.s3.bucket-versioning",
        "aws.tagging.data-classification",
    } <= passed
    # The tag policy is collected as the tagging check reads it.
    tag_policies = [
        p
        for p in result.inventory.by_type("AWS::Organizations::Policy")
        if p.configuration["type"] == "TAG_POLICY"
    ]
    assert len(tag_policies) == 1
    content = tag_policies[0].configuration["content"]
    assert json.dumps(content["tags"]["dataclassification"]["enforced_for"]) == '{"@@assign": ["s3:bucket"]}'
