"""Seed logging and detection: the organization trail to the LOGS archive bucket, local trails with
flaws, AWS Config recorders, GuardDuty detectors and ECR repositories (runs last).

Clean: the organization trail (MGMT), PROD's ``prod/web`` repository, and PROD's us-east-1
AccountRegion (Config recording, GuardDuty on; EBS default encryption is the EC2 slice's part and
is verified before the region is recorded clean).

Flaws: PROD trail without log file validation; STG single-region trail delivering to a bucket in
STG; TEST trail stopped and without KMS; no Config recorder in TEST, a stopped one in STG; no
GuardDuty detector in STG, a suspended one in TEST; TEST's repository without scan on push, with
mutable tags and an image with a critical finding (planted through moto's
``/moto-api/static/ecr/scan-finding-results``); STG's repository with mutable tags.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from botocore.exceptions import ClientError

from secpillar.model import account_region_arn
from secpillar.sandbox.seed import REGION, SeedOrg, policy

ORG_TRAIL = "secpillar-org-trail"
IMAGE_TAG = "1.0.0"
CONFIG_ROLE = "config.amazonaws.com/AWSServiceRoleForConfig"


def _manifest(account: str) -> str:
    """A small, valid Docker image manifest (the digests are fixed per account)."""
    seed = int(account) if account.isdigit() else 0
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 7023,
                "digest": f"sha256:{seed:064x}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 32654,
                    "digest": f"sha256:{seed + 1:064x}",
                }
            ],
        }
    )


def _log_bucket(org: SeedOrg) -> str:
    """The central CloudTrail / Config bucket in LOGS (versioned, encrypted, private)."""
    logs = org.account_id("LOGS")
    bucket = f"secpillar-org-cloudtrail-{logs}"
    s3 = org.client("LOGS", "s3")
    try:
        s3.create_bucket(Bucket=bucket)
    except ClientError as exc:  # another seeder may have made the archive bucket already
        if exc.response.get("Error", {}).get("Code") not in {
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
        }:
            raise
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
            ]
        },
    )
    services = {"Service": ["cloudtrail.amazonaws.com", "config.amazonaws.com"]}
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=policy(
            {
                "Sid": "LogDeliveryAclCheck",
                "Effect": "Allow",
                "Principal": services,
                "Action": "s3:GetBucketAcl",
                "Resource": f"arn:aws:s3:::{bucket}",
            },
            {
                "Sid": "LogDeliveryWrite",
                "Effect": "Allow",
                "Principal": services,
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/AWSLogs/*",
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceOrgID": org.organization_id,
                    }
                },
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ),
    )
    org.manifest.flaw(
        "aws.s3.bucket-access-logging",
        "LOGS",
        f"bucket {bucket}",
        f"arn:aws:s3:::{bucket}",
        "The organization's CloudTrail bucket has no server access logging: reads of the audit trail "
        "leave no trace.",
    )
    return bucket


def _trail_key(org: SeedOrg) -> str:
    """A customer managed key in MGMT that CloudTrail may encrypt with (rotation on)."""
    mgmt = org.account_id("MGMT")
    kms = org.client("MGMT", "kms")
    key = kms.create_key(
        Description="secpillar CloudTrail log encryption",
        Policy=policy(
            {
                "Sid": "AccountAdmin",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{mgmt}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "CloudTrailEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceOrgID": org.organization_id}},
            },
        ),
        Tags=[{"TagKey": "purpose", "TagValue": "cloudtrail"}],
    )["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName="alias/secpillar-cloudtrail", TargetKeyId=key["KeyId"])
    return str(key["Arn"])


def _trail(org: SeedOrg, account: str, name: str, **params: Any) -> str:
    ct = org.client(account, "cloudtrail")
    arn = str(ct.create_trail(Name=name, IncludeGlobalServiceEvents=True, **params)["TrailARN"])
    ct.start_logging(Name=name)
    return arn


def _trails(org: SeedOrg) -> None:
    bucket = _log_bucket(org)
    key = _trail_key(org)
    arn = _trail(
        org,
        "MGMT",
        ORG_TRAIL,
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        IsOrganizationTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=key,
    )
    org.manifest.clean_resource(
        "MGMT",
        f"trail {ORG_TRAIL}",
        arn,
        "Organization trail: multi-region, logging, log file validation, KMS, delivering to LOGS.",
    )

    arn = _trail(org, "PROD", "prod-audit-trail", S3BucketName=bucket, IsMultiRegionTrail=True, KmsKeyId=key)
    org.manifest.flaw(
        "aws.cloudtrail.log-file-validation",
        "PROD",
        "trail prod-audit-trail",
        arn,
        "Local trail without log file validation: altered log files would go unnoticed.",
    )

    local_bucket = f"secpillar-stg-trail-{org.account_id('STG')}"
    s3 = org.client("STG", "s3")
    s3.create_bucket(Bucket=local_bucket)
    s3.put_bucket_versioning(Bucket=local_bucket, VersioningConfiguration={"Status": "Enabled"})
    bucket_arn = f"arn:aws:s3:::{local_bucket}"
    for check_id, what in (
        ("aws.s3.bucket-encryption-at-rest", "no default encryption on the local trail bucket"),
        ("aws.s3.bucket-tls-only", "no policy denying plain-HTTP access to the trail bucket"),
        ("aws.s3.bucket-access-logging", "no server access logging on the trail bucket"),
        ("aws.tagging.data-classification", "no DataClassification tag though the tag policy requires it"),
    ):
        org.manifest.flaw(check_id, "STG", f"bucket {local_bucket}", bucket_arn, what.capitalize() + ".")
    arn = _trail(
        org,
        "STG",
        "stg-audit-trail",
        S3BucketName=local_bucket,
        IsMultiRegionTrail=False,
        EnableLogFileValidation=True,
        KmsKeyId=key,
    )
    org.manifest.flaw(
        "aws.cloudtrail.multi-region",
        "STG",
        "trail stg-audit-trail",
        arn,
        "Single-region trail: activity in other regions is not recorded by it.",
    )
    org.manifest.flaw(
        "aws.cloudtrail.central-bucket",
        "STG",
        "trail stg-audit-trail",
        arn,
        f"Trail delivers to bucket {local_bucket} in STG itself, not to the LOGS archive.",
    )

    arn = _trail(
        org,
        "TEST",
        "test-audit-trail",
        S3BucketName=bucket,
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
    )
    org.client("TEST", "cloudtrail").stop_logging(Name="test-audit-trail")
    org.manifest.flaw(
        "aws.cloudtrail.logging",
        "TEST",
        "trail test-audit-trail",
        arn,
        "Trail exists but logging is stopped.",
    )
    org.manifest.flaw(
        "aws.cloudtrail.kms-encryption",
        "TEST",
        "trail test-audit-trail",
        arn,
        "Trail log files are not encrypted with a KMS key.",
    )


def _region_arn(org: SeedOrg, account: str) -> str:
    return account_region_arn(org.account_id(account), REGION)


def _config(org: SeedOrg, bucket: str) -> None:
    for account in ("MGMT", "LOGS", "PROD", "STG"):
        cfg = org.client(account, "config")
        role = f"arn:aws:iam::{org.account_id(account)}:role/aws-service-role/{CONFIG_ROLE}"
        cfg.put_configuration_recorder(
            ConfigurationRecorder={
                "name": "default",
                "roleARN": role,
                "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": account == "MGMT"},
            }
        )
        cfg.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": bucket})
        if account != "STG":
            cfg.start_configuration_recorder(ConfigurationRecorderName="default")
    org.manifest.flaw(
        "aws.config.recorder-enabled",
        "STG",
        f"config recorder {REGION}",
        _region_arn(org, "STG"),
        "A configuration recorder exists but was never started.",
    )
    org.manifest.flaw(
        "aws.config.recorder-enabled",
        "TEST",
        f"config recorder {REGION}",
        _region_arn(org, "TEST"),
        "No AWS Config configuration recorder in the region.",
    )


def _guardduty(org: SeedOrg) -> None:
    for account in ("MGMT", "LOGS", "PROD"):
        org.client(account, "guardduty").create_detector(
            Enable=True, FindingPublishingFrequency="FIFTEEN_MINUTES"
        )
    org.client("TEST", "guardduty").create_detector(Enable=False)
    org.manifest.flaw(
        "aws.guardduty.enabled",
        "TEST",
        f"guardduty {REGION}",
        _region_arn(org, "TEST"),
        "The GuardDuty detector is suspended.",
    )
    org.manifest.flaw(
        "aws.guardduty.enabled",
        "STG",
        f"guardduty {REGION}",
        _region_arn(org, "STG"),
        "No GuardDuty detector.",
    )


def _plant_critical_finding(org: SeedOrg, account: str, repository: str) -> bool:
    """Make moto answer a CRITICAL finding for the repository's image (False: not a moto server)."""
    body = {
        "account_id": org.account_id(account),
        "region": REGION,
        "results": [
            {
                "registryId": org.account_id(account),
                "repositoryName": repository,
                "imageId": {"imageTag": IMAGE_TAG},
                "imageScanStatus": {
                    "status": "COMPLETE",
                    "description": "The scan was completed successfully.",
                },
                "imageScanFindings": {
                    "findingSeverityCounts": {"CRITICAL": 1, "HIGH": 1},
                    "findings": [
                        {
                            "name": "CVE-2021-44228",
                            "uri": "https://nvd.nist.gov/vuln/detail/CVE-2021-44228",
                            "severity": "CRITICAL",
                            "attributes": [
                                {"key": "package_name", "value": "log4j-core"},
                                {"key": "package_version", "value": "2.14.1"},
                            ],
                        }
                    ],
                },
            }
        ],
    }
    req = urllib.request.Request(
        f"{org.endpoint_url}/moto-api/static/ecr/scan-finding-results",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10):
            pass
    except OSError:
        return False
    return True


def _ecr(org: SeedOrg) -> None:
    settings = {"PROD": (True, "IMMUTABLE"), "STG": (True, "MUTABLE"), "TEST": (False, "MUTABLE")}
    arns: dict[str, str] = {}
    planted = False
    for env, (scan, mutability) in settings.items():
        ecr = org.client(env, "ecr")
        name = f"{env.lower()}/web"
        arns[env] = str(
            ecr.create_repository(
                repositoryName=name,
                imageScanningConfiguration={"scanOnPush": scan},
                imageTagMutability=mutability,
                tags=[{"Key": "env", "Value": env.lower()}],
            )["repository"]["repositoryArn"]
        )
        if env in {"PROD", "TEST"}:
            ecr.put_image(
                repositoryName=name, imageManifest=_manifest(org.account_id(env)), imageTag=IMAGE_TAG
            )
            if env == "TEST":
                planted = _plant_critical_finding(org, env, name)
            ecr.start_image_scan(repositoryName=name, imageId={"imageTag": IMAGE_TAG})
    org.manifest.clean_resource(
        "PROD", "ecr prod/web", arns["PROD"], "Scan on push, immutable tags, no critical image finding."
    )
    org.manifest.flaw(
        "aws.ecr.tag-immutability", "STG", "ecr stg/web", arns["STG"], "Image tags are mutable."
    )
    org.manifest.flaw(
        "aws.ecr.scan-on-push", "TEST", "ecr test/web", arns["TEST"], "Images are not scanned on push."
    )
    org.manifest.flaw(
        "aws.ecr.tag-immutability", "TEST", "ecr test/web", arns["TEST"], "Image tags are mutable."
    )
    if planted:
        org.manifest.flaw(
            "aws.ecr.no-critical-image-findings",
            "TEST",
            "ecr test/web",
            arns["TEST"],
            f"Image {IMAGE_TAG} has a critical vulnerability finding (CVE-2021-44228).",
        )


def seed(org: SeedOrg) -> None:
    """Plant the trails, recorders, detectors and repositories (see the module docstring)."""
    _trails(org)
    _config(org, f"secpillar-org-cloudtrail-{org.account_id('LOGS')}")
    _guardduty(org)
    _ecr(org)
    ebs = org.client("PROD", "ec2").get_ebs_encryption_by_default()
    if ebs.get("EbsEncryptionByDefault"):
        org.manifest.clean_resource(
            "PROD",
            f"account region {REGION}",
            _region_arn(org, "PROD"),
            "Config recording, GuardDuty enabled and EBS default encryption on (the EC2 slice's part).",
        )
