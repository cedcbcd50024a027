"""Warm-up resources the techniques create and remove (buckets, users, roles, security groups,
secrets), and the probes that say whether they are still there."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from secpillar.gameday.technique import Context, gone

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
    try:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
            items = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if items:
                s3.delete_objects(Bucket=name, Delete={"Objects": items, "Quiet": True})
        s3.delete_bucket(Bucket=name)
    except ClientError as exc:
        if not gone(exc, "NoSuchBucket"):
            raise


def bucket_state(ctx: Context, name: str) -> str:
    try:
        ctx.client("s3").head_bucket(Bucket=name)
    except ClientError as exc:
        if gone(exc, "404", "NoSuchBucket", "NotFound"):
            return ABSENT
        raise
    return PRESENT


def bucket_policy(ctx: Context, name: str) -> str | None:
    try:
        return str(ctx.client("s3").get_bucket_policy(Bucket=name)["Policy"])
    except ClientError as exc:
        if gone(exc, "NoSuchBucketPolicy"):
            return None
        raise


def bucket_pab(ctx: Context, name: str) -> dict[str, bool] | None:
    try:
        conf = ctx.client("s3").get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]
    except ClientError as exc:
        if gone(exc, "NoSuchPublicAccessBlockConfiguration"):
            return None
        raise
    return {k: bool(conf.get(k)) for k in PAB_ALL}


# -- IAM ------------------------------------------------------------------------------------------
def create_user(ctx: Context, name: str) -> None:
    ctx.client("iam").create_user(UserName=name, Tags=[{"Key": "secpillar-gameday", "Value": ctx.run_id}])


def delete_user(ctx: Context, name: str) -> None:
    """Delete a user with its keys, password, inline and attached policies."""
    iam = ctx.client("iam")
    try:
        for key in iam.list_access_keys(UserName=name)["AccessKeyMetadata"]:
            iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
        try:
            iam.delete_login_profile(UserName=name)
        except ClientError as exc:
            if not gone(exc, "NoSuchEntity"):
                raise
        for policy in iam.list_user_policies(UserName=name)["PolicyNames"]:
            iam.delete_user_policy(UserName=name, PolicyName=policy)
        for att in iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]:
            iam.detach_user_policy(UserName=name, PolicyArn=att["PolicyArn"])
        iam.delete_user(UserName=name)
    except ClientError as exc:
        if not gone(exc, "NoSuchEntity"):
            raise


def user_state(ctx: Context, name: str) -> str:
    try:
        ctx.client("iam").get_user(UserName=name)
    except ClientError as exc:
        if gone(exc, "NoSuchEntity"):
            return ABSENT
        raise
    return PRESENT


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
    try:
        for policy in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        for att in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            iam.detach_role_policy(RoleName=name, PolicyArn=att["PolicyArn"])
        iam.delete_role(RoleName=name)
    except ClientError as exc:
        if not gone(exc, "NoSuchEntity"):
            raise


def role_state(ctx: Context, name: str) -> str:
    try:
        ctx.client("iam").get_role(RoleName=name)
    except ClientError as exc:
        if gone(exc, "NoSuchEntity"):
            return ABSENT
        raise
    return PRESENT


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
    try:
        ctx.client("ec2", region).delete_security_group(GroupId=group_id)
    except ClientError as exc:
        if not gone(exc, "InvalidGroup.NotFound", "InvalidGroupId.NotFound"):
            raise


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
        try:
            sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
        except ClientError as exc:
            if not gone(exc, "ResourceNotFoundException"):
                raise


def secrets_state(ctx: Context, prefix: str) -> list[str]:
    sm = ctx.client("secretsmanager")
    found = []
    for page in sm.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [prefix]}]):
        found += [str(s["Name"]) for s in page.get("SecretList", []) if str(s["Name"]).startswith(prefix)]
    return sorted(found)
