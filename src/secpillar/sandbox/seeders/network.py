"""Seed networks, instances, EBS and RDS into TEST, STG and PROD.

Each environment account gets a two-tier VPC (10.1/16, 10.2/16, 10.3/16): public and private
subnets in two AZs, an internet gateway, a NAT gateway, public and private route tables, security
groups web (443 from the world) / app / db (5432 from app), network ACLs, and a PostgreSQL RDS
instance in the private subnets. PROD is built clean; TEST and STG carry the flaws below, and so
does PROD where a real organization typically slips (the default VPC's default security group,
a "private" reporting subnet that routes to the internet gateway).

moto, like AWS, gives every region a default VPC whose default security group and default NACL
fail their checks; only the ones listed in the manifest are claimed as flaws.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from secpillar.collect.ec2 import ec2_arn
from secpillar.model import account_region_arn
from secpillar.sandbox.seed import ENVIRONMENTS, SeedOrg

AZS = ("us-east-1a", "us-east-1b")
AMI = "ami-760aaa0f"  # an Amazon Linux image moto ships
EPHEMERAL = (1024, 65535)
WORLD = "0.0.0.0/0"


@dataclass
class Vpc:
    """What one environment's VPC is made of (ids moto gave)."""

    env: str
    account: str
    vpc_id: str
    public_subnets: list[str] = field(default_factory=list)
    private_subnets: list[str] = field(default_factory=list)
    public_rt: str = ""
    private_rt: str = ""
    sgs: dict[str, str] = field(default_factory=dict)


def _tags(kind: str, name: str, env: str, **extra: str) -> list[dict[str, Any]]:
    tags = [{"Key": "Name", "Value": name}, {"Key": "Environment", "Value": env}]
    tags += [{"Key": k, "Value": v} for k, v in extra.items()]
    return [{"ResourceType": kind, "Tags": tags}]


def _arn(org: SeedOrg, env: str, kind: str, rid: str) -> str:
    return ec2_arn(org.region, org.account_id(env), kind, rid)


def _build_vpc(org: SeedOrg, ec2: Any, env: str, n: int) -> Vpc:
    low = env.lower()
    vpc_id = ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16", TagSpecifications=_tags("vpc", f"{low}-vpc", env))[
        "Vpc"
    ]["VpcId"]
    vpc = Vpc(env, org.account_id(env), vpc_id)
    for i, az in enumerate(AZS):
        for tier, third, target in (
            ("public", i, vpc.public_subnets),
            ("private", 10 + i, vpc.private_subnets),
        ):
            sub = ec2.create_subnet(
                VpcId=vpc_id,
                CidrBlock=f"10.{n}.{third}.0/24",
                AvailabilityZone=az,
                TagSpecifications=_tags("subnet", f"{low}-{tier}-{az[-1]}", env, Tier=tier),
            )["Subnet"]["SubnetId"]
            target.append(sub)
    igw = ec2.create_internet_gateway(TagSpecifications=_tags("internet-gateway", f"{low}-igw", env))[
        "InternetGateway"
    ]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(
        SubnetId=vpc.public_subnets[0],
        AllocationId=eip,
        TagSpecifications=_tags("natgateway", f"{low}-nat", env),
    )["NatGateway"]["NatGatewayId"]
    vpc.public_rt = ec2.create_route_table(
        VpcId=vpc_id, TagSpecifications=_tags("route-table", f"{low}-public", env)
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=vpc.public_rt, DestinationCidrBlock=WORLD, GatewayId=igw)
    vpc.private_rt = ec2.create_route_table(
        VpcId=vpc_id, TagSpecifications=_tags("route-table", f"{low}-private", env)
    )["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=vpc.private_rt, DestinationCidrBlock=WORLD, NatGatewayId=nat)
    for sub in vpc.public_subnets:
        ec2.associate_route_table(RouteTableId=vpc.public_rt, SubnetId=sub)
    for sub in vpc.private_subnets:
        ec2.associate_route_table(RouteTableId=vpc.private_rt, SubnetId=sub)
    _security_groups(ec2, vpc)
    return vpc


def _sg(ec2: Any, vpc: Vpc, name: str, description: str, perms: list[dict[str, Any]]) -> str:
    gid = str(
        ec2.create_security_group(
            GroupName=name,
            Description=description,
            VpcId=vpc.vpc_id,
            TagSpecifications=_tags("security-group", name, vpc.env),
        )["GroupId"]
    )
    if perms:
        ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
    vpc.sgs[name] = gid
    return gid


def _tcp(
    port: int, *, cidr: str | None = None, cidr6: str | None = None, group: str | None = None
) -> dict[str, Any]:
    perm: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        perm["IpRanges"] = [{"CidrIp": cidr}]
    if cidr6:
        perm["Ipv6Ranges"] = [{"CidrIpv6": cidr6}]
    if group:
        perm["UserIdGroupPairs"] = [{"GroupId": group}]
    return perm


def _security_groups(ec2: Any, vpc: Vpc) -> None:
    low = vpc.env.lower()
    web = _sg(ec2, vpc, f"{low}-web", "HTTPS from the internet", [_tcp(443, cidr=WORLD)])
    app = _sg(ec2, vpc, f"{low}-app", "application tier, from the web tier", [_tcp(8080, group=web)])
    _sg(ec2, vpc, f"{low}-db", "PostgreSQL from the application tier", [_tcp(5432, group=app)])


def _nacl_entries(
    ec2: Any, acl: str, entries: list[tuple[int, str, str, tuple[int, int] | None, str]]
) -> None:
    """entries: (rule number, action, protocol, port range or None, source CIDR), inbound; plus one
    outbound allow-all."""
    for number, action, proto, ports, cidr in entries:
        kw: dict[str, Any] = {}
        if ports is not None:
            kw["PortRange"] = {"From": ports[0], "To": ports[1]}
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=number,
            Protocol=proto,
            RuleAction=action,
            Egress=False,
            CidrBlock=cidr,
            **kw,
        )
    ec2.create_network_acl_entry(
        NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=True, CidrBlock=WORLD
    )


def _nacl(ec2: Any, vpc: Vpc, name: str, subnets: list[str], entries: list[Any]) -> str:
    acl = str(
        ec2.create_network_acl(VpcId=vpc.vpc_id, TagSpecifications=_tags("network-acl", name, vpc.env))[
            "NetworkAcl"
        ]["NetworkAclId"]
    )
    _nacl_entries(ec2, acl, entries)
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": subnets}])
    for existing in current["NetworkAcls"]:
        for assoc in existing.get("Associations") or ():
            if assoc.get("SubnetId") in subnets:
                ec2.replace_network_acl_association(
                    AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl
                )
    return acl


def _guarded(n: int) -> list[tuple[int, str, str, tuple[int, int] | None, str]]:
    """Deny SSH/RDP from anywhere first, then allow HTTPS and ephemeral return traffic."""
    return [
        (90, "deny", "6", (22, 22), WORLD),
        (91, "deny", "6", (3389, 3389), WORLD),
        (100, "allow", "6", (443, 443), WORLD),
        (110, "allow", "6", EPHEMERAL, WORLD),
        (120, "allow", "-1", None, f"10.{n}.0.0/16"),
    ]


def _default_sg(ec2: Any, vpc_id: str) -> dict[str, Any]:
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    return dict(groups[0])


def _default_nacl(ec2: Any, vpc_id: str) -> dict[str, Any]:
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"]
    return dict(acls[0])


def _db(org: SeedOrg, env: str, name: str, group: str, sg: str, *, encrypted: bool, public: bool) -> str:
    rds = org.client(env, "rds")
    db = rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="dbadmin",
        MasterUserPassword="sandbox-not-a-secret",
        AllocatedStorage=20,
        DBSubnetGroupName=group,
        VpcSecurityGroupIds=[sg],
        StorageEncrypted=encrypted,
        PubliclyAccessible=public,
        Tags=[{"Key": "Environment", "Value": env}, {"Key": "Name", "Value": name}],
    )["DBInstance"]
    return str(db["DBInstanceArn"])


def _subnet_group(org: SeedOrg, env: str, name: str, subnets: list[str]) -> str:
    org.client(env, "rds").create_db_subnet_group(
        DBSubnetGroupName=name,
        DBSubnetGroupDescription=f"{env} database subnets",
        SubnetIds=subnets,
        Tags=[{"Key": "Environment", "Value": env}],
    )
    return name


def _instance_profile(org: SeedOrg, env: str, ec2: Any, instance_id: str, name: str) -> None:
    """Give the instance a role (an instance profile) so that nothing on it needs stored keys."""
    iam = org.client(env, "iam")
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)
    iam.create_instance_profile(InstanceProfileName=name)
    iam.add_role_to_instance_profile(InstanceProfileName=name, RoleName=name)
    ec2.associate_iam_instance_profile(InstanceId=instance_id, IamInstanceProfile={"Name": name})


def _instance(ec2: Any, vpc: Vpc, name: str, subnet: str, sg: str, *, tokens: str, public_ip: bool) -> str:
    inst = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": subnet, "Groups": [sg], "AssociatePublicIpAddress": public_ip}
        ],
        MetadataOptions={"HttpTokens": tokens, "HttpEndpoint": "enabled"},
        TagSpecifications=_tags("instance", name, vpc.env),
    )["Instances"][0]
    return str(inst["InstanceId"])


def _volume(ec2: Any, env: str, name: str, *, encrypted: bool) -> str:
    vol = ec2.create_volume(
        AvailabilityZone=AZS[0],
        Size=10,
        VolumeType="gp3",
        Encrypted=encrypted,
        TagSpecifications=_tags("volume", name, env),
    )
    return str(vol["VolumeId"])


def seed(org: SeedOrg) -> None:
    vpcs: dict[str, Vpc] = {}
    for n, env in enumerate(ENVIRONMENTS, start=1):
        vpcs[env] = _build_vpc(org, org.client(env, "ec2"), env, n)
    _seed_test(org, vpcs["TEST"])
    _seed_stg(org, vpcs["STG"])
    _seed_prod(org, vpcs["PROD"])


def _seed_test(org: SeedOrg, vpc: Vpc) -> None:
    m, env, ec2 = org.manifest, "TEST", org.client("TEST", "ec2")
    m.flaw(
        "aws.ec2.vpc-flow-logs",
        env,
        "vpc test-vpc",
        _arn(org, env, "vpc", vpc.vpc_id),
        "TEST's VPC has no flow log: no record of its traffic.",
    )
    bastion = _sg(ec2, vpc, "test-bastion", "SSH for the team", [_tcp(22, cidr=WORLD)])
    m.flaw(
        "aws.ec2.sg-admin-ports-ipv4",
        env,
        "sg test-bastion",
        _arn(org, env, "security-group", bastion),
        "Security group open to SSH (22) from 0.0.0.0/0.",
    )
    default_sg = _default_sg(ec2, vpc.vpc_id)["GroupId"]
    m.flaw(
        "aws.ec2.default-sg-restricts-all",
        env,
        "sg default (test-vpc)",
        _arn(org, env, "security-group", default_sg),
        "The default security group of TEST's VPC keeps its allow-all outbound rule.",
    )
    acl = _nacl(
        ec2,
        vpc,
        "test-public-acl",
        vpc.public_subnets,
        [
            (100, "allow", "6", (22, 22), WORLD),
            (110, "allow", "6", (443, 443), WORLD),
            (120, "allow", "6", EPHEMERAL, WORLD),
        ],
    )
    m.flaw(
        "aws.ec2.nacl-admin-ports-open",
        env,
        "nacl test-public-acl",
        _arn(org, env, "network-acl", acl),
        "Public subnets' network ACL allows SSH (22) and the ephemeral range (covering 3389) from 0.0.0.0/0.",
    )
    _nacl(ec2, vpc, "test-private-acl", vpc.private_subnets, _guarded(1))
    web = _instance(ec2, vpc, "test-web", vpc.public_subnets[0], bastion, tokens="optional", public_ip=True)
    m.flaw(
        "aws.ec2.imdsv2-required",
        env,
        "instance test-web",
        _arn(org, env, "instance", web),
        "Instance accepts IMDSv1 (HttpTokens=optional).",
    )
    m.flaw(
        "aws.ec2.instance-no-public-ip",
        env,
        "instance test-web",
        _arn(org, env, "instance", web),
        "Instance has a public IPv4 address.",
    )
    vol = _volume(ec2, env, "test-scratch", encrypted=False)
    m.flaw(
        "aws.ec2.ebs-volume-encrypted",
        env,
        "volume test-scratch",
        _arn(org, env, "volume", vol),
        "Unencrypted EBS volume.",
    )
    m.flaw(
        "aws.ec2.ebs-default-encryption",
        env,
        f"EBS defaults {org.region}",
        account_region_arn(org.account_id(env), org.region),
        "EBS encryption by default is off in TEST.",
    )
    group = _subnet_group(org, env, "test-db-private", vpc.private_subnets)
    db = _db(org, env, "test-db", group, vpc.sgs["test-db"], encrypted=False, public=False)
    m.flaw("aws.rds.storage-encrypted", env, "rds test-db", db, "TEST's database is not encrypted at rest.")


def _seed_stg(org: SeedOrg, vpc: Vpc) -> None:
    m, env, ec2 = org.manifest, "STG", org.client("STG", "ec2")
    m.flaw(
        "aws.ec2.vpc-flow-logs",
        env,
        "vpc stg-vpc",
        _arn(org, env, "vpc", vpc.vpc_id),
        "STG's VPC has no flow log: no record of its traffic.",
    )
    rdp = _sg(ec2, vpc, "stg-rdp", "RDP for the vendor", [_tcp(3389, cidr6="::/0")])
    m.flaw(
        "aws.ec2.sg-admin-ports-ipv6",
        env,
        "sg stg-rdp",
        _arn(org, env, "security-group", rdp),
        "Security group open to RDP (3389) from ::/0.",
    )
    debug = _sg(
        ec2,
        vpc,
        "stg-debug",
        "temporary debugging",
        [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": WORLD, "Description": "temporary"}]}],
    )
    debug_arn = _arn(org, env, "security-group", debug)
    m.flaw(
        "aws.ec2.sg-all-traffic-open", env, "sg stg-debug", debug_arn, "All traffic allowed from 0.0.0.0/0."
    )
    m.flaw(
        "aws.ec2.sg-admin-ports-ipv4",
        env,
        "sg stg-debug",
        debug_arn,
        "The all-traffic rule from 0.0.0.0/0 opens SSH and RDP too.",
    )
    _nacl(ec2, vpc, "stg-public-acl", vpc.public_subnets, _guarded(2))
    _nacl(ec2, vpc, "stg-private-acl", vpc.private_subnets, _guarded(2))
    default_acl = _default_nacl(ec2, vpc.vpc_id)["NetworkAclId"]
    m.flaw(
        "aws.ec2.nacl-admin-ports-open",
        env,
        "nacl default (stg-vpc)",
        _arn(org, env, "network-acl", default_acl),
        "STG's default network ACL still allows all inbound traffic from 0.0.0.0/0.",
    )
    group = _subnet_group(org, env, "stg-db-private", vpc.private_subnets)
    db = _db(org, env, "stg-db", group, vpc.sgs["stg-db"], encrypted=True, public=True)
    m.flaw("aws.rds.not-publicly-accessible", env, "rds stg-db", db, "STG's database is publicly accessible.")


def _seed_prod(org: SeedOrg, vpc: Vpc) -> None:
    m, env, ec2 = org.manifest, "PROD", org.client("PROD", "ec2")
    acct = org.account_id(env)
    logs = org.client(env, "logs")
    logs.create_log_group(logGroupName="/secpillar/vpc-flow-logs/prod")
    ec2.create_flow_logs(
        ResourceIds=[vpc.vpc_id],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName="/secpillar/vpc-flow-logs/prod",
        DeliverLogsPermissionArn=f"arn:aws:iam::{acct}:role/vpc-flow-logs",
    )
    m.clean_resource(env, "vpc prod-vpc", _arn(org, env, "vpc", vpc.vpc_id), "Flow logs capture ALL traffic.")
    for name in ("prod-web", "prod-app", "prod-db"):
        m.clean_resource(
            env,
            f"sg {name}",
            _arn(org, env, "security-group", vpc.sgs[name]),
            "Tiered security group: HTTPS from the world, or only from the tier in front.",
        )
    # The VPC's default security group: strip every rule (clean).
    default_sg = _default_sg(ec2, vpc.vpc_id)
    if default_sg.get("IpPermissions"):
        ec2.revoke_security_group_ingress(
            GroupId=default_sg["GroupId"], IpPermissions=default_sg["IpPermissions"]
        )
    if default_sg.get("IpPermissionsEgress"):
        ec2.revoke_security_group_egress(
            GroupId=default_sg["GroupId"], IpPermissions=default_sg["IpPermissionsEgress"]
        )
    m.clean_resource(
        env,
        "sg default (prod-vpc)",
        _arn(org, env, "security-group", default_sg["GroupId"]),
        "Default security group with no rules.",
    )
    # ... but the default VPC's default security group was forgotten (flaw).
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    forgotten = _default_sg(ec2, default_vpc)["GroupId"]
    m.flaw(
        "aws.ec2.default-sg-restricts-all",
        env,
        "sg default (default VPC)",
        _arn(org, env, "security-group", forgotten),
        "The default VPC's default security group in PROD still allows all outbound traffic.",
    )
    public_acl = _nacl(ec2, vpc, "prod-public-acl", vpc.public_subnets, _guarded(3))
    private_acl = _nacl(ec2, vpc, "prod-private-acl", vpc.private_subnets, _guarded(3))
    for label, acl in (("prod-public-acl", public_acl), ("prod-private-acl", private_acl)):
        m.clean_resource(
            env,
            f"nacl {label}",
            _arn(org, env, "network-acl", acl),
            "Denies SSH/RDP from anywhere before allowing HTTPS and ephemeral ports.",
        )
    # The VPC's default NACL, now unused: strip its allow-all rules.
    default_acl = _default_nacl(ec2, vpc.vpc_id)
    for entry in default_acl.get("Entries") or ():
        if entry.get("RuleAction") == "allow":
            ec2.delete_network_acl_entry(
                NetworkAclId=default_acl["NetworkAclId"],
                RuleNumber=entry["RuleNumber"],
                Egress=entry["Egress"],
            )
    m.clean_resource(
        env,
        "nacl default (prod-vpc)",
        _arn(org, env, "network-acl", default_acl["NetworkAclId"]),
        "Unused default NACL left with only the implicit deny.",
    )
    ec2.enable_ebs_encryption_by_default()
    app = _instance(
        ec2, vpc, "prod-app", vpc.private_subnets[0], vpc.sgs["prod-app"], tokens="required", public_ip=False
    )
    _instance_profile(org, env, ec2, app, "prod-app")
    m.clean_resource(
        env,
        "instance prod-app",
        _arn(org, env, "instance", app),
        "IMDSv2 required, private subnet, no public IP.",
    )
    vol = _volume(ec2, env, "prod-data", encrypted=True)
    m.clean_resource(env, "volume prod-data", _arn(org, env, "volume", vol), "Encrypted EBS volume.")
    group = _subnet_group(org, env, "prod-db-private", vpc.private_subnets)
    db = _db(org, env, "prod-db", group, vpc.sgs["prod-db"], encrypted=True, public=False)
    m.clean_resource(env, "rds prod-db", db, "Encrypted, not public, only in private subnets.")
    # A "private" reporting subnet that was associated with the public route table by mistake.
    reporting = ec2.create_subnet(
        VpcId=vpc.vpc_id,
        CidrBlock="10.3.20.0/24",
        AvailabilityZone=AZS[0],
        TagSpecifications=_tags("subnet", "prod-private-reporting-a", env, Tier="private"),
    )["Subnet"]["SubnetId"]
    ec2.associate_route_table(RouteTableId=vpc.public_rt, SubnetId=reporting)
    rgroup = _subnet_group(org, env, "prod-db-reporting", [reporting, vpc.private_subnets[1]])
    rdb = _db(org, env, "prod-reporting-db", rgroup, vpc.sgs["prod-db"], encrypted=True, public=False)
    m.flaw(
        "aws.rds.in-private-subnets",
        env,
        "rds prod-reporting-db",
        rdb,
        "Its subnet group includes 'prod-private-reporting-a', which routes 0.0.0.0/0 to the internet "
        "gateway.",
    )
