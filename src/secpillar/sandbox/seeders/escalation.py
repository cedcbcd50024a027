"""Seed privilege-escalation paths to administrator (found by ``secpillar iam escalation`` and the
``aws.iam.privilege-escalation-path`` check) and one clean role:

- MGMT user erin (group Developers) may create a new default version of policy ErinTools, which is
  attached to her: she can rewrite her own permissions (iam:CreatePolicyVersion);
- TEST role ci-deployer may pass role lambda-admin (an administrator trusted by Lambda) to a new
  Lambda function and invoke it (iam:PassRole + lambda:CreateFunction + lambda:InvokeFunction);
- STG user mallory may attach any managed policy to herself (iam:AttachUserPolicy);
- TEST role support-low may assume PROD role ops-admin (an administrator) whose trust policy names
  it: a cross-account chain to administrator (sts:AssumeRole).

Runs after the IAM seeder (it reuses group Developers).
"""

from __future__ import annotations

from typing import Any

from secpillar.sandbox.seed import SeedOrg, policy

CHECK = "aws.iam.privilege-escalation-path"
EXPOSURE = "aws.iam.credential-exposure-unrestricted"
DIRECT = "aws.iam.user-no-direct-policies"
ADMIN_STAR = "aws.iam.policy-no-admin-star"


def _allow(actions: Any, resource: Any = "*") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def _trust(principal: dict[str, Any]) -> str:
    return policy({"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})


def _role(iam: Any, name: str, principal: dict[str, Any], description: str) -> str:
    arn: str = iam.create_role(
        RoleName=name, AssumeRolePolicyDocument=_trust(principal), Description=description
    )["Role"]["Arn"]
    return arn


def _make_admin(org: SeedOrg, account: str, iam: Any, role: str) -> None:
    """An inline Action '*' on Resource '*' (moto's server does not load AWS managed policies such as
    AdministratorAccess, so the administrator's policy is spelled out)."""
    iam.put_role_policy(RoleName=role, PolicyName="administrator", PolicyDocument=policy(_allow("*")))
    arn = f"arn:aws:iam::{org.account_id(account)}:role/{role}"
    org.manifest.flaw(
        ADMIN_STAR,
        account,
        f"role {role}",
        arn,
        f"Role {role} is an administrator: its inline policy allows '*' on '*'.",
    )


def _erin(org: SeedOrg) -> None:
    iam = org.client("MGMT", "iam")
    acct = org.account_id("MGMT")
    pol_arn = f"arn:aws:iam::{acct}:policy/ErinTools"
    iam.create_policy(
        PolicyName="ErinTools",
        PolicyDocument=policy(
            _allow(["iam:CreatePolicyVersion", "iam:GetPolicy", "iam:GetPolicyVersion"], pol_arn)
        ),
    )
    arn = iam.create_user(UserName="erin")["User"]["Arn"]
    iam.add_user_to_group(GroupName="Developers", UserName="erin")
    iam.attach_user_policy(UserName="erin", PolicyArn=pol_arn)
    m = org.manifest
    m.flaw(
        CHECK,
        "MGMT",
        "user erin",
        arn,
        "User erin may create a new default version of policy ErinTools, attached to her "
        "(iam:CreatePolicyVersion): she can grant herself anything.",
    )
    m.flaw(DIRECT, "MGMT", "user erin", arn, "User erin has policy ErinTools attached directly.")
    m.flaw(
        EXPOSURE,
        "MGMT",
        "user erin",
        arn,
        "Through group Developers (ec2:*) erin may read every instance's Windows password "
        "(ec2:GetPasswordData on *).",
    )


def _ci_deployer(org: SeedOrg) -> None:
    iam = org.client("TEST", "iam")
    acct = org.account_id("TEST")
    _role(iam, "lambda-admin", {"Service": "lambda.amazonaws.com"}, "Runs the maintenance functions")
    _make_admin(org, "TEST", iam, "lambda-admin")
    arn = _role(iam, "ci-deployer", {"Service": "ec2.amazonaws.com"}, "Deploys functions")
    iam.put_role_policy(
        RoleName="ci-deployer",
        PolicyName="deploy-functions",
        PolicyDocument=policy(
            _allow("iam:PassRole", f"arn:aws:iam::{acct}:role/*"),
            _allow(
                ["lambda:CreateFunction", "lambda:InvokeFunction", "lambda:GetFunction"],
                f"arn:aws:lambda:*:{acct}:function:*",
            ),
        ),
    )
    org.manifest.flaw(
        CHECK,
        "TEST",
        "role ci-deployer",
        arn,
        "Role ci-deployer may pass role lambda-admin (an administrator trusted by Lambda) "
        "to a Lambda function it creates and invokes.",
    )


def _mallory(org: SeedOrg) -> None:
    iam = org.client("STG", "iam")
    acct = org.account_id("STG")
    arn = iam.create_user(UserName="mallory")["User"]["Arn"]
    iam.put_user_policy(
        UserName="mallory",
        PolicyName="self-service",
        PolicyDocument=policy(
            _allow(
                ["iam:AttachUserPolicy", "iam:ListAttachedUserPolicies"], f"arn:aws:iam::{acct}:user/mallory"
            )
        ),
    )
    m = org.manifest
    m.flaw(
        CHECK,
        "STG",
        "user mallory",
        arn,
        "User mallory may attach any managed policy (AdministratorAccess too) to herself.",
    )
    m.flaw(DIRECT, "STG", "user mallory", arn, "User mallory has an inline policy of her own.")


def _chain(org: SeedOrg) -> None:
    test = org.client("TEST", "iam")
    prod = org.client("PROD", "iam")
    low = _role(test, "support-low", {"Service": "ec2.amazonaws.com"}, "Support tooling")
    admin = f"arn:aws:iam::{org.account_id('PROD')}:role/ops-admin"
    test.put_role_policy(
        RoleName="support-low", PolicyName="hop", PolicyDocument=policy(_allow("sts:AssumeRole", admin))
    )
    _role(prod, "ops-admin", {"AWS": low}, "Operations")
    _make_admin(org, "PROD", prod, "ops-admin")
    org.manifest.flaw(
        CHECK,
        "TEST",
        "role support-low",
        low,
        "Role support-low may assume role ops-admin in PROD, an administrator whose trust "
        "policy names it (cross-account role chain).",
    )
    reporting = _role(prod, "reporting", {"Service": "ec2.amazonaws.com"}, "Reads inventory for reports")
    read = policy(_allow(["ec2:DescribeInstances", "ec2:DescribeVolumes"]))
    prod.put_role_policy(RoleName="reporting", PolicyName="read-inventory", PolicyDocument=read)
    org.manifest.clean_resource(
        "PROD",
        "role reporting",
        reporting,
        "Role with two read actions: no escalation path, no credential exposure.",
    )


def seed(org: SeedOrg) -> None:
    """Plant the escalation paths (after the IAM seeder)."""
    org.manifest.flaw(
        EXPOSURE,
        "MGMT",
        "user bob",
        f"arn:aws:iam::{org.account_id('MGMT')}:user/bob",
        "Through group Developers (ec2:*) bob may read every instance's Windows password "
        "(ec2:GetPasswordData on *).",
    )
    _erin(org)
    _ci_deployer(org)
    _mallory(org)
    _chain(org)
