"""Amazon EventBridge: the rules of each account and region's default event bus
(``AWS::Events::Rule``) with their targets (``supplementary.Targets``: id and ARN only, never
input templates that may carry values). The event pattern is parsed into
``configuration.eventPatternParsed`` when it is JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import Resource

RULE_TYPE = "AWS::Events::Rule"


def transform_rule(
    raw: Mapping[str, Any], targets: list[Mapping[str, Any]] | None, account_id: str, region: str
) -> Resource:
    config: dict[str, Any] = camelize(dict(raw))
    pattern = raw.get("EventPattern")
    if pattern:
        try:
            parsed = json.loads(pattern)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            config["eventPatternParsed"] = parsed
    supp: dict[str, Any] = {}
    if targets is not None:
        supp["Targets"] = [{"id": t.get("Id", ""), "arn": t.get("Arn", "")} for t in targets]
    arn = str(raw.get("Arn", ""))
    return Resource(
        resource_type=RULE_TYPE,
        resource_id=str(raw.get("Name", "")),
        arn=arn,
        account_id=account_id,
        region=region,
        name=str(raw.get("Name", "")),
        configuration=config,
        supplementary=supp,
    )


@register
class EventsCollector(Collector):
    id = "events"
    scope = Scope.REGIONAL
    resource_types = (RULE_TYPE,)
    permissions = ("events:ListRules", "events:ListTargetsByRule")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        ev = ctx.client("events")
        for rule in ctx.paginate(ev, "list_rules", "Rules") or ():
            targets = ctx.paginate(ev, "list_targets_by_rule", "Targets", Rule=rule["Name"])
            yield transform_rule(rule, targets, ctx.account_id, ctx.region)
