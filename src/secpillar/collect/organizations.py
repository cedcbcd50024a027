"""Organizations: service control policies and tag policies with their targets, and the
organizational units (collected once, in the management account).

A policy type that is not enabled in the organization lists nothing: that is a state, not an
error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.collect.iam import parse_document
from secpillar.model import ACCOUNT_TYPE, GLOBAL, Resource, account_resource

POLICY_TYPE = "AWS::Organizations::Policy"
OU_TYPE = "AWS::Organizations::OrganizationalUnit"
POLICY_TYPES = ("SERVICE_CONTROL_POLICY", "TAG_POLICY")
_NOT_ENABLED = {"PolicyTypeNotEnabledException", "AWSOrganizationsNotInUseException"}
_MAX_DEPTH = 6


# ---- pure transforms ---------------------------------------------------------------------


def transform_policy(
    summary: Mapping[str, Any],
    content: Any,
    targets: list[Mapping[str, Any]] | None,
    account_id: str,
) -> Resource:
    """One organization policy: its summary, parsed content and targets. ``content`` is the
    DescribePolicy ``Content`` text (None when it could not be read); ``targets`` None when
    unknown (the key is then left out)."""
    ptype = str(summary.get("Type", ""))
    config: dict[str, Any] = {"policySummary": camelize(dict(summary)), "type": ptype}
    if content is None:
        config["content"] = None
        config["contentError"] = "the policy content could not be read"
    else:
        doc, err = parse_document(content)
        config["content"] = doc
        if err:
            config["contentError"] = err
    if targets is not None:
        config["targets"] = [
            {
                "targetId": t.get("TargetId", ""),
                "arn": t.get("Arn", ""),
                "name": t.get("Name", ""),
                "type": t.get("Type", ""),
            }
            for t in targets
        ]
    return Resource(
        resource_type=POLICY_TYPE,
        resource_id=str(summary.get("Id", "")),
        arn=str(summary.get("Arn", "")),
        account_id=account_id,
        region=GLOBAL,
        name=str(summary.get("Name", "")),
        configuration=config,
    )


def transform_ou(ou: Mapping[str, Any], parent_ids: list[str], account_id: str) -> Resource:
    """One organizational unit; ``parent_ids`` runs from the root down to its parent."""
    return Resource(
        resource_type=OU_TYPE,
        resource_id=str(ou.get("Id", "")),
        arn=str(ou.get("Arn", "")),
        account_id=account_id,
        region=GLOBAL,
        name=str(ou.get("Name", "")),
        configuration={
            "id": ou.get("Id", ""),
            "arn": ou.get("Arn", ""),
            "name": ou.get("Name", ""),
            "parentId": parent_ids[-1] if parent_ids else "",
            "parentIds": list(parent_ids),
        },
    )


# ---- fetch -------------------------------------------------------------------------------


def _list_policies(ctx: CollectContext, org: Any, ptype: str) -> list[dict[str, Any]] | None:
    items: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        params: dict[str, Any] = {"Filter": ptype}
        if token:
            params["NextToken"] = token
        resp = ctx.call(org, "list_policies", absent=_NOT_ENABLED, **params)
        if resp is None:
            return None
        items.extend(resp.get("Policies") or ())
        token = resp.get("NextToken")
        if not token:
            return items


def _ous(ctx: CollectContext, org: Any) -> Iterable[Resource]:
    roots = ctx.paginate(org, "list_roots", "Roots")
    queue: list[tuple[str, list[str]]] = [(str(r["Id"]), [str(r["Id"])]) for r in roots or ()]
    while queue:
        parent, path = queue.pop(0)
        if len(path) > _MAX_DEPTH:
            continue
        children = ctx.paginate(
            org, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent
        )
        for ou in children or ():
            yield transform_ou(ou, path, ctx.account_id)
            queue.append((str(ou["Id"]), [*path, str(ou["Id"])]))


@register
class OrganizationsCollector(Collector):
    id = "organizations"
    scope = Scope.ORGANIZATION
    resource_types = (POLICY_TYPE, OU_TYPE)
    permissions = (
        "organizations:ListPolicies",
        "organizations:DescribePolicy",
        "organizations:ListTargetsForPolicy",
        "organizations:ListRoots",
        "organizations:ListOrganizationalUnitsForParent",
    )

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        org = ctx.client("organizations")
        for ptype in POLICY_TYPES:
            for summary in _list_policies(ctx, org, ptype) or ():
                pid = summary.get("Id", "")
                desc = ctx.call(org, "describe_policy", PolicyId=pid)
                content = (desc or {}).get("Policy", {}).get("Content") if desc is not None else None
                targets = ctx.paginate(org, "list_targets_for_policy", "Targets", PolicyId=pid)
                yield transform_policy(summary, content, targets, ctx.account_id)
        yield from _ous(ctx, org)


# ---- delegated administrators (an addition for the security-services checks) -------------------

DELEGATED_KEY = "DelegatedAdministrators"
"""On the management account's ``AWS::::Account``: ``[{"accountId", "name", "services": [...]}]``."""


def transform_delegated_admins(
    admins: list[Mapping[str, Any]], services: Mapping[str, list[Mapping[str, Any]] | None]
) -> list[dict[str, Any]]:
    """``ListDelegatedAdministrators`` and, per account id, ``ListDelegatedServicesForAccount``
    (None when unknown: ``services`` is then left out of that entry)."""
    out: list[dict[str, Any]] = []
    for a in admins:
        aid = str(a.get("Id", ""))
        entry: dict[str, Any] = {"accountId": aid, "name": a.get("Name", "")}
        svc = services.get(aid)
        if svc is not None:
            entry["services"] = sorted(str(s.get("ServicePrincipal", "")) for s in svc)
        out.append(entry)
    return out


@register
class DelegatedAdminCollector(Collector):
    id = "organizations-delegated"
    scope = Scope.ORGANIZATION
    resource_types = (ACCOUNT_TYPE,)
    permissions = (
        "organizations:ListDelegatedAdministrators",
        "organizations:ListDelegatedServicesForAccount",
    )

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        org = ctx.client("organizations")
        admins = ctx.paginate(org, "list_delegated_administrators", "DelegatedAdministrators")
        if admins is None:
            return
        services = {
            str(a["Id"]): ctx.paginate(
                org, "list_delegated_services_for_account", "DelegatedServices", AccountId=a["Id"]
            )
            for a in admins
        }
        yield account_resource(
            ctx.account_id,
            ctx.account_name,
            ctx.partition,
            {DELEGATED_KEY: transform_delegated_admins(admins, services)},
        )
