"""IAM Access Analyzer: the analyzers of each account and region.

Fills ``AccessAnalyzers`` on the ``AWS::::AccountRegion`` pseudo resource (camelized
``ListAnalyzers`` entries: ``type`` ACCOUNT / ORGANIZATION / *_UNUSED_ACCESS, ``status``). The
sandbox's emulator does not offer the service: the call is tried twice at most and becomes a gap,
and the key stays absent (unknown, never a FAIL).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, account_region_resource


def transform_analyzers(analyzers: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in camelize(dict(a)).items() if k in {"arn", "name", "type", "status"}}
        for a in analyzers
    ]


@register
class AccessAnalyzerCollector(Collector):
    id = "accessanalyzer"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE,)
    permissions = ("access-analyzer:ListAnalyzers",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        aa = ctx.client("accessanalyzer", attempts=2)
        analyzers = ctx.paginate(aa, "list_analyzers", "analyzers")
        if analyzers is None:
            return
        yield account_region_resource(
            ctx.account_id,
            ctx.account_name,
            ctx.region,
            ctx.partition,
            {"AccessAnalyzers": transform_analyzers(analyzers)},
        )
