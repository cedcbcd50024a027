"""AWS Lambda functions (``AWS::Lambda::Function``) of each account and region.

The configuration is the camelized ``ListFunctions`` entry, except the environment: variable
*names* are kept with a ``looksSecret`` verdict per variable (``environmentVariables``), never
their values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.collect.secret_patterns import looks_secret
from secpillar.model import Resource

FUNCTION_TYPE = "AWS::Lambda::Function"


def transform_function(raw: Mapping[str, Any], account_id: str, region: str) -> Resource:
    config: dict[str, Any] = camelize({k: v for k, v in raw.items() if k != "Environment"})
    env = raw.get("Environment") or {}
    variables = env.get("Variables") or {}
    config["environmentVariables"] = [
        {"name": str(k), "looksSecret": looks_secret(str(k), str(v))} for k, v in sorted(variables.items())
    ]
    if env.get("Error"):
        config["environmentError"] = camelize(dict(env["Error"]))
    arn = str(raw.get("FunctionArn", ""))
    return Resource(
        resource_type=FUNCTION_TYPE,
        resource_id=str(raw.get("FunctionName", "")),
        arn=arn,
        account_id=account_id,
        region=region,
        name=str(raw.get("FunctionName", "")),
        configuration=config,
    )


@register
class LambdaCollector(Collector):
    id = "lambda"
    scope = Scope.REGIONAL
    resource_types = (FUNCTION_TYPE,)
    permissions = ("lambda:ListFunctions",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        for fn in ctx.paginate(ctx.client("lambda"), "list_functions", "Functions") or ():
            yield transform_function(fn, ctx.account_id, ctx.region)
