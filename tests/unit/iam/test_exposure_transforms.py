"""The sqs, sns, lambda-policy and secretsmanager-policy transforms on responses recorded from moto
(tests/fixtures/responses/exposure/capture.py), then the exposure analysis on what they produce."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.resource_policies import transform_function_policy, transform_secret_policy
from secpillar.collect.sns import transform_topic
from secpillar.collect.sqs import policy_supplement, transform_queue
from secpillar.iam.exposure import exposure
from secpillar.iam.inventory import OrgIam
from secpillar.model import Account, Inventory, Resource

REC: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "responses" / "exposure" / "responses.json").read_text()
)
ACCT, REGION = "123456789012", "us-east-1"


def test_queue_with_and_without_policy() -> None:
    urls = REC["sqs"]["list_queues"]["QueueUrls"]
    q = transform_queue(urls[0], REC["sqs"]["open"]["Attributes"], ACCT, REGION)
    assert (q.resource_type, q.arn, q.name) == (
        "AWS::SQS::Queue",
        f"arn:aws:sqs:{REGION}:{ACCT}:open",
        "open",
    )
    assert q.supplementary["QueuePolicy"]["policyText"]["Statement"][0]["Sid"] == "Open"
    assert "policy" not in q.configuration and q.configuration["queueUrl"] == urls[0]
    plain = transform_queue(urls[1], REC["sqs"]["plain"]["Attributes"], ACCT, REGION)
    assert plain.supplementary == {"QueuePolicy": {"policyText": None}}


def test_unparsable_policy_is_unknown_not_none() -> None:
    assert policy_supplement("QueuePolicy", "{not json") == {
        "QueuePolicyError": "unparsable policy: Expecting property name enclosed in double quotes"
    }
    assert policy_supplement("QueuePolicy", "[]") == {"QueuePolicyError": "policy is not a JSON object"}


def test_topic_policy() -> None:
    arn = REC["sns"]["list_topics"]["Topics"][0]["TopicArn"]
    t = transform_topic(arn, REC["sns"]["alerts"]["Attributes"], ACCT, REGION)
    assert (t.resource_type, t.name) == ("AWS::SNS::Topic", "alerts")
    sids = [s.get("Sid") for s in t.supplementary["TopicPolicy"]["policyText"]["Statement"]]
    assert "vendor" in sids


def test_function_policy_in_aws_shape() -> None:
    fns = {f["FunctionName"]: f for f in REC["lambda"]["list_functions"]["Functions"]}
    r = transform_function_policy(fns["hook"], REC["lambda"]["hook"], ACCT, REGION)
    (st,) = r.supplementary["FunctionPolicy"]["policyText"]["Statement"]
    assert st["Principal"] == {"AWS": "arn:aws:iam::999988887777:root"}  # moto's bare "999988887777"
    assert r.configuration == {} and r.arn == fns["hook"]["FunctionArn"]
    none = transform_function_policy(fns["quiet"], {}, ACCT, REGION)
    assert none.supplementary == {"FunctionPolicy": {"policyText": None}}


def test_secret_policy_never_the_value() -> None:
    (secret,) = REC["secretsmanager"]["list_secrets"]["SecretList"]
    r = transform_secret_policy(secret, REC["secretsmanager"]["db"], ACCT, REGION)
    assert r.supplementary["SecretPolicy"]["policyText"]["Statement"][0]["Principal"] == {
        "AWS": "999988887777"
    }
    assert "never-recorded" not in json.dumps(r.to_dict())


def test_recorded_resources_are_found_exposed() -> None:
    fns = {f["FunctionName"]: f for f in REC["lambda"]["list_functions"]["Functions"]}
    urls = REC["sqs"]["list_queues"]["QueueUrls"]
    resources: list[Resource] = [
        transform_queue(urls[0], REC["sqs"]["open"]["Attributes"], ACCT, REGION),
        transform_queue(urls[1], REC["sqs"]["plain"]["Attributes"], ACCT, REGION),
        transform_topic(
            REC["sns"]["list_topics"]["Topics"][0]["TopicArn"],
            REC["sns"]["alerts"]["Attributes"],
            ACCT,
            REGION,
        ),
        transform_function_policy(fns["hook"], REC["lambda"]["hook"], ACCT, REGION),
        transform_secret_policy(
            REC["secretsmanager"]["list_secrets"]["SecretList"][0], REC["secretsmanager"]["db"], ACCT, REGION
        ),
    ]
    inv = Inventory(resources=resources, accounts={ACCT: Account(ACCT, "ONE")})
    got = {e.target.name: sorted(g.who for g in e.grants) for e in exposure(OrgIam(inv)).exposures}
    assert got == {"open": ["anonymous"], "alerts": ["account"], "hook": ["account"], "db": ["account"]}
