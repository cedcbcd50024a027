"""AWS Security Hub: whether the hub is on in each account and region, and its enabled standards.

Fills the ``SecurityHub`` key of the ``AWS::::AccountRegion`` pseudo resource: ``None`` when the
account is not subscribed (``InvalidAccessException``: a state to judge), else the camelized
``DescribeHub`` answer plus ``enabledStandards`` (the standards' ARNs and status, left out when
``GetEnabledStandards`` failed). The key is absent when ``DescribeHub`` failed otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, account_region_resource

NOT_SUBSCRIBED = {"InvalidAccessException", "ResourceNotFoundException"}


def transform_hub(hub: Mapping[str, Any], standards: list[Mapping[str, Any]] | None) -> dict[str, Any] | None:
    """``DescribeHub`` (``{}`` = not subscribed) and ``GetEnabledStandards``' subscriptions
    (None = unknown) -> the ``SecurityHub`` value."""
    if not hub:
        return None
    out: dict[str, Any] = camelize(dict(hub))
    if standards is not None:
        out["enabledStandards"] = [
            {"standardsArn": s.get("StandardsArn", ""), "status": s.get("StandardsStatus", "")}
            for s in standards
        ]
    return out


@register
class SecurityHubCollector(Collector):
    id = "securityhub"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE,)
    permissions = ("securityhub:DescribeHub", "securityhub:GetEnabledStandards")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        sh = ctx.client("securityhub", attempts=2)
        hub = ctx.call(sh, "describe_hub", absent=NOT_SUBSCRIBED)
        if hub is None:
            return
        standards = ctx.paginate(sh, "get_enabled_standards", "StandardsSubscriptions") if hub else None
        yield account_region_resource(
            ctx.account_id,
            ctx.account_name,
            ctx.region,
            ctx.partition,
            {"SecurityHub": transform_hub(hub, standards)},
        )
