"""Credential access and valid accounts: secrets read in bulk, SecureString parameters decrypted,
console passwords guessed, the root user's keys used, an instance's credentials used from outside.
Console sign-ins, root keys and instance sessions are simulated by the sandbox only."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from secpillar.gameday.resources import (
    PRESENT,
    create_role,
    create_secrets,
    create_user,
    delete_role,
    delete_secrets,
    delete_user,
    presence,
    role_state,
    secrets_state,
    user_state,
)
from secpillar.gameday.technique import Context, Technique, register, unless_gone
from secpillar.gameday.techniques.identity import ROLE_PERMISSIONS, USER_PERMISSIONS
from secpillar.model import Severity

BULK = 12
"""Decoy secrets read one by one (ct.secrets-bulk-retrieval fires at 10 distinct secrets)."""
BATCH = 6
"""Decoy secrets read in one BatchGetSecretValue (ct.secrets-batch-retrieval fires at 5)."""
PASSWORD_INSTANCES = 6
"""Instance ids whose Windows password is asked for (ct.ec2-password-data-burst fires at 5)."""
SANDBOX_CONSOLE = "console sign-ins are not an API call; only the sandbox can simulate them"


@register
class SecretsBulkRetrieval(Technique):
    id = "aws.credential-access.secrets-bulk-retrieval"
    title = "Retrieve many secrets one after another"
    attack = "T1555.006"
    description = f"GetSecretValue on {BULK} secrets within a minute, as a credential dump script does."
    events = ("GetSecretValue",)
    detections = ("ct.secrets-bulk-retrieval",)
    permissions: ClassVar[tuple[str, ...]] = (
        "secretsmanager:CreateSecret",
        "secretsmanager:ListSecrets",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DeleteSecret",
    )
    count = BULK

    def select(self, ctx: Context) -> None:
        ctx.state["prefix"] = ctx.name("secret")
        ctx.state["secrets"] = [f"{ctx.state['prefix']}-{i:02d}" for i in range(self.count)]

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"secrets named {ctx.state['prefix']}-*": secrets_state(ctx, ctx.state["prefix"])}

    def warm_up(self, ctx: Context) -> None:
        create_secrets(ctx, ctx.state["secrets"])

    def detonate(self, ctx: Context) -> None:
        sm = ctx.client("secretsmanager")
        for name in ctx.state["secrets"]:
            sm.get_secret_value(SecretId=name)

    def cleanup(self, ctx: Context) -> None:
        delete_secrets(ctx, ctx.state["secrets"])


@register
class SecretsBatchRetrieval(SecretsBulkRetrieval):
    id = "aws.credential-access.secrets-batch-retrieval"
    title = "Retrieve many secrets in one BatchGetSecretValue call"
    description = f"BatchGetSecretValue naming {BATCH} secrets: one call that dumps them all."
    events = ("BatchGetSecretValue",)
    detections = ("ct.secrets-batch-retrieval",)
    permissions = (
        "secretsmanager:CreateSecret",
        "secretsmanager:ListSecrets",
        "secretsmanager:BatchGetSecretValue",
        "secretsmanager:GetSecretValue",
        "secretsmanager:DeleteSecret",
    )
    count = BATCH

    def detonate(self, ctx: Context) -> None:
        ctx.client("secretsmanager").batch_get_secret_value(SecretIdList=ctx.state["secrets"])


@register
class Ec2PasswordData(Technique):
    id = "aws.credential-access.ec2-get-password-data"
    title = "Ask for the Windows administrator password of many instances"
    attack = "T1552"
    severity = Severity.MEDIUM
    description = (
        f"GetPasswordData for {PASSWORD_INSTANCES} instance ids within a minute, as a harvesting "
        "script does; the ids are made up, so the calls fail as most of the script's do, and "
        "nothing is created or read."
    )
    events = ("GetPasswordData",)
    detections = ("ct.ec2-password-data-burst",)
    permissions = ("ec2:GetPasswordData",)

    def select(self, ctx: Context) -> None:
        ctx.state["instances"] = [f"i-{secrets.token_hex(9)[:17]}" for _ in range(PASSWORD_INSTANCES)]

    def detonate(self, ctx: Context) -> None:
        ec2 = ctx.client("ec2")
        for instance in ctx.state["instances"]:
            with unless_gone("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"):
                ec2.get_password_data(InstanceId=instance)


@register
class SsmSecureParameters(Technique):
    id = "aws.credential-access.ssm-retrieve-securestring-parameters"
    title = "Decrypt many SSM SecureString parameters"
    attack = "T1555.006"
    description = f"GetParameter with WithDecryption=true on {BULK} SecureString parameters."
    events = ("GetParameter",)
    detections = ("ct.secrets-bulk-retrieval",)
    permissions = (
        "ssm:PutParameter",
        "ssm:GetParameter",
        "ssm:GetParametersByPath",
        "ssm:DeleteParameters",
        "kms:Decrypt",
        "kms:Encrypt",
    )

    def select(self, ctx: Context) -> None:
        ctx.state["path"] = "/" + ctx.name("param")
        ctx.state["names"] = [f"{ctx.state['path']}/p{i:02d}" for i in range(BULK)]

    def probe(self, ctx: Context) -> dict[str, Any]:
        pages = ctx.client("ssm").get_paginator("get_parameters_by_path").paginate(Path=ctx.state["path"])
        names = sorted(p["Name"] for page in pages for p in page.get("Parameters", []))
        return {f"parameters under {ctx.state['path']}": names}

    def warm_up(self, ctx: Context) -> None:
        ssm = ctx.client("ssm")
        for name in ctx.state["names"]:
            ssm.put_parameter(Name=name, Value=f"decoy-{ctx.run_id}", Type="SecureString")

    def detonate(self, ctx: Context) -> None:
        ssm = ctx.client("ssm")
        for name in ctx.state["names"]:
            ssm.get_parameter(Name=name, WithDecryption=True)

    def cleanup(self, ctx: Context) -> None:
        names = ctx.state["names"]
        for i in range(0, len(names), 10):
            ctx.client("ssm").delete_parameters(Names=names[i : i + 10])


class _ConsoleUser(Technique):
    """A decoy user with a console password, signed in to (or at) through the sandbox's console."""

    sandbox_only = SANDBOX_CONSOLE
    permissions = (*USER_PERMISSIONS, "iam:CreateLoginProfile")
    failures = 0
    success = False

    def select(self, ctx: Context) -> None:
        ctx.require_sandbox()
        ctx.state["user"] = ctx.name("console", 64)

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"user {ctx.state['user']}": user_state(ctx, ctx.state["user"])}

    def warm_up(self, ctx: Context) -> None:
        create_user(ctx, ctx.state["user"])
        password = "Gd-" + secrets.token_urlsafe(18) + "-9a"
        ctx.client("iam").create_login_profile(UserName=ctx.state["user"], Password=password)

    def detonate(self, ctx: Context) -> None:
        hooks = ctx.require_sandbox()
        for ok in [False] * self.failures + [True] * self.success:
            hooks.console_login(user=ctx.state["user"], success=ok, mfa=False, source_ip=ctx.source_ip)

    def cleanup(self, ctx: Context) -> None:
        delete_user(ctx, ctx.state["user"])


@register
class ConsoleBruteForce(_ConsoleUser):
    id = "aws.credential-access.console-brute-force"
    title = "Brute-force a console password"
    attack = "T1110.001"
    severity = Severity.MEDIUM
    description = "Six failed console sign-ins against one user from one address (password guessing)."
    events = ("ConsoleLogin",)
    detections = ("ct.console-brute-force-ip", "ct.console-brute-force-user")
    failures = 6


@register
class ConsoleLoginAfterBruteForce(_ConsoleUser):
    id = "aws.initial-access.console-login-after-brute-force"
    title = "Sign in to the console with a guessed password"
    attack = "T1078.004"
    description = "Four failed console sign-ins, then a successful one without MFA: the password was guessed."
    events = ("ConsoleLogin",)
    detections = ("ct.console-login-after-failures", "ct.console-login-without-mfa")
    failures = 4
    success = True


@register
class ConsoleLoginWithoutMfa(_ConsoleUser):
    id = "aws.initial-access.console-login-without-mfa"
    title = "Sign in to the console without MFA"
    attack = "T1078.004"
    severity = Severity.MEDIUM
    description = "A successful console sign-in with a password alone (stolen credentials work)."
    events = ("ConsoleLogin",)
    detections = ("ct.console-login-without-mfa",)
    success = True


@register
class RootCredentialUse(Technique):
    id = "aws.privilege-escalation.root-credential-use"
    title = "Use the root user's access keys"
    attack = "T1078.004"
    description = "API calls signed with the root user's access key (ListBuckets): the key should not exist."
    events = ("ListBuckets",)
    detections = ("ct.root-credential-use",)
    permissions = ("s3:ListAllMyBuckets",)
    sandbox_only = "a game day never holds the root user's keys; the sandbox simulates a root key"

    def select(self, ctx: Context) -> None:
        ctx.require_sandbox()

    def detonate(self, ctx: Context) -> None:
        ctx.require_sandbox().root_client("s3").list_buckets()


INSTANCE_ID = "i-0a1b2c3d4e5f60718"
SECOND_ADDRESS = "203.0.113.200"
"""Where the stolen instance credentials are used from (the first address is the technique's own)."""


@register
class InstanceCredentialsExfiltration(Technique):
    id = "aws.credential-access.instance-credentials-exfiltration"
    title = "Use an EC2 instance's credentials from outside AWS"
    attack = "T1552.005"
    description = (
        "An instance profile session (principal '…:i-…') makes calls from its own address, then from "
        "a second one: the credentials were stolen from the instance metadata service."
    )
    events = ("DescribeInstances",)
    detections = ("ct.instance-credentials-outside-aws",)
    responses = ("iam.quarantine-principal",)
    permissions = (
        *ROLE_PERMISSIONS,
        "sts:AssumeRole",
        "ec2:DescribeInstances",
        "iam:GetRolePolicy",
        "iam:PutRolePolicy",
    )
    sandbox_only = "only an instance can get an instance profile session; the sandbox simulates one"

    def select(self, ctx: Context) -> None:
        ctx.require_sandbox()
        ctx.state["role"] = ctx.name("instance", 64)

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"role {ctx.state['role']}": role_state(ctx, ctx.state["role"])}

    def warm_up(self, ctx: Context) -> None:
        ctx.state["role_arn"] = create_role(ctx, ctx.state["role"], {"Service": "ec2.amazonaws.com"})

    def detonate(self, ctx: Context) -> None:
        client_of = ctx.assume(ctx.state["role_arn"], INSTANCE_ID)
        first = ctx.source_ip
        client_of("ec2", None).describe_instances()
        ctx.source_ip = SECOND_ADDRESS
        try:
            client_of("ec2", None).describe_instances()
        finally:
            ctx.source_ip = first

    def remediated(self, ctx: Context) -> bool:
        iam = ctx.client("iam")
        role = ctx.state["role"]
        policy = presence(
            lambda: iam.get_role_policy(RoleName=role, PolicyName="secpillar-quarantine"), "NoSuchEntity"
        )
        return policy == PRESENT

    def cleanup(self, ctx: Context) -> None:
        delete_role(ctx, ctx.state["role"])
