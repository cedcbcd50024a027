"""KMS action: cancel a scheduled key deletion (and re-enable the key, as it was before).

``CancelKeyDeletion`` leaves the key *Disabled* (AWS KMS documentation); with ``enable: true``
(the default) the action enables it again. Rollback schedules the deletion again with the
waiting period the original ``ScheduleKeyDeletion`` asked for (default 30 days).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secpillar.respond.actions.base import (
    ActionContext,
    ActionError,
    Invocation,
    ResponseAction,
    Target,
    register,
    request_params,
    where,
)
from secpillar.respond.changes import Change


@register
class CancelKeyDeletion(ResponseAction):
    id = "kms.cancel-key-deletion"
    title = "Cancel a KMS key's scheduled deletion and re-enable the key"
    permissions = ("kms:DescribeKey", "kms:CancelKeyDeletion", "kms:EnableKey", "kms:ScheduleKeyDeletion")
    params_schema = {"key_id": {"type": "string"}, "enable": {"type": "boolean"}}
    wa = ("SEC08-BP01", "SEC10-BP06")

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        account, region = where(event)
        rp = request_params(event)
        key = params.get("key_id") or rp.get("keyId")
        if not isinstance(key, str) or not key:
            raise ActionError("the event names no KMS key (requestParameters.keyId)")
        window = rp.get("pendingWindowInDays")
        target: Target = {"account": account, "region": region, "key_id": key}
        if isinstance(window, int):
            target["pending_days"] = window
        return [target]

    def _state(self, ctx: ActionContext, target: Target) -> str:
        kms = ctx.target_client("kms", target)
        return str(kms.describe_key(KeyId=target["key_id"])["KeyMetadata"]["KeyState"])

    def plan(self, target: Target, inv: Invocation, ctx: ActionContext) -> Change:
        state = self._state(ctx, target)
        enable = bool(inv.params.get("enable", True))
        pending = state == "PendingDeletion"
        return self.change(
            target,
            inv,
            f"cancel the deletion of KMS key {target['key_id']}" + (" and enable it" if enable else ""),
            prior={"state": state, "pending_days": target.get("pending_days", 30)},
            desired={"state": "Enabled" if enable else "Disabled"},
            noop=not pending,
            reason="" if pending else f"the key is {state}, not pending deletion",
        )

    def apply(self, change: Change, ctx: ActionContext) -> None:
        kms = ctx.target_client("kms", change.target)
        kms.cancel_key_deletion(KeyId=change.target["key_id"])
        if change.desired["state"] == "Enabled":
            kms.enable_key(KeyId=change.target["key_id"])

    def is_applied(self, change: Change, ctx: ActionContext) -> bool:
        return bool(self._state(ctx, change.target) == change.desired["state"])

    def rollback(self, change: Change, ctx: ActionContext) -> None:
        kms = ctx.target_client("kms", change.target)
        kms.schedule_key_deletion(
            KeyId=change.target["key_id"], PendingWindowInDays=int(change.prior.get("pending_days", 30))
        )
