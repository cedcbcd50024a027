"""ECR checks: images scanned on push, no critical vulnerabilities in recent images, immutable tags."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import Resource, Severity

REPOSITORY = "AWS::ECR::Repository"
SCANNING_FREQUENCIES = {"SCAN_ON_PUSH", "CONTINUOUS_SCAN"}


def registry_rule_scans(registry: Mapping[str, Any], repository: str) -> bool:
    """Whether a registry scanning rule scans ``repository`` on push or continuously."""
    for rule in registry.get("rules") or ():
        if rule.get("scanFrequency") not in SCANNING_FREQUENCIES:
            continue
        for flt in rule.get("repositoryFilters") or ():
            if fnmatchcase(repository, str(flt.get("filter", ""))):
                return True
    return False


@register
class EcrScanOnPush(Check):
    """Images are scanned when pushed: by the repository's ``scanOnPush`` or by a registry scanning
    rule. With enhanced scanning the registry rules alone decide (the repository setting is ignored
    by ECR); with basic scanning either one suffices."""

    id = "aws.ecr.scan-on-push"
    title = "ECR repositories scan images on push"
    severity = Severity.MEDIUM
    resource_types = (REPOSITORY,)
    wa = ("SEC06-BP01",)
    fsbp = ("ECR.1",)
    risk = "Images that are never scanned can ship known vulnerabilities to production unnoticed."
    remediation = (
        "Turn on scan on push (aws ecr put-image-scanning-configuration --image-scanning-configuration "
        "scanOnPush=true) or a registry scanning rule (enhanced scanning with Amazon Inspector) covering "
        "the repository."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        registry = resource.supplementary.get("RegistryScanningConfiguration")
        repo_setting = (resource.configuration.get("imageScanningConfiguration") or {}).get("scanOnPush")
        enhanced = isinstance(registry, Mapping) and registry.get("scanType") == "ENHANCED"
        if isinstance(registry, Mapping) and registry_rule_scans(
            registry, resource.name or resource.resource_id
        ):
            yield self.passed(f"Repository '{resource.name}' is scanned by a registry scanning rule.")
            return
        if repo_setting and not enhanced:
            yield self.passed(f"Repository '{resource.name}' scans images on push.")
            return
        if repo_setting is None and not enhanced:
            return
        yield self.failed(
            f"Repository '{resource.name}' does not scan images on push"
            + (" (enhanced scanning is on but no registry rule covers it)" if enhanced else "")
            + ": images with known vulnerabilities can be pushed and deployed without anyone seeing them.",
            scanOnPush=bool(repo_setting),
            scanType=registry.get("scanType") if isinstance(registry, Mapping) else None,
        )


@register
class EcrNoCriticalImageFindings(Check):
    """None of the repository's recently pushed images (the collector reads the 20 most recent)
    has a CRITICAL scan finding. No result when no image has readable scan results."""

    id = "aws.ecr.no-critical-image-findings"
    title = "ECR images have no critical vulnerabilities"
    severity = Severity.HIGH
    resource_types = (REPOSITORY,)
    wa = ("SEC06-BP01",)
    risk = (
        "A container image with a critical vulnerability gives an attacker a known, often remotely "
        "exploitable, way into every workload that runs it."
    )
    remediation = (
        "Rebuild the image on a patched base image and updated packages, redeploy, and block deployment "
        "of images with critical findings in the pipeline."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        images = resource.supplementary.get("ImageScanFindings")
        if not images:
            return
        scanned = [i for i in images if isinstance(i.get("findingSeverityCounts"), Mapping)]
        critical = [i for i in scanned if int(i["findingSeverityCounts"].get("CRITICAL") or 0) > 0]
        if critical:
            named = [_image_label(i) for i in critical[:5]]
            total = sum(int(i["findingSeverityCounts"]["CRITICAL"]) for i in critical)
            yield self.failed(
                f"Repository '{resource.name}' holds {len(critical)} image(s) with {total} critical "
                f"vulnerability finding(s) ({', '.join(named)}): workloads running them are exposed to "
                "known critical exploits.",
                images=[
                    {"image": _image_label(i), "counts": dict(i["findingSeverityCounts"])}
                    for i in critical[:5]
                ],
            )
            return
        if scanned:
            yield self.passed(
                f"None of the {len(scanned)} scanned recent image(s) of repository '{resource.name}' has a "
                "critical finding.",
                scanned=len(scanned),
            )


def _image_label(image: Mapping[str, Any]) -> str:
    tags = image.get("imageTags") or []
    return str(tags[0]) if tags else str(image.get("imageDigest", ""))[:19]


@register
class EcrTagImmutability(Check):
    id = "aws.ecr.tag-immutability"
    title = "ECR repositories have immutable image tags"
    severity = Severity.LOW
    resource_types = (REPOSITORY,)
    wa = ("SEC06-BP04", "SEC11-BP06")
    fsbp = ("ECR.2",)
    risk = (
        "With mutable tags, anyone who can push can replace the image behind a tag such as 'v1.2' or "
        "'prod': deployments then run an image nobody reviewed or scanned."
    )
    remediation = "Set image tag mutability to IMMUTABLE (aws ecr put-image-tag-mutability)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        value = resource.configuration.get("imageTagMutability")
        if value is None:
            return
        if str(value).startswith("IMMUTABLE"):
            yield self.passed(f"Repository '{resource.name}' has immutable tags.")
        else:
            yield self.failed(
                f"Repository '{resource.name}' has mutable image tags: a pushed image can silently replace "
                "the one a tag pointed to, so what runs may differ from what was scanned and approved.",
                imageTagMutability=value,
            )
