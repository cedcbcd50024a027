"""Amazon SQS queues (``AWS::SQS::Queue``) of each account and region: ``GetQueueAttributes`` (All)
camelized as the configuration, the queue policy parsed into ``supplementary["QueuePolicy"]``
(``{"policyText": None}`` when the queue has none; ``QueuePolicyError`` when the text does not parse).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import Resource

QUEUE_TYPE = "AWS::SQS::Queue"


def policy_supplement(key: str, text: object) -> dict[str, Any]:
    """``{key: {"policyText": dict | None}}``, or ``{key + "Error": why}`` when the text does not parse
    (the policy is then unknown, never taken as "none")."""
    if text in (None, ""):
        return {key: {"policyText": None}}
    try:
        parsed = json.loads(str(text)) if not isinstance(text, Mapping) else dict(text)
    except json.JSONDecodeError as exc:
        return {f"{key}Error": f"unparsable policy: {exc.msg}"}
    if not isinstance(parsed, dict):
        return {f"{key}Error": "policy is not a JSON object"}
    return {key: {"policyText": parsed}}


def transform_queue(url: str, attributes: Mapping[str, Any], account_id: str, region: str) -> Resource:
    arn = str(attributes.get("QueueArn") or f"arn:aws:sqs:{region}:{account_id}:{url.rsplit('/', 1)[-1]}")
    name = arn.rsplit(":", 1)[-1]
    config: dict[str, Any] = camelize({k: v for k, v in attributes.items() if k != "Policy"})
    config["queueUrl"] = url
    return Resource(
        resource_type=QUEUE_TYPE,
        resource_id=url,
        arn=arn,
        account_id=account_id,
        region=region,
        name=name,
        configuration=config,
        supplementary=policy_supplement("QueuePolicy", attributes.get("Policy")),
    )


@register
class SqsCollector(Collector):
    id = "sqs"
    scope = Scope.REGIONAL
    resource_types = (QUEUE_TYPE,)
    permissions = ("sqs:ListQueues", "sqs:GetQueueAttributes")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        sqs = ctx.client("sqs")
        for url in ctx.paginate(sqs, "list_queues", "QueueUrls") or ():
            got = ctx.call(sqs, "get_queue_attributes", QueueUrl=url, AttributeNames=["All"])
            if got is not None:
                yield transform_queue(url, got.get("Attributes") or {}, ctx.account_id, ctx.region)
