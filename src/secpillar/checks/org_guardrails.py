"""Organization structure and guardrails: every OU under a service control policy of your own, SCPs
that protect the security services, workloads kept out of the management account, accounts placed
in OUs, and security services administered from a delegated (security tooling) account."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from typing import Any

from secpillar.checks.iam import as_list, statements
from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_TYPE, Resource, Severity

ORG_POLICY = "AWS::Organizations::Policy"
OU = "AWS::Organizations::OrganizationalUnit"
SCP = "SERVICE_CONTROL_POLICY"
WORKLOAD_TYPES = ("AWS::EC2::Instance", "AWS::RDS::DBInstance", "AWS::Lambda::Function")

PROTECTED_ACTIONS = (
    "cloudtrail:StopLogging",
    "cloudtrail:DeleteTrail",
    "guardduty:DeleteDetector",
    "config:StopConfigurationRecorder",
    "organizations:LeaveOrganization",
)
SECURITY_SERVICES = ("guardduty.amazonaws.com", "securityhub.amazonaws.com")


def _guardrails(ctx: CheckContext) -> list[Resource] | None:
    scps = [p for p in ctx.inventory.by_type(ORG_POLICY) if p.configuration.get("type") == SCP]
    if not scps or any("targets" not in p.configuration for p in scps):
        return None
    out = []
    for p in scps:
        summary = p.configuration.get("policySummary") or {}
        if not summary.get("awsManaged") and summary.get("name") != "FullAWSAccess":
            out.append(p)
    return out


def _targets(policy: Resource) -> set[str]:
    return {str(t.get("targetId")) for t in policy.configuration.get("targets") or ()}


@register
class ScpOnEveryOu(Check):
    id = "aws.organizations.scp-on-every-ou"
    title = "Every organizational unit is under a service control policy of your own"
    severity = Severity.MEDIUM
    resource_types = (OU,)
    reads = (ORG_POLICY,)
    wa = ("SEC03-BP05", "SEC01-BP06")
    risk = (
        "Accounts placed in an OU without a guardrail SCP (on the OU, a parent or the root) may disable "
        "logging, leave the organization or use any region."
    )
    remediation = (
        "Attach the guardrail SCP to the OU (aws organizations attach-policy "
        "--target-id OU_ID) or to the root."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        policies = _guardrails(ctx)
        if policies is None:
            return
        path = {*map(str, resource.configuration.get("parentIds") or ()), resource.resource_id}
        covering = sorted(p.display_name for p in policies if _targets(p) & path)
        if covering:
            yield self.passed(
                f"OU '{resource.display_name}' is under guardrail SCP(s) {', '.join(covering)}."
            )
        else:
            yield self.failed(
                f"OU '{resource.display_name}' has no guardrail SCP on it, its parents or "
                "the root: its accounts "
                "run with only FullAWSAccess.",
            )


def _denies(doc: Mapping[str, Any] | None, action: str) -> bool:
    for st in statements(doc):
        if st.get("Effect") != "Deny" or st.get("Condition"):
            continue
        acts = [str(a).lower() for a in as_list(st.get("Action"))]
        if any(fnmatchcase(action.lower(), a) for a in acts):
            return True
    return False


@register
class ScpProtectsSecurityServices(Check):
    id = "aws.organizations.scp-protects-security-services"
    title = "Service control policies stop member accounts from disabling security services"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_TYPE,)
    reads = (ORG_POLICY,)
    wa = ("SEC03-BP05", "SEC04-BP01")
    risk = (
        "An administrator or attacker in a member account can stop CloudTrail, delete the GuardDuty "
        "detector, stop AWS Config or leave the organization to hide what they do."
    )
    remediation = (
        "Add Deny statements for cloudtrail:StopLogging/DeleteTrail, guardduty:DeleteDetector, "
        "config:StopConfigurationRecorder and organizations:LeaveOrganization to an SCP on the root or "
        "every OU."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        account = ctx.inventory.accounts.get(resource.account_id)
        policies = _guardrails(ctx)
        if account is None or account.is_management or not account.parent_ids or policies is None:
            return
        path = {*account.parent_ids, account.account_id}
        docs = [p.configuration.get("content") for p in policies if _targets(p) & path]
        if any(p.configuration.get("content") is None for p in policies if _targets(p) & path):
            return
        missing = [a for a in PROTECTED_ACTIONS if not any(_denies(d, a) for d in docs)]
        name = ctx.inventory.account_name(resource.account_id)
        if missing:
            yield self.failed(
                f"No SCP over account '{name}' denies {', '.join(missing)}: security services there can be "
                "switched off from inside the account.",
                notDenied=missing,
            )
        else:
            yield self.passed(f"SCPs over account '{name}' deny disabling CloudTrail, GuardDuty and Config.")


@register
class ManagementAccountNoWorkloads(Check):
    id = "aws.organizations.management-account-no-workloads"
    title = "The management account runs no workloads"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_TYPE,)
    reads = WORKLOAD_TYPES
    wa = ("SEC01-BP01",)
    risk = (
        "SCPs do not apply to the management account: a workload there runs without guardrails next to "
        "the organization's most powerful credentials."
    )
    remediation = "Move instances, databases and functions from the management account into member accounts."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        account = ctx.inventory.accounts.get(resource.account_id)
        if account is None or not account.is_management:
            return
        found = [r for t in WORKLOAD_TYPES for r in ctx.inventory.by_account(resource.account_id, t)]
        name = ctx.inventory.account_name(resource.account_id)
        if found:
            sample = ", ".join(f"{r.resource_type.split('::')[-1]} {r.display_name}" for r in found[:5])
            yield self.failed(
                f"The management account '{name}' runs {len(found)} workload resource(s) "
                f"({sample}): they sit "
                "outside every SCP, next to the organization's root of trust.",
                resources=[r.arn for r in found[:20]],
            )
        else:
            yield self.passed(f"The management account '{name}' runs no instances, databases or functions.")


@register
class AccountInOu(Check):
    id = "aws.organizations.account-in-ou"
    title = "Member accounts are placed in organizational units"
    severity = Severity.LOW
    resource_types = (ACCOUNT_TYPE,)
    wa = ("SEC01-BP01",)
    risk = (
        "An account directly under the root gets no OU-level guardrails and is "
        "not grouped with its environment."
    )
    remediation = (
        "aws organizations move-account --account-id ID --source-parent-id ROOT --destination-parent-id OU"
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        account = ctx.inventory.accounts.get(resource.account_id)
        if account is None or account.is_management or not account.parent_ids:
            return
        name = ctx.inventory.account_name(resource.account_id)
        if len(account.parent_ids) > 1:
            yield self.passed(f"Account '{name}' is in OU {account.parent_ids[-1]}.")
        else:
            yield self.failed(f"Account '{name}' sits directly under the organization root, outside any OU.")


@register
class SecurityServicesDelegated(Check):
    id = "aws.organizations.security-services-delegated"
    title = "Security services are administered from a delegated security account"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_TYPE,)
    wa = ("SEC04-BP02", "SEC01-BP01")
    risk = (
        "Without a delegated administrator, findings stay in each account (or in the management account), "
        "and the security team needs management-account access to see them."
    )
    remediation = (
        "aws organizations register-delegated-administrator (or the service's "
        "enable-organization-admin-account) for GuardDuty, Security Hub, Config, Access Analyzer and "
        "Macie, pointing at the security tooling account."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        admins = resource.supplementary.get("DelegatedAdministrators")
        if admins is None:
            return
        wanted = tuple(ctx.setting("delegated_admin_services", SECURITY_SERVICES))
        delegated = {s for a in admins for s in a.get("services") or ()}
        missing = [s for s in wanted if s not in delegated]
        if missing and any("services" not in a for a in admins):
            return  # some administrator's services could not be read
        name = resource.display_name
        if missing:
            yield self.failed(
                f"The organization of '{name}' has no delegated administrator for "
                f"{', '.join(missing)}: those "
                "findings are not gathered in a security account.",
                missing=missing,
            )
        else:
            yield self.passed(f"{', '.join(wanted)} are administered from a delegated account.")
