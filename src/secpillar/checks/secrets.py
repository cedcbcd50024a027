"""Secrets: kept in Secrets Manager, rotated and still in use; never in Lambda or CodeBuild
environment variables. The collectors keep only the *names* of variables that look like secrets;
messages name the variable, never a value."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from secpillar.checks.iam import days_since
from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import Resource, Severity

SECRET = "AWS::SecretsManager::Secret"
FUNCTION = "AWS::Lambda::Function"
PROJECT = "AWS::CodeBuild::Project"


@register
class SecretRotationEnabled(Check):
    id = "aws.secretsmanager.rotation-enabled"
    title = "Secrets Manager secrets rotate automatically"
    severity = Severity.MEDIUM
    resource_types = (SECRET,)
    wa = ("SEC02-BP03", "SEC02-BP05")
    fsbp = ("SecretsManager.1",)
    risk = "A secret that never rotates stays valid for as long as a leaked copy is around."
    remediation = (
        "aws secretsmanager rotate-secret --secret-id ID --rotation-rules "
        "AutomaticallyAfterDays=30 (with a rotation function or managed "
        "rotation)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if not cfg.get("name") and "rotationEnabled" not in cfg:
            return  # not a collected secret description (ListSecrets omits RotationEnabled when off)
        if cfg.get("rotationEnabled"):
            days = (cfg.get("rotationRules") or {}).get("automaticallyAfterDays")
            yield self.passed(
                f"Secret '{resource.display_name}' rotates automatically"
                + (f" every {days} days." if days else ".")
            )
        else:
            yield self.failed(
                f"Secret '{resource.display_name}' has no automatic rotation: a leaked value stays valid."
            )


@register
class SecretRotatedRecently(Check):
    id = "aws.secretsmanager.rotated-recently"
    title = "Secrets Manager secrets were rotated within 90 days"
    severity = Severity.MEDIUM
    resource_types = (SECRET,)
    wa = ("SEC02-BP03", "SEC02-BP05")
    fsbp = ("SecretsManager.4",)
    risk = "Rotation that is configured but fails leaves the same secret in use for months."
    remediation = (
        "Check the rotation function's logs and fix it; rotate now with aws secretsmanager rotate-secret."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if not cfg.get("rotationEnabled"):
            return
        limit = int(ctx.setting("secret_max_age_days", 90))
        last = cfg.get("lastRotatedDate") or cfg.get("createdDate")
        age = days_since(last, ctx.now)
        if age is None:
            return
        if age > limit:
            yield self.failed(
                (
                    f"Secret '{resource.display_name}' was last rotated {age} days ago (limit "
                    f"{limit}): rotation is not working."
                ),
                days=age,
            )
        else:
            yield self.passed(f"Secret '{resource.display_name}' was rotated {age} days ago.")


@register
class SecretUnused(Check):
    id = "aws.secretsmanager.unused"
    title = "Secrets unused for 90 days are removed"
    severity = Severity.LOW
    resource_types = (SECRET,)
    wa = ("SEC02-BP03", "SEC03-BP06")
    fsbp = ("SecretsManager.3",)
    risk = "A secret nobody reads still grants whatever it unlocks to anyone who can read it."
    remediation = "Confirm nothing uses it, then aws secretsmanager delete-secret (with a recovery window)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        limit = int(ctx.setting("secret_unused_days", 90))
        last = cfg.get("lastAccessedDate")
        age = days_since(last or cfg.get("createdDate"), ctx.now)
        if age is None:
            return
        if age > limit:
            what = "last read" if last else "created and never read"
            yield self.failed(
                f"Secret '{resource.display_name}' was {what} {age} days ago (limit {limit}).", days=age
            )
        else:
            yield self.passed(f"Secret '{resource.display_name}' was read (or created) within {limit} days.")


def _secret_vars(variables: Any) -> list[str]:
    return sorted(str(v.get("name")) for v in variables or () if v.get("looksSecret"))


@register
class LambdaNoSecretsInEnv(Check):
    id = "aws.lambda.no-secrets-in-environment"
    title = "Lambda functions keep no secrets in environment variables"
    severity = Severity.HIGH
    resource_types = (FUNCTION,)
    wa = ("SEC02-BP03",)
    risk = (
        "Environment variables are shown to anyone with lambda:GetFunctionConfiguration and copied into "
        "logs, templates and tickets; a secret there is not a secret."
    )
    remediation = (
        "Move the value to Secrets Manager (or Parameter Store SecureString), read it at run time with the "
        "function's role, and rotate the exposed value."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "environmentVariables" not in resource.configuration:
            return
        names = _secret_vars(resource.configuration["environmentVariables"])
        if names:
            yield self.failed(
                f"Function '{resource.display_name}' has secret-looking environment "
                f"variable(s) {', '.join(names)} "
                "(values not shown): anyone who can read the configuration can read them.",
                variables=names,
            )
        else:
            yield self.passed(
                f"Function '{resource.display_name}' has no secret-looking environment variable."
            )


@register
class CodeBuildNoSecretsInEnv(Check):
    id = "aws.codebuild.no-secrets-in-environment"
    title = "CodeBuild projects keep no plaintext secrets in environment variables"
    severity = Severity.HIGH
    resource_types = (PROJECT,)
    wa = ("SEC02-BP03", "SEC11-BP07")
    fsbp = ("CodeBuild.2",)
    risk = (
        "Plaintext build variables appear in the project definition, build logs "
        "and to everyone who can read the project."
    )
    remediation = "Use environment variables of type SECRETS_MANAGER or PARAMETER_STORE instead of PLAINTEXT."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        env = resource.configuration.get("environment")
        if not isinstance(env, dict) or "environmentVariables" not in env:
            return
        names = _secret_vars(env["environmentVariables"])
        if names:
            yield self.failed(
                f"Build project '{resource.display_name}' has plaintext secret-looking "
                f"variable(s) {', '.join(names)} "
                "(values not shown).",
                variables=names,
            )
        else:
            yield self.passed(
                f"Build project '{resource.display_name}' has no plaintext secret in its environment."
            )


@register
class CodeBuildSourceNoCredentials(Check):
    id = "aws.codebuild.source-no-credentials"
    title = "CodeBuild source URLs carry no credentials"
    severity = Severity.CRITICAL
    resource_types = (PROJECT,)
    wa = ("SEC02-BP03", "SEC11-BP07")
    fsbp = ("CodeBuild.1",)
    risk = (
        "A token or password in the repository URL is visible to everyone who can "
        "read the project and its logs."
    )
    remediation = (
        "Connect the repository with a CodeConnections/OAuth source credential "
        "and remove the user-info from the URL."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        sources = [cfg.get("source") or {}, *(cfg.get("secondarySources") or ())]
        if not any("locationHasCredentials" in s for s in sources):
            return
        bad = [str(s.get("location")) for s in sources if s.get("locationHasCredentials")]
        if bad:
            yield self.failed(
                f"Build project '{resource.display_name}' embeds credentials in source "
                f"URL(s) {', '.join(bad)} "
                "(credentials removed here).",
                sources=bad,
            )
        else:
            yield self.passed(f"Build project '{resource.display_name}' source URLs carry no credentials.")


@register
class CodeBuildPrivileged(Check):
    id = "aws.codebuild.privileged-mode-off"
    title = "CodeBuild projects do not run builds in privileged mode"
    severity = Severity.MEDIUM
    resource_types = (PROJECT,)
    wa = ("SEC11-BP07",)
    risk = (
        "A privileged build container can reach the host's Docker daemon: a "
        "poisoned dependency escapes the build."
    )
    remediation = "Turn privilegedMode off unless the project builds Docker images; isolate those projects."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        env = resource.configuration.get("environment")
        if not isinstance(env, dict) or "privilegedMode" not in env:
            return
        if env["privilegedMode"]:
            yield self.failed(
                f"Build project '{resource.display_name}' runs builds in privileged mode: "
                "a malicious dependency can reach the build host's Docker daemon."
            )
        else:
            yield self.passed(f"Build project '{resource.display_name}' runs unprivileged builds.")


@register
class CodeBuildLogging(Check):
    id = "aws.codebuild.logging"
    title = "CodeBuild projects keep build logs"
    severity = Severity.LOW
    resource_types = (PROJECT,)
    wa = ("SEC11-BP07", "SEC04-BP01")
    risk = "Without build logs, a tampered or malicious build cannot be reconstructed."
    remediation = "Enable CloudWatch Logs or S3 logs in the project's logsConfig."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        logs = resource.configuration.get("logsConfig")
        if not isinstance(logs, dict):
            return
        cw = (logs.get("cloudWatchLogs") or {}).get("status", "ENABLED")
        s3 = (logs.get("s3Logs") or {}).get("status", "DISABLED")
        if cw == "ENABLED" or s3 == "ENABLED":
            yield self.passed(f"Build project '{resource.display_name}' keeps build logs.")
        else:
            yield self.failed(
                f"Build project '{resource.display_name}' keeps no build logs: a tampered "
                "build cannot be reconstructed."
            )
