"""Checks backed by the IAM engine's analyses over the whole inventory: privilege-escalation paths to
administrator and unrestricted credential-exposure grants, judged on each user and role.

The organization's IAM view (:class:`secpillar.iam.inventory.OrgIam`) and the escalation graph are
built once per inventory and shared by every check and resource.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.iam.escalation import Escalation, escalation
from secpillar.iam.inventory import GROUP, ORG_POLICY, OU, POLICY, ROLE, USER, OrgIam
from secpillar.iam.leastpriv import CREDENTIAL_EXPOSURE
from secpillar.iam.whocan import has_action
from secpillar.model import Inventory, Resource, Severity

#: STS actions are left out: a trust policy, not the caller's grant, decides whose credentials come back
CHECKED = tuple(a for a in CREDENTIAL_EXPOSURE if not a.startswith("sts:"))
_CACHE: list[tuple[weakref.ref[Inventory], int, OrgIam]] = []


def org_iam(inventory: Inventory) -> OrgIam:
    """The OrgIam of ``inventory``, built once (rebuilt if resources were added since)."""
    for ref, size, org in _CACHE:
        if ref() is inventory and size == len(inventory):
            return org
    org = OrgIam(inventory)
    _CACHE[:] = [(r, n, o) for r, n, o in _CACHE if r() is not None][-3:]
    _CACHE.append((weakref.ref(inventory), len(inventory), org))
    return org


def _graph(ctx: CheckContext) -> tuple[OrgIam, Escalation]:
    org = org_iam(ctx.inventory)
    return org, escalation(org)


@register
class PrivilegeEscalationPath(Check):
    id = "aws.iam.privilege-escalation-path"
    title = "No user or role can escalate its privileges to administrator"
    severity = Severity.HIGH
    resource_types = (USER, ROLE)
    reads = (GROUP, POLICY, ORG_POLICY, OU)
    wa = ("SEC03-BP02", "SEC03-BP04")
    risk = (
        "A principal that can give itself more permissions (attach or write policies, new policy versions, "
        "joining a group), take over another user, pass a powerful role to a service it controls or assume "
        "a chain of roles is an administrator in waiting: stealing its credentials is enough."
    )
    remediation = (
        "Remove the permission named in the path (or scope its Resource to what is needed), deny the IAM "
        "write actions with a permissions boundary or an SCP, and restrict iam:PassRole with the "
        "iam:PassedToService condition. Run `secpillar iam escalation --inventory FILE` to see every path."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        org, esc = _graph(ctx)
        node = esc.nodes.get(resource.arn)
        if node is not None and node["admin"]:
            yield self.passed(
                f"{resource.display_name} is an administrator already (nothing to escalate to)."
            )
            return
        path = esc.paths.get(resource.arn)
        if path is None:
            p = org.principal(resource.arn)
            if p is None or p.service_linked:
                return
            yield self.passed(f"No path to administrator from {p.label}.")
            return
        yield self.failed(path.explanation, methods=[s.method for s in path.steps],
                          path=[s.to_dict() for s in path.steps])  # fmt: skip


@register
class CredentialExposureUnrestricted(Check):
    id = "aws.iam.credential-exposure-unrestricted"
    title = "Non-administrators are not granted credential-exposing actions on every resource"
    severity = Severity.MEDIUM
    resource_types = (USER, ROLE)
    reads = (GROUP, POLICY, ORG_POLICY, OU)
    wa = ("SEC03-BP02",)
    risk = (
        "Actions such as secretsmanager:GetSecretValue, ssm:GetParameter, ec2:GetPasswordData or "
        "iam:CreateAccessKey return secrets or credentials; allowed on Resource '*' they hand every secret "
        "of the account to whoever holds this principal's credentials."
    )
    remediation = (
        "Scope credential-exposing actions to the secrets, parameters or users the workload needs (their "
        "ARNs), or remove them. `secpillar iam least-privilege ARN --inventory FILE` lists them."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        org, esc = _graph(ctx)
        p = org.principal(resource.arn)
        if p is None or p.service_linked:
            return
        node = esc.nodes.get(p.arn)
        if node is not None and node["admin"]:
            yield self.passed(f"{p.label} is an administrator: its broad access is judged by other checks.")
            return
        exposed = sorted(
            a for a in CHECKED if has_action(p, a.lower()) and org.evaluate(p.arn, a, "*").allowed
        )
        if exposed:
            yield self.failed(
                f"{p.label} may call {', '.join(exposed)} on every resource ('*').", actions=exposed
            )
        else:
            yield self.passed(f"{p.label} has no credential-exposing action on every resource.")
