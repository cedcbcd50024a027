"""Amazon SNS topics (``AWS::SNS::Topic``) of each account and region: ``GetTopicAttributes`` camelized
as the configuration, the topic policy parsed into ``supplementary["TopicPolicy"]``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.collect.sqs import policy_supplement
from secpillar.model import Resource

TOPIC_TYPE = "AWS::SNS::Topic"


def transform_topic(arn: str, attributes: Mapping[str, Any], account_id: str, region: str) -> Resource:
    config: dict[str, Any] = camelize({k: v for k, v in attributes.items() if k not in ("Policy",)})
    return Resource(
        resource_type=TOPIC_TYPE,
        resource_id=arn,
        arn=arn,
        account_id=account_id,
        region=region,
        name=arn.rsplit(":", 1)[-1],
        configuration=config,
        supplementary=policy_supplement("TopicPolicy", attributes.get("Policy")),
    )


@register
class SnsCollector(Collector):
    id = "sns"
    scope = Scope.REGIONAL
    resource_types = (TOPIC_TYPE,)
    permissions = ("sns:ListTopics", "sns:GetTopicAttributes")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        sns = ctx.client("sns")
        for t in ctx.paginate(sns, "list_topics", "Topics") or ():
            arn = str(t.get("TopicArn", ""))
            got = ctx.call(sns, "get_topic_attributes", TopicArn=arn)
            if got is not None and arn:
                yield transform_topic(arn, got.get("Attributes") or {}, ctx.account_id, ctx.region)
