"""CloudTrail action: restart logging on a trail someone stopped (``StopLogging``)."""

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
class StartLogging(ResponseAction):
    id = "cloudtrail.start-logging"
    title = "Restart CloudTrail logging on a stopped trail"
    permissions = ("cloudtrail:GetTrailStatus", "cloudtrail:StartLogging", "cloudtrail:StopLogging")
    params_schema = {"trail": {"type": "string"}}
    wa = ("SEC04-BP01", "SEC04-BP04")

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        account, region = where(event)
        name = params.get("trail") or request_params(event).get("name")
        if not isinstance(name, str) or not name:
            raise ActionError("the event names no trail (requestParameters.name)")
        return [{"account": account, "region": region, "trail": name}]

    def _logging(self, ctx: ActionContext, target: Target) -> bool:
        ct = ctx.target_client("cloudtrail", target)
        return bool(ct.get_trail_status(Name=target["trail"]).get("IsLogging"))

    def plan(self, target: Target, inv: Invocation, ctx: ActionContext) -> Change:
        on = self._logging(ctx, target)
        return self.change(
            target,
            inv,
            f"start logging on trail {target['trail']}",
            prior={"is_logging": on},
            desired={"is_logging": True},
            noop=on,
            reason="already logging" if on else "",
        )

    def apply(self, change: Change, ctx: ActionContext) -> None:
        ct = ctx.target_client("cloudtrail", change.target)
        ct.start_logging(Name=change.target["trail"])

    def is_applied(self, change: Change, ctx: ActionContext) -> bool:
        return self._logging(ctx, change.target)

    def rollback(self, change: Change, ctx: ActionContext) -> None:
        if not change.prior.get("is_logging"):
            ct = ctx.target_client("cloudtrail", change.target)
            ct.stop_logging(Name=change.target["trail"])
