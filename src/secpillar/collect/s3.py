"""Collectors for S3: every bucket (AWS::S3::Bucket, collector ``s3``) and the account-level
public access block (AWS::::Account ``S3AccountPublicAccessBlock``, collector ``s3control``).

``list_buckets`` is global, so the collector runs once per account; each bucket's own calls go
to a client of the bucket's region (``BucketRegion`` from ``ListBuckets`` where AWS gives it,
``GetBucketLocation`` otherwise). The per-bucket calls dominate a scan of many buckets, so they
run on a small thread pool inside the collector.

Supplementary keys are named as AWS Config names them (``BucketPolicy``,
``AccessControlList``, ``PublicAccessBlockConfiguration``, ``ServerSideEncryptionConfiguration``,
``BucketVersioningConfiguration``, ``BucketLoggingConfiguration``). A key is absent when its call
failed (unknown); a configuration that does not exist is ``None`` (a state the checks judge).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import ACCOUNT_TYPE, Resource, account_resource

BUCKET_TYPE = "AWS::S3::Bucket"
ACCOUNT_PAB_KEY = "S3AccountPublicAccessBlock"
TAGS_UNKNOWN_KEY = "TagsUnknown"
"""Supplementary flag set when a resource's tags could not be read (so no tag check guesses)."""

# Error codes that mean "this configuration does not exist" (a state, not an error).
NO_POLICY = {"NoSuchBucketPolicy"}
NO_PAB = {"NoSuchPublicAccessBlockConfiguration"}
NO_ENCRYPTION = {"ServerSideEncryptionConfigurationNotFoundError"}
NO_TAGS = {"NoSuchTagSet", "NoSuchTagSetError"}
NO_OBJECT_LOCK = {"ObjectLockConfigurationNotFoundError"}
NO_LIFECYCLE = {"NoSuchLifecycleConfiguration"}

BUCKET_WORKERS = 8
"""Threads for per-bucket calls inside one account's collection."""

# GetBucketLocation's legacy answers.
_LEGACY_LOCATIONS = {None: "us-east-1", "": "us-east-1", "US": "us-east-1", "EU": "eu-west-1"}


def bucket_arn(name: str, partition: str = "aws") -> str:
    return f"arn:{partition}:s3:::{name}"


def bucket_region(location: Mapping[str, Any] | None) -> str | None:
    """Region from a GetBucketLocation response (``None`` when unknown)."""
    if location is None:
        return None
    constraint = location.get("LocationConstraint")
    return _LEGACY_LOCATIONS.get(constraint, constraint)


def _policy(raw: Mapping[str, Any]) -> dict[str, Any] | None:
    """{"policyText": dict | None}, or None when the policy text cannot be parsed (unknown)."""
    text = raw.get("Policy")
    if not text:
        return {"policyText": None}
    try:
        parsed = json.loads(text)
    except ValueError:
        return None
    return {"policyText": parsed if isinstance(parsed, dict) else None}


def transform_bucket(
    bucket: Mapping[str, Any],
    region: str,
    account_id: str,
    raw: Mapping[str, Mapping[str, Any] | None],
    partition: str = "aws",
) -> Resource:
    """One bucket from its ListBuckets entry and the raw answers of its calls.

    ``raw`` maps ``policy``, ``acl``, ``publicAccessBlock``, ``encryption``, ``versioning``,
    ``logging``, ``tagging``, ``objectLock`` and ``lifecycle`` to the response (``{}`` when the
    configuration does not exist, ``None`` when the call failed)."""
    name = str(bucket["Name"])
    configuration: dict[str, Any] = {"name": name}
    if bucket.get("CreationDate") is not None:
        configuration["creationDate"] = camelize(bucket["CreationDate"])
    supplementary: dict[str, Any] = {}

    policy = raw.get("policy")
    if policy is not None:
        parsed = _policy(policy)
        if parsed is not None:
            supplementary["BucketPolicy"] = parsed

    acl = raw.get("acl")
    if acl is not None:
        supplementary["AccessControlList"] = {
            "owner": camelize(acl.get("Owner") or {}),
            "grants": camelize(acl.get("Grants") or []),
        }

    pab = raw.get("publicAccessBlock")
    if pab is not None:
        cfg = pab.get("PublicAccessBlockConfiguration")
        supplementary["PublicAccessBlockConfiguration"] = camelize(cfg) if cfg else None

    enc = raw.get("encryption")
    if enc is not None:
        cfg = enc.get("ServerSideEncryptionConfiguration")
        supplementary["ServerSideEncryptionConfiguration"] = camelize(cfg) if cfg else None

    ver = raw.get("versioning")
    if ver is not None:
        mfa = ver.get("MFADelete")
        supplementary["BucketVersioningConfiguration"] = {
            "status": ver.get("Status") or "Off",
            "isMfaDeleteEnabled": None if mfa is None else mfa == "Enabled",
        }

    log = raw.get("logging")
    if log is not None:
        enabled = log.get("LoggingEnabled")
        supplementary["BucketLoggingConfiguration"] = (
            {
                "destinationBucketName": enabled.get("TargetBucket"),
                "logFilePrefix": enabled.get("TargetPrefix", ""),
            }
            if enabled
            else None
        )

    lock = raw.get("objectLock")
    if lock is not None:
        cfg = lock.get("ObjectLockConfiguration")
        supplementary["ObjectLockConfiguration"] = camelize(cfg) if cfg else None

    lifecycle = raw.get("lifecycle")
    if lifecycle is not None:
        rules = lifecycle.get("Rules")
        supplementary["BucketLifecycleConfiguration"] = {"rules": camelize(rules)} if rules else None

    tagging = raw.get("tagging")
    tags = tag_dict(tagging.get("TagSet")) if tagging is not None else {}
    if tagging is None:
        supplementary[TAGS_UNKNOWN_KEY] = True

    return Resource(
        resource_type=BUCKET_TYPE,
        resource_id=name,
        arn=bucket_arn(name, partition),
        account_id=account_id,
        region=region,
        name=name,
        configuration=configuration,
        supplementary=supplementary,
        tags=tags,
    )


def transform_account_pab(
    account_id: str, account_name: str, raw: Mapping[str, Any], partition: str = "aws"
) -> Resource:
    """The AWS::::Account pseudo resource carrying the account-level public access block
    (``raw`` is the s3control GetPublicAccessBlock response, ``{}`` when none is set)."""
    cfg = raw.get("PublicAccessBlockConfiguration")
    return account_resource(
        account_id, account_name, partition, {ACCOUNT_PAB_KEY: camelize(cfg) if cfg else None}
    )


@register
class S3AccountCollector(Collector):
    """The account-level public access block (one S3 Control call), kept apart from the bucket
    listing so that a scan reading only AWS::::Account does not list every bucket."""

    id = "s3control"
    scope = Scope.ACCOUNT
    resource_types = (ACCOUNT_TYPE,)
    permissions = ("s3:GetAccountPublicAccessBlock",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        pab = ctx.call(
            ctx.client("s3control"), "get_public_access_block", absent=NO_PAB, AccountId=ctx.account_id
        )
        if pab is not None:
            yield transform_account_pab(ctx.account_id, ctx.account_name, pab, ctx.partition)


@register
class S3Collector(Collector):
    id = "s3"
    scope = Scope.ACCOUNT
    resource_types = (BUCKET_TYPE,)
    permissions = (
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetBucketPolicy",
        "s3:GetBucketAcl",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetBucketTagging",
        "s3:GetBucketObjectLockConfiguration",
        "s3:GetLifecycleConfiguration",
    )

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        buckets = ctx.paginate(ctx.client("s3"), "list_buckets", "Buckets")
        if not buckets:
            return
        workers = min(BUCKET_WORKERS, len(buckets))
        if workers <= 1:
            results = [self._bucket(ctx, b) for b in buckets]
        else:
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="s3-bucket") as pool:
                results = list(pool.map(lambda b: self._bucket(ctx, b), buckets))
        yield from (r for r in results if r is not None)

    def _bucket(self, ctx: CollectContext, bucket: Mapping[str, Any]) -> Resource | None:
        name = bucket["Name"]
        region = bucket.get("BucketRegion")
        if not region:
            region = bucket_region(ctx.call(ctx.client("s3"), "get_bucket_location", Bucket=name))
            if region is None:
                return None  # gap recorded; without the region the bucket's calls cannot be made
        s3 = ctx.client("s3", region)
        raw: dict[str, Mapping[str, Any] | None] = {
            "policy": ctx.call(s3, "get_bucket_policy", absent=NO_POLICY, Bucket=name),
            "acl": ctx.call(s3, "get_bucket_acl", Bucket=name),
            "publicAccessBlock": ctx.call(s3, "get_public_access_block", absent=NO_PAB, Bucket=name),
            "encryption": ctx.call(s3, "get_bucket_encryption", absent=NO_ENCRYPTION, Bucket=name),
            "versioning": ctx.call(s3, "get_bucket_versioning", Bucket=name),
            "logging": ctx.call(s3, "get_bucket_logging", Bucket=name),
            "tagging": ctx.call(s3, "get_bucket_tagging", absent=NO_TAGS, Bucket=name),
            "objectLock": ctx.call(s3, "get_object_lock_configuration", absent=NO_OBJECT_LOCK, Bucket=name),
            "lifecycle": ctx.call(s3, "get_bucket_lifecycle_configuration", absent=NO_LIFECYCLE, Bucket=name),
        }
        return transform_bucket(bucket, region, ctx.account_id, raw, ctx.partition)
