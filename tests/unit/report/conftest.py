"""Findings for the report tests: a small organization with a hostile tag value."""

from __future__ import annotations

import dataclasses

import pytest

from secpillar.model import Account, Finding, FindingResource, Gap, GapKind, Inventory, Severity, Status

PROD, TEST = "111111111111", "222222222222"
HOSTILE = "<script>document.title='PWNED'</script>\"><img src=x onerror=\"document.title='PWNED2'\">\u2028"


def res(
    arn: str, account: str = PROD, region: str = "us-east-1", tags: dict[str, str] | None = None
) -> FindingResource:
    return FindingResource(arn, "AWS::S3::Bucket", account, region, arn.rsplit(":", 1)[-1], tags or {})


def finding(
    check: str,
    status: Status,
    severity: Severity = Severity.HIGH,
    arn: str = "arn:aws:s3:::bucket-a",
    account: str = PROD,
    wa: tuple[str, ...] = ("SEC08-BP02",),
    tags: dict[str, str] | None = None,
    region: str = "us-east-1",
    remediation: str = "Turn on default encryption (aws s3api put-bucket-encryption --bucket NAME).",
) -> Finding:
    return Finding(
        check_id=check,
        title=f"Title of {check}",
        status=status,
        severity=severity,
        resource=res(arn, account, region, tags),
        message=f"{arn} message",
        wa=wa,
        frameworks={"cis-aws-foundations-v5.0": ("2.1.1",), "aws-fsbp": ("S3.5",)},
        evidence={"Setting": False},
        remediation=remediation,
        time="2025-06-01T12:00:00+00:00",
    )


@pytest.fixture
def inventory() -> Inventory:
    inv = Inventory(
        accounts={PROD: Account(PROD, "PROD"), TEST: Account(TEST, "TEST")},
        regions=["us-east-1"],
        gaps=[Gap(GapKind.DENIED, TEST, "us-east-1", "kms", "ListKeys", "AccessDenied for <b>x</b>")],
    )
    return inv


@pytest.fixture
def findings() -> list[Finding]:
    return [
        finding("aws.s3.bucket-encryption-at-rest", Status.FAIL, tags={"Owner": HOSTILE}),
        finding("aws.s3.bucket-encryption-at-rest", Status.PASS, arn="arn:aws:s3:::bucket-b"),
        finding(
            "aws.iam.root-mfa-enabled",
            Status.FAIL,
            Severity.CRITICAL,
            "arn:aws:iam::222222222222:root",
            TEST,
            ("SEC01-BP02", "SEC02-BP01"),
            region="global",
            remediation="Enable MFA for the root user.",
        ),
        dataclasses.replace(
            finding(
                "aws.ec2.vpc-flow-logs",
                Status.MUTED,
                Severity.MEDIUM,
                "arn:aws:ec2:us-east-1:111111111111:vpc/v",
            ),
            evidence={
                "mute": {"reason": "accepted", "owner": "ops", "expires": "2026-01-01", "expired": False}
            },
        ),
        finding(
            "aws.kms.key-rotation-enabled",
            Status.ERROR,
            Severity.MEDIUM,
            "arn:aws:kms:us-east-1:222222222222:key/k",
            TEST,
        ),
    ]
