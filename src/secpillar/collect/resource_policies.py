"""Resource-based policies of Lambda functions and Secrets Manager secrets, added to the resources the
``lambda`` and ``secretsmanager`` collectors make (the runner merges resources by type and ARN):
``supplementary["FunctionPolicy"]`` from ``GetPolicy`` and ``supplementary["SecretPolicy"]`` from
``GetResourcePolicy``. ``{"policyText": None}`` means the resource has no policy; a failed call leaves
the key out (unknown). Secret values are never read.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, register
from secpillar.collect.sqs import policy_supplement
from secpillar.model import Resource

FUNCTION_TYPE = "AWS::Lambda::Function"
SECRET_TYPE = "AWS::SecretsManager::Secret"


def _normalise_lambda(text: object) -> object:
    """AWS answers GetPolicy with ``"Principal": {"AWS": "arn:aws:iam::ACCOUNT:root"}`` or
    ``{"Service": ...}``; moto's server writes the bare value given to AddPermission (``"ACCOUNT"``,
    ``"s3.amazonaws.com"``). The bare forms are put in AWS's shape, so the policy parses."""
    try:
        doc = json.loads(str(text)) if isinstance(text, str) else None
    except json.JSONDecodeError:
        return text
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), list):
        return text
    for st in doc["Statement"]:
        p = st.get("Principal") if isinstance(st, dict) else None
        if isinstance(p, str) and p != "*":
            st["Principal"] = {"AWS": f"arn:aws:iam::{p}:root"} if p.isdigit() else {"Service": p}
    return json.dumps(doc)


def transform_function_policy(
    fn: Mapping[str, Any], policy: Mapping[str, Any], account: str, region: str
) -> Resource:
    """``fn``: the ListFunctions entry; ``policy``: GetPolicy's answer (``{}`` when none)."""
    name = str(fn.get("FunctionName", ""))
    return Resource(FUNCTION_TYPE, name, str(fn.get("FunctionArn", "")), account, region, name, {},
                    policy_supplement("FunctionPolicy", _normalise_lambda(policy.get("Policy"))))  # fmt: skip


def transform_secret_policy(
    secret: Mapping[str, Any], policy: Mapping[str, Any], account: str, region: str
) -> Resource:
    """``secret``: the ListSecrets entry; ``policy``: GetResourcePolicy's answer."""
    name = str(secret.get("Name", ""))
    return Resource(SECRET_TYPE, name, str(secret.get("ARN", "")), account, region, name, {},
                    policy_supplement("SecretPolicy", policy.get("ResourcePolicy")))  # fmt: skip


@register
class LambdaPolicyCollector(Collector):
    id = "lambda-policy"
    scope = Scope.REGIONAL
    resource_types = (FUNCTION_TYPE,)
    permissions = ("lambda:ListFunctions", "lambda:GetPolicy")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        client = ctx.client("lambda")
        for fn in ctx.paginate(client, "list_functions", "Functions") or ():
            got = ctx.call(client, "get_policy", absent={"ResourceNotFoundException"},
                           FunctionName=fn["FunctionName"])  # fmt: skip
            if got is not None:
                yield transform_function_policy(fn, got, ctx.account_id, ctx.region)


@register
class SecretPolicyCollector(Collector):
    id = "secretsmanager-policy"
    scope = Scope.REGIONAL
    resource_types = (SECRET_TYPE,)
    permissions = ("secretsmanager:ListSecrets", "secretsmanager:GetResourcePolicy")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        client = ctx.client("secretsmanager")
        for secret in ctx.paginate(client, "list_secrets", "SecretList") or ():
            got = ctx.call(client, "get_resource_policy", SecretId=secret["ARN"])
            if got is not None:
                yield transform_secret_policy(secret, got, ctx.account_id, ctx.region)
