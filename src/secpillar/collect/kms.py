"""Collector for KMS: customer managed keys (AWS::KMS::Key) of one account and region.

AWS managed keys are skipped (their rotation and policy are AWS's): ``KeyManager`` AWS, or an
``alias/aws/...`` alias. For each customer managed
key: the ``DescribeKey`` metadata (camelized) as configuration, ``keyRotationEnabled`` where
rotation is meaningful (symmetric encryption keys with AWS-generated material that are not pending
deletion), the ``default`` key policy parsed into ``supplementary["KeyPolicy"]`` and the tags.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import Resource

KEY_TYPE = "AWS::KMS::Key"
TAGS_UNKNOWN_KEY = "TagsUnknown"

_PENDING = {"PendingDeletion", "PendingReplicaDeletion"}


def rotation_applies(metadata: Mapping[str, Any]) -> bool:
    """Whether automatic rotation exists for this key (and GetKeyRotationStatus answers)."""
    return (
        metadata.get("KeySpec", metadata.get("CustomerMasterKeySpec")) == "SYMMETRIC_DEFAULT"
        and metadata.get("KeyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
        and metadata.get("Origin", "AWS_KMS") == "AWS_KMS"
        and metadata.get("KeyState") not in _PENDING
    )


def is_customer_managed(metadata: Mapping[str, Any], aliases: Sequence[str] = ()) -> bool:
    """Customer managed: ``KeyManager`` CUSTOMER and no ``alias/aws/`` alias (only AWS gives
    those; moto reports the keys behind them as CUSTOMER)."""
    return metadata.get("KeyManager") == "CUSTOMER" and not any(a.startswith("alias/aws/") for a in aliases)


def transform_key(
    metadata: Mapping[str, Any],
    rotation: Mapping[str, Any] | None,
    policy: Mapping[str, Any] | None,
    tags: Sequence[dict[str, Any]] | None,
    aliases: Sequence[str] = (),
) -> Resource:
    """One key from DescribeKey's ``KeyMetadata``, GetKeyRotationStatus, GetKeyPolicy and
    ListResourceTags (each ``None`` when not called or failed: the value is then unknown)."""
    configuration: dict[str, Any] = camelize(dict(metadata))
    if aliases:
        configuration["aliases"] = list(aliases)
    if rotation is not None and "KeyRotationEnabled" in rotation:
        configuration["keyRotationEnabled"] = bool(rotation["KeyRotationEnabled"])
    supplementary: dict[str, Any] = {}
    if policy is not None:
        text = policy.get("Policy")
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = None
            supplementary["KeyPolicyError"] = "unparsable key policy"
        if parsed is not None or not text:
            supplementary["KeyPolicy"] = {"policyText": parsed if isinstance(parsed, dict) else None}
    if tags is None:
        supplementary[TAGS_UNKNOWN_KEY] = True
    arn = str(metadata["Arn"])
    return Resource(
        resource_type=KEY_TYPE,
        resource_id=str(metadata["KeyId"]),
        arn=arn,
        account_id=str(metadata.get("AWSAccountId") or arn.split(":")[4]),
        region=arn.split(":")[3],
        name=aliases[0].removeprefix("alias/") if aliases else str(metadata["KeyId"]),
        configuration=configuration,
        supplementary=supplementary,
        tags=tag_dict(tags),
    )


@register
class KmsCollector(Collector):
    id = "kms"
    scope = Scope.REGIONAL
    resource_types = (KEY_TYPE,)
    permissions = (
        "kms:ListKeys",
        "kms:ListAliases",
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        "kms:GetKeyPolicy",
        "kms:ListResourceTags",
    )

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        kms = ctx.client("kms")
        keys = ctx.paginate(kms, "list_keys", "Keys")
        if not keys:
            return
        aliases: dict[str, list[str]] = {}
        for a in ctx.paginate(kms, "list_aliases", "Aliases") or ():
            if a.get("TargetKeyId"):
                aliases.setdefault(a["TargetKeyId"], []).append(a["AliasName"])
        for key in keys:
            described = ctx.call(kms, "describe_key", KeyId=key["KeyId"])
            if not described:
                continue
            meta = described["KeyMetadata"]
            kid = meta["KeyId"]
            if not is_customer_managed(meta, aliases.get(kid, ())):
                continue
            rotation = ctx.call(kms, "get_key_rotation_status", KeyId=kid) if rotation_applies(meta) else None
            policy = ctx.call(kms, "get_key_policy", KeyId=kid, PolicyName="default")
            tags = ctx.paginate(kms, "list_resource_tags", "Tags", KeyId=kid)
            yield transform_key(meta, rotation, policy, tags, sorted(aliases.get(kid, ())))
