"""Stable synthetic identities for resources that do not exist yet.

Terraform knows a resource's id and ARN only after apply. The adapter gives each one a stable
stand-in built from its Terraform address, in the real ARN form with the placeholder account
``000000000000`` (unless the account is known), so that references between resources
(``aws_s3_bucket.b.arn``, ``aws_vpc.main.id``) resolve and the checks that follow them (a route
to an ``igw-`` gateway, the bucket behind a CloudFront origin) work as they do on live data.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from secpillar.sources.terraform.expr import UNKNOWN

PLACEHOLDER_ACCOUNT = "000000000000"
DEFAULT_REGION = "us-east-1"

# Prefixes of EC2-family ids (the checks recognise some of them, e.g. ``igw-`` routes).
ID_PREFIX = {
    "aws_vpc": "vpc",
    "aws_default_vpc": "vpc",
    "aws_subnet": "subnet",
    "aws_default_subnet": "subnet",
    "aws_route_table": "rtb",
    "aws_default_route_table": "rtb",
    "aws_internet_gateway": "igw",
    "aws_egress_only_internet_gateway": "eigw",
    "aws_nat_gateway": "nat",
    "aws_security_group": "sg",
    "aws_default_security_group": "sg",
    "aws_network_acl": "acl",
    "aws_default_network_acl": "acl",
    "aws_instance": "i",
    "aws_ebs_volume": "vol",
    "aws_launch_template": "lt",
    "aws_flow_log": "fl",
    "aws_ec2_transit_gateway": "tgw",
    "aws_ec2_transit_gateway_vpc_attachment": "tgw-attach",
    "aws_ec2_transit_gateway_route_table": "tgw-rtb",
    "aws_vpc_peering_connection": "pcx",
    "aws_cloudfront_origin_access_identity": "E",
    "aws_cloudfront_origin_access_control": "E",
    "aws_cloudfront_distribution": "E",
}


def slug(address: str) -> str:
    """A Terraform address as an id-safe token (``module.net.aws_vpc.main[0]`` ->
    ``module-net-aws-vpc-main-0``)."""
    s = re.sub(r"[^A-Za-z0-9]+", "-", address).strip("-").lower()
    return s or "resource"


def known_str(values: Mapping[str, Any], *keys: str) -> str | None:
    for k in keys:
        v = values.get(k)
        if isinstance(v, str) and v:
            return v
    return None


def identity(  # noqa: PLR0915 - one flat table of stand-ins
    rtype: str, address: str, values: Mapping[str, Any], region: str, account: str
) -> dict[str, Any]:
    """The attributes Terraform computes at apply (``id``, ``arn``, names, domain names) as
    stable stand-ins; configured values win where the configuration sets them."""
    s = slug(address)
    out: dict[str, Any] = {}
    if rtype in ID_PREFIX:
        prefix = ID_PREFIX[rtype]
        rid = f"{prefix}{s.upper()}" if prefix == "E" else f"{prefix}-{s}"
        out["id"] = rid
        kind = {
            "vpc": "vpc",
            "subnet": "subnet",
            "rtb": "route-table",
            "igw": "internet-gateway",
            "nat": "natgateway",
            "sg": "security-group",
            "acl": "network-acl",
            "i": "instance",
            "vol": "volume",
            "lt": "launch-template",
            "fl": "vpc-flow-log",
            "tgw": "transit-gateway",
            "tgw-attach": "transit-gateway-attachment",
            "tgw-rtb": "transit-gateway-route-table",
        }.get(prefix)
        if kind:
            out["arn"] = f"arn:aws:ec2:{region}:{account}:{kind}/{rid}"
    if rtype == "aws_s3_bucket":
        name = known_str(values, "bucket") or f"tf-{s}"[:63]
        out.update(
            id=name,
            bucket=name,
            arn=f"arn:aws:s3:::{name}",
            bucket_domain_name=f"{name}.s3.amazonaws.com",
            bucket_regional_domain_name=f"{name}.s3.{region}.amazonaws.com",
            website_endpoint=f"{name}.s3-website-{region}.amazonaws.com",
            region=region,
        )
    elif rtype in ("aws_s3_bucket_policy", "aws_s3_bucket_public_access_block"):
        bucket = values.get("bucket")
        out["id"] = bucket if isinstance(bucket, str) else UNKNOWN
    elif rtype == "aws_kms_key":
        kid = f"key-{s}"
        out.update(id=kid, key_id=kid, arn=f"arn:aws:kms:{region}:{account}:key/{kid}")
    elif rtype == "aws_kms_alias":
        name = known_str(values, "name") or f"alias/{s}"
        out.update(id=name, name=name, arn=f"arn:aws:kms:{region}:{account}:{name}")
    elif rtype in ("aws_iam_role", "aws_iam_user", "aws_iam_group", "aws_iam_policy"):
        kind = rtype.removeprefix("aws_iam_")
        name = known_str(values, "name") or f"tf-{s}"
        path = known_str(values, "path") or "/"
        out.update(
            id=name if kind != "policy" else f"arn:aws:iam::{account}:policy{path}{name}",
            name=name,
            arn=f"arn:aws:iam::{account}:{kind}{path}{name}",
            unique_id=f"AID{s.upper()}"[:21],
        )
    elif rtype == "aws_iam_instance_profile":
        name = known_str(values, "name") or f"tf-{s}"
        out.update(id=name, name=name, arn=f"arn:aws:iam::{account}:instance-profile/{name}")
    elif rtype in ("aws_db_instance", "aws_rds_cluster", "aws_rds_cluster_instance"):
        key = "cluster_identifier" if rtype == "aws_rds_cluster" else "identifier"
        name = known_str(values, key) or f"terraform-{s}"
        kind = "cluster" if rtype == "aws_rds_cluster" else "db"
        out.update(id=name, identifier=name, arn=f"arn:aws:rds:{region}:{account}:{kind}:{name}")
        if rtype == "aws_rds_cluster":
            out["cluster_identifier"] = name
    elif rtype == "aws_db_subnet_group":
        name = known_str(values, "name") or f"tf-{s}"
        out.update(id=name, name=name, arn=f"arn:aws:rds:{region}:{account}:subgrp:{name}")
    elif rtype == "aws_cloudtrail":
        name = known_str(values, "name") or s
        out.update(id=name, name=name, arn=f"arn:aws:cloudtrail:{region}:{account}:trail/{name}")
    elif rtype == "aws_ecr_repository":
        name = known_str(values, "name") or s
        out.update(
            id=name,
            name=name,
            arn=f"arn:aws:ecr:{region}:{account}:repository/{name}",
            repository_url=f"{account}.dkr.ecr.{region}.amazonaws.com/{name}",
            registry_id=account,
        )
    elif rtype == "aws_cloudwatch_log_group":
        name = known_str(values, "name") or s
        out.update(id=name, name=name, arn=f"arn:aws:logs:{region}:{account}:log-group:{name}")
    elif rtype == "aws_sns_topic":
        name = known_str(values, "name") or s
        out.update(id=f"arn:aws:sns:{region}:{account}:{name}", arn=f"arn:aws:sns:{region}:{account}:{name}")
    elif rtype == "aws_cloudfront_origin_access_identity":
        oid = out["id"]
        out.update(
            cloudfront_access_identity_path=f"origin-access-identity/cloudfront/{oid}",
            iam_arn=f"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity {oid}",
        )
    elif rtype == "aws_cloudfront_distribution":
        did = out["id"]
        out.update(
            arn=f"arn:aws:cloudfront::{account}:distribution/{did}",
            domain_name=f"{did.lower()}.cloudfront.net",
        )
    elif rtype == "aws_launch_template":
        out["latest_version"] = 1
    return out


def data_identity(dtype: str, region: str, account: str) -> dict[str, Any]:
    """What the account/region data sources answer (placeholders unless known)."""
    if dtype == "aws_caller_identity":
        return {
            "account_id": account,
            "arn": f"arn:aws:iam::{account}:root",
            "id": account,
            "user_id": account,
        }
    if dtype == "aws_region":
        return {"name": region, "id": region, "region": region}
    if dtype == "aws_partition":
        return {"partition": "aws", "dns_suffix": "amazonaws.com", "id": "aws"}
    return {}
