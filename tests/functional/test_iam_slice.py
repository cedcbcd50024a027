"""IAM and Organizations against a moto server: collectors, and the seeded slice round trip."""

from __future__ import annotations

from typing import Any

import pytest

from secpillar.model import ACCOUNT_TYPE
from secpillar.sandbox import seed
from secpillar.sandbox.seed import SeedOrg, policy
from secpillar.sandbox.seeders import iam as iam_seeder
from secpillar.scan import ScanOptions, run_scan

pytestmark = pytest.mark.functional

IAM_TYPES = ["aws.iam.*", "aws.organizations.*"]


def test_iam_collector_builds_users_roles_policies(moto_endpoint: str, aws_client: Any) -> None:
    iam = aws_client("iam")
    arn = iam.create_policy(
        PolicyName="Star", PolicyDocument=policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    )["Policy"]["Arn"]
    iam.create_group(GroupName="Ops")
    iam.attach_group_policy(GroupName="Ops", PolicyArn=arn)
    iam.create_user(UserName="erin")
    iam.add_user_to_group(GroupName="Ops", UserName="erin")
    iam.create_login_profile(UserName="erin", Password="A-long-Password-123")
    key = iam.create_access_key(UserName="erin")["AccessKey"]["AccessKeyId"]
    iam.put_user_policy(
        UserName="erin",
        PolicyName="own",
        PolicyDocument=policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
    )
    iam.create_role(
        RoleName="Ext",
        AssumeRolePolicyDocument=policy(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    result = run_scan(ScanOptions(endpoint_url=moto_endpoint, regions=["us-east-1"], checks=["iam"]))
    inv = result.inventory
    user = inv.get("arn:aws:iam::123456789012:user/erin")
    assert user is not None
    cfg = user.configuration
    assert cfg["loginProfile"] and cfg["mfaDevices"] == []
    assert [k["accessKeyId"] for k in cfg["accessKeys"]] == [key]
    assert cfg["accessKeys"][0]["lastUsedDate"] is None  # known: never used
    assert cfg["userPolicies"][0]["policyDocument"]["Statement"][0]["Action"] == "s3:*"
    assert cfg["groupList"] == ["Ops"]
    assert user.supplementary["CredentialReport"]["password_enabled"] == "true"
    group = inv.get("arn:aws:iam::123456789012:group/Ops")
    assert group is not None and group.configuration["members"] == ["erin"]
    pol = inv.get(arn)
    assert pol is not None and pol.configuration["document"]["Statement"][0]["Action"] == "*"
    assert pol.configuration["attachmentCount"] == 1
    role = inv.get("arn:aws:iam::123456789012:role/Ext")
    assert role is not None and role.configuration["assumeRolePolicyDocument"]["Statement"]
    account = inv.get("arn:aws:iam::123456789012:root")
    assert account is not None and account.resource_type == ACCOUNT_TYPE
    assert account.supplementary["PasswordPolicy"] is None
    assert account.supplementary["AccountSummary"]["AccountMFAEnabled"] == 0
    fails = {(f.check_id, f.resource.arn) for f in result.findings if f.failed}
    assert ("aws.iam.policy-no-admin-star", arn) in fails
    assert ("aws.iam.user-console-mfa", user.arn) in fails
    assert ("aws.iam.role-trust-outside-organization", role.arn) in fails
    assert not [g for g in inv.gaps if g.service == "iam"], [g.to_dict() for g in inv.gaps]


def test_seeded_slice_round_trip(moto_endpoint: str) -> None:
    org = SeedOrg(moto_endpoint)
    seed.create_organization(org)
    iam_seeder.seed(org)
    result = run_scan(ScanOptions(endpoint_url=moto_endpoint, regions=["us-east-1"], checks=IAM_TYPES))
    fails = {(f.check_id, f.resource.arn) for f in result.findings if f.failed}
    assert len(org.manifest.flaws) >= 8
    missing = [f.to_dict() for f in org.manifest.flaws if (f.check_id, f.arn) not in fails]
    assert not missing, missing
    clean = {c.arn for c in org.manifest.clean}
    assert clean
    bad = [
        (f.check_id, f.resource.arn, f.message)
        for f in result.findings
        if f.failed and f.resource.arn in clean
    ]
    assert not bad, bad
    passed = {f.resource.arn for f in result.findings if f.status.value == "PASS"}
    judged = {a for a in clean if ":group/" not in a}  # groups without inline policies: nothing to judge
    assert judged <= passed, judged - passed
    scps = result.inventory.by_type("AWS::Organizations::Policy")
    assert {p.name for p in scps} >= {"FullAWSAccess", "Guardrails"}
    ous = result.inventory.by_type("AWS::Organizations::OrganizationalUnit")
    assert {o.name for o in ous} == {"Security", "Workloads", "NonProd", "Prod"}
