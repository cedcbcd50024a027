"""OCSF, JUnit XML and ASFF renderers: the field names and enumerations each format defines."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from tests.unit.report.conftest import HOSTILE, PROD, finding

from secpillar.model import Finding, Severity, Status
from secpillar.report.asff import asff_finding, asff_json, asff_resource_type
from secpillar.report.junit import junit_xml
from secpillar.report.ocsf import ocsf_event, ocsf_json

# --- OCSF 1.1: base event + Findings category + Compliance Finding class (2003) ---------------
OCSF_REQUIRED = {
    "activity_id",
    "category_uid",
    "class_uid",
    "type_uid",
    "time",
    "severity_id",
    "metadata",
    "finding_info",
    "compliance",
    "status_id",
}


def test_ocsf_compliance_finding_shape(findings: list[Finding]) -> None:
    events = json.loads(ocsf_json(findings, {PROD: "PROD"}))
    assert len(events) == len(findings)
    for e, f in zip(events, findings, strict=True):
        assert set(e) >= OCSF_REQUIRED
        assert (e["class_uid"], e["category_uid"], e["activity_id"]) == (2003, 2, 1)
        assert e["type_uid"] == 2003 * 100 + 1
        assert (
            e["severity_id"]
            == {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}[f.severity.value]
        )
        assert isinstance(e["time"], int) and e["time"] == 1748779200000  # 2025-06-01T12:00:00Z in ms
        assert re.match(r"^1\.\d+\.\d+$", e["metadata"]["version"])
        assert e["metadata"]["product"]["name"] == "secpillar"
        assert e["finding_info"]["uid"] == f.finding_id and e["finding_info"]["title"] == f.title
        assert e["compliance"]["control"] == f.check_id
        assert set(f.wa) <= set(e["compliance"]["requirements"])
        assert "cis-aws-foundations-v5.0:2.1.1" in e["compliance"]["requirements"]
        assert e["resources"][0]["uid"] == f.resource.arn and e["resources"][0]["type"] == f.resource.type
        assert e["cloud"]["provider"] == "AWS" and e["cloud"]["account"]["uid"] == f.resource.account
        assert e["remediation"]["desc"] == f.remediation
        assert e["status_code"] == f.status.value
        assert e["unmapped"]["secpillar"]["check_id"] == f.check_id


@pytest.mark.parametrize(
    ("status", "finding_status", "compliance_status"),
    [
        (Status.FAIL, (1, "New"), (3, "Fail")),
        (Status.PASS, (1, "New"), (1, "Pass")),
        (Status.MUTED, (3, "Suppressed"), (3, "Fail")),
        (Status.ERROR, (1, "New"), (99, "Other")),
    ],
)
def test_ocsf_status_enums(
    status: Status, finding_status: tuple[int, str], compliance_status: tuple[int, str]
) -> None:
    e = ocsf_event(finding("aws.a.b", status))
    assert (e["status_id"], e["status"]) == finding_status
    assert (e["compliance"]["status_id"], e["compliance"]["status"]) == compliance_status


# --- JUnit: the common schema's structure (testsuites > testsuite > testcase > failure|error|skipped)
SUITE_ATTRS = {"name", "tests", "failures", "errors", "skipped", "time"}
CASE_CHILDREN = {"failure", "error", "skipped", "system-out", "system-err"}


def _validate_junit(root: ET.Element) -> None:
    """The JUnit XSD's rules the CI readers rely on."""
    assert root.tag == "testsuites"
    for suite in root:
        assert suite.tag == "testsuite" and set(suite.attrib) >= SUITE_ATTRS
        cases = suite.findall("testcase")
        assert int(suite.get("tests", "-1")) == len(cases)
        assert int(suite.get("failures", "-1")) == len(suite.findall("testcase/failure"))
        assert int(suite.get("errors", "-1")) == len(suite.findall("testcase/error"))
        assert int(suite.get("skipped", "-1")) == len(suite.findall("testcase/skipped"))
        assert {c.tag for c in suite} <= {"properties", "testcase", "system-out", "system-err"}
        for case in cases:
            assert {"name", "classname"} <= set(case.attrib)
            assert {c.tag for c in case} <= CASE_CHILDREN and len(list(case)) <= 1
            for child in case:
                if child.tag in ("failure", "error"):
                    assert "message" in child.attrib and "type" in child.attrib


def test_junit_suites_cases_and_outcomes(findings: list[Finding]) -> None:
    bad = finding("aws.a.ctl", Status.FAIL, tags={"Note": "bell\x07 and nul\x00 chars"})
    xml = junit_xml([*findings, bad], {PROD: "PROD"})
    root = ET.fromstring(xml.encode())
    _validate_junit(root)
    assert int(root.get("tests", "0")) == len(findings) + 1
    suites = {s.get("name"): s for s in root}
    assert set(suites) == {f.check_id for f in [*findings, bad]}
    enc = suites["aws.s3.bucket-encryption-at-rest"]
    assert (enc.get("tests"), enc.get("failures")) == ("2", "1")
    failure = enc.find("testcase/failure")
    assert failure is not None and failure.get("type") == "high"
    assert HOSTILE.replace("\u2028", "") not in xml  # hostile tag value never reaches XML as markup
    skipped = suites["aws.ec2.vpc-flow-logs"].find("testcase/skipped")
    assert skipped is not None and skipped.get("message") == "muted: accepted (owner ops, until 2026-01-01)"
    assert suites["aws.kms.key-rotation-enabled"].find("testcase/error") is not None
    case = suites["aws.iam.root-mfa-enabled"].find("testcase")
    assert case is not None and "TEST" not in (case.get("name") or "")  # no name known for TEST here
    assert "PROD (111111111111)" in (enc.find("testcase").get("name") or "")  # type: ignore[union-attr]


# --- ASFF (Security Hub): required fields, formats and limits -------------------------------
ASFF_REQUIRED = {
    "SchemaVersion",
    "Id",
    "ProductArn",
    "GeneratorId",
    "AwsAccountId",
    "Types",
    "CreatedAt",
    "UpdatedAt",
    "Severity",
    "Title",
    "Description",
    "Resources",
}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_asff_required_fields(findings: list[Finding]) -> None:
    out: list[dict[str, Any]] = json.loads(asff_json(findings, "eu-west-1"))
    for a, f in zip(out, findings, strict=True):
        assert set(a) >= ASFF_REQUIRED
        assert a["SchemaVersion"] == "2018-10-08"
        region = a["Resources"][0]["Region"]
        acct = f.resource.account
        assert a["ProductArn"] == f"arn:aws:securityhub:{region}:{acct}:product/{acct}/default"
        assert a["AwsAccountId"] == acct and len(a["Id"]) <= 512
        assert ISO.match(a["CreatedAt"]) and ISO.match(a["UpdatedAt"])
        assert a["Severity"]["Label"] == f.severity.value.upper()
        assert a["Types"] == ["Software and Configuration Checks/AWS Security Best Practices"]
        assert a["Resources"][0]["Id"] == f.resource.arn and a["Resources"][0]["Partition"] == "aws"
        assert a["RecordState"] == "ACTIVE" and a["Remediation"]["Recommendation"]["Text"]
    by_status = {f.status: a for a, f in zip(out, findings, strict=True)}
    assert by_status[Status.FAIL]["Compliance"]["Status"] == "FAILED"
    assert by_status[Status.PASS]["Compliance"]["Status"] == "PASSED"
    assert by_status[Status.MUTED]["Compliance"]["Status"] == "WARNING"
    assert by_status[Status.MUTED]["Workflow"]["Status"] == "SUPPRESSED"
    assert by_status[Status.ERROR]["Compliance"]["Status"] == "NOT_AVAILABLE"
    root = next(a for a in out if a["GeneratorId"].endswith("root-mfa-enabled"))
    assert root["Resources"][0]["Region"] == "eu-west-1"  # a global resource goes to the home region


def test_asff_limits() -> None:
    long = finding("aws.a.b", Status.FAIL, Severity.LOW, remediation="x" * 2000)
    long = Finding(
        **{**{s: getattr(long, s) for s in long.__slots__}, "title": "t" * 400, "message": "m" * 3000}
    )
    a = asff_finding(long)
    assert len(a["Title"]) == 256 and len(a["Description"]) == 1024
    assert len(a["Remediation"]["Recommendation"]["Text"]) == 512


@pytest.mark.parametrize(
    ("config_type", "asff_type"),
    [
        ("AWS::S3::Bucket", "AwsS3Bucket"),
        ("AWS::EC2::SecurityGroup", "AwsEc2SecurityGroup"),
        ("AWS::EC2::VPC", "AwsEc2Vpc"),
        ("AWS::IAM::Role", "AwsIamRole"),
        ("AWS::KMS::Key", "AwsKmsKey"),
        ("AWS::RDS::DBInstance", "AwsRdsDbInstance"),
        ("AWS::CloudTrail::Trail", "AwsCloudTrailTrail"),
        ("AWS::ACM::Certificate", "AwsCertificateManagerCertificate"),
        ("AWS::::Account", "AwsAccount"),
        ("Custom::Thing", "Other"),
    ],
)
def test_asff_resource_types(config_type: str, asff_type: str) -> None:
    assert asff_resource_type(config_type) == asff_type
