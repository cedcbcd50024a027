"""Which IAM action authorizes an API operation (pure; no client is created here).

Mostly the IAM action is ``<signing name>:<operation name>`` (``ec2:DescribeVpcs``). The
exceptions are the ones AWS's Service Authorization Reference documents: services whose IAM
prefix differs from the signing name (CloudWatch signs as ``monitoring``) and S3 operations that
an older action name authorizes (``ListBuckets`` needs ``s3:ListAllMyBuckets``). Used to check
that every call a collector makes is covered by the IAM actions it declares."""

from __future__ import annotations

PREFIX_BY_SIGNING_NAME: dict[str, str] = {
    "monitoring": "cloudwatch",
}
"""Signing names that are not the IAM service prefix."""

ACTION_BY_OPERATION: dict[tuple[str, str], str] = {
    # (boto3 service name, operation name) -> the IAM action that authorizes it
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "ListObjects"): "s3:ListBucket",
    ("s3control", "GetPublicAccessBlock"): "s3:GetAccountPublicAccessBlock",
}

NO_PERMISSION_NEEDED: frozenset[tuple[str, str]] = frozenset({("sts", "GetCallerIdentity")})
"""Operations any caller may make (AWS: "No permissions are required to perform this operation")."""


def iam_action(service: str, signing_name: str, operation: str) -> str | None:
    """The IAM action authorizing ``operation`` of the boto3 ``service`` (signed as
    ``signing_name``), or ``None`` when the operation needs no permission."""
    if (service, operation) in NO_PERMISSION_NEEDED:
        return None
    explicit = ACTION_BY_OPERATION.get((service, operation))
    if explicit is not None:
        return explicit
    prefix = PREFIX_BY_SIGNING_NAME.get(signing_name, signing_name)
    return f"{prefix}:{operation}"
