"""Seed IAM and Organizations: groups, users, cross-account roles, password policies and an SCP.

Limits of the emulator, and what we plant instead:
- access keys cannot be backdated (moto stamps them "now" and never records a use), so no key can
  be planted that is older than 90 days or unused for 45 days; carol instead holds two active
  keys and a policy of her own;
- the root user cannot be given MFA or access keys; moto reports ``AccountMFAEnabled: 0`` in every
  account, so root MFA is a flaw of every account.
"""

from __future__ import annotations

from typing import Any

from secpillar.sandbox.seed import MEMBER_ACCOUNTS, SeedOrg, policy

EXTERNAL_ACCOUNT = "999988887777"
STRONG_PASSWORD_POLICY: dict[str, Any] = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "PasswordReusePrevention": 24,
}
READ_ONLY_ACTIONS = ["ec2:Describe*", "s3:ListAllMyBuckets", "s3:GetBucketLocation", "cloudwatch:Get*"]


def _allow(actions: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


def _seed_management(org: SeedOrg) -> None:
    m = org.manifest
    iam = org.client("MGMT", "iam")
    policies = {
        "AdminFullAccess": policy(_allow("*")),
        "DevelopersCompute": policy(_allow("ec2:*")),
        "TestersReadOnly": policy(_allow(READ_ONLY_ACTIONS)),
        "ManagersBilling": policy(
            _allow(["ce:GetCostAndUsage", "budgets:ViewBudget", "aws-portal:ViewBilling"])
        ),
    }
    arns: dict[str, str] = {}
    for name, doc in policies.items():
        arns[name] = iam.create_policy(PolicyName=name, PolicyDocument=doc)["Policy"]["Arn"]
    m.flaw(
        "aws.iam.policy-no-admin-star",
        "MGMT",
        "policy AdminFullAccess",
        arns["AdminFullAccess"],
        "Customer managed policy of group Admins allows Action '*' on Resource '*'.",
    )
    m.flaw(
        "aws.iam.policy-no-service-wildcard",
        "MGMT",
        "policy DevelopersCompute",
        arns["DevelopersCompute"],
        "Customer managed policy of group Developers allows 'ec2:*' on every resource.",
    )
    m.clean_resource("MGMT", "policy TestersReadOnly", arns["TestersReadOnly"], "Read-only actions, listed.")
    m.clean_resource(
        "MGMT", "policy ManagersBilling", arns["ManagersBilling"], "Billing read actions, listed."
    )

    groups = {
        "Admins": "AdminFullAccess",
        "Developers": "DevelopersCompute",
        "Testers": "TestersReadOnly",
        "Managers": "ManagersBilling",
    }
    group_arns: dict[str, str] = {}
    for group, pol in groups.items():
        group_arns[group] = iam.create_group(GroupName=group)["Group"]["Arn"]
        iam.attach_group_policy(GroupName=group, PolicyArn=arns[pol])
    for group in ("Testers", "Managers"):
        m.clean_resource("MGMT", f"group {group}", group_arns[group], "Group with a narrow managed policy.")

    users: dict[str, str] = {}
    for user, group in (
        ("alice", "Admins"),
        ("bob", "Developers"),
        ("carol", "Testers"),
        ("dave", "Managers"),
    ):
        users[user] = iam.create_user(UserName=user)["User"]["Arn"]
        iam.add_user_to_group(GroupName=group, UserName=user)

    # alice: console password with a virtual MFA device, permissions only through her group.
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-Battery-9")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]["SerialNumber"]
    iam.enable_mfa_device(
        UserName="alice", SerialNumber=serial, AuthenticationCode1="123456", AuthenticationCode2="654321"
    )
    m.clean_resource(
        "MGMT", "user alice", users["alice"], "Console user with MFA, permissions through a group."
    )

    # bob: console password, no MFA.
    iam.create_login_profile(UserName="bob", Password="Tr0ub4dor&3-password")
    m.flaw(
        "aws.iam.user-console-mfa",
        "MGMT",
        "user bob",
        users["bob"],
        "User bob has a console password and no MFA device.",
    )

    # carol: two active access keys and an inline policy with a service wildcard.
    for _ in range(2):
        iam.create_access_key(UserName="carol")
    iam.put_user_policy(UserName="carol", PolicyName="carol-s3", PolicyDocument=policy(_allow("s3:*")))
    m.flaw(
        "aws.iam.user-one-active-key",
        "MGMT",
        "user carol",
        users["carol"],
        "User carol has two active access keys (moto cannot backdate keys, so no old or unused key).",
    )
    m.flaw(
        "aws.iam.user-no-direct-policies",
        "MGMT",
        "user carol",
        users["carol"],
        "User carol has an inline policy of her own.",
    )
    m.flaw(
        "aws.iam.policy-no-service-wildcard",
        "MGMT",
        "user carol",
        users["carol"],
        "User carol's inline policy allows 's3:*' on every resource.",
    )

    # dave: a managed policy attached to the user directly.
    iam.attach_user_policy(UserName="dave", PolicyArn=arns["TestersReadOnly"])
    m.flaw(
        "aws.iam.user-no-direct-policies",
        "MGMT",
        "user dave",
        users["dave"],
        "User dave has policy TestersReadOnly attached directly instead of through a group.",
    )

    iam.update_account_password_policy(MinimumPasswordLength=8, AllowUsersToChangePassword=True)
    m.flaw(
        "aws.iam.password-policy-strong",
        "MGMT",
        "account MGMT",
        f"arn:aws:iam::{org.account_id('MGMT')}:root",
        "Password policy with minimum length 8, no reuse prevention and no character classes.",
    )


def _trust(principal: str, condition: dict[str, Any] | None = None) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        stmt["Condition"] = condition
    return policy(stmt)


def _seed_member(org: SeedOrg, account: str) -> None:
    m = org.manifest
    iam = org.client(account, "iam")
    mgmt_root = f"arn:aws:iam::{org.account_id('MGMT')}:root"
    if account == "TEST":
        m.flaw(
            "aws.iam.password-policy-strong",
            "TEST",
            "account TEST",
            f"arn:aws:iam::{org.account_id('TEST')}:root",
            "Account TEST has no IAM password policy.",
        )
    else:
        iam.update_account_password_policy(**STRONG_PASSWORD_POLICY)
    mfa = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    role_arn = iam.create_role(
        RoleName="CrossAccountAdmin",
        AssumeRolePolicyDocument=_trust(mgmt_root, None if account == "STG" else mfa),
        Description="Operators from the management account",
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="CrossAccountAdmin",
        PolicyName="read-inventory",
        PolicyDocument=policy(_allow(READ_ONLY_ACTIONS)),
    )
    if account == "STG":
        m.flaw(
            "aws.iam.role-trust-requires-mfa",
            "STG",
            "role CrossAccountAdmin",
            role_arn,
            "Role trusted by the management account without an aws:MultiFactorAuthPresent condition.",
        )
    else:
        m.clean_resource(
            account,
            "role CrossAccountAdmin",
            role_arn,
            "Role trusted by the management account, MFA required, narrow inline policy.",
        )
    if account == "PROD":
        vendor = iam.create_role(
            RoleName="VendorAudit",
            AssumeRolePolicyDocument=_trust(
                f"arn:aws:iam::{EXTERNAL_ACCOUNT}:root", {"StringEquals": {"sts:ExternalId": "vendor-7731"}}
            ),
            Description="Third-party auditor",
        )["Role"]["Arn"]
        iam.put_role_policy(
            RoleName="VendorAudit",
            PolicyName="read-inventory",
            PolicyDocument=policy(_allow(READ_ONLY_ACTIONS)),
        )
        m.flaw(
            "aws.iam.role-trust-outside-organization",
            "PROD",
            "role VendorAudit",
            vendor,
            f"Role trusts account {EXTERNAL_ACCOUNT}, outside the organization, without aws:PrincipalOrgID.",
        )
        m.flaw(
            "aws.iam.role-trust-requires-mfa",
            "PROD",
            "role VendorAudit",
            vendor,
            f"Role trusts account {EXTERNAL_ACCOUNT} with an external id but without MFA.",
        )


def _seed_scp(org: SeedOrg) -> None:
    orgs = org.client("MGMT", "organizations")
    guard = orgs.create_policy(
        Name="Guardrails",
        Description="Deny leaving the organization and turning off audit logging",
        Type="SERVICE_CONTROL_POLICY",
        Content=policy(
            {
                "Sid": "DenyLeave",
                "Effect": "Deny",
                "Action": "organizations:LeaveOrganization",
                "Resource": "*",
            },
            {
                "Sid": "ProtectAudit",
                "Effect": "Deny",
                "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "guardduty:DeleteDetector"],
                "Resource": "*",
            },
        ),
    )["Policy"]["PolicySummary"]["Id"]
    for ou in ("Security", "Prod"):
        orgs.attach_policy(PolicyId=guard, TargetId=org.ou_ids[ou])
    for account in ("TEST", "STG"):
        org.manifest.flaw(
            "aws.organizations.scp-guardrails",
            account,
            f"account {account}",
            f"arn:aws:iam::{org.account_id(account)}:root",
            f"Account {account} (OU NonProd) has only FullAWSAccess on its path: SCP Guardrails is not "
            "attached.",
        )


def seed(org: SeedOrg) -> None:
    """Plant the IAM and Organizations resources and flaws (runs first, after the organization)."""
    _seed_management(org)
    for account in MEMBER_ACCOUNTS:
        _seed_member(org, account)
    _seed_scp(org)
    for account in ("MGMT", *MEMBER_ACCOUNTS):
        org.manifest.flaw(
            "aws.iam.root-mfa-enabled",
            account,
            f"account {account}",
            f"arn:aws:iam::{org.account_id(account)}:root",
            "The root user has no MFA (the emulator cannot enable root MFA).",
        )
