"""--security-hub: ASFF findings land in Security Hub through BatchImportFindings, 100 per call,
per account and region; failures are counted, never fatal (moto server, hub enabled first)."""

from __future__ import annotations

from typing import Any

from secpillar.aws.securityhub import import_findings
from secpillar.model import Finding, FindingResource, Severity, Status
from secpillar.report.asff import asff_findings

ACCOUNT = "123456789012"  # the moto server's default account


def _findings(n: int, region: str = "us-east-1", account: str = ACCOUNT) -> list[Finding]:
    return [
        Finding(
            "aws.s3.bucket-versioning",
            "S3 buckets keep versions",
            Status.FAIL,
            Severity.MEDIUM,
            FindingResource(f"arn:aws:s3:::bucket-{i}", "AWS::S3::Bucket", account, region),
            f"bucket-{i} has versioning off",
            wa=("SEC09-BP01",),
            remediation="Turn on versioning.",
        )
        for i in range(n)
    ]


def _all_findings(client: Any) -> list[dict[str, Any]]:
    return [f for page in client.get_paginator("get_findings").paginate() for f in page["Findings"]]


def test_import_in_batches_of_100(aws_client: Any) -> None:
    hub = aws_client("securityhub")
    hub.enable_security_hub()
    calls: list[int] = []

    class Counting:
        def batch_import_findings(self, Findings: list[dict[str, Any]]) -> Any:
            calls.append(len(Findings))
            return hub.batch_import_findings(Findings=Findings)

    report = import_findings(asff_findings(_findings(250)), lambda a, r: Counting())
    assert (report.imported, report.failed, report.batches) == (250, 0, 3)
    assert calls == [100, 100, 50]
    stored = _all_findings(hub)
    assert len(stored) == 250
    one = stored[0]
    assert one["ProductArn"] == f"arn:aws:securityhub:us-east-1:{ACCOUNT}:product/{ACCOUNT}/default"
    assert one["Compliance"]["Status"] == "FAILED" and one["Severity"]["Label"] == "MEDIUM"


def test_failures_are_reported_and_the_rest_goes_on(aws_client: Any) -> None:
    hub = aws_client("securityhub")
    hub.enable_security_hub()
    good = asff_findings(_findings(3))
    broken = dict(good[0], Id="secpillar/broken", Resources=[])  # Security Hub needs a resource
    other = asff_findings(_findings(2, account="999999999999"))

    def client_for(account: str, region: str) -> Any:
        if account != ACCOUNT:
            raise KeyError(account)  # no credentials for that account
        return aws_client("securityhub", region)

    report = import_findings([*good, broken, *other], client_for)
    assert report.imported == 3 and report.failed == 3
    by_id = {f["id"]: f for f in report.failures}
    assert by_id["secpillar/broken"]["code"] == "InvalidInput"
    assert any(f["account"] == "999999999999" and f["code"] == "NoClient" for f in report.failures)
    assert len(_all_findings(hub)) == 3
