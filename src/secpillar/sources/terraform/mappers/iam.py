"""IAM: users, groups, roles and customer managed policies with their inline policies
(``aws_iam_*_policy``, v4's ``inline_policy`` blocks), attachments (``*_policy_attachment``,
``aws_iam_policy_attachment``, ``managed_policy_arns``) and memberships, in the shape of
GetAccountAuthorizationDetails that the live IAM collector transforms.

A user's MFA devices are not in Terraform's hands (enabling a virtual device needs two codes), so
they stay unknown; a ``aws_iam_user_login_profile`` gives the user a console password."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from secpillar.collect.iam import transform_group, transform_policy, transform_role, transform_user
from secpillar.sources.terraform.expr import UNKNOWN
from secpillar.sources.terraform.mapping import MapContext, as_list, blocks, tags_of
from secpillar.sources.terraform.model import TfResource


def _doc(text: Any) -> Any:
    """A policy attribute as the API's document text (UNKNOWN stays UNKNOWN)."""
    if text is UNKNOWN or text is None:
        return text
    if isinstance(text, Mapping):
        return json.dumps(text)
    return str(text)


def _policy_name(arn: Any) -> str:
    return str(arn).rsplit("/", 1)[-1] if isinstance(arn, str) else "(known after apply)"


def _inline(ctx: MapContext, principal: TfResource, rtype: str, key: str) -> Any:
    out: list[dict[str, Any]] = []
    for block in blocks(principal.values, "inline_policy") or []:
        if block.get("policy") is UNKNOWN:
            return UNKNOWN
        if block.get("name") or block.get("policy"):
            out.append({"PolicyName": block.get("name") or "", "PolicyDocument": _doc(block.get("policy"))})
    for p in ctx.of_type(rtype):
        if not ctx.matches(principal, p.values.get(key), ("name", "id")):
            continue
        doc = _doc(p.values.get("policy"))
        if doc is UNKNOWN:
            return UNKNOWN
        out.append(
            {"PolicyName": p.values.get("name") or p.computed.get("name") or p.name, "PolicyDocument": doc}
        )
    return out


def _attached(ctx: MapContext, principal: TfResource, rtype: str, key: str, plural: str) -> Any:
    arns: list[Any] = list(as_list(principal.values.get("managed_policy_arns")) or [])
    for a in ctx.of_type(rtype):
        if ctx.matches(principal, a.values.get(key), ("name", "id")):
            arns.append(a.values.get("policy_arn"))
    for a in ctx.of_type("aws_iam_policy_attachment"):
        members = as_list(a.values.get(plural))
        if members is UNKNOWN:
            return UNKNOWN
        if any(ctx.matches(principal, m, ("name", "id")) for m in members):
            arns.append(a.values.get("policy_arn"))
    if any(x is UNKNOWN for x in arns):
        return UNKNOWN
    return [{"PolicyName": _policy_name(x), "PolicyArn": x} for x in arns]


def _base(tf: TfResource, name_key: str, id_key: str) -> dict[str, Any]:
    return {
        "Path": tf.values.get("path") or "/",
        name_key: tf.computed.get("name"),
        id_key: tf.computed.get("unique_id"),
        "Arn": tf.computed.get("arn"),
        "Tags": tags_of(tf),
    }


def map_iam(ctx: MapContext) -> None:
    ctx.of_type(
        "aws_iam_user_policy_attachment",
        "aws_iam_group_policy_attachment",
        "aws_iam_role_policy_attachment",
        "aws_iam_policy_attachment",
        "aws_iam_user_policy",
        "aws_iam_group_policy",
        "aws_iam_role_policy",
        "aws_iam_user_group_membership",
        "aws_iam_group_membership",
        "aws_iam_user_login_profile",
        "aws_iam_access_key",
    )
    memberships = ctx.of_type("aws_iam_user_group_membership")
    group_members = ctx.of_type("aws_iam_group_membership")
    for user in ctx.of_type("aws_iam_user"):
        detail = _base(user, "UserName", "UserId")
        groups: list[Any] = []
        for m in memberships:
            if ctx.matches(user, m.values.get("user"), ("name",)):
                groups.extend(as_list(m.values.get("groups")) or [])
        for gm in group_members:
            if any(ctx.matches(user, u, ("name",)) for u in as_list(gm.values.get("users")) or []):
                groups.append(gm.values.get("group"))
        detail["GroupList"] = [g for g in groups if g is not UNKNOWN]
        detail["AttachedManagedPolicies"] = _attached(
            ctx, user, "aws_iam_user_policy_attachment", "user", "users"
        )
        detail["UserPolicyList"] = _inline(ctx, user, "aws_iam_user_policy", "user")
        profiles = [
            p
            for p in ctx.of_type("aws_iam_user_login_profile")
            if ctx.matches(user, p.values.get("user"), ("name",))
        ]
        login = {"LoginProfile": {"UserName": detail["UserName"]}} if profiles else {}
        access_keys: list[Mapping[str, Any]] = [
            {"AccessKeyId": k.address, "Status": k.values.get("status") or "Active"}
            for k in ctx.of_type("aws_iam_access_key")
            if ctx.matches(user, k.values.get("user"), ("name",))
        ]
        res = transform_user(_known(detail), ctx.account, login, None, access_keys, {}, None)
        ctx.emit(
            _with_unknown(
                res,
                detail,
                {"AttachedManagedPolicies": "attachedManagedPolicies", "UserPolicyList": "userPolicies"},
            ),
            user,
            _unknown_paths(
                detail,
                {"AttachedManagedPolicies": "attachedManagedPolicies", "UserPolicyList": "userPolicies"},
            ),
        )
    for group in ctx.of_type("aws_iam_group"):
        detail = _base(group, "GroupName", "GroupId")
        detail["AttachedManagedPolicies"] = _attached(
            ctx, group, "aws_iam_group_policy_attachment", "group", "groups"
        )
        detail["GroupPolicyList"] = _inline(ctx, group, "aws_iam_group_policy", "group")
        members = [
            u
            for gm in group_members
            if ctx.matches(group, gm.values.get("group"), ("name",))
            for u in as_list(gm.values.get("users")) or []
            if isinstance(u, str)
        ]
        res = transform_group(_known(detail), ctx.account, members)
        keys = {"AttachedManagedPolicies": "attachedManagedPolicies", "GroupPolicyList": "groupPolicies"}
        ctx.emit(_with_unknown(res, detail, keys), group, _unknown_paths(detail, keys))
    for role in ctx.of_type("aws_iam_role"):
        detail = _base(role, "RoleName", "RoleId")
        trust = _doc(role.values.get("assume_role_policy"))
        detail["AssumeRolePolicyDocument"] = trust
        detail["AttachedManagedPolicies"] = _attached(
            ctx, role, "aws_iam_role_policy_attachment", "role", "roles"
        )
        detail["RolePolicyList"] = _inline(ctx, role, "aws_iam_role_policy", "role")
        if role.values.get("description"):
            detail["Description"] = role.values["description"]
        keys = {
            "AttachedManagedPolicies": "attachedManagedPolicies",
            "RolePolicyList": "rolePolicies",
            "AssumeRolePolicyDocument": "assumeRolePolicyDocument",
        }
        res = transform_role(_known(detail), ctx.account)
        ctx.emit(_with_unknown(res, detail, keys), role, _unknown_paths(detail, keys))
    for pol in ctx.of_type("aws_iam_policy"):
        doc = _doc(pol.values.get("policy"))
        detail = {
            "PolicyName": pol.computed.get("name"),
            "PolicyId": pol.address,
            "Arn": pol.computed.get("arn"),
            "Path": pol.values.get("path") or "/",
            "DefaultVersionId": "v1",
            "IsAttachable": True,
            "Tags": tags_of(pol),
            "PolicyVersionList": []
            if doc is UNKNOWN
            else [{"VersionId": "v1", "IsDefaultVersion": True, "Document": doc}],
        }
        policy_res = transform_policy(detail, ctx.account)
        if policy_res is None:
            continue
        res = policy_res
        if doc is UNKNOWN:
            import dataclasses

            cfg = {k: v for k, v in res.configuration.items() if k not in ("document", "documentError")}
            res = dataclasses.replace(res, configuration=cfg)
            ctx.emit(res, pol, ["configuration.document"])
        else:
            ctx.emit(res, pol)


def _known(detail: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (None if v is UNKNOWN else v) for k, v in detail.items()}


def _unknown_paths(detail: Mapping[str, Any], keys: Mapping[str, str]) -> list[str]:
    return [f"configuration.{keys[k]}" for k, v in detail.items() if v is UNKNOWN and k in keys]


def _with_unknown(res: Any, detail: Mapping[str, Any], keys: Mapping[str, str]) -> Any:
    """Drop the configuration keys whose source was unknown (the checks then cannot tell)."""
    import dataclasses

    drop = {keys[k] for k, v in detail.items() if v is UNKNOWN and k in keys}
    if not drop:
        return res
    return dataclasses.replace(
        res, configuration={k: v for k, v in res.configuration.items() if k not in drop}
    )
