"""IAM persistence and privilege escalation: a backdoor access key or console password for another
user, a new user, roles trusting an outside account, administrator rights attached or inlined.
The victims (users, roles) are decoys the warm-up creates, removed with everything attached."""

from __future__ import annotations

import json
import secrets
from typing import Any

from secpillar.gameday.resources import (
    create_role,
    create_user,
    delete_role,
    delete_user,
    presence,
    role_state,
    trust_policy,
    user_state,
)
from secpillar.gameday.technique import OUTSIDE_ACCOUNT, Context, Technique, register, unless_gone
from secpillar.model import Severity

USER_PERMISSIONS: tuple[str, ...] = (
    "iam:CreateUser",
    "iam:TagUser",
    "iam:GetUser",
    "iam:ListAccessKeys",
    "iam:DeleteAccessKey",
    "iam:DeleteLoginProfile",
    "iam:ListUserPolicies",
    "iam:DeleteUserPolicy",
    "iam:ListAttachedUserPolicies",
    "iam:DetachUserPolicy",
    "iam:DeleteUser",
)
ROLE_PERMISSIONS: tuple[str, ...] = (
    "iam:CreateRole",
    "iam:TagRole",
    "iam:GetRole",
    "iam:ListRolePolicies",
    "iam:DeleteRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:DetachRolePolicy",
    "iam:DeleteRole",
)
ADMIN_POLICY = "AdministratorAccess"


class _VictimUser(Technique):
    """A technique on a user the warm-up creates (``victim``)."""

    permissions = USER_PERMISSIONS

    def select(self, ctx: Context) -> None:
        ctx.state["user"] = ctx.name("user", 64)

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"user {ctx.state['user']}": user_state(ctx, ctx.state["user"])}

    def warm_up(self, ctx: Context) -> None:
        create_user(ctx, ctx.state["user"])

    def cleanup(self, ctx: Context) -> None:
        delete_user(ctx, ctx.state["user"])


@register
class BackdoorAccessKey(_VictimUser):
    id = "aws.persistence.iam-backdoor-access-key"
    title = "Create a backdoor access key for another user"
    attack = "T1098.001"
    description = (
        "CreateAccessKey for a user other than the caller: long-lived credentials to come back with."
    )
    events = ("CreateAccessKey",)
    detections = ("ct.iam-access-key-for-other-user",)
    responses = ("iam.deactivate-access-key",)
    permissions = (*USER_PERMISSIONS, "iam:CreateAccessKey", "iam:UpdateAccessKey")

    def detonate(self, ctx: Context) -> None:
        key = ctx.client("iam").create_access_key(UserName=ctx.state["user"])["AccessKey"]
        ctx.state["key"] = str(key["AccessKeyId"])

    def remediated(self, ctx: Context) -> bool:
        keys = ctx.client("iam").list_access_keys(UserName=ctx.state["user"])["AccessKeyMetadata"]
        return all(k["Status"] == "Inactive" for k in keys if k["AccessKeyId"] == ctx.state.get("key"))


@register
class CreateUser(Technique):
    id = "aws.persistence.iam-create-user"
    title = "Create an IAM user"
    attack = "T1136.003"
    severity = Severity.LOW
    description = "CreateUser: a long-lived identity of the attacker's own in the account."
    events = ("CreateUser",)
    detections = ("ct.iam-user-created",)
    permissions = USER_PERMISSIONS

    def select(self, ctx: Context) -> None:
        ctx.state["user"] = ctx.name("user", 64)

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"user {ctx.state['user']}": user_state(ctx, ctx.state["user"])}

    def detonate(self, ctx: Context) -> None:
        ctx.client("iam").create_user(UserName=ctx.state["user"])

    def cleanup(self, ctx: Context) -> None:
        delete_user(ctx, ctx.state["user"])


@register
class LoginProfileForOtherUser(_VictimUser):
    id = "aws.persistence.iam-login-profile-for-other-user"
    title = "Give another user a console password"
    attack = "T1098"
    description = "CreateLoginProfile for a user other than the caller: console access as that user."
    events = ("CreateLoginProfile",)
    detections = ("ct.iam-login-profile-for-other-user",)
    permissions = (*USER_PERMISSIONS, "iam:CreateLoginProfile")

    def detonate(self, ctx: Context) -> None:
        password = "Gd-" + secrets.token_urlsafe(18) + "-9a"
        ctx.client("iam").create_login_profile(UserName=ctx.state["user"], Password=password)


def _outside_trust(ctx: Context) -> str:
    return trust_policy({"AWS": f"arn:{ctx.partition}:iam::{OUTSIDE_ACCOUNT}:root"})


@register
class RoleTrustOutsideAccount(Technique):
    id = "aws.persistence.iam-role-trust-outside-account"
    title = "Make an existing role trust an outside account"
    attack = "T1098.003"
    description = (
        f"UpdateAssumeRolePolicy: a role now trusts account {OUTSIDE_ACCOUNT}, outside the organization."
    )
    events = ("UpdateAssumeRolePolicy",)
    detections = ("ct.role-trust-outside-account",)
    permissions = (*ROLE_PERMISSIONS, "iam:UpdateAssumeRolePolicy")

    def select(self, ctx: Context) -> None:
        ctx.state["role"] = ctx.name("role", 64)

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"role {ctx.state['role']}": role_state(ctx, ctx.state["role"])}

    def warm_up(self, ctx: Context) -> None:
        create_role(ctx, ctx.state["role"])

    def detonate(self, ctx: Context) -> None:
        ctx.client("iam").update_assume_role_policy(
            RoleName=ctx.state["role"], PolicyDocument=_outside_trust(ctx)
        )

    def cleanup(self, ctx: Context) -> None:
        delete_role(ctx, ctx.state["role"])


@register
class BackdoorRole(Technique):
    id = "aws.persistence.iam-backdoor-role"
    title = "Create a role an outside account can assume"
    attack = "T1098.003"
    description = (
        f"CreateRole whose trust policy names account {OUTSIDE_ACCOUNT}: a door for another account."
    )
    events = ("CreateRole",)
    detections = ("ct.role-trust-outside-account",)
    permissions = ROLE_PERMISSIONS

    def select(self, ctx: Context) -> None:
        ctx.state["role"] = ctx.name("role", 64)

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"role {ctx.state['role']}": role_state(ctx, ctx.state["role"])}

    def detonate(self, ctx: Context) -> None:
        ctx.client("iam").create_role(
            RoleName=ctx.state["role"], AssumeRolePolicyDocument=_outside_trust(ctx)
        )

    def cleanup(self, ctx: Context) -> None:
        delete_role(ctx, ctx.state["role"])


@register
class AttachAdminPolicy(_VictimUser):
    id = "aws.privilege-escalation.iam-attach-admin-policy"
    title = "Attach the AdministratorAccess policy to a user"
    attack = "T1098.003"
    description = "AttachUserPolicy with the AWS managed policy AdministratorAccess."
    events = ("AttachUserPolicy",)
    detections = ("ct.iam-admin-policy-attached",)
    permissions = (*USER_PERMISSIONS, "iam:AttachUserPolicy")

    def detonate(self, ctx: Context) -> None:
        ctx.client("iam").attach_user_policy(
            UserName=ctx.state["user"], PolicyArn=f"arn:{ctx.partition}:iam::aws:policy/{ADMIN_POLICY}"
        )


@register
class AdminInlinePolicy(_VictimUser):
    id = "aws.privilege-escalation.iam-admin-inline-policy"
    title = "Grant every action on every resource through an inline policy"
    attack = "T1098.003"
    description = "PutUserPolicy with Allow '*' on '*': administrator rights without the managed policy."
    events = ("PutUserPolicy",)
    detections = ("ct.iam-admin-inline-policy",)
    permissions = (*USER_PERMISSIONS, "iam:PutUserPolicy")

    def detonate(self, ctx: Context) -> None:
        doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        ctx.client("iam").put_user_policy(
            UserName=ctx.state["user"], PolicyName="gameday-admin", PolicyDocument=json.dumps(doc)
        )


OIDC_THUMBPRINT = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"
"""A certificate thumbprint (40 hex digits) for the decoy provider: AWS does not fetch the issuer."""


@register
class BackdoorIdentityProvider(Technique):
    id = "aws.persistence.iam-create-backdoor-identity-provider"
    title = "Add an OpenID Connect identity provider the attacker runs"
    attack = "T1484.002"
    severity = Severity.MEDIUM
    description = (
        "CreateOpenIDConnectProvider for an issuer URL of the attacker's: once a role trusts it, "
        "that issuer's tokens become credentials in the account, with no user or key to find."
    )
    events = ("CreateOpenIDConnectProvider",)
    detections = ("ct.iam-federation-trust-added",)
    permissions = (
        "iam:CreateOpenIDConnectProvider",
        "iam:GetOpenIDConnectProvider",
        "iam:DeleteOpenIDConnectProvider",
    )

    def select(self, ctx: Context) -> None:
        host = f"{ctx.name('oidc')}.example.com"
        ctx.state["url"] = f"https://{host}"
        ctx.state["arn"] = f"arn:{ctx.partition}:iam::{ctx.account_id}:oidc-provider/{host}"

    def probe(self, ctx: Context) -> dict[str, Any]:
        iam = ctx.client("iam")
        state = presence(
            lambda: iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ctx.state["arn"]),
            "NoSuchEntity",
        )
        return {f"OIDC provider {ctx.state['url']}": state}

    def detonate(self, ctx: Context) -> None:
        ctx.client("iam").create_open_id_connect_provider(
            Url=ctx.state["url"], ClientIDList=["sts.amazonaws.com"], ThumbprintList=[OIDC_THUMBPRINT]
        )

    def cleanup(self, ctx: Context) -> None:
        with unless_gone("NoSuchEntity"):
            ctx.client("iam").delete_open_id_connect_provider(OpenIDConnectProviderArn=ctx.state["arn"])
