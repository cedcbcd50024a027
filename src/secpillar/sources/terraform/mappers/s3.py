"""S3: ``aws_s3_bucket`` (provider v3 inline blocks, or v4+ split resources) folded into one
``AWS::S3::Bucket``; ``aws_s3_account_public_access_block`` into ``AWS::::Account``.

The module is judged as declared: a bucket without a policy, public access block, encryption,
versioning or logging resource has none (S3's newer defaults — SSE-S3 and Block Public Access on
new buckets — are not assumed, so the code states what it relies on). Unless the module declares
the account-level block, the account is assumed to have none; that assumed account is read by
the bucket checks and never judged itself. Canned ACLs expand to the grants S3 documents for
them."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from secpillar.collect.s3 import transform_account_pab, transform_bucket
from secpillar.model import account_resource
from secpillar.sources.terraform.expr import UNKNOWN
from secpillar.sources.terraform.mapping import MapContext, blocks, first_block, flag, is_set, tags_of
from secpillar.sources.terraform.model import TfResource

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTH_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
OWNER_ID = "owner"

# https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html#canned-acl
CANNED: dict[str, list[tuple[str, str]]] = {
    "private": [],
    "public-read": [(ALL_USERS, "READ")],
    "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
    "aws-exec-read": [],
    "authenticated-read": [(AUTH_USERS, "READ")],
    "bucket-owner-read": [],
    "bucket-owner-full-control": [],
    "log-delivery-write": [(LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP")],
}


def _owner_grant() -> dict[str, Any]:
    return {"Grantee": {"ID": OWNER_ID, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}


def _acl(canned: Any, grants: Any) -> dict[str, Any] | None:
    if canned is UNKNOWN:
        return None
    if grants is UNKNOWN:
        if not (isinstance(canned, str) and CANNED.get(canned)):
            return None
        grants = []
    out = [_owner_grant()]
    if isinstance(canned, str):
        out += [{"Grantee": {"URI": u, "Type": "Group"}, "Permission": p} for u, p in CANNED.get(canned, [])]
    for g in grants or ():
        if not isinstance(g, Mapping):
            continue
        grantee = first_block(g, "grantee") if "grantee" in g else g
        if grantee is UNKNOWN:
            return None
        uri, gid = grantee.get("uri"), grantee.get("id")
        if uri is UNKNOWN or gid is UNKNOWN:
            return None
        perms = g.get("permission") or g.get("permissions") or []
        for perm in perms if isinstance(perms, list) else [perms]:
            entry = {"URI": uri, "Type": "Group"} if uri else {"ID": gid, "Type": "CanonicalUser"}
            out.append({"Grantee": entry, "Permission": perm})
    return {"Owner": {"ID": OWNER_ID}, "Grants": out}


def _sse_rules(rules: Any) -> Any:
    if rules is UNKNOWN:
        return UNKNOWN
    out = []
    for rule in rules:
        d = first_block(rule, "apply_server_side_encryption_by_default")
        if d is UNKNOWN:
            return UNKNOWN
        entry: dict[str, Any] = {}
        if d:
            by_default: dict[str, Any] = {"SSEAlgorithm": d.get("sse_algorithm")}
            if d.get("kms_master_key_id") is not None:
                by_default["KMSMasterKeyID"] = is_set(d.get("kms_master_key_id"))
            entry["ApplyServerSideEncryptionByDefault"] = by_default
        if rule.get("bucket_key_enabled") is not None:
            entry["BucketKeyEnabled"] = rule.get("bucket_key_enabled")
        out.append(entry)
    return out


def _policy_text(text: Any) -> Any:
    """The GetBucketPolicy-shaped answer for a policy attribute (None: unknown)."""
    if text is UNKNOWN:
        return None
    if not text:
        return {}
    if isinstance(text, Mapping):
        return {"Policy": json.dumps(text)}
    return {"Policy": str(text)}


def _parts(ctx: MapContext, rtype: str, bucket: TfResource) -> list[TfResource]:
    return [
        p for p in ctx.of_type(rtype) if ctx.matches(bucket, p.values.get("bucket"), ("id", "bucket", "arn"))
    ]


def _bucket(ctx: MapContext, b: TfResource) -> None:  # noqa: PLR0915 - one part per folded resource
    v = b.values
    name = str(b.computed.get("bucket"))
    raw: dict[str, Any] = {}

    # policy: aws_s3_bucket_policy wins over the inline v3 argument
    pols = _parts(ctx, "aws_s3_bucket_policy", b)
    raw["policy"] = _policy_text(pols[-1].values.get("policy") if pols else v.get("policy"))

    # ACL: aws_s3_bucket_acl, else the v3 acl/grant arguments; ownership BucketOwnerEnforced
    # disables ACLs.
    acls = _parts(ctx, "aws_s3_bucket_acl", b)
    owner = _parts(ctx, "aws_s3_bucket_ownership_controls", b)
    enforced = any(
        first_block(first_block(o.values, "rule") or {}, "object_ownership") == "BucketOwnerEnforced"
        or (first_block(o.values, "rule") or {}).get("object_ownership") == "BucketOwnerEnforced"
        for o in owner
    )
    if enforced:
        raw["acl"] = _acl("private", [])
    elif acls:
        a = acls[-1].values
        policy = first_block(a, "access_control_policy")
        raw["acl"] = _acl(a.get("acl"), blocks(policy, "grant") if isinstance(policy, Mapping) else UNKNOWN)
    else:
        raw["acl"] = _acl(v.get("acl") or "private", blocks(v, "grant"))

    pabs = _parts(ctx, "aws_s3_bucket_public_access_block", b)
    if pabs:
        p = pabs[-1].values
        raw["publicAccessBlock"] = {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": flag(p.get("block_public_acls"), False),
                "IgnorePublicAcls": flag(p.get("ignore_public_acls"), False),
                "BlockPublicPolicy": flag(p.get("block_public_policy"), False),
                "RestrictPublicBuckets": flag(p.get("restrict_public_buckets"), False),
            }
        }
    else:
        raw["publicAccessBlock"] = {}

    sses = _parts(ctx, "aws_s3_bucket_server_side_encryption_configuration", b)
    sse_src = sses[-1].values if sses else first_block(v, "server_side_encryption_configuration")
    if sse_src is UNKNOWN:
        raw["encryption"] = None
    else:
        rules = _sse_rules(blocks(sse_src, "rule"))
        raw["encryption"] = (
            None
            if rules is UNKNOWN
            else {"ServerSideEncryptionConfiguration": {"Rules": rules}}
            if rules
            else {}
        )

    vers = _parts(ctx, "aws_s3_bucket_versioning", b)
    if vers:
        vc = first_block(vers[-1].values, "versioning_configuration")
        status = vc.get("status") if isinstance(vc, Mapping) else UNKNOWN
        mfa = vc.get("mfa_delete") if isinstance(vc, Mapping) else None
        raw["versioning"] = (
            None
            if status is UNKNOWN
            else {"Status": None if status == "Disabled" else status, "MFADelete": mfa}
        )
    else:
        inline = first_block(v, "versioning")
        enabled = flag(inline.get("enabled"), False) if isinstance(inline, Mapping) else UNKNOWN
        mfa_v = inline.get("mfa_delete") if isinstance(inline, Mapping) else None
        raw["versioning"] = (
            None
            if enabled is UNKNOWN
            else {
                "Status": "Enabled" if enabled else None,
                "MFADelete": None if mfa_v is None else "Enabled" if mfa_v is True else "Disabled",
            }
        )

    logs = _parts(ctx, "aws_s3_bucket_logging", b)
    log_src = logs[-1].values if logs else first_block(v, "logging")
    if log_src is UNKNOWN:
        raw["logging"] = None
    elif log_src and log_src.get("target_bucket") is not None:
        raw["logging"] = {
            "LoggingEnabled": {
                "TargetBucket": is_set(log_src.get("target_bucket")),
                "TargetPrefix": log_src.get("target_prefix") or "",
            }
        }
    else:
        raw["logging"] = {}
    raw["tagging"] = {"TagSet": tags_of(b)}
    resource = transform_bucket({"Name": name}, ctx.region, ctx.account, raw)
    unknown = [f"supplementary.{_SUPP[k]}" for k, val in raw.items() if val is None and k in _SUPP]
    ctx.emit(resource, b, unknown)


_SUPP = {
    "policy": "BucketPolicy",
    "acl": "AccessControlList",
    "publicAccessBlock": "PublicAccessBlockConfiguration",
    "encryption": "ServerSideEncryptionConfiguration",
    "versioning": "BucketVersioningConfiguration",
    "logging": "BucketLoggingConfiguration",
}


def map_s3(ctx: MapContext) -> None:
    ctx.of_type(
        "aws_s3_bucket_policy",
        "aws_s3_bucket_acl",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_logging",
    )
    for b in ctx.of_type("aws_s3_bucket"):
        _bucket(ctx, b)
    accounts = ctx.of_type("aws_s3_account_public_access_block")
    for a in accounts:
        v = a.values
        cfg = {
            "BlockPublicAcls": flag(v.get("block_public_acls"), False),
            "IgnorePublicAcls": flag(v.get("ignore_public_acls"), False),
            "BlockPublicPolicy": flag(v.get("block_public_policy"), False),
            "RestrictPublicBuckets": flag(v.get("restrict_public_buckets"), False),
        }
        ctx.emit(transform_account_pab(ctx.account, ctx.account, {"PublicAccessBlockConfiguration": cfg}), a)
    if not accounts and ctx.of_type("aws_s3_bucket"):
        ctx.assume(
            account_resource(ctx.account, ctx.account, supplementary={"S3AccountPublicAccessBlock": None})
        )
