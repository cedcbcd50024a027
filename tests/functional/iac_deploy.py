"""A small "terraform apply" onto the moto sandbox, for the parity test.

It reads a Terraform module with the HCL reader (evaluated attribute values, as the AWS provider
receives them; not the iac mappers) and creates each resource with the boto3 calls the AWS
provider makes, applying the provider's documented defaults (``storage_encrypted`` false,
``enable_logging`` true, a security group Terraform creates loses the default egress rule …).
Stand-in ids in references (``sg-aws-security-group-g``) are replaced by the real ids as the
resources are created. It returns the ARN suffixes of what it deployed, so the test can pick the
live findings about exactly those resources. Only what the parity rows use is supported; any
other type raises, so a row cannot silently deploy less than it declares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import boto3

from secpillar.aws.session import ClientFactory
from secpillar.sources.terraform.model import TfConfig, TfResource

REGION = "us-east-1"
ACCOUNT = "123456789012"
ORDER = [
    "aws_kms_key",
    "aws_vpc",
    "aws_internet_gateway",
    "aws_subnet",
    "aws_route_table",
    "aws_route_table_association",
    "aws_s3_bucket",
    "aws_s3_bucket_acl",
    "aws_s3_bucket_policy",
    "aws_s3_bucket_public_access_block",
    "aws_s3_bucket_server_side_encryption_configuration",
    "aws_s3_bucket_versioning",
    "aws_s3_bucket_logging",
    "aws_s3_account_public_access_block",
    "aws_security_group",
    "aws_default_security_group",
    "aws_security_group_rule",
    "aws_vpc_security_group_ingress_rule",
    "aws_network_acl",
    "aws_flow_log",
    "aws_ebs_volume",
    "aws_ebs_encryption_by_default",
    "aws_instance",
    "aws_launch_template",
    "aws_db_subnet_group",
    "aws_db_instance",
    "aws_rds_cluster",
    "aws_cloudtrail",
    "aws_ecr_repository",
    "aws_iam_policy",
    "aws_iam_user",
    "aws_iam_group",
    "aws_iam_user_group_membership",
    "aws_iam_role",
    "aws_iam_user_policy",
    "aws_iam_user_policy_attachment",
]
PROTO = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}


def _first(v: Any) -> dict[str, Any]:
    if isinstance(v, list) and v and isinstance(v[0], Mapping):
        return dict(v[0])
    return dict(v) if isinstance(v, Mapping) else {}


class Deployer:
    def __init__(self, url: str) -> None:
        self.url = url
        self.ids: dict[str, str] = {}
        self.deployed: list[str] = []
        self._clients: dict[str, Any] = {}
        session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="x", region_name=REGION)
        self._factory = ClientFactory(session, url)

    def client(self, service: str) -> Any:
        if service not in self._clients:
            # The project's client factory (S3 Control against a loopback endpoint needs it).
            self._clients[service] = self._factory.client(service, REGION)
        return self._clients[service]

    def sub(self, value: Any) -> Any:
        """``value`` with stand-in ids replaced by the real ones."""
        if isinstance(value, str):
            for fake, real in sorted(self.ids.items(), key=lambda kv: -len(kv[0])):
                value = value.replace(fake, real)
            return value
        if isinstance(value, list):
            return [self.sub(v) for v in value]
        if isinstance(value, Mapping):
            return {k: self.sub(v) for k, v in value.items()}
        return value

    def apply(self, config: TfConfig) -> list[str]:
        managed = [r for r in config.resources if r.mode == "managed"]
        for r in sorted(managed, key=lambda r: ORDER.index(r.type) if r.type in ORDER else 999):
            fn: Callable[[dict[str, Any], TfResource], None] | None = getattr(self, f"_{r.type[4:]}", None)
            if fn is None:
                raise NotImplementedError(f"the parity deployer cannot create {r.type}")
            fn(self.sub(r.values), r)
        return self.deployed

    def _map(self, tf: TfResource, real: str, arn_key: str = "id") -> None:
        self.ids[str(tf.computed.get(arn_key) or tf.computed.get("id"))] = real

    # -- S3 -------------------------------------------------------------------------------
    def _s3_bucket(self, v: dict[str, Any], tf: TfResource) -> None:
        s3, name = self.client("s3"), v["bucket"]
        s3.create_bucket(Bucket=name)
        self.deployed.append(f"arn:aws:s3:::{name}")
        if v.get("acl"):
            s3.put_bucket_acl(Bucket=name, ACL=v["acl"])
        if v.get("policy"):
            s3.put_bucket_policy(Bucket=name, Policy=v["policy"])
        if _first(v.get("versioning")).get("enabled"):
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        sse = _first(v.get("server_side_encryption_configuration"))
        if sse:
            self._s3_bucket_server_side_encryption_configuration({"bucket": name, **sse}, tf)
        log = _first(v.get("logging"))
        if log:
            self._s3_bucket_logging({"bucket": name, **log}, tf)

    def _s3_bucket_acl(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("s3").put_bucket_acl(Bucket=v["bucket"], ACL=v.get("acl") or "private")

    def _s3_bucket_policy(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("s3").put_bucket_policy(Bucket=v["bucket"], Policy=v["policy"])

    @staticmethod
    def _pab(v: Mapping[str, Any]) -> dict[str, bool]:
        keys = ("block_public_acls", "ignore_public_acls", "block_public_policy", "restrict_public_buckets")
        names = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
        return {n: bool(v.get(k, False)) for k, n in zip(keys, names, strict=True)}

    def _s3_bucket_public_access_block(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("s3").put_public_access_block(
            Bucket=v["bucket"], PublicAccessBlockConfiguration=self._pab(v)
        )

    def _s3_account_public_access_block(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("s3control").put_public_access_block(
            AccountId=ACCOUNT, PublicAccessBlockConfiguration=self._pab(v)
        )
        self.deployed.append(f"arn:aws:iam::{ACCOUNT}:root")

    def _s3_bucket_server_side_encryption_configuration(self, v: dict[str, Any], tf: TfResource) -> None:
        by_default = _first(_first(v.get("rule")).get("apply_server_side_encryption_by_default"))
        rule: dict[str, Any] = {"SSEAlgorithm": by_default["sse_algorithm"]}
        if by_default.get("kms_master_key_id"):
            rule["KMSMasterKeyID"] = by_default["kms_master_key_id"]
        self.client("s3").put_bucket_encryption(
            Bucket=v["bucket"],
            ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": rule}]},
        )

    def _s3_bucket_versioning(self, v: dict[str, Any], tf: TfResource) -> None:
        status = _first(v.get("versioning_configuration"))["status"]
        self.client("s3").put_bucket_versioning(
            Bucket=v["bucket"], VersioningConfiguration={"Status": status}
        )

    def _s3_bucket_logging(self, v: dict[str, Any], tf: TfResource) -> None:
        s3, target = self.client("s3"), v["target_bucket"]
        # S3 server access logging delivers with the logging service principal: grant it.
        s3.put_bucket_acl(Bucket=target, ACL="log-delivery-write")
        s3.put_bucket_logging(
            Bucket=v["bucket"],
            BucketLoggingStatus={
                "LoggingEnabled": {"TargetBucket": target, "TargetPrefix": v.get("target_prefix") or ""}
            },
        )

    # -- EC2 ------------------------------------------------------------------------------
    def _vpc(self, v: dict[str, Any], tf: TfResource) -> None:
        vpc = self.client("ec2").create_vpc(CidrBlock=v["cidr_block"])["Vpc"]["VpcId"]
        self._map(tf, vpc)
        self.deployed.append(vpc)

    def _vpc_for(self, vpc_id: Any) -> str:
        """A VPC id the module names; a literal id that does not exist gets a VPC of its own."""
        ec2 = self.client("ec2")
        if isinstance(vpc_id, str) and vpc_id in self.ids.values():
            return vpc_id
        if vpc_id is None:
            return str(
                ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
            )
        real = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        self.ids[str(vpc_id)] = real
        return str(real)

    def _internet_gateway(self, v: dict[str, Any], tf: TfResource) -> None:
        ec2 = self.client("ec2")
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=v["vpc_id"])
        self._map(tf, igw)

    def _subnet(self, v: dict[str, Any], tf: TfResource) -> None:
        kw = {"AvailabilityZone": v["availability_zone"]} if v.get("availability_zone") else {}
        sub = self.client("ec2").create_subnet(VpcId=v["vpc_id"], CidrBlock=v["cidr_block"], **kw)
        self._map(tf, sub["Subnet"]["SubnetId"])

    def _route_table(self, v: dict[str, Any], tf: TfResource) -> None:
        ec2 = self.client("ec2")
        rtb = ec2.create_route_table(VpcId=v["vpc_id"])["RouteTable"]["RouteTableId"]
        for route in v.get("route") or ():
            ec2.create_route(
                RouteTableId=rtb, DestinationCidrBlock=route["cidr_block"], GatewayId=route["gateway_id"]
            )
        self._map(tf, rtb)

    def _route_table_association(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("ec2").associate_route_table(RouteTableId=v["route_table_id"], SubnetId=v["subnet_id"])

    @staticmethod
    def _perm(proto: Any, lo: Any, hi: Any, v4: list[str], v6: list[str]) -> dict[str, Any]:
        p = PROTO.get(str(proto), str(proto))
        perm: dict[str, Any] = {"IpProtocol": p}
        if p != "-1":
            perm.update(FromPort=int(lo), ToPort=int(hi))
        if v4:
            perm["IpRanges"] = [{"CidrIp": c} for c in v4]
        if v6:
            perm["Ipv6Ranges"] = [{"CidrIpv6": c} for c in v6]
        return perm

    def _authorize(self, sg: str, blocks: Any, egress: bool) -> None:
        ec2 = self.client("ec2")
        for b in blocks or ():
            perm = self._perm(
                b["protocol"],
                b.get("from_port"),
                b.get("to_port"),
                b.get("cidr_blocks") or [],
                b.get("ipv6_cidr_blocks") or [],
            )
            call = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
            call(GroupId=sg, IpPermissions=[perm])

    def _clear(self, sg: str) -> None:
        ec2 = self.client("ec2")
        group = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]
        if group.get("IpPermissionsEgress"):
            ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=group["IpPermissionsEgress"])
        if group.get("IpPermissions"):
            ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=group["IpPermissions"])

    def _security_group(self, v: dict[str, Any], tf: TfResource) -> None:
        ec2 = self.client("ec2")
        vpc = self._vpc_for(v.get("vpc_id"))
        sg = ec2.create_security_group(
            GroupName=v.get("name") or tf.name,
            Description=v.get("description") or "Managed by Terraform",
            VpcId=vpc,
        )["GroupId"]
        self._clear(sg)  # Terraform removes the default allow-all egress rule
        self._authorize(sg, v.get("ingress"), egress=False)
        self._authorize(sg, v.get("egress"), egress=True)
        self._map(tf, sg)
        self.deployed.append(sg)

    def _default_security_group(self, v: dict[str, Any], tf: TfResource) -> None:
        ec2 = self.client("ec2")
        filters = [{"Name": "vpc-id", "Values": [v["vpc_id"]]}, {"Name": "group-name", "Values": ["default"]}]
        sg = ec2.describe_security_groups(Filters=filters)["SecurityGroups"][0]["GroupId"]
        self._clear(sg)
        self._authorize(sg, v.get("ingress"), egress=False)
        self._authorize(sg, v.get("egress"), egress=True)
        self.deployed.append(sg)

    def _security_group_rule(self, v: dict[str, Any], tf: TfResource) -> None:
        block = {**v, "protocol": v["protocol"]}
        self._authorize(v["security_group_id"], [block], egress=v["type"] == "egress")

    def _vpc_security_group_ingress_rule(self, v: dict[str, Any], tf: TfResource) -> None:
        perm = self._perm(
            v["ip_protocol"],
            v.get("from_port"),
            v.get("to_port"),
            [v["cidr_ipv4"]] if v.get("cidr_ipv4") else [],
            [v["cidr_ipv6"]] if v.get("cidr_ipv6") else [],
        )
        self.client("ec2").authorize_security_group_ingress(
            GroupId=v["security_group_id"], IpPermissions=[perm]
        )

    def _network_acl(self, v: dict[str, Any], tf: TfResource) -> None:
        ec2 = self.client("ec2")
        acl = ec2.create_network_acl(VpcId=self._vpc_for(v.get("vpc_id")))["NetworkAcl"]["NetworkAclId"]
        for egress, key in ((False, "ingress"), (True, "egress")):
            for e in v.get(key) or ():
                ec2.create_network_acl_entry(
                    NetworkAclId=acl,
                    RuleNumber=int(e["rule_no"]),
                    Protocol=PROTO.get(str(e["protocol"]), str(e["protocol"])),
                    RuleAction=e["action"],
                    Egress=egress,
                    CidrBlock=e["cidr_block"],
                    PortRange={"From": int(e["from_port"]), "To": int(e["to_port"])},
                )
        self.deployed.append(acl)

    def _flow_log(self, v: dict[str, Any], tf: TfResource) -> None:
        dest = str(v["log_destination"])
        if dest.startswith("arn:aws:s3:::"):  # the destination bucket exists before the flow log
            self.client("s3").create_bucket(Bucket=dest.split(":::", 1)[1].split("/", 1)[0])
        out = self.client("ec2").create_flow_logs(
            ResourceIds=[v["vpc_id"]],
            ResourceType="VPC",
            TrafficType=v.get("traffic_type") or "ALL",
            LogDestinationType=v.get("log_destination_type") or "cloud-watch-logs",
            LogDestination=dest,
        )
        assert not out.get("Unsuccessful"), out["Unsuccessful"]

    def _ebs_volume(self, v: dict[str, Any], tf: TfResource) -> None:
        vol = self.client("ec2").create_volume(
            AvailabilityZone=v["availability_zone"],
            Size=int(v["size"]),
            Encrypted=bool(v.get("encrypted", False)),
        )["VolumeId"]
        self.deployed.append(vol)

    def _ebs_encryption_by_default(self, v: dict[str, Any], tf: TfResource) -> None:
        ec2 = self.client("ec2")
        if v.get("enabled", True):
            ec2.enable_ebs_encryption_by_default()
        else:
            ec2.disable_ebs_encryption_by_default()
        self.deployed.append(f"{ACCOUNT}:account")

    def _ami(self) -> str:
        images = self.client("ec2").describe_images(Owners=["amazon"])["Images"]
        return str(images[0]["ImageId"])

    def _metadata(self, v: Mapping[str, Any]) -> dict[str, Any]:
        md = _first(v.get("metadata_options"))
        out = {"HttpTokens": md.get("http_tokens") or "optional"}
        if md.get("http_endpoint"):
            out["HttpEndpoint"] = md["http_endpoint"]
        return out

    def _instance(self, v: dict[str, Any], tf: TfResource) -> None:
        inst = self.client("ec2").run_instances(
            ImageId=self._ami(),
            InstanceType=v["instance_type"],
            MinCount=1,
            MaxCount=1,
            MetadataOptions=self._metadata(v),
        )["Instances"][0]["InstanceId"]
        self.deployed.append(inst)

    def _launch_template(self, v: dict[str, Any], tf: TfResource) -> None:
        lt = self.client("ec2").create_launch_template(
            LaunchTemplateName=v.get("name") or tf.name,
            LaunchTemplateData={"ImageId": self._ami(), "MetadataOptions": self._metadata(v)},
        )["LaunchTemplate"]["LaunchTemplateId"]
        self.deployed.append(lt)

    # -- RDS ------------------------------------------------------------------------------
    def _db_subnet_group(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("rds").create_db_subnet_group(
            DBSubnetGroupName=v["name"],
            DBSubnetGroupDescription="Managed by Terraform",
            SubnetIds=v["subnet_ids"],
        )

    def _db_instance(self, v: dict[str, Any], tf: TfResource) -> None:
        kw = {"DBSubnetGroupName": v["db_subnet_group_name"]} if v.get("db_subnet_group_name") else {}
        self.client("rds").create_db_instance(
            DBInstanceIdentifier=v["identifier"],
            Engine=v["engine"],
            DBInstanceClass=v["instance_class"],
            AllocatedStorage=int(v.get("allocated_storage") or 20),
            MasterUsername="parity",
            MasterUserPassword="parity-password-1",
            StorageEncrypted=bool(v.get("storage_encrypted", False)),
            PubliclyAccessible=bool(v.get("publicly_accessible", False)),
            **kw,
        )
        self.deployed.append(f"db:{v['identifier']}")

    def _rds_cluster(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("rds").create_db_cluster(
            DBClusterIdentifier=v["cluster_identifier"],
            Engine=v["engine"],
            MasterUsername="parity",
            MasterUserPassword="parity-password-1",
            StorageEncrypted=bool(v.get("storage_encrypted", False)),
        )
        self.deployed.append(f"cluster:{v['cluster_identifier']}")

    # -- KMS, CloudTrail, ECR, IAM ---------------------------------------------------------
    def _kms_key(self, v: dict[str, Any], tf: TfResource) -> None:
        kms = self.client("kms")
        kw = {"Policy": v["policy"]} if v.get("policy") else {}
        key = kms.create_key(Description=v.get("description") or "", **kw)["KeyMetadata"]
        if v.get("enable_key_rotation"):
            kms.enable_key_rotation(KeyId=key["KeyId"])
        self._map(tf, key["Arn"], "arn")
        self.deployed.append(key["KeyId"])

    def _cloudtrail(self, v: dict[str, Any], tf: TfResource) -> None:
        s3, ct = self.client("s3"), self.client("cloudtrail")
        s3.create_bucket(Bucket=v["s3_bucket_name"])
        kw = {"KmsKeyId": v["kms_key_id"]} if v.get("kms_key_id") else {}
        ct.create_trail(
            Name=v["name"],
            S3BucketName=v["s3_bucket_name"],
            IsMultiRegionTrail=bool(v.get("is_multi_region_trail", False)),
            EnableLogFileValidation=bool(v.get("enable_log_file_validation", False)),
            **kw,
        )
        if v.get("enable_logging", True):
            ct.start_logging(Name=v["name"])
        self.deployed.append(f"trail/{v['name']}")

    def _ecr_repository(self, v: dict[str, Any], tf: TfResource) -> None:
        scan = _first(v.get("image_scanning_configuration")).get("scan_on_push", False)
        self.client("ecr").create_repository(
            repositoryName=v["name"],
            imageTagMutability=v.get("image_tag_mutability") or "MUTABLE",
            imageScanningConfiguration={"scanOnPush": bool(scan)},
        )
        self.deployed.append(f"repository/{v['name']}")

    def _iam_policy(self, v: dict[str, Any], tf: TfResource) -> None:
        arn = self.client("iam").create_policy(PolicyName=v["name"], PolicyDocument=v["policy"])["Policy"][
            "Arn"
        ]
        self._map(tf, arn, "arn")
        self.deployed.append(f"policy/{v['name']}")

    def _iam_user(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("iam").create_user(UserName=v["name"])
        self.deployed.append(f"user/{v['name']}")

    def _iam_group(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("iam").create_group(GroupName=v["name"])

    def _iam_user_group_membership(self, v: dict[str, Any], tf: TfResource) -> None:
        for g in v["groups"]:
            self.client("iam").add_user_to_group(GroupName=g, UserName=v["user"])

    def _iam_role(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("iam").create_role(RoleName=v["name"], AssumeRolePolicyDocument=v["assume_role_policy"])
        self.deployed.append(f"role/{v['name']}")

    def _iam_user_policy(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("iam").put_user_policy(
            UserName=v["user"], PolicyName=v.get("name") or tf.name, PolicyDocument=v["policy"]
        )

    def _iam_user_policy_attachment(self, v: dict[str, Any], tf: TfResource) -> None:
        self.client("iam").attach_user_policy(UserName=v["user"], PolicyArn=v["policy_arn"])


def is_deployed(arn: str, deployed: list[str]) -> bool:
    """Whether a live finding's ARN is one of the deployed resources (by ARN suffix)."""
    return any(arn == d or arn.endswith((f"/{d}", f":{d}")) or arn.endswith(d) for d in deployed)
