"""OrgIam: the organization's real policies from an inventory, handed to the evaluator.

Rules exercised (IAM User Guide, "Policy evaluation logic"; AWS Organizations, "SCP evaluation"):
a user's permissions are the union of its inline, attached and group policies; every SCP level from
the root to the account must allow, the management account is exempt; a permissions boundary caps
identity policies; cross-account access needs the resource policy and the identity side; a role's
trust policy must allow sts:AssumeRole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.iam.orgfix import (
    ADMIN_ARN,
    DEV,
    MGMT,
    OU_DEV,
    PROD,
    allow,
    bucket,
    doc,
    group,
    managed,
    org_inventory,
    role,
    scp,
    trust,
    user,
)

from secpillar.errors import UsageError
from secpillar.iam.inventory import OrgIam, read_inventory
from secpillar.model import Resource

ANA = f"arn:aws:iam::{DEV}:user/ana"


def _org(*extra: Resource) -> OrgIam:
    inv = org_inventory(
        user(
            DEV,
            "ana",
            doc(allow("s3:ListAllMyBuckets")),
            groups=("Devs",),
            attached=(f"arn:aws:iam::{DEV}:policy/Logs",),
        ),
        group(DEV, "Devs", attached=(ADMIN_ARN,), members=("ana",)),
        managed(DEV, "Logs", doc(allow("logs:*"))),
        user(MGMT, "root-ops", attached=(ADMIN_ARN,)),
        user(PROD, "capped", doc(allow("*")), boundary=f"arn:aws:iam::{PROD}:policy/OnlyS3"),
        managed(PROD, "OnlyS3", doc(allow("s3:*"))),
        role(PROD, "Deployer", trust(f"arn:aws:iam::{DEV}:root"), doc(allow("ec2:*"))),
        bucket(
            PROD,
            "shared-data",
            doc(
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": ANA},
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::shared-data/*",
                }
            ),
        ),
        scp("NoKms", doc({"Effect": "Deny", "Action": "kms:*", "Resource": "*"}), OU_DEV, MGMT),
        *extra,
    )
    return OrgIam(inv)


def test_user_policies_are_inline_attached_and_group() -> None:
    org = _org()
    ana = org.principal(ANA)
    assert ana is not None
    labels = [r.label for r in ana.policies]
    assert labels == [
        "inline policy ana-0 of user ana",
        "managed policy Logs",
        "AWS managed policy AdministratorAccess (through group Devs)",
    ]
    assert org.evaluate(ANA, "ec2:RunInstances", "*").allowed  # through the group's AdministratorAccess
    assert not org.issues


def test_scp_levels_and_management_exemption() -> None:
    org = _org()
    d = org.evaluate(ANA, "kms:Decrypt", "*")
    assert d.decision == "explicitDeny"
    assert "service control policy NoKms (attached to OU Dev)" in org.explain(ANA, "kms:Decrypt", "*", d)
    # the same SCP is attached to the management account, which SCPs never restrict
    assert org.evaluate(f"arn:aws:iam::{MGMT}:user/root-ops", "kms:Decrypt", "*").allowed
    assert org.scps_for(DEV) is not None and len(org.scps_for(DEV) or ()) == 3  # root, OU, account


def test_boundary_caps_identity_policies() -> None:
    org = _org()
    capped = f"arn:aws:iam::{PROD}:user/capped"
    assert org.evaluate(capped, "s3:GetObject", "arn:aws:s3:::x/y").allowed
    d = org.evaluate(capped, "ec2:RunInstances", "*")
    assert d.decision == "implicitDeny"
    assert "permissions boundary" in org.explain(capped, "ec2:RunInstances", "*", d)


def test_cross_account_bucket_policy_and_object_arn() -> None:
    org = _org()
    obj = "arn:aws:s3:::shared-data/report.csv"
    assert org.resource_account(obj) == PROD
    d = org.evaluate(ANA, "s3:GetObject", obj)
    assert d.allowed
    assert "bucket policy of shared-data" in org.explain(ANA, "s3:GetObject", obj, d)
    assert not org.evaluate(ANA, "s3:PutObject", obj).allowed  # the bucket policy grants reads only


def test_trust_policy_governs_assume_role_and_sessions_resolve_to_roles() -> None:
    org = _org()
    deployer = f"arn:aws:iam::{PROD}:role/Deployer"
    assert org.evaluate(ANA, "sts:AssumeRole", deployer).allowed
    assert not org.evaluate(f"arn:aws:iam::{MGMT}:user/root-ops", "sts:AssumeRole", deployer).allowed
    session = f"arn:aws:sts::{PROD}:assumed-role/Deployer/build-42"
    assert org.principal(session) is not None
    assert org.evaluate(session, "ec2:RunInstances", "*").allowed
    assert not org.evaluate(session, "s3:GetObject", "arn:aws:s3:::x/y").allowed


def test_unknown_managed_policy_is_an_issue() -> None:
    org = _org(user(DEV, "ghost", attached=(f"arn:aws:iam::{DEV}:policy/Gone",)))
    assert any("policy/Gone" in i for i in org.issues)


def test_no_organization_means_no_scps() -> None:
    inv = org_inventory(user(DEV, "ana", doc(allow("kms:*"))), with_scps=False)
    inv.organization = {}
    org = OrgIam(inv)
    assert org.scps_for(DEV) is None
    assert org.evaluate(ANA, "kms:Decrypt", "*").allowed


def test_read_inventory_errors(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("{not json")
    with pytest.raises(UsageError, match="not JSON"):
        read_inventory(bad)
    bad.write_text(json.dumps({"findings": []}))
    with pytest.raises(UsageError, match="not an inventory"):
        read_inventory(bad)
    good = tmp_path / "inv.json"
    good.write_text(json.dumps(org_inventory(user(DEV, "ana")).to_dict()))
    assert OrgIam(read_inventory(good)).principal(ANA) is not None
