"""AWS Config items -> secpillar Resources, one mapper per resource type (pure).

Each mapper rebuilds the boto3-shaped answer the live collector would have received (member
names from botocore's shapes, :mod:`.shapes`) and hands it to that collector's own ``transform_*``
function, so a resource read from a snapshot and the same resource collected live give the checks
the same keys. What AWS Config does not record (an S3 bucket's policy is recorded, a KMS key's
rotation status or an IAM user's access keys are not) is left out, which every check reads as
*unknown*: no PASS, no FAIL.

AWS Config specifics handled here:

- S3 (``AWS::S3::Bucket``): ``supplementaryConfiguration`` holds ``AccessControlList`` as JSON
  text (``grantList`` with ``"AllUsers"``-style group grantees and ``FullControl``-style
  permissions), ``BucketPolicy`` as ``{"policyText": "<JSON text>" | null}``,
  ``PublicAccessBlockConfiguration``, ``ServerSideEncryptionConfiguration``,
  ``BucketVersioningConfiguration`` (``status`` ``Off``/``Enabled``/``Suspended``),
  ``BucketLoggingConfiguration``, ``ObjectLockConfiguration`` and
  ``BucketLifecycleConfiguration``; any of them may itself be JSON text. A configuration Config
  records but the bucket does not have (no public access block, no policy) is absent or null.
- ``AWS::S3::AccountPublicAccessBlock`` becomes the account's ``S3AccountPublicAccessBlock``.
- IAM: ``userPolicyList`` / ``rolePolicyList`` / ``groupPolicyList`` / ``policyVersionList`` with
  URL-encoded policy documents, as ``GetAccountAuthorizationDetails`` gives them; a group's
  members come from its users' ``groupList``.
- EC2 security groups: rules carry ``ipv4Ranges`` (objects) beside ``ipRanges`` (plain CIDR
  strings); the objects are the API's ``IpRanges``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from secpillar.collect import acm, cloudfront, cloudtrail, ec2, ec2_reach, elbv2, iam, kms, lambda_, rds, s3
from secpillar.model import Resource
from secpillar.sources.config_snapshot.reader import ConfigItem
from secpillar.sources.config_snapshot.shapes import shape, to_api

GROUP_URIS = {
    "AllUsers": "http://acs.amazonaws.com/groups/global/AllUsers",
    "AuthenticatedUsers": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
    "LogDelivery": "http://acs.amazonaws.com/groups/s3/LogDelivery",
}
PERMISSIONS = {
    "FullControl": "FULL_CONTROL",
    "Read": "READ",
    "Write": "WRITE",
    "ReadAcp": "READ_ACP",
    "WriteAcp": "WRITE_ACP",
}


@dataclass
class MapContext:
    """What a mapper may need from the other items of the snapshot."""

    group_members: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(account, group name) -> user names, from the users' ``groupList``."""


Mapper = Callable[[ConfigItem, MapContext], Resource | None]
"""An item -> its Resource; None for an item secpillar does not read (an AWS managed policy)."""


def _json(value: Any) -> Any:
    """AWS Config writes some supplementary values as JSON text."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        return json.loads(value)
    return value


def _api(item: ConfigItem, service: str, name: str) -> dict[str, Any]:
    out: dict[str, Any] = to_api(dict(item.configuration), shape(service, name))
    return out


def _tag_list(item: ConfigItem) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in item.tags.items()]


# ---- S3 ------------------------------------------------------------------------------------------


def acl_grants(acl: Mapping[str, Any]) -> dict[str, Any]:
    """AWS Config's ``AccessControlList`` -> GetBucketAcl's ``{"Owner", "Grants"}``."""
    grants = []
    for g in acl.get("grantList") or ():
        who = g.get("grantee")
        if isinstance(who, str):
            grantee: dict[str, Any] = {"Type": "Group", "URI": GROUP_URIS.get(who, who)}
        elif isinstance(who, Mapping) and who.get("typeIdentifier") == "emailAddress":
            grantee = {"Type": "AmazonCustomerByEmail", "EmailAddress": who.get("identifier", "")}
        elif isinstance(who, Mapping):
            grantee = {"Type": "CanonicalUser", "ID": who.get("id") or who.get("identifier") or ""}
            if who.get("displayName"):
                grantee["DisplayName"] = who["displayName"]
        else:
            continue
        perm = str(g.get("permission") or "")
        grants.append({"Grantee": grantee, "Permission": PERMISSIONS.get(perm, perm.upper())})
    owner = acl.get("owner") or {}
    return {"Owner": {"ID": owner.get("id", ""), "DisplayName": owner.get("displayName")}, "Grants": grants}


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"ID": rule.get("id"), "Status": rule.get("status")}
    if rule.get("expirationInDays") is not None:
        out["Expiration"] = {"Days": rule["expirationInDays"]}
    if rule.get("noncurrentVersionExpirationInDays") is not None:
        out["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["noncurrentVersionExpirationInDays"]}
    if rule.get("transitions"):
        out["Transitions"] = [
            {"Days": t.get("days"), "StorageClass": t.get("storageClass")} for t in rule["transitions"]
        ]
    return out


def map_bucket(item: ConfigItem, _: MapContext) -> Resource:
    sup = {k: _json(v) for k, v in item.supplementary.items()}
    cfg = item.configuration
    raw: dict[str, Any] = {}
    policy = sup.get("BucketPolicy") or {}
    text = policy.get("policyText") if isinstance(policy, Mapping) else None
    raw["policy"] = {"Policy": text if isinstance(text, str) else json.dumps(text)} if text else {}
    if isinstance(sup.get("AccessControlList"), Mapping):
        raw["acl"] = acl_grants(sup["AccessControlList"])
    pab = sup.get("PublicAccessBlockConfiguration")
    raw["publicAccessBlock"] = (
        {"PublicAccessBlockConfiguration": to_api(pab, shape("s3", "PublicAccessBlockConfiguration"))}
        if pab
        else {}
    )
    sse = sup.get("ServerSideEncryptionConfiguration")
    raw["encryption"] = (
        {"ServerSideEncryptionConfiguration": to_api(sse, shape("s3", "ServerSideEncryptionConfiguration"))}
        if sse
        else {}
    )
    ver = sup.get("BucketVersioningConfiguration")
    if isinstance(ver, Mapping):
        status = ver.get("status")
        mfa = ver.get("isMfaDeleteEnabled")
        raw["versioning"] = {
            **({"Status": status} if status and status != "Off" else {}),
            **({} if mfa is None else {"MFADelete": "Enabled" if mfa else "Disabled"}),
        }
    log = sup.get("BucketLoggingConfiguration")
    if isinstance(log, Mapping):
        target = log.get("destinationBucketName")
        raw["logging"] = (
            {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": log.get("logFilePrefix") or ""}}
            if target
            else {}
        )
    lock = sup.get("ObjectLockConfiguration")
    raw["objectLock"] = (
        {"ObjectLockConfiguration": to_api(lock, shape("s3", "ObjectLockConfiguration"))} if lock else {}
    )
    lifecycle = sup.get("BucketLifecycleConfiguration")
    rules = lifecycle.get("rules") if isinstance(lifecycle, Mapping) else None
    raw["lifecycle"] = {"Rules": [_lifecycle_rule(r) for r in rules]} if rules else {}
    raw["tagging"] = {"TagSet": _tag_list(item)}
    bucket = {"Name": cfg.get("name") or item.name or item.resource_id}
    if cfg.get("creationDate"):
        bucket["CreationDate"] = cfg["creationDate"]
    return s3.transform_bucket(bucket, item.region, item.account_id, raw, item.partition)


def map_account_pab(item: ConfigItem, _: MapContext) -> Resource:
    cfg = to_api(dict(item.configuration), shape("s3control", "PublicAccessBlockConfiguration"))
    return s3.transform_account_pab(
        item.account_id, "", {"PublicAccessBlockConfiguration": cfg}, item.partition
    )


# ---- IAM -----------------------------------------------------------------------------------------


def map_user(item: ConfigItem, _: MapContext) -> Resource:
    detail = _api(item, "iam", "UserDetail")
    return iam.transform_user(detail, item.account_id, None, None, None, {}, None)


def map_group(item: ConfigItem, ctx: MapContext) -> Resource:
    detail = _api(item, "iam", "GroupDetail")
    members = ctx.group_members.get((item.account_id, str(detail.get("GroupName", ""))), [])
    return iam.transform_group(detail, item.account_id, members)


def map_role(item: ConfigItem, _: MapContext) -> Resource:
    return iam.transform_role(_api(item, "iam", "RoleDetail"), item.account_id)


def map_policy(item: ConfigItem, _: MapContext) -> Resource | None:
    return iam.transform_policy(_api(item, "iam", "ManagedPolicyDetail"), item.account_id)


# ---- EC2, RDS and the rest -----------------------------------------------------------------------


def map_security_group(item: ConfigItem, _: MapContext) -> Resource:
    cfg = dict(item.configuration)
    for key in ("ipPermissions", "ipPermissionsEgress"):
        rules = []
        for original in cfg.get(key) or ():
            rule = dict(original)
            if "ipv4Ranges" in rule:
                rule["ipRanges"] = rule.pop("ipv4Ranges")
            else:
                rule["ipRanges"] = [
                    r if isinstance(r, Mapping) else {"cidrIp": r} for r in rule.get("ipRanges") or ()
                ]
            rules.append(rule)
        cfg[key] = rules
    raw = to_api(cfg, shape("ec2", "SecurityGroup"))
    return ec2.transform_security_group(raw, item.account_id, item.region, item.partition)


def _regional(
    service: str, shape_name: str, transform: Callable[[Mapping[str, Any], str, str, str], Resource]
) -> Mapper:
    def mapper(item: ConfigItem, _: MapContext) -> Resource:
        return transform(_api(item, service, shape_name), item.account_id, item.region, item.partition)

    return mapper


def map_vpc(item: ConfigItem, _: MapContext) -> Resource:
    return ec2.transform_vpc(_api(item, "ec2", "Vpc"), None, item.account_id, item.region, item.partition)


def map_key(item: ConfigItem, _: MapContext) -> Resource:
    meta = _api(item, "kms", "KeyMetadata")
    meta.setdefault("Arn", item.arn)
    meta.setdefault("KeyId", item.resource_id)
    return kms.transform_key(meta, None, None, _tag_list(item))


def map_trail(item: ConfigItem, _: MapContext) -> Resource:
    trail = _api(item, "cloudtrail", "Trail")
    trail.setdefault("TrailARN", item.arn)
    return cloudtrail.transform_trail(trail, item.account_id, item.region, tags=_tag_list(item))


def map_function(item: ConfigItem, _: MapContext) -> Resource:
    return lambda_.transform_function(
        _api(item, "lambda", "FunctionConfiguration"), item.account_id, item.region
    )


def map_certificate(item: ConfigItem, _: MapContext) -> Resource:
    detail = {"Certificate": _api(item, "acm", "CertificateDetail")}
    tags: list[Mapping[str, Any]] = list(_tag_list(item))
    return acm.transform_certificate({}, detail, tags, item.account_id, item.region)


def map_load_balancer(item: ConfigItem, _: MapContext) -> Resource:
    return elbv2.transform_load_balancer(
        _api(item, "elbv2", "LoadBalancer"), None, item.account_id, item.region
    )


def map_distribution(item: ConfigItem, _: MapContext) -> Resource:
    dist = _api(item, "cloudfront", "Distribution")
    dist.setdefault("Id", item.resource_id)
    dist.setdefault("ARN", item.arn)
    return cloudfront.transform_distribution(dist, item.account_id, _tag_list(item))


MAPPERS: dict[str, Mapper] = {
    "AWS::S3::Bucket": map_bucket,
    "AWS::S3::AccountPublicAccessBlock": map_account_pab,
    "AWS::IAM::User": map_user,
    "AWS::IAM::Group": map_group,
    "AWS::IAM::Role": map_role,
    "AWS::IAM::Policy": map_policy,
    "AWS::EC2::SecurityGroup": map_security_group,
    "AWS::EC2::VPC": map_vpc,
    "AWS::EC2::Subnet": _regional("ec2", "Subnet", ec2.transform_subnet),
    "AWS::EC2::RouteTable": _regional("ec2", "RouteTable", ec2.transform_route_table),
    "AWS::EC2::InternetGateway": _regional("ec2", "InternetGateway", ec2.transform_internet_gateway),
    "AWS::EC2::NatGateway": _regional("ec2", "NatGateway", ec2.transform_nat_gateway),
    "AWS::EC2::NetworkAcl": _regional("ec2", "NetworkAcl", ec2.transform_network_acl),
    "AWS::EC2::Instance": _regional("ec2", "Instance", ec2.transform_instance),
    "AWS::EC2::Volume": _regional("ec2", "Volume", ec2.transform_volume),
    "AWS::EC2::NetworkInterface": _regional("ec2", "NetworkInterface", ec2_reach.transform_network_interface),
    "AWS::EC2::EIP": _regional("ec2", "Address", ec2_reach.transform_address),
    "AWS::EC2::VPCPeeringConnection": _regional("ec2", "VpcPeeringConnection", ec2_reach.transform_peering),
    "AWS::EC2::VPCEndpoint": _regional("ec2", "VpcEndpoint", ec2_reach.transform_vpc_endpoint),
    "AWS::RDS::DBInstance": _regional("rds", "DBInstance", rds.transform_db_instance),
    "AWS::RDS::DBCluster": _regional("rds", "DBCluster", rds.transform_db_cluster),
    "AWS::KMS::Key": map_key,
    "AWS::CloudTrail::Trail": map_trail,
    "AWS::Lambda::Function": map_function,
    "AWS::ACM::Certificate": map_certificate,
    "AWS::ElasticLoadBalancingV2::LoadBalancer": map_load_balancer,
    "AWS::CloudFront::Distribution": map_distribution,
}
"""Every AWS Config resource type secpillar reads from a snapshot."""

SHAPES: dict[str, tuple[str, str]] = {
    "AWS::IAM::User": ("iam", "UserDetail"),
    "AWS::IAM::Group": ("iam", "GroupDetail"),
    "AWS::IAM::Role": ("iam", "RoleDetail"),
    "AWS::IAM::Policy": ("iam", "ManagedPolicyDetail"),
    "AWS::EC2::SecurityGroup": ("ec2", "SecurityGroup"),
    "AWS::EC2::VPC": ("ec2", "Vpc"),
    "AWS::EC2::Subnet": ("ec2", "Subnet"),
    "AWS::EC2::RouteTable": ("ec2", "RouteTable"),
    "AWS::EC2::InternetGateway": ("ec2", "InternetGateway"),
    "AWS::EC2::NatGateway": ("ec2", "NatGateway"),
    "AWS::EC2::NetworkAcl": ("ec2", "NetworkAcl"),
    "AWS::EC2::Instance": ("ec2", "Instance"),
    "AWS::EC2::Volume": ("ec2", "Volume"),
    "AWS::EC2::NetworkInterface": ("ec2", "NetworkInterface"),
    "AWS::EC2::EIP": ("ec2", "Address"),
    "AWS::EC2::VPCPeeringConnection": ("ec2", "VpcPeeringConnection"),
    "AWS::EC2::VPCEndpoint": ("ec2", "VpcEndpoint"),
    "AWS::RDS::DBInstance": ("rds", "DBInstance"),
    "AWS::RDS::DBCluster": ("rds", "DBCluster"),
    "AWS::KMS::Key": ("kms", "KeyMetadata"),
    "AWS::CloudTrail::Trail": ("cloudtrail", "Trail"),
    "AWS::Lambda::Function": ("lambda", "FunctionConfiguration"),
    "AWS::ACM::Certificate": ("acm", "CertificateDetail"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": ("elbv2", "LoadBalancer"),
    "AWS::CloudFront::Distribution": ("cloudfront", "Distribution"),
}
"""The API shape each mapped type's ``configuration`` is (S3's is its own: name + creationDate)."""

SNAPSHOT_TYPES: frozenset[str] = frozenset(
    {"AWS::::Account"} | {t for t in MAPPERS if t != "AWS::S3::AccountPublicAccessBlock"}
)
"""The resource types a snapshot scan can give the checks (the account pseudo resource carries
only its S3 public access block)."""

NOT_RECORDED: dict[str, str] = {
    "cloudtrail": "a trail's logging status and event selectors",
    "iam": "users' access keys, MFA devices and login profiles, the credential report, the password "
    "policy and the account summary",
    "kms": "a key's rotation status and key policy",
    "elbv2": "a load balancer's listeners and attributes",
    "ec2": "VPC flow logs (recorded as their own type, not read yet) and EBS default encryption",
    "organizations": "the organization (accounts, OUs, SCPs, delegated administrators)",
}
"""What the live collectors read and AWS Config snapshots do not give, by service: a snapshot scan
records one gap per account and service, which the checks that consult gaps read as unknown."""
