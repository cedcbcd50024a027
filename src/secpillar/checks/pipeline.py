"""Software supply chain: dependencies pulled through a central registry, images scanned
continuously in the registry."""

from __future__ import annotations

from collections.abc import Iterable

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, Severity

REPOSITORY = "AWS::ECR::Repository"


def _has_repositories(ctx: CheckContext, resource: Resource) -> bool:
    return any(r.region == resource.region for r in ctx.inventory.by_account(resource.account_id, REPOSITORY))


@register
class PullThroughCache(Check):
    id = "aws.ecr.pull-through-cache"
    title = "Container base images come through an ECR pull-through cache"
    severity = Severity.LOW
    resource_types = (ACCOUNT_REGION_TYPE,)
    reads = (REPOSITORY,)
    wa = ("SEC11-BP05",)
    risk = (
        "Builds that pull base images straight from public registries depend on whatever is published there "
        "today; a central cache gives one place to scan, pin and withdraw them."
    )
    remediation = (
        "aws ecr create-pull-through-cache-rule --ecr-repository-prefix "
        "docker-hub --upstream-registry-url registry-1.docker.io"
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        rules = resource.supplementary.get("EcrPullThroughCacheRules")
        if rules is None or not _has_repositories(ctx, resource):
            return
        if rules:
            yield self.passed(
                f"{resource.display_name} proxies {len(rules)} upstream registr(y/ies) through ECR."
            )
        else:
            yield self.failed(
                f"{resource.display_name} hosts ECR repositories but no pull-through cache "
                "rule: upstream images "
                "are pulled directly, outside any central control."
            )


@register
class RegistryEnhancedScanning(Check):
    id = "aws.ecr.registry-enhanced-scanning"
    title = "The ECR registry scans images continuously (enhanced scanning)"
    severity = Severity.LOW
    resource_types = (ACCOUNT_REGION_TYPE,)
    reads = (REPOSITORY,)
    wa = ("SEC06-BP01", "SEC11-BP02")
    risk = (
        "Basic scanning checks an image once at push; vulnerabilities published "
        "later in its packages go unreported."
    )
    remediation = (
        "aws ecr put-registry-scanning-configuration --scan-type ENHANCED --rules "
        "(continuous scan on all repositories)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        scanning = resource.supplementary.get("EcrRegistryScanning")
        if scanning is None or not _has_repositories(ctx, resource):
            return
        if scanning.get("scanType") == "ENHANCED":
            yield self.passed(
                f"The ECR registry in {resource.display_name} uses enhanced (continuous) scanning."
            )
        else:
            yield self.failed(
                f"The ECR registry in {resource.display_name} uses basic scanning only: "
                "images are not rescanned for new CVEs."
            )
