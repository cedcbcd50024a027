"""IAM transforms on responses recorded from moto (tests/fixtures/responses/iam/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.iam import (
    group_members,
    merge_authorization_details,
    parse_credential_report,
    parse_document,
    transform_account,
    transform_group,
    transform_policy,
    transform_role,
    transform_user,
)
from secpillar.model import ACCOUNT_TYPE, GLOBAL

RESP = Path(__file__).parent.parent / "fixtures" / "responses" / "iam"
MGMT = "123456789012"


def load(name: str) -> Any:
    return json.loads((RESP / f"{name}.json").read_text())


def details() -> dict[str, list[Any]]:
    return merge_authorization_details([load("get_account_authorization_details")])


def user_detail(name: str) -> dict[str, Any]:
    return next(u for u in details()["UserDetailList"] if u["UserName"] == name)


def test_parse_document_variants() -> None:
    doc = {"Version": "2012-10-17", "Statement": []}
    assert parse_document(doc) == (doc, None)
    assert parse_document(json.dumps(doc)) == (doc, None)
    encoded = "%7B%22Version%22%3A%20%222012-10-17%22%2C%20%22Statement%22%3A%20%5B%5D%7D"
    assert parse_document(encoded) == (doc, None)
    broken, err = parse_document("%7B%22Version")
    assert broken is None and err and "not valid JSON" in err
    assert parse_document("[1, 2]") == (None, "policy document is not a JSON object")


def test_account_with_weak_password_policy_and_summary() -> None:
    report = parse_credential_report(load("get_credential_report")["Content"])
    r = transform_account(
        MGMT, "MGMT", "aws", load("get_account_summary"), load("get_account_password_policy"), True, report
    )
    assert r.resource_type == ACCOUNT_TYPE and r.arn == f"arn:aws:iam::{MGMT}:root" and r.region == GLOBAL
    assert r.supplementary["AccountSummary"]["AccountMFAEnabled"] == 0
    assert r.supplementary["PasswordPolicy"]["minimumPasswordLength"] == 8
    # moto's credential report has no <root_account> row: the key stays out (unknown)
    assert "RootCredentials" not in r.supplementary


def test_account_without_password_policy_and_with_root_row() -> None:
    content = load("get_credential_report")["Content"]
    header, *rows = content.splitlines()
    root = (
        "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,"
        + ",".join(["N/A"] * (header.count(",") - 3))
    )
    report = parse_credential_report("\n".join([header, root, *rows]))
    r = transform_account(MGMT, "MGMT", "aws", None, {}, True, report)
    assert r.supplementary["PasswordPolicy"] is None
    assert "AccountSummary" not in r.supplementary
    assert r.supplementary["RootCredentials"]["arn"] == "arn:aws:iam::123456789012:root"
    unknown = transform_account(MGMT, "MGMT", "aws", None, None, False, None)
    assert "PasswordPolicy" not in unknown.supplementary


def test_user_with_console_and_mfa() -> None:
    report = parse_credential_report(load("get_credential_report")["Content"])
    r = transform_user(
        user_detail("alice"),
        MGMT,
        load("get_login_profile_alice"),
        load("list_mfa_devices_alice")["MFADevices"],
        load("list_access_keys_alice")["AccessKeyMetadata"],
        {},
        report["alice"],
    )
    cfg = r.configuration
    assert r.arn == f"arn:aws:iam::{MGMT}:user/alice" and r.name == "alice"
    assert cfg["userName"] == "alice" and cfg["loginProfile"]["createDate"]
    assert cfg["mfaDevices"][0]["serialNumber"].endswith(":mfa/alice")
    assert cfg["accessKeys"] == [] and cfg["groupList"] == ["Admins"]
    assert cfg["userPolicies"] == [] and cfg["attachedManagedPolicies"] == []
    assert r.supplementary["CredentialReport"]["mfa_active"] == "true"


def test_user_keys_last_used_and_inline_policy() -> None:
    keys = load("list_access_keys_carol")["AccessKeyMetadata"]
    first = keys[0]["AccessKeyId"]
    r = transform_user(
        user_detail("carol"),
        MGMT,
        {},
        load("list_mfa_devices_carol")["MFADevices"],
        keys,
        {first: load("get_access_key_last_used_carol")},
        None,
    )
    cfg = r.configuration
    assert cfg["loginProfile"] is None
    assert len(cfg["accessKeys"]) == 2 and all(k["status"] == "Active" for k in cfg["accessKeys"])
    by_id = {k["accessKeyId"]: k for k in cfg["accessKeys"]}
    assert by_id[first]["lastUsedDate"] is None  # known: never used
    other = next(k for k in by_id if k != first)
    assert "lastUsedDate" not in by_id[other]  # no answer and no report row: unknown
    assert cfg["userPolicies"][0]["policyName"] == "carol-s3"
    assert cfg["userPolicies"][0]["policyDocument"]["Statement"][0]["Action"] == "s3:*"


def test_user_with_unknown_login_profile_and_mfa() -> None:
    r = transform_user(user_detail("bob"), MGMT, None, None, None, {}, None)
    assert "loginProfile" not in r.configuration and "mfaDevices" not in r.configuration
    assert "accessKeys" not in r.configuration


def test_user_key_last_used_falls_back_to_credential_report() -> None:
    keys = [{"AccessKeyId": "AKIAEXAMPLE", "Status": "Active", "CreateDate": "2026-01-01T00:00:00+00:00"}]
    row = {"access_key_1_last_used_date": "2026-02-01T00:00:00+00:00"}
    r = transform_user(user_detail("dave"), MGMT, {}, [], keys, {"AKIAEXAMPLE": None}, row)
    assert r.configuration["accessKeys"][0]["lastUsedDate"] == "2026-02-01T00:00:00+00:00"
    assert r.configuration["attachedManagedPolicies"][0]["policyName"] == "TestersReadOnly"


def test_groups_with_members_and_policies() -> None:
    d = details()
    members = group_members(d["UserDetailList"])
    admins = next(g for g in d["GroupDetailList"] if g["GroupName"] == "Admins")
    r = transform_group(admins, MGMT, members["Admins"])
    assert r.arn == f"arn:aws:iam::{MGMT}:group/Admins"
    assert r.configuration["members"] == ["alice"]
    assert r.configuration["attachedManagedPolicies"][0]["policyName"] == "AdminFullAccess"
    assert r.configuration["groupPolicies"] == []


def test_customer_managed_policy_default_version_parsed() -> None:
    by_name = {p["Arn"].rsplit("/", 1)[-1]: p for p in details()["Policies"]}
    r = transform_policy(by_name["AdminFullAccess"], MGMT)
    assert r is not None and r.resource_type == "AWS::IAM::Policy"
    cfg = r.configuration
    assert cfg["scope"] == "Local" and cfg["attachmentCount"] == 1
    assert cfg["document"]["Statement"][0] == {"Effect": "Allow", "Action": "*", "Resource": "*"}
    assert "documentError" not in cfg
    broken = dict(by_name["AdminFullAccess"])
    broken["PolicyVersionList"] = [dict(v, Document="%7Bnot json") for v in broken["PolicyVersionList"]]
    b = transform_policy(broken, MGMT)
    assert b is not None and b.configuration["document"] is None and b.configuration["documentError"]
    aws = dict(by_name["AdminFullAccess"], Arn="arn:aws:iam::aws:policy/AdministratorAccess")
    assert transform_policy(aws, MGMT) is None


def test_roles_trust_parsed() -> None:
    d = merge_authorization_details([load("get_account_authorization_details_prod")])
    roles = {r["RoleName"]: transform_role(r, "874095891809") for r in d["RoleDetailList"]}
    vendor = roles["VendorAudit"].configuration
    stmt = vendor["assumeRolePolicyDocument"]["Statement"][0]
    assert stmt["Principal"] == {"AWS": "arn:aws:iam::999988887777:root"}
    assert stmt["Condition"] == {"StringEquals": {"sts:ExternalId": "vendor-7731"}}
    assert vendor["rolePolicies"][0]["policyName"] == "read-inventory"
    assert "OrganizationAccountAccessRole" in roles
    broken = dict(d["RoleDetailList"][0], AssumeRolePolicyDocument="{oops")
    b = transform_role(broken, "874095891809").configuration
    assert b["assumeRolePolicyDocument"] is None and b["assumeRolePolicyDocumentError"]
