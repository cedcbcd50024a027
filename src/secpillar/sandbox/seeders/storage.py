"""Seed storage: S3 buckets, the account-level S3 public access block, KMS keys, CloudFront
distributions and the organization's data-classification tag policy.

Layout (bucket names carry the account id: bucket names are global):

* MGMT and LOGS: account-level S3 Block Public Access fully on.
* MGMT: TAG_POLICY "data-classification" requiring ``DataClassification`` (Public, Internal,
  Confidential) on ``s3:bucket``, attached to the Workloads OU (TEST, STG, PROD).
* TEST: no account-level public access block; ``test-app-data`` without default encryption or
  access logging; ``test-shared`` with a public-read ACL.
* STG: account-level block fully on; ``stg-app-data`` without TLS-only policy, versioning,
  logging or classification tag; a KMS key whose policy grants kms:* to everyone.
* PROD: account-level block with the two policy settings off (the public site needs them off);
  ``prod-app-data`` fully hardened (clean), the origin of a distribution with origin access
  control and redirect-to-https (clean); ``prod-access-logs`` (the log bucket, itself not
  logged); ``prod-public-site`` with a public-read policy and no tag, the origin of a
  distribution without origin access control that allows plain HTTP.
* TEST, STG, PROD: one KMS key with rotation (clean) and one without (flaw).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from secpillar.sandbox.seed import ENVIRONMENTS, SeedOrg, policy

PAB_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
PAB_ACLS_ONLY = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": False,
    "RestrictPublicBuckets": False,
}
TAG_KEY = "DataClassification"
TAG_VALUES = ("Public", "Internal", "Confidential")
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"


def s3control(org: SeedOrg, account: str) -> Any:
    return org.client(account, "s3control")


def _arn(name: str) -> str:
    return f"arn:aws:s3:::{name}"


def _tls_deny(name: str) -> dict[str, Any]:
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [_arn(name), f"{_arn(name)}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def _bucket(
    org: SeedOrg,
    account: str,
    name: str,
    *,
    encrypt: bool = True,
    versioning: bool = True,
    bucket_pab: bool = True,
    tls_only: bool = True,
    extra_statements: Sequence[dict[str, Any]] = (),
    log_to: str | None = None,
    classification: str | None = "Internal",
    acl: str | None = None,
) -> str:
    """Create a bucket hardened in every way not switched off; return its ARN."""
    s3 = org.client(account, "s3")
    s3.create_bucket(Bucket=name)
    if encrypt:
        s3.put_bucket_encryption(
            Bucket=name,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
    if versioning:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    if bucket_pab:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=PAB_ALL)
    stmts = [*extra_statements, *([_tls_deny(name)] if tls_only else [])]
    if stmts:
        s3.put_bucket_policy(Bucket=name, Policy=policy(*stmts))
    if log_to:
        s3.put_bucket_logging(
            Bucket=name,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": log_to, "TargetPrefix": f"{name}/"}},
        )
    if classification:
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": TAG_KEY, "Value": classification}]})
    if acl:
        s3.put_bucket_acl(Bucket=name, ACL=acl)
    return _arn(name)


def _tag_policy(org: SeedOrg) -> None:
    mgmt = org.client("MGMT", "organizations")
    root = mgmt.list_roots()["Roots"][0]
    if not any(t["Type"] == "TAG_POLICY" and t["Status"] == "ENABLED" for t in root.get("PolicyTypes", [])):
        mgmt.enable_policy_type(RootId=org.root_id, PolicyType="TAG_POLICY")
    content = {
        "tags": {
            "dataclassification": {
                "tag_key": {"@@assign": TAG_KEY},
                "tag_value": {"@@assign": list(TAG_VALUES)},
                "enforced_for": {"@@assign": ["s3:bucket"]},
                "report_required_tag_for": {"@@assign": ["s3:bucket"]},
            }
        }
    }
    created = mgmt.create_policy(
        Name="data-classification",
        Description="Every workload bucket carries DataClassification (SEC07-BP01)",
        Type="TAG_POLICY",
        Content=json.dumps(content),
    )
    mgmt.attach_policy(PolicyId=created["Policy"]["PolicySummary"]["Id"], TargetId=org.ou_ids["Workloads"])


def _kms(org: SeedOrg) -> None:
    m = org.manifest
    for env in ENVIRONMENTS:
        kms = org.client(env, "kms")
        low = env.lower()
        good = kms.create_key(Description=f"{low} application data")["KeyMetadata"]
        kms.enable_key_rotation(KeyId=good["KeyId"])
        kms.create_alias(AliasName=f"alias/{low}-app-data", TargetKeyId=good["KeyId"])
        m.clean_resource(env, f"kms {low}-app-data", good["Arn"], "Customer managed key with rotation on")
        stale = kms.create_key(Description=f"{low} legacy exports")["KeyMetadata"]
        kms.create_alias(AliasName=f"alias/{low}-legacy-exports", TargetKeyId=stale["KeyId"])
        m.flaw(
            "aws.kms.key-rotation-enabled",
            env,
            f"kms {low}-legacy-exports",
            stale["Arn"],
            "Customer managed key without automatic rotation",
        )
    stg = org.client("STG", "kms")
    shared = stg.create_key(Description="stg partner share")["KeyMetadata"]
    stg.enable_key_rotation(KeyId=shared["KeyId"])
    stg.create_alias(AliasName="alias/stg-partner-share", TargetKeyId=shared["KeyId"])
    root = f"arn:aws:iam::{org.account_id('STG')}:root"
    stg.put_key_policy(
        KeyId=shared["KeyId"],
        PolicyName="default",
        Policy=policy(
            {
                "Sid": "Owner",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": "kms:*",
                "Resource": "*",
            },
            {"Sid": "PartnerShare", "Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"},
        ),
    )
    m.flaw(
        "aws.kms.key-policy-no-public",
        "STG",
        "kms stg-partner-share",
        shared["Arn"],
        "Key policy allows kms:* to Principal '*' without a condition",
    )


def _edge(org: SeedOrg, account: str, host: str) -> dict[str, Any]:
    """An ACM certificate (TLSv1.2_2021, SNI) and a CLOUDFRONT-scope web ACL with an AWS managed rule
    group, for a distribution that should pass the edge checks."""
    cert = org.client(account, "acm", "us-east-1").request_certificate(
        DomainName=host, ValidationMethod="DNS"
    )
    visibility = {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True}
    acl = org.client(account, "wafv2", "us-east-1").create_web_acl(
        Name=f"{host.split('.', 1)[0]}-edge",
        Scope="CLOUDFRONT",
        DefaultAction={"Allow": {}},
        Rules=[
            {
                "Name": "aws-common",
                "Priority": 0,
                "Statement": {
                    "ManagedRuleGroupStatement": {
                        "VendorName": "AWS",
                        "Name": ("AWSManagedRulesCommonRuleSet"),
                    }
                },
                "OverrideAction": {"None": {}},
                "VisibilityConfig": {**visibility, "MetricName": "aws-common"},
            }
        ],
        VisibilityConfig={**visibility, "MetricName": "edge"},
    )["Summary"]["ARN"]
    return {
        "WebACLId": acl,
        "ViewerCertificate": {
            "ACMCertificateArn": cert["CertificateArn"],
            "SSLSupportMethod": "sni-only",
            "MinimumProtocolVersion": "TLSv1.2_2021",
            "CloudFrontDefaultCertificate": False,
        },
    }


def _distribution(
    org: SeedOrg,
    cf: Any,
    ref: str,
    bucket: str,
    oac_id: str | None,
    viewer_policy: str,
    edge: dict[str, Any] | None = None,
) -> dict[str, Any]:
    origin: dict[str, Any] = {
        "Id": f"s3-{bucket}",
        "DomainName": f"{bucket}.s3.{org.region}.amazonaws.com",
        "S3OriginConfig": {"OriginAccessIdentity": ""},
    }
    if oac_id:
        origin["OriginAccessControlId"] = oac_id
    dist: dict[str, Any] = cf.create_distribution(
        DistributionConfig={
            "CallerReference": ref,
            "Comment": ref,
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [origin]},
            "DefaultCacheBehavior": {
                "TargetOriginId": origin["Id"],
                "ViewerProtocolPolicy": viewer_policy,
                "CachePolicyId": CACHING_OPTIMIZED,
            },
            "ViewerCertificate": {"CloudFrontDefaultCertificate": True},
            **(edge or {}),
        }
    )["Distribution"]
    return dist


def _oac_visible(cf: Any, dist_id: str) -> bool:
    """Whether the endpoint reports the origin access control back (moto 5.2 drops it)."""
    items = cf.get_distribution(Id=dist_id)["Distribution"]["DistributionConfig"]["Origins"]["Items"]
    return all(o.get("OriginAccessControlId") for o in items)


def _test(org: SeedOrg) -> None:
    m, acct = org.manifest, org.account_id("TEST")
    m.flaw(
        "aws.s3.account-public-access-block",
        "TEST",
        "account TEST",
        f"arn:aws:iam::{acct}:root",
        "No account-level S3 Block Public Access",
    )
    name = f"test-app-data-{acct}"
    arn = _bucket(org, "TEST", name, encrypt=False)
    m.flaw("aws.s3.bucket-encryption-at-rest", "TEST", name, arn, "No default encryption")
    m.flaw("aws.s3.bucket-access-logging", "TEST", name, arn, "Server access logging off")
    name = f"test-shared-{acct}"
    arn = _bucket(org, "TEST", name, bucket_pab=False, acl="public-read")
    m.flaw("aws.s3.bucket-acl-not-public", "TEST", name, arn, "ACL grants READ to AllUsers")
    m.flaw(
        "aws.s3.bucket-public-access-block",
        "TEST",
        name,
        arn,
        "No Block Public Access on the bucket or the account",
    )
    m.flaw("aws.s3.bucket-access-logging", "TEST", name, arn, "Server access logging off")


def _stg(org: SeedOrg) -> None:
    m, acct = org.manifest, org.account_id("STG")
    s3control(org, "STG").put_public_access_block(AccountId=acct, PublicAccessBlockConfiguration=PAB_ALL)
    name = f"stg-app-data-{acct}"
    arn = _bucket(org, "STG", name, versioning=False, tls_only=False, classification=None)
    m.flaw("aws.s3.bucket-tls-only", "STG", name, arn, "No bucket policy denying aws:SecureTransport=false")
    m.flaw("aws.s3.bucket-versioning", "STG", name, arn, "Versioning never enabled")
    m.flaw("aws.s3.bucket-access-logging", "STG", name, arn, "Server access logging off")
    m.flaw("aws.tagging.data-classification", "STG", name, arn, "No DataClassification tag")


def _prod(org: SeedOrg) -> None:
    m, acct = org.manifest, org.account_id("PROD")
    s3control(org, "PROD").put_public_access_block(
        AccountId=acct, PublicAccessBlockConfiguration=PAB_ACLS_ONLY
    )
    m.flaw(
        "aws.s3.account-public-access-block",
        "PROD",
        "account PROD",
        f"arn:aws:iam::{acct}:root",
        "Account-level BlockPublicPolicy and RestrictPublicBuckets off (for the public site)",
    )
    logs = f"prod-access-logs-{acct}"
    log_delivery = {
        "Sid": "S3ServerAccessLogs",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": f"{_arn(logs)}/*",
        "Condition": {"StringEquals": {"aws:SourceAccount": acct}},
    }
    arn = _bucket(org, "PROD", logs, extra_statements=[log_delivery])
    m.flaw("aws.s3.bucket-access-logging", "PROD", logs, arn, "The access-log bucket is itself not logged")

    cf = org.client("PROD", "cloudfront")
    oac = cf.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": "prod-app-data",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]

    data = f"prod-app-data-{acct}"
    edge = _edge(org, "PROD", "app.prod.example.org")
    private = _distribution(org, cf, "prod-app", data, oac, "redirect-to-https", edge)
    read_via_cloudfront = {
        "Sid": "CloudFrontRead",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"{_arn(data)}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": private["ARN"]}},
    }
    arn = _bucket(
        org, "PROD", data, extra_statements=[read_via_cloudfront], log_to=logs, classification="Confidential"
    )
    m.clean_resource("PROD", data, arn, "Encrypted, versioned, logged, TLS-only, blocked, classified")
    if _oac_visible(cf, private["Id"]):
        m.clean_resource(
            "PROD", "distribution prod-app", private["ARN"], "OAC to a private bucket, redirect-to-https"
        )

    site = f"prod-public-site-{acct}"
    public_read = {
        "Sid": "PublicRead",
        "Effect": "Allow",
        "Principal": "*",
        "Action": "s3:GetObject",
        "Resource": f"{_arn(site)}/*",
    }
    arn = _bucket(
        org, "PROD", site, bucket_pab=False, extra_statements=[public_read], log_to=logs, classification=None
    )
    m.flaw("aws.s3.bucket-policy-not-public", "PROD", site, arn, "Bucket policy allows s3:GetObject to '*'")
    m.flaw(
        "aws.s3.bucket-public-access-block",
        "PROD",
        site,
        arn,
        "No bucket-level block; the account's block leaves policies open",
    )
    m.flaw("aws.tagging.data-classification", "PROD", site, arn, "No DataClassification tag")
    public = _distribution(org, cf, "prod-site", site, None, "allow-all")
    label = "distribution prod-site"
    m.flaw("aws.cloudfront.s3-origin-access-control", "PROD", label, public["ARN"], "S3 origin without OAC")
    m.flaw("aws.cloudfront.origin-bucket-not-public", "PROD", label, public["ARN"], "Origin bucket is public")
    m.flaw("aws.cloudfront.viewer-https", "PROD", label, public["ARN"], "Viewer protocol policy allow-all")


def seed(org: SeedOrg) -> None:
    """Plant the storage resources and flaws (deterministic names, fixed order)."""
    _tag_policy(org)
    for account in ("MGMT", "LOGS"):
        s3control(org, account).put_public_access_block(
            AccountId=org.account_id(account), PublicAccessBlockConfiguration=PAB_ALL
        )
    _test(org)
    _stg(org)
    _prod(org)
    _kms(org)
