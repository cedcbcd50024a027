"""AWS Secrets Manager secrets (``AWS::SecretsManager::Secret``) of each account and region: the
camelized ``ListSecrets`` entry (rotation settings, last rotated / accessed dates, KMS key, tags).
Secret values are never read."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import Resource

SECRET_TYPE = "AWS::SecretsManager::Secret"


def transform_secret(raw: Mapping[str, Any], account_id: str, region: str) -> Resource:
    config: dict[str, Any] = camelize(
        {k: v for k, v in raw.items() if k not in {"Tags", "SecretVersionsToStages"}}
    )
    return Resource(
        resource_type=SECRET_TYPE,
        resource_id=str(raw.get("Name", "")),
        arn=str(raw.get("ARN", "")),
        account_id=account_id,
        region=region,
        name=str(raw.get("Name", "")),
        configuration=config,
        tags=tag_dict(raw.get("Tags")),
    )


@register
class SecretsManagerCollector(Collector):
    id = "secretsmanager"
    scope = Scope.REGIONAL
    resource_types = (SECRET_TYPE,)
    permissions = ("secretsmanager:ListSecrets",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        for secret in ctx.paginate(ctx.client("secretsmanager"), "list_secrets", "SecretList") or ():
            yield transform_secret(secret, ctx.account_id, ctx.region)
