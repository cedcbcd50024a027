"""AWS Config: the configuration recorders of each region and whether they record.

Fills the ``ConfigurationRecorders`` key of the ``AWS::::AccountRegion`` pseudo resource: a list
of recorders (camelized ``describe_configuration_recorders`` entries) each with ``status``
(``recording``, ``lastStatus`` … from ``describe_configuration_recorder_status``). No recorder
gives ``[]``; the key is absent when the recorders could not be read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, account_region_resource


def transform_recorders(
    recorders: Sequence[Mapping[str, Any]], statuses: Sequence[Mapping[str, Any]] | None
) -> list[dict[str, Any]]:
    """Recorders + their statuses -> the ``ConfigurationRecorders`` list. ``statuses`` is None
    when the status call failed: the recorders then carry no ``status`` (unknown)."""
    by_name = {str(s.get("name")): s for s in statuses or ()}
    out: list[dict[str, Any]] = []
    for rec in recorders:
        item: dict[str, Any] = camelize(dict(rec))
        if statuses is not None:
            st = by_name.get(str(rec.get("name")))
            item["status"] = camelize(dict(st)) if st else {"recording": False, "lastStatus": "NOT_STARTED"}
        out.append(item)
    return out


@register
class ConfigCollector(Collector):
    id = "config"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE,)
    permissions = ("config:DescribeConfigurationRecorders", "config:DescribeConfigurationRecorderStatus")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        cfg = ctx.client("config")
        supplementary: dict[str, Any] = {}
        listed = ctx.call(cfg, "describe_configuration_recorders")
        if listed is not None:
            recorders = listed.get("ConfigurationRecorders") or []
            statuses: list[Any] | None = []
            if recorders:
                got = ctx.call(cfg, "describe_configuration_recorder_status")
                statuses = None if got is None else got.get("ConfigurationRecordersStatus") or []
            supplementary["ConfigurationRecorders"] = transform_recorders(recorders, statuses)
        yield account_region_resource(
            ctx.account_id, ctx.account_name, ctx.region, ctx.partition, supplementary
        )
