"""Organizations checks: permission guardrails (service control policies) over member accounts."""

from __future__ import annotations

from collections.abc import Iterable

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_TYPE, Resource, Severity

ORG_POLICY = "AWS::Organizations::Policy"
SCP = "SERVICE_CONTROL_POLICY"


def _is_guardrail(policy: Resource) -> bool:
    """A service control policy of the organization's own (not the AWS managed FullAWSAccess)."""
    summary = policy.configuration.get("policySummary") or {}
    return not summary.get("awsManaged") and summary.get("name") != "FullAWSAccess"


@register
class ScpGuardrails(Check):
    id = "aws.organizations.scp-guardrails"
    title = "Member accounts are covered by a service control policy"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_TYPE,)
    reads = (ORG_POLICY,)
    wa = ("SEC03-BP05", "SEC01-BP06")
    risk = (
        "Without a service control policy of your own on its path, nothing stops an administrator (or an "
        "attacker) in a member account from disabling logging, leaving the organization or using any "
        "region."
    )
    remediation = (
        "Attach service control policies with your guardrails (deny leaving the organization, disabling "
        "CloudTrail/GuardDuty/Config, unused regions …) to the root or to every OU."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        account = ctx.inventory.accounts.get(resource.account_id)
        if account is None or account.is_management or not account.parent_ids:
            return  # not in an organization we know, or the management account (SCPs do not apply)
        scps = [p for p in ctx.inventory.by_type(ORG_POLICY) if p.configuration.get("type") == SCP]
        if not scps or any("targets" not in p.configuration for p in scps):
            return  # the organization's policies were not read
        path = [*account.parent_ids, account.account_id]
        covering = sorted(
            {
                p.display_name
                for p in scps
                if _is_guardrail(p)
                and any(t.get("targetId") in path for t in p.configuration.get("targets") or ())
            }
        )
        name = ctx.inventory.account_name(resource.account_id)
        if covering:
            yield self.passed(
                f"Account '{name}' is covered by service control policies {', '.join(covering)}.",
                policies=covering,
            )
        else:
            yield self.failed(
                f"Account '{name}' has no service control policy besides FullAWSAccess on its path (root, "
                "OUs, account): no organization guardrail limits what its administrators can do.",
                path=path,
            )
