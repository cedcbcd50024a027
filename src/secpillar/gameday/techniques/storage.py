"""S3 exposure and destruction: Block Public Access removed (bucket and account), a bucket made
public through its policy or its ACL, a bucket policy granting an outside account, a lifecycle
rule that expires everything. Bucket techniques act on a decoy bucket the warm-up creates."""

from __future__ import annotations

import json
from typing import Any

from secpillar.gameday.resources import (
    PAB_ALL,
    bucket_pab,
    bucket_policy,
    bucket_state,
    create_bucket,
    delete_bucket,
)
from secpillar.gameday.technique import OUTSIDE_ACCOUNT, Context, Skip, Technique, register, unless_gone
from secpillar.model import Severity

BUCKET_PERMISSIONS: tuple[str, ...] = (
    "s3:CreateBucket",
    "s3:PutBucketPublicAccessBlock",
    "s3:GetBucketPublicAccessBlock",
    "s3:ListBucket",
    "s3:ListBucketVersions",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:DeleteBucket",
)


class _DecoyBucket(Technique):
    """A technique on a bucket the warm-up creates (``block_public``: with Block Public Access on)."""

    block_public = True
    object_writer = False
    baseline_bucket = True
    """The game day records the bucket's policy as known good before the attack (respond baseline)."""

    def select(self, ctx: Context) -> None:
        ctx.state["bucket"] = ctx.name("bucket")

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"bucket {ctx.state['bucket']}": bucket_state(ctx, ctx.state["bucket"])}

    def warm_up(self, ctx: Context) -> None:
        extra = {"ObjectOwnership": "ObjectWriter"} if self.object_writer else {}
        create_bucket(ctx, ctx.state["bucket"], block_public=self.block_public, **extra)
        if not self.block_public:
            # New buckets have Block Public Access on in AWS; the decoy is the unprotected kind.
            ctx.client("s3").delete_public_access_block(Bucket=ctx.state["bucket"])

    def cleanup(self, ctx: Context) -> None:
        delete_bucket(ctx, ctx.state["bucket"])


def _policy(ctx: Context, bucket: str, principal: Any) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "GameDay",
                    "Effect": "Allow",
                    "Principal": principal,
                    "Action": "s3:GetObject",
                    "Resource": f"arn:{ctx.partition}:s3:::{bucket}/*",
                }
            ],
        }
    )


def public_policy(text: str | None) -> bool:
    """Whether a bucket policy has an Allow statement for everyone (Principal ``*`` or AWS ``*``)."""
    if not text:
        return False
    statements = json.loads(text).get("Statement", [])
    for st in statements if isinstance(statements, list) else [statements]:
        principal = st.get("Principal")
        aws = principal.get("AWS") if isinstance(principal, dict) else principal
        everyone = aws == "*" or (isinstance(aws, list) and "*" in aws)
        if st.get("Effect") == "Allow" and everyone:
            return True
    return False


@register
class BucketBlockPublicAccessRemove(_DecoyBucket):
    id = "aws.defense-evasion.s3-block-public-access-remove"
    title = "Remove a bucket's S3 Block Public Access"
    attack = "T1562.007"
    severity = Severity.MEDIUM
    description = "DeleteBucketPublicAccessBlock: the guard that keeps a bucket private is gone."
    events = ("DeleteBucketPublicAccessBlock",)
    detections = ("ct.s3-block-public-access-removed",)
    responses = ("s3.enable-block-public-access",)
    permissions = BUCKET_PERMISSIONS

    def detonate(self, ctx: Context) -> None:
        ctx.client("s3").delete_public_access_block(Bucket=ctx.state["bucket"])

    def remediated(self, ctx: Context) -> bool:
        return bucket_pab(ctx, ctx.state["bucket"]) == PAB_ALL


@register
class BucketPublicPolicy(_DecoyBucket):
    id = "aws.collection.s3-bucket-public-policy"
    title = "Make a bucket public through its policy"
    attack = "T1530"
    description = "PutBucketPolicy allowing s3:GetObject to Principal '*' without a condition."
    events = ("PutBucketPolicy",)
    detections = ("ct.s3-bucket-policy-public",)
    responses = ("s3.restore-bucket-policy", "s3.enable-block-public-access")
    permissions = (*BUCKET_PERMISSIONS, "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy")
    block_public = False

    def detonate(self, ctx: Context) -> None:
        bucket = ctx.state["bucket"]
        ctx.client("s3").put_bucket_policy(Bucket=bucket, Policy=_policy(ctx, bucket, "*"))

    def remediated(self, ctx: Context) -> bool:
        return not public_policy(bucket_policy(ctx, ctx.state["bucket"]))


@register
class BucketPolicyOutsideAccount(_DecoyBucket):
    id = "aws.exfiltration.s3-bucket-policy-outside-account"
    title = "Grant an outside account access through a bucket policy"
    attack = "T1537"
    description = (
        f"PutBucketPolicy letting account {OUTSIDE_ACCOUNT}, outside the organization, read objects."
    )
    events = ("PutBucketPolicy",)
    detections = ("ct.s3-bucket-policy-outside-account",)
    responses = ("s3.restore-bucket-policy",)
    permissions = (*BUCKET_PERMISSIONS, "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy")

    def detonate(self, ctx: Context) -> None:
        bucket = ctx.state["bucket"]
        principal = {"AWS": f"arn:{ctx.partition}:iam::{OUTSIDE_ACCOUNT}:root"}
        ctx.client("s3").put_bucket_policy(Bucket=bucket, Policy=_policy(ctx, bucket, principal))

    def remediated(self, ctx: Context) -> bool:
        policy = bucket_policy(ctx, ctx.state["bucket"])
        return policy is None or OUTSIDE_ACCOUNT not in policy


@register
class BucketPublicAcl(_DecoyBucket):
    id = "aws.collection.s3-bucket-public-acl"
    title = "Make a bucket public through its ACL"
    attack = "T1530"
    description = "PutBucketAcl with the canned ACL public-read: everyone may list the bucket."
    events = ("PutBucketAcl",)
    detections = ("ct.s3-bucket-acl-public",)
    responses = ("s3.enable-block-public-access",)
    permissions = (*BUCKET_PERMISSIONS, "s3:PutBucketAcl", "s3:PutBucketOwnershipControls")
    block_public = False
    object_writer = True

    def detonate(self, ctx: Context) -> None:
        ctx.client("s3").put_bucket_acl(Bucket=ctx.state["bucket"], ACL="public-read")

    def remediated(self, ctx: Context) -> bool:
        pab = bucket_pab(ctx, ctx.state["bucket"]) or {}
        return bool(pab.get("IgnorePublicAcls") and pab.get("BlockPublicAcls"))


@register
class BucketLifecycleExpireAll(_DecoyBucket):
    id = "aws.impact.s3-lifecycle-expire-all"
    title = "Expire every object of a bucket with a lifecycle rule"
    attack = "T1485"
    description = (
        "PutBucketLifecycle with a rule that expires every object after one day: quiet data "
        "destruction (ransomware without encryption). No detection covers it yet."
    )
    events = ("PutBucketLifecycle",)
    permissions = (*BUCKET_PERMISSIONS, "s3:PutLifecycleConfiguration")

    def detonate(self, ctx: Context) -> None:
        ctx.client("s3").put_bucket_lifecycle_configuration(
            Bucket=ctx.state["bucket"],
            LifecycleConfiguration={
                "Rules": [{"ID": "expire-all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}}]
            },
        )


@register
class AccountBlockPublicAccessRemove(Technique):
    id = "aws.defense-evasion.s3-account-block-public-access-remove"
    title = "Remove the account's S3 Block Public Access"
    attack = "T1562.007"
    description = "DeleteAccountPublicAccessBlock: every bucket of the account loses the account-wide guard."
    events = ("DeleteAccountPublicAccessBlock",)
    detections = ("ct.s3-account-block-public-access-removed",)
    permissions = ("s3:GetAccountPublicAccessBlock", "s3:PutAccountPublicAccessBlock")

    def _config(self, ctx: Context) -> dict[str, bool] | None:
        with unless_gone("NoSuchPublicAccessBlockConfiguration"):
            conf = ctx.client("s3control").get_public_access_block(AccountId=ctx.account_id)
            return {k: bool(v) for k, v in conf["PublicAccessBlockConfiguration"].items()}
        return None

    def select(self, ctx: Context) -> None:
        conf = self._config(ctx)
        if conf is None:
            raise Skip("the account has no S3 Block Public Access configuration to remove")
        ctx.state["config"] = conf

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {"account Block Public Access": self._config(ctx)}

    def detonate(self, ctx: Context) -> None:
        ctx.client("s3control").delete_public_access_block(AccountId=ctx.account_id)

    def cleanup(self, ctx: Context) -> None:
        if self._config(ctx) != ctx.state["config"]:
            ctx.client("s3control").put_public_access_block(
                AccountId=ctx.account_id, PublicAccessBlockConfiguration=ctx.state["config"]
            )
