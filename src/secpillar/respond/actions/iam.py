"""IAM actions: deactivate an access key; quarantine a principal with an inline deny-all policy.

The principal comes from the CloudTrail ``userIdentity`` of the event (an ``IAMUser``, or the role
behind an ``AssumedRole`` session: its ``sessionContext.sessionIssuer``). The root user cannot be
restricted by an identity policy, and temporary (``ASIA…``) keys cannot be deactivated: both are
refused with the reason. The responder never quarantines its own identity.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from secpillar.respond.actions.base import (
    ActionContext,
    ActionError,
    Invocation,
    ResponseAction,
    Target,
    detail,
    missing,
    register,
    where,
)
from secpillar.respond.changes import Change

QUARANTINE_POLICY = "secpillar-quarantine"
DENY_ALL = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "SecpillarQuarantine", "Effect": "Deny", "Action": "*", "Resource": "*"}],
}


def identity(event: Mapping[str, Any]) -> dict[str, Any]:
    ui = detail(event).get("userIdentity")
    return ui if isinstance(ui, dict) else {}


@register
class DeactivateAccessKey(ResponseAction):
    id = "iam.deactivate-access-key"
    title = "Deactivate an IAM user's access key (the one used in the call, or one just created)"
    permissions = ("iam:ListAccessKeys", "iam:UpdateAccessKey")
    params_schema = {
        "key": {"enum": ["caller", "created"]},
        "access_key_id": {"type": "string"},
        "user_name": {"type": "string"},
    }
    wa = ("SEC02-BP05", "SEC10-BP06")

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        account, region = where(event)
        key = params.get("access_key_id")
        user = params.get("user_name")
        if not key:
            if params.get("key") == "created":
                created = (detail(event).get("responseElements") or {}).get("accessKey") or {}
                key, user = created.get("accessKeyId"), created.get("userName")
            else:
                ui = identity(event)
                if ui.get("type") != "IAMUser":
                    kind = ui.get("type") or "unknown"
                    raise ActionError(f"the caller is a {kind} identity, not an IAM user")
                key, user = ui.get("accessKeyId"), ui.get("userName")
        if not isinstance(key, str) or not key:
            raise ActionError("the event names no access key")
        if key.startswith("ASIA"):
            raise ActionError(f"{key} is a temporary key: quarantine the principal instead")
        if not isinstance(user, str) or not user:
            raise ActionError("the event names no IAM user for the key")
        return [{"account": account, "region": region, "user_name": user, "access_key_id": key}]

    def _status(self, ctx: ActionContext, target: Target) -> str:
        iam = ctx.target_client("iam", target)
        for k in iam.list_access_keys(UserName=target["user_name"])["AccessKeyMetadata"]:
            if k["AccessKeyId"] == target["access_key_id"]:
                return str(k["Status"])
        raise ActionError(f"user {target['user_name']} has no access key {target['access_key_id']}")

    def plan(self, target: Target, inv: Invocation, ctx: ActionContext) -> Change:
        status = self._status(ctx, target)
        return self.change(
            target,
            inv,
            f"deactivate access key {target['access_key_id']} of user {target['user_name']}",
            prior={"status": status},
            desired={"status": "Inactive"},
            noop=status == "Inactive",
            reason="already inactive" if status == "Inactive" else "",
        )

    def _set(self, ctx: ActionContext, target: Target, status: str) -> None:
        ctx.target_client("iam", target).update_access_key(
            UserName=target["user_name"], AccessKeyId=target["access_key_id"], Status=status
        )

    def apply(self, change: Change, ctx: ActionContext) -> None:
        self._set(ctx, change.target, "Inactive")

    def is_applied(self, change: Change, ctx: ActionContext) -> bool:
        return self._status(ctx, change.target) == "Inactive"

    def rollback(self, change: Change, ctx: ActionContext) -> None:
        self._set(ctx, change.target, str(change.prior["status"]))


@register
class QuarantinePrincipal(ResponseAction):
    id = "iam.quarantine-principal"
    title = "Quarantine the calling user or role with an inline deny-all policy"
    permissions = (
        "iam:GetUserPolicy",
        "iam:PutUserPolicy",
        "iam:DeleteUserPolicy",
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
        "iam:DeleteRolePolicy",
    )
    params_schema = {"user_name": {"type": "string"}, "role_name": {"type": "string"}}
    wa = ("SEC03-BP03", "SEC10-BP06")

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        account, region = where(event)
        base = {"account": account, "region": region}
        if isinstance(params.get("user_name"), str):
            return [{**base, "kind": "user", "name": params["user_name"]}]
        if isinstance(params.get("role_name"), str):
            return [{**base, "kind": "role", "name": params["role_name"]}]
        ui = identity(event)
        kind = ui.get("type")
        if kind == "IAMUser" and isinstance(ui.get("userName"), str):
            return [{**base, "kind": "user", "name": ui["userName"], "arn": ui.get("arn", "")}]
        if kind == "AssumedRole":
            issuer = (ui.get("sessionContext") or {}).get("sessionIssuer") or {}
            if issuer.get("type") == "Role" and isinstance(issuer.get("userName"), str):
                return [{**base, "kind": "role", "name": issuer["userName"], "arn": issuer.get("arn", "")}]
        raise ActionError(f"cannot quarantine a {kind or 'unknown'} identity with an IAM policy")

    def _get(self, ctx: ActionContext, target: Target) -> dict[str, Any] | None:
        iam = ctx.target_client("iam", target)
        try:
            if target["kind"] == "user":
                doc = iam.get_user_policy(UserName=target["name"], PolicyName=QUARANTINE_POLICY)
            else:
                doc = iam.get_role_policy(RoleName=target["name"], PolicyName=QUARANTINE_POLICY)
        except Exception as exc:
            if missing(exc, "NoSuchEntity"):
                return None
            raise
        body = doc["PolicyDocument"]
        return dict(json.loads(body) if isinstance(body, str) else body)

    def _put(self, ctx: ActionContext, target: Target, policy: Mapping[str, Any] | None) -> None:
        iam = ctx.target_client("iam", target)
        user = target["kind"] == "user"
        if policy is None:
            if user:
                iam.delete_user_policy(UserName=target["name"], PolicyName=QUARANTINE_POLICY)
            else:
                iam.delete_role_policy(RoleName=target["name"], PolicyName=QUARANTINE_POLICY)
            return
        doc = json.dumps(policy)
        if user:
            iam.put_user_policy(UserName=target["name"], PolicyName=QUARANTINE_POLICY, PolicyDocument=doc)
        else:
            iam.put_role_policy(RoleName=target["name"], PolicyName=QUARANTINE_POLICY, PolicyDocument=doc)

    def plan(self, target: Target, inv: Invocation, ctx: ActionContext) -> Change:
        arn = target.get("arn") or ""
        if arn and ctx.caller_arn and _same_principal(arn, ctx.caller_arn):
            raise ActionError(f"{arn} is the responder's own identity: not quarantined")
        now = self._get(ctx, target)
        done = now == DENY_ALL
        return self.change(
            target,
            inv,
            f"attach inline deny-all policy {QUARANTINE_POLICY} to {target['kind']} {target['name']}",
            prior={"policy": now},
            desired={"policy": DENY_ALL},
            noop=done,
            reason="already quarantined" if done else "",
        )

    def apply(self, change: Change, ctx: ActionContext) -> None:
        self._put(ctx, change.target, DENY_ALL)

    def is_applied(self, change: Change, ctx: ActionContext) -> bool:
        return self._get(ctx, change.target) == DENY_ALL

    def rollback(self, change: Change, ctx: ActionContext) -> None:
        self._put(ctx, change.target, change.prior.get("policy"))


def _same_principal(a: str, b: str) -> bool:
    """A role ARN and an assumed-role session ARN of that role name the same principal."""

    def norm(arn: str) -> str:
        arn = arn.replace(":sts::", ":iam::").replace(":assumed-role/", ":role/")
        parts = arn.split("/")
        return "/".join(parts[:2]) if ":role/" in arn else arn

    return norm(a) == norm(b)
