"""KMS keys, RDS instances and clusters, CloudTrail trails, ECR repositories and CloudFront
distributions.

Provider defaults used when an argument is left out (AWS provider documentation):
``aws_kms_key`` enable_key_rotation false, key_usage ENCRYPT_DECRYPT, customer_master_key_spec
SYMMETRIC_DEFAULT, is_enabled true, and without ``policy`` the default key policy (the account
root may use the key); ``aws_db_instance`` storage_encrypted false, publicly_accessible false;
``aws_cloudtrail`` is_multi_region_trail false, enable_log_file_validation false,
enable_logging true; ``aws_ecr_repository`` image_tag_mutability MUTABLE, scan_on_push false.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from typing import Any

from secpillar.collect.cloudfront import transform_distribution
from secpillar.collect.cloudtrail import transform_trail
from secpillar.collect.ecr import transform_repository
from secpillar.collect.kms import transform_key
from secpillar.collect.rds import transform_db_cluster, transform_db_instance
from secpillar.sources.terraform.expr import UNKNOWN
from secpillar.sources.terraform.mapping import (
    MapContext,
    as_list,
    blocks,
    emit_raw,
    first_block,
    flag,
    is_set,
    tags_of,
)


def _default_key_policy(account: str) -> str:
    # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Id": "key-default-1",
            "Statement": [
                {
                    "Sid": "Enable IAM User Permissions",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ],
        }
    )


def map_kms(ctx: MapContext) -> None:
    policies = ctx.of_type("aws_kms_key_policy")
    aliases = ctx.of_type("aws_kms_alias")
    for key in ctx.of_type("aws_kms_key"):
        v = key.values
        enabled = flag(v.get("is_enabled"), True)
        meta = {
            "KeyId": key.computed["key_id"],
            "Arn": key.computed["arn"],
            "AWSAccountId": ctx.account,
            "Description": v.get("description") or "",
            "KeyManager": "CUSTOMER",
            "KeySpec": v.get("customer_master_key_spec") or v.get("key_spec") or "SYMMETRIC_DEFAULT",
            "KeyUsage": v.get("key_usage") or "ENCRYPT_DECRYPT",
            "Origin": "AWS_KMS",
            "KeyState": UNKNOWN if enabled is UNKNOWN else "Enabled" if enabled else "Disabled",
            "Enabled": enabled,
            "MultiRegion": flag(v.get("multi_region"), False),
        }
        rotation = flag(v.get("enable_key_rotation"), False)
        text = next(
            (
                p.values.get("policy")
                for p in policies
                if ctx.matches(key, p.values.get("key_id"), ("id", "key_id", "arn"))
            ),
            v.get("policy"),
        )
        if isinstance(text, Mapping):
            text = json.dumps(text)
        policy = None if text is UNKNOWN else {"Policy": text or _default_key_policy(ctx.account)}
        names = [
            str(a.values["name"])
            for a in aliases
            if isinstance(a.values.get("name"), str)
            and ctx.matches(key, a.values.get("target_key_id"), ("id", "key_id", "arn"))
        ]
        res = transform_key(
            {k: (None if val is UNKNOWN else val) for k, val in meta.items()},
            None if rotation is UNKNOWN else {"KeyRotationEnabled": rotation},
            policy,
            tags_of(key),
            sorted(names),
        )
        unknown = [f"configuration.{k[0].lower()}{k[1:]}" for k, val in meta.items() if val is UNKNOWN]
        if meta["KeyState"] is UNKNOWN:
            res = dataclasses.replace(
                res, configuration={k: x for k, x in res.configuration.items() if k != "keyState"}
            )
        if rotation is UNKNOWN:
            unknown.append("configuration.keyRotationEnabled")
        if policy is None:
            unknown.append("supplementary.KeyPolicy")
        ctx.emit(res, key, unknown)


def _subnet_group(ctx: MapContext, name: Any) -> Any:
    if name is None:
        return None
    if name is UNKNOWN:
        return UNKNOWN
    grp = ctx.find(("aws_db_subnet_group",), name, ("name", "id"))
    if grp is None:
        return {"DBSubnetGroupName": name}
    ids = as_list(grp.values.get("subnet_ids"))
    if ids is UNKNOWN or any(i is UNKNOWN for i in ids):
        return UNKNOWN
    return {
        "DBSubnetGroupName": grp.computed.get("name"),
        "Subnets": [{"SubnetIdentifier": s, "SubnetStatus": "Active"} for s in ids],
    }


def map_rds(ctx: MapContext) -> None:
    ctx.of_type("aws_db_subnet_group")
    for db in ctx.of_type("aws_db_instance"):
        v = db.values
        raw: dict[str, Any] = {
            "DBInstanceIdentifier": db.computed["identifier"],
            "DBInstanceArn": db.computed["arn"],
            "Engine": v.get("engine"),
            "DBInstanceClass": v.get("instance_class"),
            "StorageEncrypted": flag(v.get("storage_encrypted"), False),
            "PubliclyAccessible": flag(v.get("publicly_accessible"), False),
            "MultiAZ": flag(v.get("multi_az"), False),
            "IAMDatabaseAuthenticationEnabled": flag(v.get("iam_database_authentication_enabled"), False),
            "DeletionProtection": flag(v.get("deletion_protection"), False),
            "BackupRetentionPeriod": v.get("backup_retention_period"),
            "VpcSecurityGroups": [
                {"VpcSecurityGroupId": g, "Status": "active"}
                for g in as_list(v.get("vpc_security_group_ids")) or []
            ]
            if as_list(v.get("vpc_security_group_ids")) is not UNKNOWN
            else UNKNOWN,
            "TagList": tags_of(db),
        }
        if v.get("kms_key_id") is not None:
            raw["KmsKeyId"] = is_set(v.get("kms_key_id"))
        group = _subnet_group(ctx, v.get("db_subnet_group_name"))
        if group is not None:
            raw["DBSubnetGroup"] = group
        if v.get("replicate_source_db") is not None and v.get("storage_encrypted") is None:
            raw["StorageEncrypted"] = UNKNOWN  # a replica inherits its source's encryption
        emit_raw(ctx, transform_db_instance, raw, db, ctx.account, ctx.region)
    clusters: dict[str, Any] = {}
    for cl in ctx.of_type("aws_rds_cluster"):
        v = cl.values
        encrypted = v.get("storage_encrypted")
        if encrypted is None and v.get("engine_mode") == "serverless":
            encrypted = True  # Aurora Serverless v1 clusters are always encrypted
        if encrypted is None and v.get("replication_source_identifier") is not None:
            encrypted = UNKNOWN  # a replica cluster inherits its source's encryption
        raw = {
            "DBClusterIdentifier": cl.computed["cluster_identifier"],
            "DBClusterArn": cl.computed["arn"],
            "Engine": v.get("engine") or "aurora",
            "StorageEncrypted": flag(encrypted, False),
            "IAMDatabaseAuthenticationEnabled": flag(v.get("iam_database_authentication_enabled"), False),
            "DeletionProtection": flag(v.get("deletion_protection"), False),
            "BackupRetentionPeriod": v.get("backup_retention_period") or 1,
            "TagList": tags_of(cl),
        }
        if v.get("kms_key_id") is not None:
            raw["KmsKeyId"] = is_set(v.get("kms_key_id"))
        if v.get("db_cluster_instance_class") is not None:  # Multi-AZ DB cluster: public or not
            raw["PubliclyAccessible"] = flag(v.get("publicly_accessible"), False)
        clusters[str(cl.computed["cluster_identifier"])] = raw["StorageEncrypted"]
        emit_raw(ctx, transform_db_cluster, raw, cl, ctx.account, ctx.region)
    for inst in ctx.of_type("aws_rds_cluster_instance"):
        # An Aurora instance reports its cluster's encryption (DescribeDBInstances StorageEncrypted).
        v = inst.values
        ident = inst.computed.get("identifier") or v.get("identifier") or inst.address
        cluster = v.get("cluster_identifier")
        raw = {
            "DBInstanceIdentifier": ident,
            "DBInstanceArn": f"arn:aws:rds:{ctx.region}:{ctx.account}:db:{ident}",
            "Engine": v.get("engine") or "aurora",
            "DBInstanceClass": v.get("instance_class"),
            "DBClusterIdentifier": cluster,
            "StorageEncrypted": clusters.get(str(cluster), UNKNOWN),
            "PubliclyAccessible": flag(v.get("publicly_accessible"), False),
            "TagList": tags_of(inst),
        }
        emit_raw(ctx, transform_db_instance, raw, inst, ctx.account, ctx.region)


def _selectors(trail: Mapping[str, Any]) -> Any:
    basic = blocks(trail, "event_selector")
    advanced = blocks(trail, "advanced_event_selector")
    if basic is UNKNOWN or advanced is UNKNOWN:
        return None
    return {
        "EventSelectors": [
            {
                "ReadWriteType": s.get("read_write_type") or "All",
                "IncludeManagementEvents": flag(s.get("include_management_events"), True),
                "DataResources": [
                    {"Type": d.get("type"), "Values": d.get("values")}
                    for d in blocks(s, "data_resource") or []
                ],
            }
            for s in basic
        ],
        "AdvancedEventSelectors": [
            {
                "Name": s.get("name"),
                "FieldSelectors": [
                    {
                        "Field": f.get("field"),
                        **{
                            k.title().replace("_", ""): f[k]
                            for k in ("equals", "not_equals", "starts_with")
                            if f.get(k)
                        },
                    }
                    for f in blocks(s, "field_selector") or []
                ],
            }
            for s in advanced
        ],
    }


def map_cloudtrail(ctx: MapContext) -> None:
    for t in ctx.of_type("aws_cloudtrail"):
        v = t.values
        trail = {
            "Name": t.computed["name"],
            "TrailARN": t.computed["arn"],
            "HomeRegion": ctx.region,
            "S3BucketName": is_set(v.get("s3_bucket_name")),
            "S3KeyPrefix": v.get("s3_key_prefix"),
            "IsMultiRegionTrail": flag(v.get("is_multi_region_trail"), False),
            "IsOrganizationTrail": flag(v.get("is_organization_trail"), False),
            "IncludeGlobalServiceEvents": flag(v.get("include_global_service_events"), True),
            "LogFileValidationEnabled": flag(v.get("enable_log_file_validation"), False),
            "HasCustomEventSelectors": bool(v.get("event_selector")),
        }
        if v.get("kms_key_id") is not None:
            trail["KmsKeyId"] = is_set(v.get("kms_key_id"))
        if v.get("cloud_watch_logs_group_arn") is not None:
            trail["CloudWatchLogsLogGroupArn"] = is_set(v.get("cloud_watch_logs_group_arn"))
        logging = flag(v.get("enable_logging"), True)
        res = transform_trail(
            trail,
            ctx.account,
            ctx.region,
            status=None if logging is UNKNOWN else {"IsLogging": logging},
            selectors=_selectors(v),
            tags=tags_of(t),
        )
        ctx.emit(res, t)


def map_ecr(ctx: MapContext) -> None:
    policies = ctx.of_type("aws_ecr_repository_policy")
    ctx.of_type("aws_ecr_lifecycle_policy")
    for repo in ctx.of_type("aws_ecr_repository"):
        v = repo.values
        scan = first_block(v, "image_scanning_configuration")
        enc = first_block(v, "encryption_configuration")
        raw = {
            "repositoryArn": repo.computed["arn"],
            "registryId": ctx.account,
            "repositoryName": repo.computed["name"],
            "repositoryUri": repo.computed["repository_url"],
            "imageTagMutability": v.get("image_tag_mutability") or "MUTABLE",
            "imageScanningConfiguration": UNKNOWN
            if scan is UNKNOWN
            else {"scanOnPush": flag(scan.get("scan_on_push"), False)},
            "encryptionConfiguration": UNKNOWN
            if enc is UNKNOWN
            else {"encryptionType": enc.get("encryption_type") or "AES256", "kmsKey": enc.get("kms_key")},
        }
        pol = next(
            (
                p.values.get("policy")
                for p in policies
                if ctx.matches(repo, p.values.get("repository"), ("name", "id"))
            ),
            None,
        )
        emit_raw(
            ctx,
            transform_repository,
            raw,
            repo,
            ctx.account,
            ctx.region,
            policy=None if pol is UNKNOWN else ({"policyText": pol} if pol else {}),
            images=None,
            registry_scanning=None,
            tags=tags_of(repo),
        )


def _items(values: list[Any]) -> dict[str, Any]:
    return {"Quantity": len(values), "Items": values}


def _behavior(b: Mapping[str, Any]) -> dict[str, Any]:
    out = {
        "TargetOriginId": b.get("target_origin_id"),
        "ViewerProtocolPolicy": b.get("viewer_protocol_policy"),
    }
    if b.get("path_pattern") is not None:
        out["PathPattern"] = b.get("path_pattern")
    return out


def map_cloudfront(ctx: MapContext) -> None:
    ctx.of_type("aws_cloudfront_origin_access_identity", "aws_cloudfront_origin_access_control")
    for d in ctx.of_type("aws_cloudfront_distribution"):
        v = d.values
        origins_b = blocks(v, "origin")
        origins: Any = UNKNOWN
        if origins_b is not UNKNOWN:
            origins = []
            for o in origins_b:
                entry: dict[str, Any] = {
                    "Id": o.get("origin_id"),
                    "DomainName": o.get("domain_name"),
                    "OriginPath": o.get("origin_path") or "",
                    "OriginAccessControlId": is_set(o.get("origin_access_control_id")) or "",
                }
                s3 = first_block(o, "s3_origin_config")
                if s3 is UNKNOWN or (isinstance(s3, Mapping) and s3):
                    entry["S3OriginConfig"] = (
                        UNKNOWN
                        if s3 is UNKNOWN
                        else {"OriginAccessIdentity": is_set(s3.get("origin_access_identity")) or ""}
                    )
                custom = first_block(o, "custom_origin_config")
                if isinstance(custom, Mapping) and custom:
                    entry["CustomOriginConfig"] = {
                        "HTTPPort": custom.get("http_port"),
                        "HTTPSPort": custom.get("https_port"),
                        "OriginProtocolPolicy": custom.get("origin_protocol_policy"),
                        "OriginSslProtocols": _items(list(as_list(custom.get("origin_ssl_protocols")) or [])),
                    }
                origins.append(entry)
        default = first_block(v, "default_cache_behavior")
        ordered = blocks(v, "ordered_cache_behavior")
        cert = first_block(v, "viewer_certificate")
        config: dict[str, Any] = {
            "CallerReference": d.address,
            "Aliases": _items(list(as_list(v.get("aliases")) or [])),
            "Origins": UNKNOWN if origins is UNKNOWN else _items(origins),
            "DefaultCacheBehavior": UNKNOWN if default is UNKNOWN else _behavior(default),
            "CacheBehaviors": UNKNOWN if ordered is UNKNOWN else _items([_behavior(b) for b in ordered]),
            "Enabled": flag(v.get("enabled"), True),
            "WebACLId": v.get("web_acl_id") or "",
            "Comment": v.get("comment") or "",
        }
        if isinstance(cert, Mapping):
            config["ViewerCertificate"] = {
                "CloudFrontDefaultCertificate": flag(cert.get("cloudfront_default_certificate"), False),
                "MinimumProtocolVersion": cert.get("minimum_protocol_version") or "TLSv1",
                "SSLSupportMethod": cert.get("ssl_support_method"),
            }
        logging = first_block(v, "logging_config")
        if isinstance(logging, Mapping) and logging:
            config["Logging"] = {"Enabled": True, "Bucket": is_set(logging.get("bucket"))}
        summary = {
            "Id": d.computed["id"],
            "ARN": d.computed["arn"],
            "DomainName": d.computed["domain_name"],
            "Status": "Deployed",
            "DistributionConfig": config,
        }
        res = transform_distribution(summary, ctx.account, tags_of(d))
        ctx.emit(res, d)
