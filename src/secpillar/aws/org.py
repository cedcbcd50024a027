"""Organization fan-out: which accounts to scan, and credentials for each (assume-role)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.errors import classify, error_code, short_message
from secpillar.aws.session import AwsTarget, ClientFactory, sibling_session
from secpillar.model import Account, Gap, GapKind

DEFAULT_ROLE = "OrganizationAccountAccessRole"
SESSION_NAME = "secpillar-scan"

ORG_PERMISSIONS = (
    "organizations:DescribeOrganization",
    "organizations:ListAccounts",
    "organizations:ListParents",
)
"""The IAM actions :func:`discover` calls in the management account (``--org``); it also calls
``sts:AssumeRole`` on the role of each member account (and ``sts:GetCallerIdentity``, which
needs no permission)."""
REGION_PERMISSIONS = ("ec2:DescribeRegions",)
"""What :func:`enabled_regions` calls (when no ``--regions`` are given)."""


@dataclass
class Discovery:
    """The accounts of a scan: those we could reach (targets), every account seen, the
    organization's description and the gaps met on the way."""

    targets: list[AwsTarget] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    organization: dict[str, Any] = field(default_factory=dict)
    gaps: list[Gap] = field(default_factory=list)
    caller_account: str = ""
    partition: str = "aws"


def _gap(kind: GapKind | None, exc: BaseException, account: str, service: str, op: str) -> Gap:
    return Gap(
        kind=kind or classify(exc),
        account_id=account,
        region="global",
        service=service,
        operation=op,
        message=short_message(exc),
        code=error_code(exc),
    )


def _parents(org: Any, child_id: str) -> tuple[str, ...]:
    """Path of parent ids from the root down to the child's direct parent."""
    path: list[str] = []
    current = child_id
    for _ in range(8):  # Organizations allows at most 5 levels of OUs under the root
        parents = org.list_parents(ChildId=current).get("Parents", [])
        if not parents:
            break
        current = parents[0]["Id"]
        path.append(current)
        if parents[0]["Type"] == "ROOT":
            break
    return tuple(reversed(path))


def _matches(account: Account, wanted: Collection[str]) -> bool:
    return not wanted or account.account_id in wanted or account.name in wanted


def discover(
    base: ClientFactory,
    *,
    use_org: bool,
    role_name: str = DEFAULT_ROLE,
    accounts: Collection[str] = (),
    external_id: str | None = None,
    session_factory: Callable[..., Any] | None = None,
) -> Discovery:
    """List the accounts to scan and build clients for each.

    The caller's own account is scanned with the caller's credentials; every other account
    through ``role_name``. An account whose role cannot be assumed becomes a gap, and the other
    accounts go on."""
    out = Discovery()
    ident = base.client("sts").get_caller_identity()
    out.caller_account = str(ident["Account"])
    out.partition = str(ident["Arn"]).split(":")[1]
    found: list[Account] = []
    if use_org:
        org = base.client("organizations")
        try:
            desc = org.describe_organization()["Organization"]
            out.organization = {
                "id": desc.get("Id", ""),
                "arn": desc.get("Arn", ""),
                "managementAccountId": desc.get("MasterAccountId", ""),
                "featureSet": desc.get("FeatureSet", ""),
            }
            for page in org.get_paginator("list_accounts").paginate():
                for a in page.get("Accounts", []):
                    found.append(
                        Account(
                            account_id=a["Id"],
                            name=a.get("Name", ""),
                            email=a.get("Email", ""),
                            status=a.get("Status", "ACTIVE"),
                            is_management=a["Id"] == desc.get("MasterAccountId"),
                            parent_ids=_parents(org, a["Id"]),
                        )
                    )
        except (ClientError, BotoCoreError) as exc:
            out.gaps.append(_gap(None, exc, out.caller_account, "organizations", "ListAccounts"))
    if not found:
        found = [Account(account_id=out.caller_account, name=out.caller_account)]
    for acct in found:
        if not _matches(acct, accounts) or acct.status not in ("ACTIVE", ""):
            continue
        out.accounts[acct.account_id] = acct
        if acct.account_id == out.caller_account:
            out.targets.append(AwsTarget(acct.account_id, acct.name, base))
            continue
        role_arn = f"arn:{out.partition}:iam::{acct.account_id}:role/{role_name}"
        params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": SESSION_NAME}
        if external_id:
            params["ExternalId"] = external_id
        try:
            creds = base.client("sts").assume_role(**params)["Credentials"]
        except (ClientError, BotoCoreError) as exc:
            out.gaps.append(_gap(GapKind.ASSUME_ROLE_FAILED, exc, acct.account_id, "sts", "AssumeRole"))
            continue
        make = session_factory or partial(sibling_session, base.session)
        session = make(
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
            region_name=base.session.region_name,
        )
        factory = ClientFactory(session, base.endpoint_url, base.max_pool, base.default_region)
        out.targets.append(AwsTarget(acct.account_id, acct.name, factory))
    return out


def enabled_regions(base: ClientFactory) -> list[str]:
    """The regions enabled for the caller's account."""
    resp = base.client("ec2").describe_regions(AllRegions=False)
    return sorted(r["RegionName"] for r in resp.get("Regions", []))
