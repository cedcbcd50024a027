"""Collector for CloudFront: distributions (AWS::CloudFront::Distribution), a global service.

``ListDistributions`` already carries what the checks read (origins with their S3 origin
configuration and origin access control, cache behaviours with their viewer protocol policy,
the viewer certificate), so one call per page plus one ``ListTagsForResource`` per distribution
is all it takes. The configuration follows AWS Config's shape: identity fields at the top and
the camelized distribution settings under ``distributionConfig``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import GLOBAL, Resource

DISTRIBUTION_TYPE = "AWS::CloudFront::Distribution"
TAGS_UNKNOWN_KEY = "TagsUnknown"

_IDENTITY = ("Id", "ARN", "DomainName", "Status", "LastModifiedTime")


def transform_distribution(
    summary: Mapping[str, Any], account_id: str, tags: Sequence[dict[str, Any]] | None
) -> Resource:
    """One distribution from its ListDistributions summary (or GetDistribution's
    ``Distribution``) and its tags (``None`` when they could not be read)."""
    config_src = summary.get("DistributionConfig")
    settings = (
        dict(config_src)
        if isinstance(config_src, Mapping)
        else {k: v for k, v in summary.items() if k not in _IDENTITY}
    )
    configuration: dict[str, Any] = {
        "id": summary["Id"],
        "arn": summary["ARN"],
        "domainName": summary.get("DomainName", ""),
        "status": summary.get("Status", ""),
        "distributionConfig": camelize(settings),
    }
    if summary.get("LastModifiedTime") is not None:
        configuration["lastModifiedTime"] = camelize(summary["LastModifiedTime"])
    aliases = (settings.get("Aliases") or {}).get("Items") or []
    return Resource(
        resource_type=DISTRIBUTION_TYPE,
        resource_id=str(summary["Id"]),
        arn=str(summary["ARN"]),
        account_id=account_id,
        region=GLOBAL,
        name=str(aliases[0]) if aliases else str(summary.get("DomainName") or summary["Id"]),
        configuration=configuration,
        supplementary={TAGS_UNKNOWN_KEY: True} if tags is None else {},
        tags=tag_dict(tags),
    )


@register
class CloudFrontCollector(Collector):
    id = "cloudfront"
    scope = Scope.ACCOUNT
    resource_types = (DISTRIBUTION_TYPE,)
    permissions = ("cloudfront:ListDistributions", "cloudfront:ListTagsForResource")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        cf = ctx.client("cloudfront")
        summaries: list[Mapping[str, Any]] = []
        marker = ""
        while True:
            params = {"Marker": marker} if marker else {}
            page = ctx.call(cf, "list_distributions", **params)
            if page is None:
                return  # gap recorded
            listing = page.get("DistributionList") or {}
            summaries.extend(listing.get("Items") or ())
            marker = listing.get("NextMarker") or ""
            if not listing.get("IsTruncated") or not marker:
                break
        for s in summaries:
            resp = ctx.call(cf, "list_tags_for_resource", Resource=s["ARN"])
            tags = None if resp is None else ((resp.get("Tags") or {}).get("Items") or [])
            yield transform_distribution(s, ctx.account_id, tags)
