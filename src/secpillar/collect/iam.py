"""IAM: the account's root and password settings, users, groups, roles and customer managed
policies.

One ``GetAccountAuthorizationDetails`` listing (paginated) gives every user, group, role and
customer managed policy with their policies; per user we add the login profile, MFA devices and
access keys (with when each was last used). The credential report gives the root user's row and
one row per user.

Policy documents are parsed into dicts (URL-decoded first when they arrive as text); a document
that does not parse is kept as ``None`` next to a ``...Error`` key saying why.
"""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import ACCOUNT_TYPE, GLOBAL, Resource, account_resource

USER_TYPE = "AWS::IAM::User"
GROUP_TYPE = "AWS::IAM::Group"
ROLE_TYPE = "AWS::IAM::Role"
POLICY_TYPE = "AWS::IAM::Policy"
ROOT_ROW = "<root_account>"

_REPORT_TRIES = 12
_REPORT_WAIT_S = 0.2
_REPORT_MAX_WAIT_S = 2.0


# ---- pure transforms ---------------------------------------------------------------------


def parse_document(doc: Any) -> tuple[dict[str, Any] | None, str | None]:
    """A policy document as a dict, or ``(None, reason)`` when it does not parse."""
    if isinstance(doc, dict):
        return doc, None
    if isinstance(doc, bytes):
        doc = doc.decode("utf-8", "replace")
    if not isinstance(doc, str):
        return None, f"unexpected document type {type(doc).__name__}"
    text = doc.strip()
    if not text.startswith("{"):
        text = urllib.parse.unquote(text).strip()
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        return None, f"policy document is not valid JSON: {exc}"
    if not isinstance(parsed, dict):
        return None, "policy document is not a JSON object"
    return parsed, None


def _inline(policies: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for p in policies or ():
        doc, err = parse_document(p.get("PolicyDocument"))
        item: dict[str, Any] = {"policyName": p.get("PolicyName", ""), "policyDocument": doc}
        if err:
            item["policyDocumentError"] = err
        out.append(item)
    return out


def parse_credential_report(content: str | bytes) -> dict[str, dict[str, str]]:
    """The credential report's CSV -> {user name (``<root_account>`` for root): row}."""
    text = content.decode("utf-8", "replace") if isinstance(content, bytes) else content
    return {row.get("user", ""): dict(row) for row in csv.DictReader(io.StringIO(text))}


def _report_date(value: str | None) -> str | None:
    """A credential report date column -> ISO string, or None for N/A / no_information."""
    if not value or value in ("N/A", "no_information", "not_supported"):
        return None
    return value


def transform_account(
    account_id: str,
    account_name: str,
    partition: str,
    summary: Mapping[str, Any] | None,
    password_policy: Mapping[str, Any] | None,
    password_policy_known: bool,
    report: Mapping[str, Mapping[str, str]] | None,
) -> Resource:
    """The account pseudo resource with the IAM slice's supplementary keys. A key is left out
    when the call behind it failed (unknown)."""
    supplementary: dict[str, Any] = {}
    if summary is not None:
        supplementary["AccountSummary"] = dict(summary.get("SummaryMap") or {})
    if password_policy_known:
        pp = (password_policy or {}).get("PasswordPolicy")
        supplementary["PasswordPolicy"] = camelize(pp) if pp else None
    if report is not None and ROOT_ROW in report:
        supplementary["RootCredentials"] = dict(report[ROOT_ROW])
    return account_resource(account_id, account_name, partition, supplementary)


def _key_last_used(
    key_id: str,
    last_used: Mapping[str, Mapping[str, Any] | None],
    report_row: Mapping[str, str] | None,
    index: int,
) -> tuple[bool, str | None]:
    """(known, last used date or None for never) of one access key."""
    if key_id in last_used:
        resp = last_used[key_id]
        if resp is not None:
            date = (resp.get("AccessKeyLastUsed") or {}).get("LastUsedDate")
            return True, camelize(date) if date else None
    if report_row is not None and index in (1, 2):
        value = report_row.get(f"access_key_{index}_last_used_date")
        if value is not None:
            return True, _report_date(value)
    return False, None


def transform_user(
    detail: Mapping[str, Any],
    account_id: str,
    login_profile: Mapping[str, Any] | None,
    mfa_devices: list[Mapping[str, Any]] | None,
    access_keys: list[Mapping[str, Any]] | None,
    last_used: Mapping[str, Mapping[str, Any] | None],
    report_row: Mapping[str, str] | None,
) -> Resource:
    """One user from ``GetAccountAuthorizationDetails`` plus the per-user calls.

    ``login_profile``: the GetLoginProfile response, ``{}`` when the user has no password, None
    when unknown. ``mfa_devices`` / ``access_keys``: lists, None when unknown (the key is then
    left out of the configuration)."""
    config: dict[str, Any] = camelize(
        {
            k: detail[k]
            for k in ("Path", "UserName", "UserId", "Arn", "CreateDate", "PermissionsBoundary")
            if k in detail
        }
    )
    if login_profile is not None:
        lp = login_profile.get("LoginProfile")
        config["loginProfile"] = camelize(lp) if lp else None
    if mfa_devices is not None:
        config["mfaDevices"] = [camelize(dict(d)) for d in mfa_devices]
    if access_keys is not None:
        keys = []
        for i, k in enumerate(sorted(access_keys, key=lambda k: str(k.get("CreateDate", ""))), start=1):
            key_id = str(k.get("AccessKeyId", ""))
            entry: dict[str, Any] = {
                "accessKeyId": key_id,
                "status": k.get("Status", ""),
                "createDate": camelize(k.get("CreateDate")),
            }
            known, date = _key_last_used(key_id, last_used, report_row, i)
            if known:
                entry["lastUsedDate"] = date
            keys.append(entry)
        config["accessKeys"] = keys
    config["attachedManagedPolicies"] = camelize(list(detail.get("AttachedManagedPolicies") or ()))
    config["userPolicies"] = _inline(detail.get("UserPolicyList"))
    config["groupList"] = list(detail.get("GroupList") or ())
    supplementary: dict[str, Any] = {}
    if report_row is not None:
        supplementary["CredentialReport"] = dict(report_row)
    return Resource(
        resource_type=USER_TYPE,
        resource_id=str(detail.get("UserId", detail.get("UserName", ""))),
        arn=str(detail.get("Arn", "")),
        account_id=account_id,
        region=GLOBAL,
        name=str(detail.get("UserName", "")),
        configuration=config,
        supplementary=supplementary,
        tags=tag_dict(detail.get("Tags")),
    )


def transform_group(detail: Mapping[str, Any], account_id: str, members: list[str]) -> Resource:
    config: dict[str, Any] = camelize(
        {k: detail[k] for k in ("Path", "GroupName", "GroupId", "Arn", "CreateDate") if k in detail}
    )
    config["attachedManagedPolicies"] = camelize(list(detail.get("AttachedManagedPolicies") or ()))
    config["groupPolicies"] = _inline(detail.get("GroupPolicyList"))
    config["members"] = sorted(members)
    return Resource(
        resource_type=GROUP_TYPE,
        resource_id=str(detail.get("GroupId", detail.get("GroupName", ""))),
        arn=str(detail.get("Arn", "")),
        account_id=account_id,
        region=GLOBAL,
        name=str(detail.get("GroupName", "")),
        configuration=config,
    )


def transform_role(detail: Mapping[str, Any], account_id: str) -> Resource:
    config: dict[str, Any] = camelize(
        {
            k: detail[k]
            for k in (
                "Path",
                "RoleName",
                "RoleId",
                "Arn",
                "CreateDate",
                "Description",
                "MaxSessionDuration",
                "PermissionsBoundary",
                "RoleLastUsed",
            )
            if k in detail
        }
    )
    trust, err = parse_document(detail.get("AssumeRolePolicyDocument"))
    config["assumeRolePolicyDocument"] = trust
    if err:
        config["assumeRolePolicyDocumentError"] = err
    config["attachedManagedPolicies"] = camelize(list(detail.get("AttachedManagedPolicies") or ()))
    config["rolePolicies"] = _inline(detail.get("RolePolicyList"))
    config["instanceProfileList"] = [
        {"instanceProfileName": p.get("InstanceProfileName", ""), "arn": p.get("Arn", "")}
        for p in detail.get("InstanceProfileList") or ()
    ]
    return Resource(
        resource_type=ROLE_TYPE,
        resource_id=str(detail.get("RoleId", detail.get("RoleName", ""))),
        arn=str(detail.get("Arn", "")),
        account_id=account_id,
        region=GLOBAL,
        name=str(detail.get("RoleName", "")),
        configuration=config,
        tags=tag_dict(detail.get("Tags")),
    )


def is_aws_managed(policy_arn: str) -> bool:
    return ":iam::aws:policy/" in policy_arn


def transform_policy(detail: Mapping[str, Any], account_id: str) -> Resource | None:
    """A customer managed policy (scope Local) with its default version's document parsed;
    None for AWS managed policies."""
    arn = str(detail.get("Arn", ""))
    if is_aws_managed(arn):
        return None
    config: dict[str, Any] = camelize(
        {
            k: detail[k]
            for k in (
                "PolicyName",
                "PolicyId",
                "Arn",
                "Path",
                "DefaultVersionId",
                "AttachmentCount",
                "PermissionsBoundaryUsageCount",
                "IsAttachable",
                "Description",
                "CreateDate",
                "UpdateDate",
            )
            if k in detail
        }
    )
    config.setdefault("policyName", arn.rsplit("/", 1)[-1])
    config["scope"] = "Local"
    document: dict[str, Any] | None = None
    error: str | None = "the default policy version is missing"
    versions = []
    for v in detail.get("PolicyVersionList") or ():
        doc, err = parse_document(v.get("Document"))
        versions.append(
            {
                "versionId": v.get("VersionId", ""),
                "isDefaultVersion": bool(v.get("IsDefaultVersion")),
                "createDate": camelize(v.get("CreateDate")),
            }
        )
        if v.get("IsDefaultVersion") or v.get("VersionId") == detail.get("DefaultVersionId"):
            document, error = doc, err
    config["policyVersionList"] = versions
    config["document"] = document
    if error:
        config["documentError"] = error
    return Resource(
        resource_type=POLICY_TYPE,
        resource_id=str(detail.get("PolicyId", arn)),
        arn=arn,
        account_id=account_id,
        region=GLOBAL,
        name=str(config["policyName"]),
        configuration=config,
        tags=tag_dict(detail.get("Tags")),
    )


def merge_authorization_details(pages: Iterable[Mapping[str, Any]]) -> dict[str, list[Any]]:
    """Pages of GetAccountAuthorizationDetails -> one dict of lists."""
    out: dict[str, list[Any]] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [],
        "Policies": [],
    }
    for page in pages:
        for key, items in out.items():
            items.extend(page.get(key) or ())
    return out


def group_members(users: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    members: dict[str, list[str]] = {}
    for u in users:
        for g in u.get("GroupList") or ():
            members.setdefault(str(g), []).append(str(u.get("UserName", "")))
    return members


# ---- fetch -------------------------------------------------------------------------------


def _credential_report(ctx: CollectContext, iam: Any) -> dict[str, dict[str, str]] | None:
    for attempt in range(_REPORT_TRIES):
        resp = ctx.call(iam, "generate_credential_report")
        if resp is None:
            return None
        if resp.get("State") == "COMPLETE":
            break
        if attempt == _REPORT_TRIES - 1:
            return None
        time.sleep(min(_REPORT_WAIT_S * 2**attempt, _REPORT_MAX_WAIT_S))
    report = ctx.call(iam, "get_credential_report")
    if not report or "Content" not in report:
        return None
    return parse_credential_report(report["Content"])


def _authorization_details(ctx: CollectContext, iam: Any) -> dict[str, list[Any]] | None:
    pages: list[dict[str, Any]] = []
    marker: str | None = None
    while True:
        params: dict[str, Any] = {"Filter": ["User", "Role", "Group", "LocalManagedPolicy"]}
        if marker:
            params["Marker"] = marker
        resp = ctx.call(iam, "get_account_authorization_details", **params)
        if resp is None:
            return None
        pages.append(resp)
        if not resp.get("IsTruncated") or not resp.get("Marker"):
            break
        marker = resp["Marker"]
    return merge_authorization_details(pages)


@register
class IamCollector(Collector):
    id = "iam"
    scope = Scope.ACCOUNT
    resource_types = (ACCOUNT_TYPE, USER_TYPE, GROUP_TYPE, ROLE_TYPE, POLICY_TYPE)
    permissions = (
        "iam:GetAccountSummary",
        "iam:GetAccountPasswordPolicy",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
        "iam:GetAccountAuthorizationDetails",
        "iam:GetLoginProfile",
        "iam:ListMFADevices",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
    )

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        iam = ctx.client("iam")
        summary = ctx.call(iam, "get_account_summary")
        pp = ctx.call(iam, "get_account_password_policy", absent={"NoSuchEntity"})
        report = _credential_report(ctx, iam)
        yield transform_account(
            ctx.account_id, ctx.account_name, ctx.partition, summary, pp, pp is not None, report
        )
        details = _authorization_details(ctx, iam)
        if details is None:
            return
        members = group_members(details["UserDetailList"])
        for u in details["UserDetailList"]:
            name = u.get("UserName", "")
            login = ctx.call(iam, "get_login_profile", absent={"NoSuchEntity"}, UserName=name)
            mfa = ctx.paginate(iam, "list_mfa_devices", "MFADevices", UserName=name)
            keys = ctx.paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
            last_used: dict[str, Any] = {}
            for k in keys or ():
                key_id = k.get("AccessKeyId", "")
                last_used[key_id] = ctx.call(iam, "get_access_key_last_used", AccessKeyId=key_id)
            row = (report or {}).get(name)
            yield transform_user(u, ctx.account_id, login, mfa, keys, last_used, row)
        for g in details["GroupDetailList"]:
            yield transform_group(g, ctx.account_id, members.get(str(g.get("GroupName", "")), []))
        for r in details["RoleDetailList"]:
            yield transform_role(r, ctx.account_id)
        for p in details["Policies"]:
            res = transform_policy(p, ctx.account_id)
            if res is not None:
                yield res
