"""Security services switched on in every account and region: Security Hub (and how it adopts new
controls), IAM Access Analyzer (external and unused access), Amazon Inspector scanning, GuardDuty
protection plans and Amazon Macie. All judge the ``AWS::::AccountRegion`` pseudo resource; a key
the collector could not fill gives no result."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, Severity

AR = ACCOUNT_REGION_TYPE


class _RegionCheck(Check):
    resource_types = (AR,)
    key: str = ""

    def value(self, resource: Resource) -> tuple[bool, Any]:
        if self.key not in resource.supplementary:
            return False, None
        return True, resource.supplementary[self.key]


@register
class SecurityHubEnabled(_RegionCheck):
    id = "aws.securityhub.enabled"
    title = "Security Hub is enabled in every account and region"
    severity = Severity.MEDIUM
    key = "SecurityHub"
    wa = ("SEC04-BP03", "SEC04-BP02")
    cis = ("4.16",)
    risk = (
        "Without Security Hub the findings of GuardDuty, Inspector, Macie, Access Analyzer and the "
        "posture controls stay scattered per service and account; nobody sees them side by side."
    )
    remediation = (
        "Enable Security Hub organization-wide from the delegated administrator (aws securityhub "
        "enable-organization-admin-account, then central configuration with auto-enable) in every region."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        known, hub = self.value(resource)
        if not known:
            return
        if hub is None:
            yield self.failed(
                f"Security Hub is not enabled in {resource.display_name}: findings from the security "
                "services there are not aggregated or prioritised."
            )
        else:
            yield self.passed(
                f"Security Hub is enabled in {resource.display_name}.", hubArn=hub.get("hubArn")
            )


@register
class SecurityHubAutoEnableControls(_RegionCheck):
    id = "aws.securityhub.auto-enable-controls"
    title = "Security Hub turns on new controls of enabled standards automatically"
    severity = Severity.LOW
    key = "SecurityHub"
    wa = ("SEC01-BP08",)
    risk = (
        "With auto-enable off, controls AWS adds for new services and features stay off until someone "
        "notices them: the posture view ages silently."
    )
    remediation = "aws securityhub update-security-hub-configuration --auto-enable-controls"

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        known, hub = self.value(resource)
        if not known or not isinstance(hub, Mapping) or "autoEnableControls" not in hub:
            return
        if hub["autoEnableControls"]:
            yield self.passed(f"Security Hub in {resource.display_name} enables new controls automatically.")
        else:
            yield self.failed(
                f"Security Hub in {resource.display_name} does not enable new controls automatically: "
                "checks for newly released services and features stay off."
            )


@register
class SecurityHubStandards(_RegionCheck):
    id = "aws.securityhub.standards-enabled"
    title = "Security Hub evaluates at least one security standard"
    severity = Severity.MEDIUM
    key = "SecurityHub"
    wa = ("SEC01-BP08", "SEC04-BP03")
    risk = "A hub with no standard enabled aggregates findings but runs no posture control of its own."
    remediation = (
        "Enable AWS Foundational Security Best Practices (and CIS AWS Foundations) in Security Hub: "
        "aws securityhub batch-enable-standards."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        known, hub = self.value(resource)
        if not known or not isinstance(hub, Mapping) or "enabledStandards" not in hub:
            return
        ready = [
            s["standardsArn"] for s in hub["enabledStandards"] if s.get("status") in {"READY", "PENDING"}
        ]
        if ready:
            yield self.passed(
                f"Security Hub in {resource.display_name} runs {len(ready)} standard(s).", standards=ready
            )
        else:
            yield self.failed(
                f"Security Hub in {resource.display_name} has no security standard enabled: no posture "
                "control is evaluated there."
            )


def _analyzers(resource: Resource) -> list[Mapping[str, Any]] | None:
    value = resource.supplementary.get("AccessAnalyzers")
    return None if value is None else list(value)


def _org_analyzer_covers(ctx: CheckContext, resource: Resource, types: set[str]) -> bool:
    """An ACTIVE organization-wide analyzer of ``types`` in the same region of any scanned account."""
    for other in ctx.inventory.by_type(AR):
        if other.region != resource.region:
            continue
        for a in other.supplementary.get("AccessAnalyzers") or ():
            if a.get("type") in types and a.get("status") == "ACTIVE":
                return True
    return False


@register
class AccessAnalyzerEnabled(_RegionCheck):
    id = "aws.accessanalyzer.enabled"
    title = "IAM Access Analyzer analyses external access in every region"
    severity = Severity.MEDIUM
    wa = ("SEC03-BP07", "SEC03-BP04")
    cis = ("1.19",)
    risk = (
        "Without an external access analyzer, a bucket, key, role or queue shared with another account or "
        "the public is found only by chance."
    )
    remediation = (
        "Create an organization analyzer from the delegated administrator in every region (aws "
        "accessanalyzer create-analyzer --type ORGANIZATION), or an account analyzer per account."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        analyzers = _analyzers(resource)
        if analyzers is None:
            return
        own = [
            a
            for a in analyzers
            if a.get("type") in {"ACCOUNT", "ORGANIZATION"} and a.get("status") == "ACTIVE"
        ]
        if own or _org_analyzer_covers(ctx, resource, {"ORGANIZATION"}):
            yield self.passed(f"An external access analyzer covers {resource.display_name}.")
        else:
            yield self.failed(
                f"No active external access analyzer covers {resource.display_name}: resources shared "
                "outside the account or organization there go unnoticed."
            )


@register
class AccessAnalyzerUnusedAccess(_RegionCheck):
    id = "aws.accessanalyzer.unused-access"
    title = "IAM Access Analyzer reports unused access"
    severity = Severity.LOW
    wa = ("SEC03-BP04", "SEC03-BP06")
    risk = (
        "Without an unused-access analyzer, roles, keys and permissions nobody uses any more are not "
        "reported, so permissions only ever grow."
    )
    remediation = (
        "Create an unused access analyzer (aws accessanalyzer create-analyzer --type "
        "ORGANIZATION_UNUSED_ACCESS) and review its findings regularly."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        analyzers = _analyzers(resource)
        if analyzers is None:
            return
        types = {"ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS"}
        own = [a for a in analyzers if a.get("type") in types and a.get("status") == "ACTIVE"]
        if own or _org_analyzer_covers(ctx, resource, {"ORGANIZATION_UNUSED_ACCESS"}):
            yield self.passed(f"An unused-access analyzer covers {resource.display_name}.")
        else:
            yield self.failed(
                f"No unused-access analyzer covers {resource.display_name}: unused roles, keys and "
                "permissions are never reported for removal."
            )


class _InspectorScan(_RegionCheck):
    key = "Inspector2"
    scan: str = ""
    what: str = ""

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        known, value = self.value(resource)
        if not known or not isinstance(value, Mapping):
            return
        status = ((value.get("resourceState") or {}).get(self.scan) or {}).get("status", "DISABLED")
        if status in {"ENABLED", "ENABLING"}:
            yield self.passed(f"Amazon Inspector scans {self.what} in {resource.display_name}.")
        else:
            yield self.failed(
                f"Amazon Inspector does not scan {self.what} in {resource.display_name} (status {status}): "
                "known vulnerabilities there are not reported.",
                status=status,
            )


@register
class InspectorEc2(_InspectorScan):
    id = "aws.inspector.ec2-scanning"
    title = "Amazon Inspector scans EC2 instances"
    severity = Severity.MEDIUM
    scan, what = "ec2", "EC2 instances"
    wa = ("SEC06-BP01", "SEC06-BP05")
    risk = "Instances with vulnerable packages stay unnoticed until they are exploited."
    remediation = (
        "aws inspector2 enable --resource-types EC2 (organization-wide from the delegated administrator)."
    )


@register
class InspectorEcr(_InspectorScan):
    id = "aws.inspector.ecr-scanning"
    title = "Amazon Inspector scans container images in ECR"
    severity = Severity.MEDIUM
    scan, what = "ecr", "ECR container images"
    wa = ("SEC06-BP01", "SEC11-BP02")
    risk = "Images with vulnerable dependencies are pushed and deployed without anyone being told."
    remediation = "aws inspector2 enable --resource-types ECR (continuous scanning of pushed images)."


@register
class InspectorLambda(_InspectorScan):
    id = "aws.inspector.lambda-scanning"
    title = "Amazon Inspector scans Lambda functions"
    severity = Severity.LOW
    scan, what = "lambda", "Lambda functions"
    wa = ("SEC06-BP01", "SEC06-BP05")
    risk = "Functions with vulnerable packages run unnoticed."
    remediation = "aws inspector2 enable --resource-types LAMBDA (and LAMBDA_CODE for code scanning)."


def _detectors(resource: Resource) -> list[Mapping[str, Any]] | None:
    dets = resource.supplementary.get("GuardDutyDetectors")
    if dets is None:
        return None
    return [d for d in dets if d.get("status") == "ENABLED"]


def _feature_on(det: Mapping[str, Any], names: set[str], legacy: tuple[str, ...]) -> bool | None:
    """Whether a GuardDuty protection is on: ``features`` (current API) or ``dataSources`` (legacy)."""
    for f in det.get("features") or ():
        if f.get("name") in names:
            return bool(f.get("status") == "ENABLED")
    node: Any = det.get("dataSources")
    for part in legacy:
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    if isinstance(node, Mapping) and "status" in node:
        return bool(node["status"] == "ENABLED")
    return None


class _GuardDutyFeature(_RegionCheck):
    names: set[str] = set()
    legacy: tuple[str, ...] = ()
    what: str = ""

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        dets = _detectors(resource)
        if not dets:
            return  # no enabled detector: aws.guardduty.enabled reports that
        states = [_feature_on(d, self.names, self.legacy) for d in dets]
        if any(states):
            yield self.passed(f"GuardDuty {self.what} is on in {resource.display_name}.")
        elif all(s is False for s in states):
            yield self.failed(
                f"GuardDuty {self.what} is off in {resource.display_name}: {self.risk}",
                detectors=[d.get("detectorId") for d in dets],
            )


@register
class GuardDutyS3Protection(_GuardDutyFeature):
    id = "aws.guardduty.s3-protection"
    title = "GuardDuty S3 Protection is enabled"
    severity = Severity.MEDIUM
    names = {"S3_DATA_EVENTS"}
    legacy = ("s3Logs",)
    what = "S3 Protection"
    wa = ("SEC04-BP03", "SEC08-BP03")
    risk = "suspicious reads, deletions and exfiltration of S3 objects raise no finding."
    remediation = (
        "Enable the S3_DATA_EVENTS feature on the detector (aws guardduty update-detector --features)."
    )


@register
class GuardDutyMalwareProtection(_GuardDutyFeature):
    id = "aws.guardduty.malware-protection"
    title = "GuardDuty Malware Protection for EC2 is enabled"
    severity = Severity.MEDIUM
    names = {"EBS_MALWARE_PROTECTION"}
    legacy = ("malwareProtection", "scanEc2InstanceWithFindings", "ebsVolumes")
    what = "Malware Protection for EC2"
    wa = ("SEC06-BP05", "SEC10-BP03")
    risk = "an instance GuardDuty suspects is not scanned for malware, so compromise stays unconfirmed."
    remediation = (
        "Enable the EBS_MALWARE_PROTECTION feature on the detector (aws guardduty "
        "update-detector --features)."
    )


@register
class MacieEnabled(_RegionCheck):
    id = "aws.macie.enabled"
    title = "Amazon Macie discovers sensitive data in S3"
    severity = Severity.LOW
    key = "Macie"
    wa = ("SEC07-BP03", "SEC08-BP03")
    risk = (
        "Without Macie nobody learns that a bucket holds personal or secret data, so its classification "
        "and controls stay wrong."
    )
    remediation = (
        "Enable Macie organization-wide from the delegated administrator with automated sensitive data "
        "discovery (aws macie2 enable-macie)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        known, value = self.value(resource)
        if not known:
            return
        status = value.get("status") if isinstance(value, Mapping) else None
        if status == "ENABLED":
            yield self.passed(f"Macie is enabled in {resource.display_name}.")
        else:
            yield self.failed(
                f"Macie is {'paused' if status == 'PAUSED' else 'not enabled'} in {resource.display_name}: "
                "sensitive data in S3 there is not discovered."
            )
