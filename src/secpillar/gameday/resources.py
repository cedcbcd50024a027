"""Warm-up resources the techniques create and remove (buckets, users, roles, security groups,
secrets), and the probes that say whether they are still there."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from secpillar.gameday.technique import Context, unless_gone

ABSENT = "absent"
PRESENT = "present"
PAB_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def trust_policy(principal: dict[str, Any]) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}],
        }
    )


# -- S3 ------------------------------------------------------------------------------------------
def create_bucket(ctx: Context, name: str, *, block_public: bool = True, **extra: Any) -> None:
    s3 = ctx.client("s3")
    params: dict[str, Any] = {"Bucket": name, **extra}
    if ctx.region != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
    s3.create_bucket(**params)
    if block_public:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=PAB_ALL)


def delete_bucket(ctx: Context, name: str) -> None:
    """Delete a bucket the game day made, with every object version in it."""
    s3 = ctx.client("s3")
    with unless_gone("NoSuchBucket"):
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            items = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if items:
                s3.delete_objects(Bucket=name, Delete={"Objects": items, "Quiet": True})
        s3.delete_bucket(Bucket=name)


def presence(probe: Callable[[], object], *missing: str) -> str:
    """PRESENT when ``probe`` answers, ABSENT when it fails with one of the ``missing`` codes."""
    with unless_gone(*missing):
        probe()
        return PRESENT
    return ABSENT


def bucket_state(ctx: Context, name: str) -> str:
    return presence(lambda: ctx.client("s3").head_bucket(Bucket=name), "404", "NoSuchBucket", "NotFound")


def bucket_policy(ctx: Context, name: str) -> str | None:
    with unless_gone("NoSuchBucketPolicy"):
        return str(ctx.client("s3").get_bucket_policy(Bucket=name)["Policy"])
    return None


def bucket_pab(ctx: Context, name: str) -> dict[str, bool] | None:
    with unless_gone("NoSuchPublicAccessBlockConfiguration"):
        conf = ctx.client("s3").get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
        return {k: bool(conf.get(k)) for k in PAB_ALL}
    return None


# -- IAM ------------------------------------------------------------------------------------------
def create_user(ctx: Context, name: str) -> None:
    ctx.client("iam").create_user(UserName=name, Tags=[{"Key": "secpillar-gameday", "Value": ctx.run_id}])


def delete_user(ctx: Context, name: str) -> None:
    """Delete a user with its keys, password, inline and attached policies."""
    iam = ctx.client("iam")
    with unless_gone("NoSuchEntity"):
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        with unless_gone("NoSuchEntity"):
            iam.delete_login_profile(UserName=name)
        for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
            iam.delete_user_policy(UserName=name, PolicyName=policy)
        for att in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
            iam.detach_user_policy(UserName=name, PolicyArn=att["PolicyArn"])
        iam.delete_user(UserName=name)


def user_state(ctx: Context, name: str) -> str:
    return presence(lambda: ctx.client("iam").get_user(UserName=name), "NoSuchEntity")


def create_role(ctx: Context, name: str, principal: dict[str, Any] | None = None) -> str:
    principal = principal or {"AWS": f"arn:{ctx.partition}:iam::{ctx.account_id}:root"}
    role = ctx.client("iam").create_role(
        RoleName=name,
        AssumeRolePolicyDocument=trust_policy(principal),
        Tags=[{"Key": "secpillar-gameday", "Value": ctx.run_id}],
    )
    return str(role["Role"]["Arn"])


def delete_role(ctx: Context, name: str) -> None:
    iam = ctx.client("iam")
    with unless_gone("NoSuchEntity"):
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for att in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=att["PolicyArn"])
        iam.delete_role(RoleName=name)


def role_state(ctx: Context, name: str) -> str:
    return presence(lambda: ctx.client("iam").get_role(RoleName=name), "NoSuchEntity")


# -- EC2 ------------------------------------------------------------------------------------------
def default_vpc(ctx: Context, region: str | None = None) -> str:
    """The region's default VPC, else its first VPC."""
    ec2 = ctx.client("ec2", region)
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    vpcs = vpcs or ec2.describe_vpcs()["Vpcs"]
    if not vpcs:
        from secpillar.gameday.technique import Skip

        raise Skip(f"no VPC in {region or ctx.region} to place a security group in")
    return str(vpcs[0]["VpcId"])


def create_security_group(ctx: Context, name: str, region: str | None = None, vpc: str = "") -> str:
    ec2 = ctx.client("ec2", region)
    return str(
        ec2.create_security_group(
            GroupName=name, Description="secpillar game day", VpcId=vpc or default_vpc(ctx, region)
        )["GroupId"]
    )


def delete_security_group(ctx: Context, group_id: str | None, region: str | None = None) -> None:
    if not group_id:
        return
    with unless_gone("InvalidGroup.NotFound", "InvalidGroupId.NotFound"):
        ctx.client("ec2", region).delete_security_group(GroupId=group_id)


def security_group_state(ctx: Context, name: str, region: str | None = None) -> str:
    groups = ctx.client("ec2", region).describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [name]}]
    )["SecurityGroups"]
    return PRESENT if groups else ABSENT


# -- Secrets Manager and SSM -----------------------------------------------------------------------
def create_secrets(ctx: Context, names: list[str]) -> None:
    sm = ctx.client("secretsmanager")
    for name in names:
        sm.create_secret(Name=name, SecretString=f"game-day decoy {ctx.run_id}")


def delete_secrets(ctx: Context, names: list[str]) -> None:
    sm = ctx.client("secretsmanager")
    for name in names:
        with unless_gone("ResourceNotFoundException"):
            sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def secrets_state(ctx: Context, prefix: str) -> list[str]:
    sm = ctx.client("secretsmanager")
    found = []
    for page in sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [prefix]}]):
        found += [str(s["Name"]) for s in page.get("SecretList", []) if str(s["Name"]).startswith(prefix)]
    return sorted(found)
