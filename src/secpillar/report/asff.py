"""AWS Security Finding Format (ASFF) for Security Hub's ``BatchImportFindings``.

One ASFF finding per secpillar finding, with the fields Security Hub requires (``SchemaVersion``
2018-10-08, ``Id``, ``ProductArn``, ``GeneratorId``, ``AwsAccountId``, ``Types``, ``CreatedAt``,
``UpdatedAt``, ``Severity``, ``Title``, ``Description``, ``Resources``) and the ones a control
finding carries (``Compliance.Status`` PASSED/FAILED/WARNING/NOT_AVAILABLE,
``Remediation.Recommendation.Text``, ``RecordState``, ``Workflow.Status``). A custom integration
imports into its own account through the default product,
``arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default``; a finding on a global resource
goes to ``home_region``. Strings are cut to ASFF's length limits."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from secpillar.checks.frameworks import wa_title
from secpillar.model import Finding, Status

SCHEMA_VERSION = "2018-10-08"
TYPES = ["Software and Configuration Checks/AWS Security Best Practices"]
COMPLIANCE = {
    Status.PASS: "PASSED",
    Status.FAIL: "FAILED",
    Status.MUTED: "WARNING",
    Status.ERROR: "NOT_AVAILABLE",
}
WORKFLOW = {Status.PASS: "RESOLVED", Status.FAIL: "NEW", Status.MUTED: "SUPPRESSED", Status.ERROR: "NEW"}
RESOURCE_TYPES = {
    "AWS::::Account": "AwsAccount",
    "AWS::::AccountRegion": "AwsAccount",
    "AWS::RDS::DBInstance": "AwsRdsDbInstance",
    "AWS::RDS::DBCluster": "AwsRdsDbCluster",
    "AWS::RDS::DBSnapshot": "AwsRdsDbSnapshot",
    "AWS::ElasticLoadBalancingV2::LoadBalancer": "AwsElbv2LoadBalancer",
    "AWS::ElasticLoadBalancing::LoadBalancer": "AwsElbLoadBalancer",
    "AWS::SecretsManager::Secret": "AwsSecretsManagerSecret",
    "AWS::ACM::Certificate": "AwsCertificateManagerCertificate",
}
MAX_TITLE, MAX_DESCRIPTION, MAX_REMEDIATION, MAX_REQUIREMENTS = 256, 1024, 512, 32


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def asff_resource_type(config_type: str) -> str:
    """``AWS::EC2::SecurityGroup`` -> ``AwsEc2SecurityGroup`` (ASFF's names), else as mapped."""
    if config_type in RESOURCE_TYPES:
        return RESOURCE_TYPES[config_type]
    parts = [p for p in config_type.split("::") if p]
    if len(parts) != 3 or parts[0] != "AWS":
        return "Other"
    service = parts[1].capitalize() if parts[1].isupper() else parts[1]
    if parts[2].isupper():
        return f"Aws{service}{parts[2].capitalize()}"
    name = re.sub(r"^([A-Z]+)([A-Z][a-z])", lambda m: m.group(1).capitalize() + m.group(2), parts[2])
    return f"Aws{service}{name}"


def _iso(text: str) -> str:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else datetime.now(UTC)
    except ValueError:
        when = datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


def product_arn(region: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def asff_finding(f: Finding, home_region: str = "us-east-1") -> dict[str, Any]:
    region = f.resource.region if f.resource.region not in ("", "global") else home_region
    partition = _partition(f.resource.arn)
    when = _iso(f.time)
    requirements = [*f.wa, *(f"{k} {v}" for k, ids in f.frameworks.items() for v in ids)]
    tags = {_cut(str(k), 128): _cut(str(v), 256) for k, v in list(f.resource.tags.items())[:50]}
    resource: dict[str, Any] = {
        "Type": asff_resource_type(f.resource.type),
        "Id": f.resource.arn,
        "Partition": partition,
        "Region": region,
    }
    if tags:
        resource["Tags"] = tags
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": f"secpillar/{f.resource.account}/{region}/{f.finding_id}",
        "ProductArn": product_arn(region, f.resource.account, partition),
        "ProductName": "secpillar",
        "CompanyName": "secpillar",
        "GeneratorId": f"secpillar/{f.check_id}",
        "AwsAccountId": f.resource.account,
        "Types": list(TYPES),
        "CreatedAt": when,
        "UpdatedAt": when,
        "Severity": {"Label": f.severity.value.upper(), "Original": f.severity.value},
        "Title": _cut(f.title, MAX_TITLE),
        "Description": _cut(f.message or f.title, MAX_DESCRIPTION),
        "Remediation": {
            "Recommendation": {
                "Text": _cut(f.remediation or "See the check's documentation.", MAX_REMEDIATION)
            }
        },
        "ProductFields": {
            "secpillar/CheckId": f.check_id,
            "secpillar/FindingId": f.finding_id,
            "secpillar/Status": f.status.value,
            "secpillar/WellArchitected": _cut("; ".join(f"{bp} {wa_title(bp)}" for bp in f.wa), 2048),
        },
        "Resources": [resource],
        "Compliance": {
            "Status": COMPLIANCE[f.status],
            "RelatedRequirements": [_cut(r, 256) for r in requirements[:MAX_REQUIREMENTS]],
        },
        "RecordState": "ACTIVE",
        "Workflow": {"Status": WORKFLOW[f.status]},
    }


def asff_findings(findings: Iterable[Finding], home_region: str = "us-east-1") -> list[dict[str, Any]]:
    return [asff_finding(f, home_region) for f in findings]


def asff_json(findings: Iterable[Finding], home_region: str = "us-east-1") -> str:
    return json.dumps(asff_findings(findings, home_region), indent=2) + "\n"
