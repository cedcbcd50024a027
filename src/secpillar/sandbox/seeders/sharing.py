"""Seed resources shared outside the organization (found by ``secpillar iam exposure`` and the
``aws.iam.resource-shared-outside-org`` check) and one shared only inside it, all in TEST:

- SQS queue test-partner-intake: its policy lets everyone (``Principal: *``, no condition) send messages;
- SNS topic test-vendor-alerts: its policy lets outside account 444455556666 subscribe;
- S3 bucket test-partner-drop-ACCOUNT: its policy lets account 444455556666 read every object;
- KMS key test-vendor-key: its key policy lets account 444455556666 decrypt;
- Secrets Manager secret test/partner-api: its resource policy lets account 444455556666 read it;
- clean: SQS queue test-org-events, open to ``*`` only under ``aws:PrincipalOrgID`` = the organization.

Runs last (after every other seeder), so the ids the others get do not move.
"""

from __future__ import annotations

import json
from typing import Any

from secpillar.sandbox.seed import SeedOrg, policy

CHECK = "aws.iam.resource-shared-outside-org"
OUTSIDE = "444455556666"
ACCOUNT = "TEST"


def _allow(principal: Any, action: Any, resource: str, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def _queues(org: SeedOrg, acct: str) -> None:
    sqs = org.client(ACCOUNT, "sqs")
    arn = f"arn:aws:sqs:{org.region}:{acct}:test-partner-intake"
    sqs.create_queue(QueueName="test-partner-intake",
                     Attributes={"Policy": policy(_allow("*", "sqs:SendMessage", arn))})  # fmt: skip
    org.manifest.flaw(CHECK, ACCOUNT, "queue test-partner-intake", arn,
                      "Queue policy lets anyone, anonymous users included, send messages (Principal '*', "
                      "no condition).")  # fmt: skip
    clean = f"arn:aws:sqs:{org.region}:{acct}:test-org-events"
    only_org = {"StringEquals": {"aws:PrincipalOrgID": org.organization_id}}
    doc = policy(_allow("*", "sqs:SendMessage", clean, Condition=only_org))
    sqs.create_queue(QueueName="test-org-events", Attributes={"Policy": doc})
    org.manifest.clean_resource(ACCOUNT, "queue test-org-events", clean,
                                "Open to '*' only under aws:PrincipalOrgID = the organization.")  # fmt: skip


def _topic(org: SeedOrg) -> None:
    sns = org.client(ACCOUNT, "sns")
    arn = sns.create_topic(Name="test-vendor-alerts")["TopicArn"]
    doc = policy(_allow({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "sns:Subscribe", arn))
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=doc)
    org.manifest.flaw(CHECK, ACCOUNT, "topic test-vendor-alerts", arn,
                      f"Topic policy lets outside account {OUTSIDE} subscribe.")  # fmt: skip


def _bucket(org: SeedOrg, acct: str) -> None:
    s3 = org.client(ACCOUNT, "s3")
    name = f"test-partner-drop-{acct}"
    s3.create_bucket(Bucket=name)
    grant = _allow({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "s3:GetObject", f"arn:aws:s3:::{name}/*")
    s3.put_bucket_policy(Bucket=name, Policy=policy(grant))
    org.manifest.flaw(CHECK, ACCOUNT, name, f"arn:aws:s3:::{name}",
                      f"Bucket policy lets outside account {OUTSIDE} read every object.")  # fmt: skip


def _key(org: SeedOrg, acct: str) -> None:
    kms = org.client(ACCOUNT, "kms")
    doc = policy(
        _allow({"AWS": f"arn:aws:iam::{acct}:root"}, "kms:*", "*"),
        _allow({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "kms:Decrypt", "*"),
    )
    meta = kms.create_key(Description="test-vendor-key", Policy=doc)["KeyMetadata"]
    kms.create_alias(AliasName="alias/test-vendor-key", TargetKeyId=meta["KeyId"])
    org.manifest.flaw(CHECK, ACCOUNT, "key test-vendor-key", meta["Arn"],
                      f"Key policy lets outside account {OUTSIDE} decrypt.")  # fmt: skip


def _secret(org: SeedOrg) -> None:
    sm = org.client(ACCOUNT, "secretsmanager")
    arn = sm.create_secret(Name="test/partner-api", SecretString=json.dumps({"token": "sandbox-only"}))["ARN"]
    doc = policy(_allow({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}, "secretsmanager:GetSecretValue", "*"))
    sm.put_resource_policy(SecretId=arn, ResourcePolicy=doc)
    org.manifest.flaw(CHECK, ACCOUNT, "secret test/partner-api", arn,
                      f"Secret policy lets outside account {OUTSIDE} read the secret value.")  # fmt: skip


def seed(org: SeedOrg) -> None:
    """Plant the shared resources (fixed order: deterministic ids)."""
    acct = org.account_id(ACCOUNT)
    _queues(org, acct)
    _topic(org)
    _bucket(org, acct)
    _key(org, acct)
    _secret(org)
