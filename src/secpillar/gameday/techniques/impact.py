"""Impact: schedule the deletion of one of the account's KMS keys (everything it encrypts becomes
unreadable once the waiting period ends). The key is put back as it was: the deletion cancelled,
the key enabled."""

from __future__ import annotations

from typing import Any

from secpillar.gameday.technique import Context, Skip, Technique, register

PENDING_DAYS = 7
"""The shortest waiting period AWS KMS allows: the most an attacker can hurry the deletion."""


@register
class KmsKeyDeletion(Technique):
    id = "aws.impact.kms-key-deletion"
    title = "Schedule a KMS key for deletion"
    attack = "T1485"
    description = (
        f"ScheduleKeyDeletion ({PENDING_DAYS} days) on an enabled customer managed key of the account: "
        "the data it protects is lost when the wait ends."
    )
    events = ("ScheduleKeyDeletion",)
    detections = ("ct.kms-key-deletion",)
    responses = ("kms.cancel-key-deletion",)
    permissions = (
        "kms:ListKeys",
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        "kms:ScheduleKeyDeletion",
        "kms:CancelKeyDeletion",
        "kms:EnableKey",
        "kms:EnableKeyRotation",
    )

    def select(self, ctx: Context) -> None:
        kms = ctx.client("kms")
        keys = sorted(k["KeyId"] for page in kms.get_paginator("list_keys").paginate() for k in page["Keys"])
        for key in keys:
            meta = kms.describe_key(KeyId=key)["KeyMetadata"]
            if (
                meta.get("KeyManager") == "CUSTOMER"
                and meta.get("KeyState") == "Enabled"
                and meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
                and not meta.get("MultiRegion")
            ):
                ctx.state["key"] = key
                ctx.state["rotation"] = self._rotation(ctx)
                return
        raise Skip(f"no enabled customer managed symmetric KMS key in {ctx.region}")

    def _rotation(self, ctx: Context) -> bool:
        return bool(
            ctx.client("kms").get_key_rotation_status(KeyId=ctx.state["key"]).get("KeyRotationEnabled")
        )

    def _key_state(self, ctx: Context) -> str:
        return str(ctx.client("kms").describe_key(KeyId=ctx.state["key"])["KeyMetadata"]["KeyState"])

    def probe(self, ctx: Context) -> dict[str, Any]:
        state = self._key_state(ctx)
        out: dict[str, Any] = {f"key {ctx.state['key']}": state}
        if state == "Enabled":
            out[f"key {ctx.state['key']} rotation"] = self._rotation(ctx)
        return out

    def detonate(self, ctx: Context) -> None:
        ctx.client("kms").schedule_key_deletion(KeyId=ctx.state["key"], PendingWindowInDays=PENDING_DAYS)

    def remediated(self, ctx: Context) -> bool:
        return self._key_state(ctx) == "Enabled"

    def cleanup(self, ctx: Context) -> None:
        kms = ctx.client("kms")
        state = self._key_state(ctx)
        if state == "PendingDeletion":
            kms.cancel_key_deletion(KeyId=ctx.state["key"])
            state = "Disabled"  # CancelKeyDeletion leaves the key disabled
        if state == "Disabled":
            kms.enable_key(KeyId=ctx.state["key"])
        if ctx.state["rotation"] and not self._rotation(ctx):
            kms.enable_key_rotation(KeyId=ctx.state["key"])
