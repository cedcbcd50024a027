"""``secpillar respond wire``: the AWS side of the worker, from a rules file.

Creates (or updates) an SQS queue with a dead-letter queue (redrive after ``max_receives``
deliveries), a queue policy that lets EventBridge send only from these rules (``aws:SourceArn``),
and one EventBridge rule on the default bus per pattern rule of the file (named
``secpillar-<rule>``), each targeting the queue. The same calls work on the sandbox and on AWS.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from secpillar.respond.rules import RuleSet


@dataclass
class Wiring:
    queue_url: str
    queue_arn: str
    dlq_url: str
    rules: list[str] = field(default_factory=list)


def eventbridge_name(rule: str) -> str:
    """An EventBridge rule name (64 characters of ``[.\\-_A-Za-z0-9]``) for a respond rule."""
    return ("secpillar-" + re.sub(r"[^.\-_A-Za-z0-9]", "-", rule))[:64]


def _queue(sqs: Any, name: str, attrs: dict[str, str]) -> tuple[str, str]:
    url = str(sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"])
    sqs.set_queue_attributes(QueueUrl=url, Attributes=attrs)  # an existing queue keeps old attributes
    arn = str(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
    return url, arn


def wire(
    sqs: Any, events: Any, ruleset: RuleSet, queue_name: str, *, max_receives: int = 5, bus: str = "default"
) -> Wiring:
    dlq_url, dlq_arn = _queue(sqs, f"{queue_name}-dlq", {"MessageRetentionPeriod": "1209600"})
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": str(max_receives)})
    url, arn = _queue(sqs, queue_name, {"RedrivePolicy": redrive, "VisibilityTimeout": "60"})
    out = Wiring(url, arn, dlq_url)
    rule_arns = []
    for rule in ruleset.rules:
        if rule.pattern is None:
            continue
        name = eventbridge_name(rule.name)
        resp = events.put_rule(
            Name=name,
            EventBusName=bus,
            EventPattern=json.dumps(rule.pattern.pattern),
            State="ENABLED",
            Description=f"secpillar respond rule {rule.name}"[:512],
        )
        events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "secpillar-queue", "Arn": arn}])
        rule_arns.append(str(resp["RuleArn"]))
        out.rules.append(name)
    if rule_arns:
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "EventBridgeRules",
                    "Effect": "Allow",
                    "Principal": {"Service": "events.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": rule_arns}},
                }
            ],
        }
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return out
