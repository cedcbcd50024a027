"""Every remediation action against a moto server: dry-run writes nothing; apply makes the change
and records it with the prior state; a second delivery does not act again; rollback restores the
prior state. Each scenario cites the AWS behaviour it relies on."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.functional.respond_support import ACCOUNT, MALLORY, api_call, bucket_policy, context, public_policy

from secpillar.errors import UsageError
from secpillar.respond.handler import Responder, rollback
from secpillar.respond.rules import parse_rules

Client = Callable[..., Any]
State = Callable[[], Any]


@dataclass
class Scenario:
    event: dict[str, Any]
    state: State  # reads the state the action changes
    remediated: Any  # expected state after apply


def s3_policy(c: Client) -> Scenario:
    """PutBucketPolicy made the bucket public; the baseline holds the owner-only policy
    (S3 API: GetBucketPolicy / PutBucketPolicy replace the whole policy)."""
    s3 = c("s3")
    s3.create_bucket(Bucket="data")
    s3.put_bucket_policy(Bucket="data", Policy=bucket_policy("data"))
    from secpillar.respond.actions.s3 import BASELINE_KIND, baseline_key

    _ctx_holder["ctx"].store.save_baseline(
        BASELINE_KIND, baseline_key(ACCOUNT, "data"), {"policy": bucket_policy("data")}
    )
    s3.put_bucket_policy(Bucket="data", Policy=public_policy("data"))

    def state() -> Any:
        return json.loads(s3.get_bucket_policy(Bucket="data")["Policy"])["Statement"][0]["Sid"]

    ev = api_call(
        "aws.s3", "PutBucketPolicy", {"bucketName": "data", "bucketPolicy": json.loads(public_policy("data"))}
    )
    return Scenario(ev, state, "Owner")


def s3_bpa(c: Client) -> Scenario:
    """DeleteBucketPublicAccessBlock removed all four settings (S3 API: GetPublicAccessBlock answers
    NoSuchPublicAccessBlockConfiguration when none is set)."""
    s3 = c("s3")
    s3.create_bucket(Bucket="logs")

    def state() -> Any:
        try:
            return s3.get_public_access_block(Bucket="logs")["PublicAccessBlockConfiguration"]
        except s3.exceptions.ClientError:
            return None

    ev = api_call("aws.s3", "DeleteBucketPublicAccessBlock", {"bucketName": "logs"})
    all_on = dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    return Scenario(ev, state, all_on)


def sg_world(c: Client) -> Scenario:
    """AuthorizeSecurityGroupIngress opened 22 to 0.0.0.0/0 and ::/0 next to a private range; only the
    world ranges are revoked (EC2 API: RevokeSecurityGroupIngress removes exactly the given ranges)."""
    ec2 = c("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    gid = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}, {"CidrIp": "10.1.0.0/16"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            }
        ],
    )

    def state() -> Any:
        perms = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["IpPermissions"]
        return sorted(
            [r["CidrIp"] for p in perms for r in p.get("IpRanges", [])]
            + [r["CidrIpv6"] for p in perms for r in p.get("Ipv6Ranges", [])]
        )

    ev = api_call("aws.ec2", "AuthorizeSecurityGroupIngress", {"groupId": gid})
    return Scenario(ev, state, ["10.1.0.0/16"])


def access_key(c: Client) -> Scenario:
    """The caller's long-term key (userIdentity.accessKeyId of an IAMUser) is set Inactive
    (IAM API: UpdateAccessKey)."""
    iam = c("iam")
    iam.create_user(UserName="mallory")
    key = iam.create_access_key(UserName="mallory")["AccessKey"]["AccessKeyId"]

    def state() -> Any:
        return iam.list_access_keys(UserName="mallory")["AccessKeyMetadata"][0]["Status"]

    ev = api_call("aws.iam", "CreateUser", {"userName": "x"}, identity={**MALLORY, "accessKeyId": key})
    return Scenario(ev, state, "Inactive")


def quarantine_role(c: Client) -> Scenario:
    """An AssumedRole session's issuing role gets the inline deny-all policy
    (CloudTrail userIdentity.sessionContext.sessionIssuer names the role)."""
    iam = c("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="app", AssumeRolePolicyDocument=json.dumps(trust))

    def state() -> Any:
        return [p for p in iam.list_role_policies(RoleName="app")["PolicyNames"]]

    identity = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/app/i-0abc",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "userName": "app", "arn": f"arn:aws:iam::{ACCOUNT}:role/app"}
        },
    }
    ev = api_call("aws.s3", "ListBuckets", {}, identity=identity)
    return Scenario(ev, state, ["secpillar-quarantine"])


def trail(c: Client) -> Scenario:
    """StopLogging on a trail; StartLogging turns it back on (CloudTrail API: GetTrailStatus.IsLogging)."""
    c("s3").create_bucket(Bucket="trail-bucket")
    ct = c("cloudtrail")
    ct.create_trail(Name="org-trail", S3BucketName="trail-bucket")
    ct.start_logging(Name="org-trail")
    ct.stop_logging(Name="org-trail")

    def state() -> Any:
        return ct.get_trail_status(Name="org-trail")["IsLogging"]

    ev = api_call("aws.cloudtrail", "StopLogging", {"name": "org-trail"})
    return Scenario(ev, state, True)


def kms_key(c: Client) -> Scenario:
    """ScheduleKeyDeletion put the key in PendingDeletion; CancelKeyDeletion leaves it Disabled,
    so the action enables it (AWS KMS Developer Guide, deleting keys)."""
    kms = c("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)

    def state() -> Any:
        return kms.describe_key(KeyId=key)["KeyMetadata"]["KeyState"]

    ev = api_call("aws.kms", "ScheduleKeyDeletion", {"keyId": key, "pendingWindowInDays": 7})
    return Scenario(ev, state, "Enabled")


def isolate(c: Client) -> Scenario:
    """A GuardDuty finding names the instance (detail.resource.instanceDetails.instanceId); its
    interfaces move to a quarantine group with no rules (EC2 API: ModifyNetworkInterfaceAttribute)."""
    ec2 = c("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    gid = ec2.create_security_group(GroupName="app", Description="app", VpcId=vpc)["GroupId"]
    inst = ec2.run_instances(
        ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[gid]
    )
    iid = inst["Instances"][0]["InstanceId"]

    def state() -> Any:
        desc = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        return [g["GroupName"] for g in desc["SecurityGroups"]]

    ev = {
        "version": "0",
        "id": "gd-finding-1",
        "detail-type": "GuardDuty Finding",
        "source": "aws.guardduty",
        "account": ACCOUNT,
        "region": "us-east-1",
        "time": "2026-11-28T12:00:00Z",
        "resources": [],
        "detail": {
            "type": "Backdoor:EC2/C&CActivity.B",
            "resource": {"instanceDetails": {"instanceId": iid}},
        },
    }
    return Scenario(ev, state, ["secpillar-quarantine"])


SCENARIOS = {
    "s3.restore-bucket-policy": s3_policy,
    "s3.enable-block-public-access": s3_bpa,
    "ec2.revoke-world-ingress": sg_world,
    "iam.deactivate-access-key": access_key,
    "iam.quarantine-principal": quarantine_role,
    "cloudtrail.start-logging": trail,
    "kms.cancel-key-deletion": kms_key,
    "ec2.isolate-instance": isolate,
}
_ctx_holder: dict[str, Any] = {}


def _rules(action: str, mode: str) -> Any:
    return parse_rules(
        {
            "rules": [
                {
                    "name": "r",
                    "pattern": {"source": [{"prefix": "aws."}]},
                    "mode": mode,
                    "actions": [{"type": action}],
                }
            ]
        }
    )


def test_every_remediation_action_has_a_scenario() -> None:
    from secpillar.respond.actions import REGISTRY

    assert sorted(a.id for a in REGISTRY if a.kind == "remediate") == sorted(SCENARIOS)


@pytest.mark.parametrize("action", sorted(SCENARIOS))
def test_dry_run_apply_redeliver_rollback(
    action: str, moto_endpoint: str, aws_client: Client, tmp_path: Path
) -> None:
    ctx = context(moto_endpoint, tmp_path / "state")
    _ctx_holder["ctx"] = ctx
    sc = SCENARIOS[action](aws_client)
    before = sc.state()
    assert before != sc.remediated

    dry = Responder(_rules(action, "dry-run"), ctx).handle(sc.event)
    assert [c.status for c in dry.changes] == ["dry-run"], dry.to_dict()
    assert sc.state() == before  # dry-run writes nothing

    responder = Responder(_rules(action, "apply"), ctx)
    out = responder.handle(sc.event)
    assert [c.status for c in out.changes] == ["applied"], out.to_dict()
    assert sc.state() == sc.remediated
    change = ctx.store.require(out.changes[0].id)
    assert change.prior and change.desired and change.event["actor"]

    again = responder.handle(sc.event)  # a second delivery of the same event
    assert [c.id for c in again.changes] == [change.id]
    applied = [e for e in ctx.store.log() if e["change"] == change.id and e["status"] == "applied"]
    assert len(applied) == 1

    rolled = rollback(ctx.store, ctx, change.id, exempt_seconds=60)
    assert rolled.status == "rolled-back"
    assert sc.state() == before
    with pytest.raises(UsageError):
        rollback(ctx.store, ctx, change.id)

    # the rollback exempts (action, target): a new event on the same target is not re-remediated
    import uuid

    fresh = {**sc.event, "id": str(uuid.uuid4())}
    nxt = responder.handle(fresh)
    assert [c.status for c in nxt.changes] == ["skipped"] and "exempted" in nxt.changes[0].reason
    assert sc.state() == before


@pytest.mark.parametrize("crash", ["after-the-call", "before-the-call"])
def test_a_change_left_applying_by_a_crash_is_not_made_twice(
    crash: str, moto_endpoint: str, aws_client: Client, tmp_path: Path
) -> None:
    """The worker records `applying`, calls AWS, records `applied`. A crash between the two records
    leaves `applying`: on redelivery the Responder asks AWS whether the change is in place
    (`is_applied`) and only makes it if it is not."""
    from secpillar.respond.actions import REGISTRY, Invocation

    ctx = context(moto_endpoint, tmp_path / "state")
    sc = s3_bpa(aws_client)
    action = REGISTRY.get("s3.enable-block-public-access")
    inv = Invocation("r", sc.event, {}, "apply")
    (target,) = action.targets(sc.event, {})
    change = action.plan(target, inv, ctx)
    ctx.store.save(change, "planned")
    ctx.store.save(change, "applying")
    if crash == "after-the-call":
        action.apply(change, ctx)
    out = Responder(_rules(action.id, "apply"), ctx).handle(sc.event)
    assert [c.id for c in out.changes] == [change.id]
    assert sc.state() == sc.remediated
    steps = [e for e in ctx.store.log() if e["change"] == change.id]
    assert [e["status"] for e in steps] == [
        "planned",
        "applying",
        *(["applying"] if crash != "after-the-call" else []),
        "applied",
    ]
    if crash == "after-the-call":
        assert steps[-1]["note"] == "found applied after a restart"
    assert ctx.store.require(change.id).prior == {"config": None}  # the prior state of the first plan


def test_targets_in_other_accounts_need_a_role(
    moto_endpoint: str, aws_client: Client, tmp_path: Path
) -> None:
    """An event from another account is acted on there through the assumed role (as `scan --org`
    reaches member accounts); without --role-name it is refused, never looked for in our account."""
    import boto3

    from secpillar.respond.context import make_context

    member = "111122223333"
    creds = aws_client("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="setup"
    )["Credentials"]
    s3m = boto3.client(
        "s3",
        region_name="us-east-1",
        endpoint_url=moto_endpoint,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    s3m.create_bucket(Bucket="member-logs")
    event = {
        **api_call("aws.s3", "DeleteBucketPublicAccessBlock", {"bucketName": "member-logs"}),
        "account": member,
    }
    rules = _rules("s3.enable-block-public-access", "apply")

    plain = make_context(state=tmp_path / "a", endpoint_url=moto_endpoint)
    out = Responder(rules, plain).handle(event)
    assert out.changes[0].status == "skipped" and "give --role-name" in out.changes[0].reason

    ctx = make_context(
        state=tmp_path / "b", endpoint_url=moto_endpoint, role_name="OrganizationAccountAccessRole"
    )
    out = Responder(rules, ctx).handle(event)
    assert out.changes[0].status == "applied", out.to_dict()
    assert all(s3m.get_public_access_block(Bucket="member-logs")["PublicAccessBlockConfiguration"].values())
    assert rollback(ctx.store, ctx, out.changes[0].id).status == "rolled-back"
    with pytest.raises(s3m.exceptions.ClientError):
        s3m.get_public_access_block(Bucket="member-logs")
