"""CloudWatch and CloudWatch Logs: metric alarms and log metric filters (keys ``MetricAlarms``
and ``LogMetricFilters`` of the ``AWS::::AccountRegion`` pseudo resource) and log groups
(``AWS::Logs::LogGroup``: retention and KMS key).

A key is absent when its listing failed (unknown); an empty list means there are none.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, account_region_resource

LOG_GROUP_TYPE = "AWS::Logs::LogGroup"
_ALARM_KEYS = {
    "alarmName",
    "alarmArn",
    "metricName",
    "namespace",
    "alarmActions",
    "actionsEnabled",
    "stateValue",
    "metrics",
    "dimensions",
}


def transform_alarms(alarms: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in camelize(dict(a)).items() if k in _ALARM_KEYS} for a in alarms]


def transform_metric_filters(filters: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``DescribeMetricFilters`` already answers in camelCase."""
    return [
        {
            "filterName": f.get("filterName", ""),
            "logGroupName": f.get("logGroupName", ""),
            "filterPattern": f.get("filterPattern", ""),
            "metricTransformations": [
                {"metricName": t.get("metricName", ""), "metricNamespace": t.get("metricNamespace", "")}
                for t in f.get("metricTransformations") or ()
            ],
        }
        for f in filters
    ]


def transform_log_group(raw: Mapping[str, Any], account_id: str, region: str) -> Resource:
    arn = str(raw.get("arn", "")).removesuffix(":*")
    name = str(raw.get("logGroupName", ""))
    config = {k: v for k, v in camelize(dict(raw)).items() if k != "storedBytes"}
    return Resource(
        resource_type=LOG_GROUP_TYPE,
        resource_id=name,
        arn=arn or f"arn:aws:logs:{region}:{account_id}:log-group:{name}",
        account_id=account_id,
        region=region,
        name=name,
        configuration=config,
    )


@register
class CloudWatchCollector(Collector):
    id = "cloudwatch"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE, LOG_GROUP_TYPE)
    permissions = ("cloudwatch:DescribeAlarms", "logs:DescribeMetricFilters", "logs:DescribeLogGroups")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        cw, logs = ctx.client("cloudwatch"), ctx.client("logs")
        supplementary: dict[str, Any] = {}
        alarms = ctx.paginate(cw, "describe_alarms", "MetricAlarms")
        if alarms is not None:
            supplementary["MetricAlarms"] = transform_alarms(alarms)
        filters = ctx.paginate(logs, "describe_metric_filters", "metricFilters")
        if filters is not None:
            supplementary["LogMetricFilters"] = transform_metric_filters(filters)
        yield account_region_resource(
            ctx.account_id, ctx.account_name, ctx.region, ctx.partition, supplementary
        )
        for group in ctx.paginate(logs, "describe_log_groups", "logGroups") or ():
            yield transform_log_group(group, ctx.account_id, ctx.region)
