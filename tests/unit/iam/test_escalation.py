"""Privilege escalation paths and who-can, on small organizations built like scanned inventories.

Each case plants one documented escalation method (Rhino Security Labs' AWS IAM privilege escalation
methods; IAM API reference for what each action does) and expects the path; the near-miss cases
(a missing permission, a role not trusted by the service, a resource the grant does not cover) must
find nothing. Edges are decided by the evaluator, so SCP denies and trust conditions count."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tests.unit.iam.orgfix import (
    ADMIN_ARN,
    DEV,
    MGMT,
    OU_DEV,
    PROD,
    allow,
    doc,
    group,
    managed,
    org_inventory,
    role,
    scp,
    trust,
    user,
)

from secpillar.iam.escalation import ADMIN, escalation
from secpillar.iam.inventory import OrgIam
from secpillar.iam.whocan import describe, who_can
from secpillar.model import Resource

ADMINS = group(DEV, "Admins", attached=(ADMIN_ARN,), members=("root-admin",))
ROOT_ADMIN = user(DEV, "root-admin", groups=("Admins",))
U = f"arn:aws:iam::{DEV}:user/"
R = f"arn:aws:iam::{DEV}:role/"
LAMBDA_TRUST = trust({"Service": "lambda.amazonaws.com"})


def _paths(*resources: Resource) -> dict[str, Any]:
    org = OrgIam(org_inventory(ADMINS, ROOT_ADMIN, *resources))
    return {k: v.to_dict() for k, v in escalation(org).paths.items()}


CASES: list[tuple[str, list[Resource], str, list[str]]] = [
    ("CreatePolicyVersion on a policy attached to oneself",
     [user(DEV, "eve", attached=(f"arn:aws:iam::{DEV}:policy/EveTools",)),
      managed(DEV, "EveTools", doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{DEV}:policy/EveTools")))],
     U + "eve", ["iam:CreatePolicyVersion"]),
    ("AttachUserPolicy on oneself",
     [user(DEV, "eve", doc(allow("iam:AttachUserPolicy", U + "eve")))], U + "eve", ["iam:AttachUserPolicy"]),
    ("PutGroupPolicy on one's own group",
     [user(DEV, "eve", groups=("Devs",)), group(DEV, "Devs", doc(allow("iam:PutGroupPolicy", "*")))],
     U + "eve", ["iam:PutGroupPolicy"]),
    ("AddUserToGroup into the administrators' group",
     [user(DEV, "eve", doc(allow("iam:AddUserToGroup", f"arn:aws:iam::{DEV}:group/Admins")))],
     U + "eve", ["iam:AddUserToGroup"]),
    ("CreateAccessKey for an administrator",
     [user(DEV, "eve", doc(allow("iam:CreateAccessKey", U + "root-admin")))],
     U + "eve", ["iam:CreateAccessKey", "administrator"]),
    ("PassRole an admin role to Lambda, create and invoke a function",
     [role(DEV, "builder", trust(f"arn:aws:iam::{DEV}:root"),
           doc(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]))),
      role(DEV, "lambda-admin", LAMBDA_TRUST, attached=(ADMIN_ARN,))],
     R + "builder", ["passrole-lambda", "administrator"]),
    ("role chain: a low role assumes an admin role in another account",
     [role(DEV, "low", trust(f"arn:aws:iam::{DEV}:root"), doc(allow("sts:AssumeRole"))),
      role(PROD, "ops-admin", trust(R + "low"), attached=(ADMIN_ARN,))],
     R + "low", ["sts:AssumeRole", "administrator"]),
    ("AttachRolePolicy on a role one can assume",
     [user(DEV, "eve", doc(allow(["sts:AssumeRole", "iam:AttachRolePolicy"], R + "helper"))),
      role(DEV, "helper", trust(U + "eve"))],
     U + "eve", ["iam:AttachRolePolicy", "sts:AssumeRole"]),
    ("UpdateAssumeRolePolicy on an admin role",
     [user(DEV, "eve", doc(allow("iam:UpdateAssumeRolePolicy", R + "break-glass"))),
      role(DEV, "break-glass", trust(f"arn:aws:iam::{MGMT}:user/nobody"), attached=(ADMIN_ARN,))],
     U + "eve", ["iam:UpdateAssumeRolePolicy", "administrator"]),
    ("PassRole to EC2 with an instance profile",
     [user(DEV, "eve", doc(allow(["iam:PassRole", "ec2:RunInstances"]))),
      role(DEV, "ec2-admin", trust({"Service": "ec2.amazonaws.com"}), attached=(ADMIN_ARN,), profiles=1)],
     U + "eve", ["passrole-ec2", "administrator"]),
]  # fmt: skip

NEGATIVE: list[tuple[str, list[Resource]]] = [
    ("CreatePolicyVersion on someone else's policy only",
     [user(DEV, "eve"), managed(DEV, "Other", doc(allow("s3:GetObject"))),
      user(DEV, "frank", doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{DEV}:policy/Other")))]),
    ("AttachUserPolicy limited to another user who is not reachable",
     [user(DEV, "eve", doc(allow("iam:AttachUserPolicy", U + "frank"))), user(DEV, "frank")]),
    ("PassRole + Lambda but the admin role does not trust Lambda",
     [user(DEV, "eve", doc(allow(["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"]))),
      role(DEV, "ec2-admin", trust({"Service": "ec2.amazonaws.com"}), attached=(ADMIN_ARN,))]),
    ("PassRole + Lambda without InvokeFunction",
     [user(DEV, "eve", doc(allow(["iam:PassRole", "lambda:CreateFunction"]))),
      role(DEV, "lambda-admin", LAMBDA_TRUST, attached=(ADMIN_ARN,))]),
    ("EC2 without an instance profile",
     [user(DEV, "eve", doc(allow(["iam:PassRole", "ec2:RunInstances"]))),
      role(DEV, "ec2-admin", trust({"Service": "ec2.amazonaws.com"}), attached=(ADMIN_ARN,))]),
    ("assume an admin role whose trust names another principal",
     [role(DEV, "low", trust(f"arn:aws:iam::{DEV}:root"), doc(allow("sts:AssumeRole"))),
      role(PROD, "ops-admin", trust(R + "someone-else"), attached=(ADMIN_ARN,))]),
    ("AttachUserPolicy on oneself under a boundary that caps it",
     [user(DEV, "eve", doc(allow("iam:AttachUserPolicy", U + "eve")),
           boundary=f"arn:aws:iam::{DEV}:policy/Cap"),
      managed(DEV, "Cap", doc(allow(["s3:*", "iam:AttachUserPolicy"])))]),
    ("an SCP denies the IAM action in the account",
     [user(DEV, "eve", doc(allow("iam:AttachUserPolicy", U + "eve"))),
      scp("NoIamWrites", doc({"Effect": "Deny", "Action": "iam:Attach*", "Resource": "*"}), OU_DEV)]),
]  # fmt: skip


@pytest.mark.parametrize(("name", "resources", "who", "methods"), CASES, ids=[c[0] for c in CASES])
def test_planted_path_is_found(name: str, resources: list[Resource], who: str, methods: list[str]) -> None:
    paths = _paths(*resources)
    assert who in paths, f"{name}: no path for {who}; got {sorted(paths)}"
    assert paths[who]["methods"] == methods
    assert "can become an administrator" in paths[who]["explanation"]


@pytest.mark.parametrize(("name", "resources"), NEGATIVE, ids=[c[0] for c in NEGATIVE])
def test_near_miss_has_no_path(name: str, resources: list[Resource]) -> None:
    assert _paths(*resources) == {}, name


def test_administrators_are_nodes_not_paths() -> None:
    org = OrgIam(org_inventory(ADMINS, ROOT_ADMIN))
    esc = escalation(org)
    assert esc.paths == {}
    assert esc.nodes[U + "root-admin"]["admin"] is True
    assert any(e.target == ADMIN for e in esc.edges)


def test_who_can_follows_role_chains_with_the_path() -> None:
    org = OrgIam(
        org_inventory(
            user(MGMT, "ops", doc(allow("sts:AssumeRole", f"arn:aws:iam::{DEV}:role/hop"))),
            role(DEV, "hop", trust(f"arn:aws:iam::{MGMT}:root"), doc(allow("sts:AssumeRole"))),
            role(PROD, "reader", trust(f"arn:aws:iam::{DEV}:role/hop"), doc(allow("s3:GetObject"))),
            user(PROD, "nobody"),
        )
    )
    res = who_can(org, "s3:GetObject", f"arn:aws:s3:::prod-data-{PROD}/k")
    by = {a.principal: a for a in res.accesses}
    ops = by[f"arn:aws:iam::{MGMT}:user/ops"]
    assert [s.target for s in ops.path] == [R + "hop", f"arn:aws:iam::{PROD}:role/reader"]
    assert "2 role assumption(s)" in describe(ops)
    assert by[f"arn:aws:iam::{PROD}:role/reader"].path == ()
    assert f"arn:aws:iam::{PROD}:user/nobody" not in by


def test_scale_500_roles_in_seconds() -> None:
    """The bench's shape: 500 roles trusting the management account, a few users, one with iam:*."""
    roles = [role((DEV, PROD, MGMT)[i % 3], f"bench-role-{i:05d}", trust(f"arn:aws:iam::{MGMT}:root"))
             for i in range(500)]  # fmt: skip
    org = OrgIam(
        org_inventory(
            *roles,
            user(MGMT, "ops", doc(allow(["sts:AssumeRole", "s3:GetObject"]))),
            user(MGMT, "iam-admin", doc(allow("iam:*"))),
        )
    )
    t0 = time.monotonic()
    esc = escalation(org)
    res = who_can(org, "sts:AssumeRole", f"arn:aws:iam::{DEV}:role/bench-role-00000")
    elapsed = time.monotonic() - t0
    assert f"arn:aws:iam::{MGMT}:user/iam-admin" in esc.paths
    assert any(a.principal.endswith("user/ops") for a in res.accesses)
    assert elapsed < 5, f"analyses took {elapsed:.1f}s"
