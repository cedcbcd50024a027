"""Amazon ECR registry settings of each account and region: pull-through cache rules
(``EcrPullThroughCacheRules``: upstream registries proxied through ECR) and the registry scanning
configuration (``EcrRegistryScanning``: BASIC or ENHANCED), on the ``AWS::::AccountRegion`` pseudo
resource; a key is absent when its call failed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, account_region_resource


def transform_registry(
    rules: Iterable[Mapping[str, Any]] | None, scanning: Mapping[str, Any] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if rules is not None:
        out["EcrPullThroughCacheRules"] = [
            {"prefix": r.get("ecrRepositoryPrefix", ""), "upstream": r.get("upstreamRegistryUrl", "")}
            for r in rules
        ]
    if scanning is not None:
        cfg = scanning.get("scanningConfiguration") or {}
        out["EcrRegistryScanning"] = {
            "scanType": cfg.get("scanType", "BASIC"),
            "rules": len(cfg.get("rules") or ()),
        }
    return out


@register
class EcrRegistryCollector(Collector):
    id = "ecr-registry"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE,)
    permissions = ("ecr:DescribePullThroughCacheRules", "ecr:GetRegistryScanningConfiguration")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        ecr = ctx.client("ecr", attempts=2)
        rules = ctx.paginate(ecr, "describe_pull_through_cache_rules", "pullThroughCacheRules")
        scanning = ctx.call(ecr, "get_registry_scanning_configuration")
        supplementary = transform_registry(rules, scanning)
        if supplementary:
            yield account_region_resource(
                ctx.account_id, ctx.account_name, ctx.region, ctx.partition, supplementary
            )
