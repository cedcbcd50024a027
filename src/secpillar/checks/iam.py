"""IAM checks: the root user, the password policy, users' credentials, policies and role trust.

Where policy findings land: a customer managed policy is judged on its ``AWS::IAM::Policy``
resource; an inline policy on the user, group or role that embeds it. Managed policies attached to
a principal are not judged again on the principal.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_TYPE, Resource, Severity

USER = "AWS::IAM::User"
GROUP = "AWS::IAM::Group"
ROLE = "AWS::IAM::Role"
POLICY = "AWS::IAM::Policy"

_SERVICE_WILDCARD = re.compile(r"^[a-z0-9-]+:\*$", re.IGNORECASE)
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_MFA_KEYS = ("aws:multifactorauthpresent", "aws:multifactorauthage")
_ORG_KEYS = ("aws:principalorgid", "aws:principalorgpaths")


# ---- helpers -----------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(doc: Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    if not doc:
        return []
    return [s for s in as_list(doc.get("Statement")) if isinstance(s, Mapping)]


def parse_time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else None


def days_since(value: Any, now: datetime) -> int | None:
    dt = parse_time(value)
    return None if dt is None else (now - dt).days


def documents(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any] | None]]:
    """(label, parsed document or None when unparsable) of the policies judged on ``resource``:
    the default version of a customer managed policy, or a principal's inline policies."""
    cfg = resource.configuration
    if resource.resource_type == POLICY:
        if "document" in cfg:
            yield f"policy '{resource.display_name}'", cfg.get("document")
        return
    key = {USER: "userPolicies", GROUP: "groupPolicies", ROLE: "rolePolicies"}.get(resource.resource_type)
    for p in as_list(cfg.get(key)) if key else []:
        if isinstance(p, Mapping):
            yield f"inline policy '{p.get('policyName', '')}'", p.get("policyDocument")


def condition_keys(stmt: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    cond = stmt.get("Condition")
    if isinstance(cond, Mapping):
        for block in cond.values():
            if isinstance(block, Mapping):
                keys.update(str(k).lower() for k in block)
    return keys


def _kind(resource: Resource) -> str:
    return {USER: "User", GROUP: "Group", ROLE: "Role", POLICY: "Policy"}.get(
        resource.resource_type, "Resource"
    )


class _PolicyStatementCheck(Check):
    """Fails when an Allow statement of a judged document matches :meth:`bad_actions`."""

    resource_types = (POLICY, USER, GROUP, ROLE)
    what: str = ""
    why: str = ""

    def bad_actions(self, stmt: Mapping[str, Any]) -> list[str]:
        raise NotImplementedError

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        docs = list(documents(resource))
        if not docs or any(doc is None for _, doc in docs):
            return  # nothing to judge, or a document we could not read
        hits: list[dict[str, Any]] = []
        for label, doc in docs:
            for i, stmt in enumerate(statements(doc)):
                if stmt.get("Effect") != "Allow" or "*" not in as_list(stmt.get("Resource")):
                    continue
                bad = self.bad_actions(stmt)
                if bad:
                    hits.append({"policy": label, "statement": stmt.get("Sid", i), "actions": bad})
        name = f"{_kind(resource)} '{resource.display_name}'"
        if hits:
            where = ", ".join(sorted({h["policy"] for h in hits}))
            actions = ", ".join(sorted({a for h in hits for a in h["actions"]}))
            yield self.failed(
                f"{name} allows {actions} on every resource ('*') through {where}: {self.why}",
                statements=hits,
            )
        else:
            yield self.passed(f"{name} grants no {self.what}.")


def _principals(stmt: Mapping[str, Any]) -> tuple[list[str], bool]:
    """(AWS principals, only non-AWS principals) of a trust statement."""
    principal = stmt.get("Principal")
    if principal == "*":
        return ["*"], False
    if not isinstance(principal, Mapping):
        return [], True
    aws = [str(p) for p in as_list(principal.get("AWS"))]
    return aws, not aws


def _principal_account(principal: str) -> str | None:
    if principal == "*":
        return None
    if _ACCOUNT_ID.match(principal):
        return principal
    parts = principal.split(":")
    return parts[4] if len(parts) > 5 and parts[0] == "arn" else None


def _assume_statements(resource: Resource) -> list[Mapping[str, Any]] | None:
    """Allow statements of the role's trust policy that let AWS principals assume it; None when
    the trust policy is unknown."""
    cfg = resource.configuration
    if "assumeRolePolicyDocument" not in cfg or cfg.get("assumeRolePolicyDocument") is None:
        return None
    out = []
    for stmt in statements(cfg["assumeRolePolicyDocument"]):
        actions = [str(a).lower() for a in as_list(stmt.get("Action"))]
        if stmt.get("Effect") != "Allow":
            continue
        if not any(a in ("sts:assumerole", "sts:*", "*") for a in actions):
            continue
        aws, _ = _principals(stmt)
        if aws:
            out.append(stmt)
    return out


def _service_linked(resource: Resource) -> bool:
    return str(resource.configuration.get("path", "")).startswith("/aws-service-role/")


# ---- account: root and password policy ---------------------------------------------------


@register
class RootMfaEnabled(Check):
    id = "aws.iam.root-mfa-enabled"
    title = "The root user has MFA enabled"
    severity = Severity.CRITICAL
    resource_types = (ACCOUNT_TYPE,)
    wa = ("SEC01-BP02", "SEC02-BP01")
    cis = ("1.4",)
    fsbp = ("IAM.9",)
    risk = (
        "The root user can do anything in the account and cannot be limited by IAM; a stolen root "
        "password without MFA is a full account takeover."
    )
    remediation = (
        "Enable MFA (preferably a hardware key or passkey) for the root user of the account, or "
        "centralise root access and remove root credentials of member accounts."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        sup = resource.supplementary
        enabled: bool | None = None
        if "AccountSummary" in sup and "AccountMFAEnabled" in (sup["AccountSummary"] or {}):
            enabled = bool(int(sup["AccountSummary"]["AccountMFAEnabled"]))
        elif "RootCredentials" in sup and "mfa_active" in (sup["RootCredentials"] or {}):
            enabled = str(sup["RootCredentials"]["mfa_active"]).lower() == "true"
        if enabled is None:
            return
        name = resource.display_name
        if enabled:
            yield self.passed(f"The root user of account '{name}' has MFA enabled.")
        else:
            yield self.failed(
                f"The root user of account '{name}' has no MFA: its password alone gives unrestricted "
                "control of the account.",
                accountMFAEnabled=False,
            )


@register
class RootNoAccessKeys(Check):
    id = "aws.iam.root-no-access-keys"
    title = "The root user has no access keys"
    severity = Severity.CRITICAL
    resource_types = (ACCOUNT_TYPE,)
    wa = ("SEC01-BP02", "SEC02-BP02")
    cis = ("1.3",)
    fsbp = ("IAM.4",)
    risk = (
        "A root access key is a long-lived credential with unrestricted power that no policy can limit; "
        "if it leaks, the account is lost."
    )
    remediation = (
        "Delete the root user's access keys and use IAM roles with temporary credentials for automation."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        sup = resource.supplementary
        present: bool | None = None
        if "AccountSummary" in sup and "AccountAccessKeysPresent" in (sup["AccountSummary"] or {}):
            present = bool(int(sup["AccountSummary"]["AccountAccessKeysPresent"]))
        if "RootCredentials" in sup:
            row = sup["RootCredentials"] or {}
            active = [str(row.get(f"access_key_{i}_active", "")).lower() == "true" for i in (1, 2)]
            present = bool(present) or any(active)
        if present is None:
            return
        name = resource.display_name
        if present:
            yield self.failed(
                f"The root user of account '{name}' has an access key: a leaked key gives unrestricted, "
                "unlimitable API access to the account.",
                rootAccessKeysPresent=True,
            )
        else:
            yield self.passed(f"The root user of account '{name}' has no access keys.")


@register
class PasswordPolicyStrong(Check):
    id = "aws.iam.password-policy-strong"
    title = "The account password policy is strong"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_TYPE,)
    wa = ("SEC02-BP01",)
    cis = ("1.7", "1.8")
    fsbp = ("IAM.7", "IAM.15", "IAM.16")
    risk = (
        "Without a strong password policy IAM users may choose short or reused passwords that are easy to "
        "guess or already leaked."
    )
    remediation = (
        "Set an account password policy with a minimum length of 14, password reuse prevention of 24, and "
        "upper case, lower case, numbers and symbols required."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "PasswordPolicy" not in resource.supplementary:
            return
        pp = resource.supplementary["PasswordPolicy"]
        name = resource.display_name
        if not pp:
            yield self.failed(
                f"Account '{name}' has no IAM password policy: users may set short, simple or reused "
                "passwords.",
                passwordPolicy=None,
            )
            return
        min_len = int(ctx.setting("password_min_length", 14))
        reuse = int(ctx.setting("password_reuse_prevention", 24))
        weak: list[str] = []
        if int(pp.get("minimumPasswordLength") or 0) < min_len:
            weak.append(f"minimum length {pp.get('minimumPasswordLength', 0)} < {min_len}")
        if int(pp.get("passwordReusePrevention") or 0) < reuse:
            weak.append(f"reuse prevention {pp.get('passwordReusePrevention', 0)} < {reuse}")
        for key, label in (
            ("requireUppercaseCharacters", "upper case"),
            ("requireLowercaseCharacters", "lower case"),
            ("requireNumbers", "numbers"),
            ("requireSymbols", "symbols"),
        ):
            if not pp.get(key):
                weak.append(f"{label} not required")
        if weak:
            yield self.failed(
                f"Account '{name}' has a weak password policy ({'; '.join(weak)}): IAM user passwords are "
                "easier to guess or reuse.",
                weaknesses=weak,
            )
        else:
            yield self.passed(f"Account '{name}' has a strong password policy.")


# ---- users -------------------------------------------------------------------------------


@register
class UserConsoleMfa(Check):
    id = "aws.iam.user-console-mfa"
    title = "IAM users with a console password have MFA"
    severity = Severity.HIGH
    resource_types = (USER,)
    wa = ("SEC02-BP01",)
    cis = ("1.9",)
    fsbp = ("IAM.5",)
    risk = (
        "A console password without MFA can be phished, guessed or reused from another breach to sign in "
        "as the user."
    )
    remediation = (
        "Enable an MFA device for every IAM user that has a console password, or remove the password and "
        "federate access."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if "loginProfile" not in cfg or not cfg["loginProfile"] or "mfaDevices" not in cfg:
            return
        name = resource.display_name
        if cfg["mfaDevices"]:
            yield self.passed(f"User '{name}' has a console password and MFA.")
        else:
            yield self.failed(
                f"User '{name}' can sign in to the console with a password alone (no MFA device): a stolen "
                "password is enough to act as this user.",
                mfaDevices=0,
            )


def _active_keys(resource: Resource) -> list[Mapping[str, Any]] | None:
    keys = resource.configuration.get("accessKeys")
    if keys is None:
        return None
    return [k for k in keys if isinstance(k, Mapping) and k.get("status") == "Active"]


@register
class AccessKeyRotated(Check):
    id = "aws.iam.access-key-rotated"
    title = "Active access keys are rotated"
    severity = Severity.MEDIUM
    resource_types = (USER,)
    wa = ("SEC02-BP05",)
    cis = ("1.13",)
    fsbp = ("IAM.3",)
    risk = (
        "An old access key has had more time to leak (laptops, repositories, logs); rotating limits how "
        "long a leaked key is useful."
    )
    remediation = (
        "Create a new access key, move its users to it, deactivate and then delete the old key; better, "
        "replace user keys with roles."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        keys = _active_keys(resource)
        if not keys:
            return
        max_age = int(ctx.setting("access_key_max_age_days", 90))
        old, unknown = [], False
        for k in keys:
            age = days_since(k.get("createDate"), ctx.now)
            if age is None:
                unknown = True
            elif age > max_age:
                old.append({"accessKeyId": k.get("accessKeyId"), "ageDays": age})
        name = resource.display_name
        if old:
            ids = ", ".join(f"{o['accessKeyId']} ({o['ageDays']} days)" for o in old)
            yield self.failed(
                f"User '{name}' has active access keys older than {max_age} days ({ids}): a long-lived key "
                "that leaked stays usable.",
                keys=old,
                maxAgeDays=max_age,
            )
        elif not unknown:
            yield self.passed(f"Every active access key of user '{name}' is at most {max_age} days old.")


@register
class AccessKeyUnused(Check):
    id = "aws.iam.access-key-unused"
    title = "Active access keys are in use"
    severity = Severity.MEDIUM
    resource_types = (USER,)
    wa = ("SEC02-BP05", "SEC03-BP06")
    fsbp = ("IAM.22",)
    risk = (
        "An active key nobody uses is pure exposure: it can leak and be abused while its owner would not "
        "notice."
    )
    remediation = "Deactivate and delete access keys that have not been used in the last 45 days."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        keys = _active_keys(resource)
        if not keys:
            return
        limit = int(ctx.setting("access_key_unused_days", 45))
        unused, unknown = [], False
        for k in keys:
            if "lastUsedDate" not in k:
                unknown = True
                continue
            last = k.get("lastUsedDate")
            idle = days_since(last, ctx.now) if last else days_since(k.get("createDate"), ctx.now)
            if idle is None:
                unknown = True
            elif idle > limit:
                unused.append({"accessKeyId": k.get("accessKeyId"), "lastUsedDate": last, "idleDays": idle})
        name = resource.display_name
        if unused:
            ids = ", ".join(
                f"{u['accessKeyId']} ({'never used' if not u['lastUsedDate'] else 'last used'}, "
                f"{u['idleDays']} days)"
                for u in unused
            )
            yield self.failed(
                f"User '{name}' has active access keys unused for more than {limit} days ({ids}): they add "
                "exposure without any use.",
                keys=unused,
                unusedDays=limit,
            )
        elif not unknown:
            yield self.passed(f"Every active access key of user '{name}' was used in the last {limit} days.")


@register
class UserOneActiveKey(Check):
    id = "aws.iam.user-one-active-key"
    title = "IAM users have at most one active access key"
    severity = Severity.LOW
    resource_types = (USER,)
    wa = ("SEC02-BP05",)
    risk = (
        "Two active keys for one user usually means a rotation that was never finished; the forgotten key "
        "stays valid and unwatched."
    )
    remediation = "Finish the rotation: move every client to one key, then deactivate and delete the other."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        keys = _active_keys(resource)
        if keys is None:
            return
        name = resource.display_name
        if len(keys) > 1:
            ids = [str(k.get("accessKeyId")) for k in keys]
            yield self.failed(
                f"User '{name}' has {len(keys)} active access keys ({', '.join(ids)}): one is likely "
                "forgotten but still valid.",
                activeKeys=ids,
            )
        else:
            yield self.passed(f"User '{name}' has at most one active access key.")


@register
class UserNoDirectPolicies(Check):
    id = "aws.iam.user-no-direct-policies"
    title = "IAM users get permissions only through groups"
    severity = Severity.LOW
    resource_types = (USER,)
    wa = ("SEC02-BP06", "SEC03-BP02")
    cis = ("1.14",)
    fsbp = ("IAM.2",)
    risk = (
        "Policies attached to individual users are hard to review and are forgotten when people change "
        "roles, so privileges accumulate."
    )
    remediation = (
        "Attach policies to groups (or roles) that match job functions and add users to those groups; "
        "remove user-attached and inline user policies."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if "attachedManagedPolicies" not in cfg and "userPolicies" not in cfg:
            return
        attached = [
            str(p.get("policyName", p.get("policyArn", "")))
            for p in as_list(cfg.get("attachedManagedPolicies"))
        ]
        inline = [str(p.get("policyName", "")) for p in as_list(cfg.get("userPolicies"))]
        name = resource.display_name
        if attached or inline:
            parts = []
            if attached:
                parts.append(f"attached {', '.join(attached)}")
            if inline:
                parts.append(f"inline {', '.join(inline)}")
            yield self.failed(
                f"User '{name}' has policies of its own ({'; '.join(parts)}): per-user permissions escape "
                "group-based review and outlive job changes.",
                attachedPolicies=attached,
                inlinePolicies=inline,
            )
        else:
            yield self.passed(f"User '{name}' gets its permissions only through groups.")


# ---- policies ----------------------------------------------------------------------------


@register
class PolicyNoAdminStar(_PolicyStatementCheck):
    id = "aws.iam.policy-no-admin-star"
    title = "IAM policies do not grant full administrative access"
    severity = Severity.CRITICAL
    wa = ("SEC03-BP02",)
    fsbp = ("IAM.1",)
    risk = (
        "A policy that allows every action on every resource makes whoever holds it an administrator; one "
        "compromised principal compromises the account."
    )
    remediation = (
        "Replace 'Action: *' on 'Resource: *' with the actions and resources the job needs; keep full "
        "administration to a few break-glass roles."
    )
    what = "full administrative access ('*' on '*')"
    why = "whoever holds it is a full administrator of the account."

    def bad_actions(self, stmt: Mapping[str, Any]) -> list[str]:
        return [str(a) for a in as_list(stmt.get("Action")) if str(a) in ("*", "*:*")]


@register
class PolicyNoServiceWildcard(_PolicyStatementCheck):
    id = "aws.iam.policy-no-service-wildcard"
    title = "IAM policies do not grant every action of a service"
    severity = Severity.HIGH
    wa = ("SEC03-BP02",)
    fsbp = ("IAM.21",)
    risk = (
        "'service:*' grants every current and future action of the service, including destructive and "
        "permission-changing ones."
    )
    remediation = (
        "List the specific actions needed (or use a narrower prefix such as 'ec2:Describe*') and scope "
        "resources where possible."
    )
    what = "service-wide wildcard actions ('service:*' on '*')"
    why = "it grants every action of the service, including deleting data and changing permissions."

    def bad_actions(self, stmt: Mapping[str, Any]) -> list[str]:
        return [str(a) for a in as_list(stmt.get("Action")) if _SERVICE_WILDCARD.match(str(a))]


# ---- roles -------------------------------------------------------------------------------


@register
class RoleTrustRequiresMfa(Check):
    id = "aws.iam.role-trust-requires-mfa"
    title = "Roles assumable by people require MFA"
    severity = Severity.MEDIUM
    resource_types = (ROLE,)
    wa = ("SEC02-BP01", "SEC03-BP02")
    risk = (
        "A role that an account or IAM user can assume without MFA can be taken over with a single leaked "
        "password or access key."
    )
    remediation = (
        "Add a condition {'Bool': {'aws:MultiFactorAuthPresent': 'true'}} to trust statements that let "
        "accounts or IAM users assume the role."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if _service_linked(resource):
            return
        stmts = _assume_statements(resource)
        if stmts is None:
            return
        # Role principals cannot carry MFA (role chaining), so only accounts and users apply.
        human: list[tuple[Mapping[str, Any], list[str]]] = []
        for stmt in stmts:
            aws, _ = _principals(stmt)
            people = [p for p in aws if ":role/" not in p and ":assumed-role/" not in p]
            if people:
                human.append((stmt, people))
        if not human:
            return
        missing = [people for stmt, people in human if not any(k in condition_keys(stmt) for k in _MFA_KEYS)]
        name = resource.display_name
        if missing:
            who = ", ".join(sorted({p for ps in missing for p in ps}))
            yield self.failed(
                f"Role '{name}' can be assumed by {who} without MFA: a leaked password or access key of "
                "any principal there is enough to use the role.",
                principals=sorted({p for ps in missing for p in ps}),
            )
        else:
            yield self.passed(f"Role '{name}' requires MFA from the accounts and users that may assume it.")


@register
class RoleTrustOutsideOrganization(Check):
    id = "aws.iam.role-trust-outside-organization"
    title = "Roles are not assumable from outside the organization"
    severity = Severity.HIGH
    resource_types = (ROLE,)
    wa = ("SEC03-BP07", "SEC03-BP09")
    risk = (
        "A role trusting an account outside the organization (or anyone) hands its permissions to people "
        "your organization does not control."
    )
    remediation = (
        "Remove trust in unknown accounts; for genuine third parties, trust only their exact account, "
        "require sts:ExternalId and review regularly; for '*', add an aws:PrincipalOrgID condition."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if _service_linked(resource):
            return
        stmts = _assume_statements(resource)
        if stmts is None:
            return
        known = set(ctx.inventory.accounts) | {resource.account_id}
        outside: set[str] = set()
        for stmt in stmts:
            if any(k in condition_keys(stmt) for k in _ORG_KEYS):
                continue
            aws, _ = _principals(stmt)
            for p in aws:
                acct = _principal_account(p)
                if p == "*" or (acct is not None and acct not in known):
                    outside.add(p)
        name = resource.display_name
        if outside:
            who = ", ".join(sorted(outside))
            yield self.failed(
                f"Role '{name}' can be assumed from outside the organization ({who}): principals you do "
                "not control get its permissions.",
                principals=sorted(outside),
            )
        else:
            yield self.passed(
                f"Role '{name}' is assumable only from within the organization or by AWS services."
            )
