"""Identities: temporary credentials instead of long-lived keys, a central identity provider, groups,
credentials and roles that fall out of use, roles for third parties, for emergencies (break glass),
for incident response and for AWS Support."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.checks.iam import as_list, days_since, parse_time, statements
from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.checks.s3 import is_public_principal, restricting_conditions
from secpillar.model import ACCOUNT_TYPE, Resource, Severity

USER = "AWS::IAM::User"
GROUP = "AWS::IAM::Group"
ROLE = "AWS::IAM::Role"
INSTANCE = "AWS::EC2::Instance"
_ACCOUNT = re.compile(r"^\d{12}$")


def _is_management(ctx: CheckContext, account_id: str) -> bool | None:
    acct = ctx.inventory.accounts.get(account_id)
    return None if acct is None else acct.is_management


@register
class IdentityCenterEnabled(Check):
    id = "aws.identitycenter.enabled"
    title = "IAM Identity Center provides workforce sign-in for the organization"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_TYPE,)
    wa = ("SEC02-BP04", "SEC02-BP02")
    cis = ("1.20",)
    risk = (
        "Without a central identity provider, people get IAM users with passwords and keys in each "
        "account: joiners, movers and leavers are handled account by account and credentials live forever."
    )
    remediation = (
        "Enable IAM Identity Center in the management account's home region, connect the corporate "
        "identity provider, and grant access through permission sets (short-lived role sessions)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        instances = resource.supplementary.get("IdentityCenterInstances")
        if instances is None or _is_management(ctx, resource.account_id) is False:
            return
        active = [i for i in instances if i.get("status", "ACTIVE") == "ACTIVE"]
        name = resource.display_name
        if active:
            yield self.passed(f"IAM Identity Center is enabled in '{name}'.", instances=active)
        else:
            providers = resource.supplementary.get("IdentityProviders") or []
            if providers:
                yield self.passed(
                    f"'{name}' federates sign-in through {len(providers)} identity provider(s)."
                )
                return
            yield self.failed(
                f"Neither IAM Identity Center nor a SAML/OIDC identity provider is set up in '{name}': "
                "people sign in with long-lived IAM users instead of a central identity."
            )


@register
class ConsoleUsersCentralized(Check):
    id = "aws.iam.console-users-centralized"
    title = "People sign in through the central identity provider, not IAM users with passwords"
    severity = Severity.LOW
    resource_types = (ACCOUNT_TYPE,)
    reads = (USER,)
    wa = ("SEC02-BP04",)
    cis = ("1.20",)
    risk = (
        "Each IAM user with a console password is an identity outside the central provider: it is not "
        "disabled when the person leaves and keeps its own password and MFA."
    )
    remediation = (
        "Move people to IAM Identity Center (or SAML federation), then delete the IAM users' login "
        "profiles; keep at most the documented break-glass users (setting console_users_allowed)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        users = ctx.inventory.by_account(resource.account_id, USER)
        if any("loginProfile" not in u.configuration for u in users):
            return
        allowed = set(ctx.setting("console_users_allowed", ()))
        console = sorted(
            u.display_name
            for u in users
            if u.configuration.get("loginProfile") and u.display_name not in allowed
        )
        name = resource.display_name
        if console:
            yield self.failed(
                f"Account '{name}' has {len(console)} IAM user(s) with a console password "
                f"({', '.join(console[:10])}): their sign-in bypasses the central identity provider.",
                users=console,
            )
        else:
            yield self.passed(f"Account '{name}' has no IAM user with a console password.")


@register
class UserNoAccessKeys(Check):
    id = "aws.iam.user-no-access-keys"
    title = "IAM users hold no long-lived access keys where roles would do"
    severity = Severity.MEDIUM
    resource_types = (USER,)
    wa = ("SEC02-BP02",)
    risk = (
        "An access key is valid until someone deletes it; a leaked key works from anywhere. Roles "
        "(Identity Center, instance profiles, IRSA, IAM Roles Anywhere) give short-lived credentials instead."
    )
    remediation = (
        "Replace the key with a role: Identity Center for people, instance/task roles for workloads, "
        "IAM Roles Anywhere for on-premises; then delete the key. Accepted exceptions: setting "
        "long_lived_key_users."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        keys = resource.configuration.get("accessKeys")
        if keys is None:
            return
        active = [k.get("accessKeyId") for k in keys if k.get("status") == "Active"]
        name = resource.display_name
        if active and name not in set(ctx.setting("long_lived_key_users", ())):
            yield self.failed(
                f"User '{name}' holds {len(active)} active access key(s): long-lived credentials that work "
                "until deleted, where a role would give short-lived ones.",
                accessKeys=active,
            )
        else:
            yield self.passed(f"User '{name}' holds no active access key.")


@register
class InstanceProfileAttached(Check):
    id = "aws.ec2.instance-profile-attached"
    title = "EC2 instances use an IAM role for AWS access"
    severity = Severity.LOW
    resource_types = (INSTANCE,)
    wa = ("SEC02-BP02",)
    cis = ("1.17",)
    risk = (
        "An instance without an instance profile that calls AWS must carry stored access keys, which "
        "leak with the disk, an image or a backup."
    )
    remediation = (
        "aws ec2 associate-iam-instance-profile --instance-id ID --iam-instance-profile Name=PROFILE"
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if (cfg.get("state") or {}).get("name") in {"terminated", "shutting-down"}:
            return
        profile = cfg.get("iamInstanceProfile")
        if not profile and resource.source == "iac":
            return  # the Terraform mapper does not carry iam_instance_profile: unknown, not absent
        if profile:
            yield self.passed(
                f"Instance '{resource.display_name}' uses instance profile {profile.get('arn', '')}."
            )
        else:
            yield self.failed(
                f"Instance '{resource.display_name}' has no IAM instance profile: anything "
                "on it that calls AWS "
                "needs stored long-lived keys."
            )


@register
class UserInGroup(Check):
    id = "aws.iam.user-in-group"
    title = "IAM users belong to at least one group"
    severity = Severity.LOW
    resource_types = (USER,)
    wa = ("SEC02-BP06",)
    risk = (
        "Users outside any group get permissions one by one, which drift apart "
        "and are never reviewed together."
    )
    remediation = (
        "aws iam add-user-to-group --group-name GROUP --user-name USER; grant permissions to groups only."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "groupList" not in resource.configuration:
            return
        groups = resource.configuration.get("groupList") or []
        if groups:
            yield self.passed(f"User '{resource.display_name}' is in group(s) {', '.join(groups)}.")
        else:
            yield self.failed(
                f"User '{resource.display_name}' belongs to no group: its permissions are managed alone."
            )


@register
class ConsolePasswordUnused(Check):
    id = "aws.iam.console-password-unused"
    title = "Console passwords unused for 45 days are removed"
    severity = Severity.MEDIUM
    resource_types = (USER,)
    wa = ("SEC03-BP06", "SEC02-BP05")
    cis = ("1.11",)
    risk = "A password nobody uses belongs to someone who left or changed role; it still opens the console."
    remediation = "aws iam delete-login-profile --user-name USER (after confirming with the owner)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        report = resource.supplementary.get("CredentialReport")
        if not isinstance(report, Mapping) or report.get("password_enabled") != "true":
            return
        limit = int(ctx.setting("credential_unused_days", 45))
        last = report.get("password_last_used")
        since = days_since(last, ctx.now) if parse_time(last) else None
        if since is None:  # never used: count from when the password was set
            since = days_since(
                report.get("password_last_changed") or report.get("user_creation_time"), ctx.now
            )
        if since is None:
            return
        name = resource.display_name
        if since >= limit:
            yield self.failed(
                f"User '{name}' has a console password unused for {since} days (limit {limit}): an abandoned "
                "credential that still works.",
                daysUnused=since,
            )
        else:
            yield self.passed(f"User '{name}' used the console password within {limit} days.")


def _service_linked(role: Resource) -> bool:
    return str(role.configuration.get("path", "")).startswith("/aws-service-role/")


@register
class RoleUnused(Check):
    id = "aws.iam.role-unused"
    title = "Roles unused for 90 days are reviewed and removed"
    severity = Severity.LOW
    resource_types = (ROLE,)
    wa = ("SEC03-BP04", "SEC03-BP06")
    risk = (
        "A role nobody assumes keeps its permissions and trust: an unwatched door for whoever can assume it."
    )
    remediation = "Confirm the role's owner no longer needs it, then delete it (aws iam delete-role)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if _service_linked(resource) or ("roleLastUsed" not in cfg and "createDate" not in cfg):
            return
        limit = int(ctx.setting("role_unused_days", 90))
        last = (cfg.get("roleLastUsed") or {}).get("lastUsedDate")
        since = days_since(last, ctx.now) if last else days_since(cfg.get("createDate"), ctx.now)
        if since is None:
            return
        name = resource.display_name
        if since >= limit:
            what = "last used" if last else "created and never used"
            yield self.failed(f"Role '{name}' was {what} {since} days ago (limit {limit}).", daysUnused=since)
        else:
            yield self.passed(f"Role '{name}' was used (or created) within {limit} days.")


def _trust_statements(role: Resource) -> list[Mapping[str, Any]] | None:
    doc = role.configuration.get("assumeRolePolicyDocument")
    if doc is None:
        return None
    return [s for s in statements(doc) if s.get("Effect") == "Allow"]


def _aws_principals(stmt: Mapping[str, Any]) -> list[str]:
    p = stmt.get("Principal")
    if p == "*":
        return ["*"]
    if not isinstance(p, Mapping):
        return []
    return [str(x) for x in as_list(p.get("AWS"))]


def _account_of(principal: str) -> str | None:
    if _ACCOUNT.match(principal):
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" and parts[4] else None


def _cond_keys(stmt: Mapping[str, Any]) -> set[str]:
    cond = stmt.get("Condition") or {}
    return {str(k).lower() for block in cond.values() if isinstance(block, Mapping) for k in block}


@register
class ThirdPartyRoleExternalId(Check):
    id = "aws.iam.third-party-role-external-id"
    title = "Roles trusted by third-party accounts require an external ID"
    severity = Severity.HIGH
    resource_types = (ROLE,)
    wa = ("SEC03-BP09",)
    risk = (
        "Without sts:ExternalId, any customer of the vendor can ask the vendor's service to act on your "
        "account (the confused-deputy problem)."
    )
    remediation = (
        "Add Condition StringEquals sts:ExternalId (a unique value agreed with the vendor) to the trust "
        "statement of the vendor's account."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        stmts = _trust_statements(resource)
        if stmts is None or not ctx.inventory.accounts:
            return
        org = set(ctx.inventory.accounts)
        missing: list[str] = []
        external: list[str] = []
        for st in stmts:
            outside = [p for p in _aws_principals(st) if (a := _account_of(p)) is not None and a not in org]
            if not outside:
                continue
            external.extend(outside)
            if "sts:externalid" not in _cond_keys(st):
                missing.extend(outside)
        if not external:
            return
        name = resource.display_name
        if missing:
            yield self.failed(
                f"Role '{name}' trusts {', '.join(sorted(set(missing)))} outside the organization without an "
                "external ID: the vendor can be tricked into using it for another customer.",
                principals=sorted(set(missing)),
            )
        else:
            yield self.passed(f"Role '{name}' requires an external ID from its third-party principals.")


@register
class RoleTrustNoWildcard(Check):
    id = "aws.iam.role-trust-no-wildcard"
    title = "Role trust policies name who may assume them"
    severity = Severity.CRITICAL
    resource_types = (ROLE,)
    wa = ("SEC03-BP01", "SEC03-BP07")
    risk = (
        "A trust policy with Principal '*' and no restricting condition lets any "
        "AWS identity assume the role."
    )
    remediation = (
        "Replace Principal '*' with the accounts or roles that need access, or add aws:PrincipalOrgID."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        stmts = _trust_statements(resource)
        if stmts is None:
            return
        open_ = [
            st.get("Sid", f"#{i}")
            for i, st in enumerate(stmts)
            if is_public_principal(st) and not restricting_conditions(st)
        ]
        name = resource.display_name
        if open_:
            yield self.failed(
                f"Role '{name}' can be assumed by anyone: trust statement(s) "
                f"{', '.join(map(str, open_))} allow "
                "Principal '*' without a restricting condition.",
                statements=open_,
            )
        else:
            yield self.passed(f"Role '{name}' names who may assume it.")


def _matching_roles(
    ctx: CheckContext, account_id: str, setting: str, default: tuple[str, ...]
) -> list[Resource]:
    patterns = [re.compile(p, re.I) for p in ctx.setting(setting, default)]
    out = []
    for role in ctx.inventory.by_account(account_id, ROLE):
        text = " ".join([role.display_name, *(f"{k}={v}" for k, v in role.tags.items())])
        if any(p.search(text) for p in patterns):
            out.append(role)
    return out


def _requires_mfa(role: Resource) -> bool:
    for st in _trust_statements(role) or ():
        if _aws_principals(st) and not {"aws:multifactorauthpresent", "aws:multifactorauthage"} & _cond_keys(
            st
        ):
            return False
    return True


def _roles_known(ctx: CheckContext, account_id: str) -> bool:
    return bool(ctx.inventory.by_account(account_id, ROLE))


@register
class BreakGlassRole(Check):
    id = "aws.iam.break-glass-role"
    title = "An emergency (break-glass) role exists and requires MFA"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_TYPE,)
    reads = (ROLE,)
    wa = ("SEC03-BP03", "SEC10-BP05")
    risk = (
        "When the identity provider or the normal access path fails during an incident, there is no "
        "prepared, audited way in, so people improvise (shared root passwords, new admin users)."
    )
    remediation = (
        "Create a role named or tagged for emergency access (e.g. 'break-glass', tag purpose=break-glass) "
        "whose trust requires aws:MultiFactorAuthPresent, alarm on its use, and test it regularly."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if not _roles_known(ctx, resource.account_id):
            return
        roles = _matching_roles(
            ctx, resource.account_id, "break_glass_role_patterns", (r"break.?glass", r"emergency")
        )
        name = resource.display_name
        if not roles:
            yield self.failed(
                f"Account '{name}' has no break-glass role: there is no prepared emergency access path."
            )
            return
        good = [r.display_name for r in roles if _requires_mfa(r)]
        if good:
            yield self.passed(f"Account '{name}' has break-glass role(s) {', '.join(good)} requiring MFA.")
        else:
            yield self.failed(
                f"Account '{name}' has break-glass role(s) "
                f"{', '.join(r.display_name for r in roles)} that do not "
                "require MFA to assume: the most powerful access is the least protected.",
                roles=[r.display_name for r in roles],
            )


@register
class IncidentResponseRole(Check):
    id = "aws.iam.incident-response-role"
    title = "The security team has a pre-provisioned incident response role"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_TYPE,)
    reads = (ROLE,)
    wa = ("SEC10-BP05",)
    risk = (
        "Responders who must first request access lose the first hours of an incident, or use "
        "over-privileged shared credentials."
    )
    remediation = (
        "Deploy (StackSets) a role such as 'incident-response' or 'security-audit' in every account, "
        "assumable from the security account with MFA, with SecurityAudit plus the containment actions."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if not _roles_known(ctx, resource.account_id):
            return
        roles = _matching_roles(
            ctx,
            resource.account_id,
            "incident_response_role_patterns",
            (r"incident.?response", r"security.?(audit|response|ir)\b", r"forensic"),
        )
        name = resource.display_name
        if roles:
            yield self.passed(
                f"Account '{name}' has incident response role(s) {', '.join(r.display_name for r in roles)}."
            )
        else:
            yield self.failed(
                f"Account '{name}' has no incident response role for the security team: "
                "responders must first ask for access when minutes count."
            )


def _attached(resource: Resource) -> list[str]:
    return [str(p.get("policyArn", "")) for p in resource.configuration.get("attachedManagedPolicies") or ()]


@register
class SupportRole(Check):
    id = "aws.iam.support-role"
    title = "A role or group may open AWS Support cases for incidents"
    severity = Severity.LOW
    resource_types = (ACCOUNT_TYPE,)
    reads = (ROLE, GROUP, USER)
    wa = ("SEC10-BP01",)
    cis = ("1.16",)
    risk = "During an incident nobody may open an AWS Support case without first being granted access."
    remediation = "Attach the AWS managed policy AWSSupportAccess to a role (or group) the responders use."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        principals = [
            r for t in (ROLE, GROUP, USER) for r in ctx.inventory.by_account(resource.account_id, t)
        ]
        if not principals:
            return
        holders = sorted(
            r.display_name
            for r in principals
            if any(a.endswith(":iam::aws:policy/AWSSupportAccess") for a in _attached(r))
        )
        name = resource.display_name
        if holders:
            yield self.passed(f"Account '{name}' grants AWSSupportAccess to {', '.join(holders)}.")
        else:
            yield self.failed(
                f"Account '{name}' grants AWSSupportAccess to no role, group or user: "
                "nobody can open an AWS Support case during an incident without first "
                "being granted access."
            )
