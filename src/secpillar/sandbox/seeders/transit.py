"""Seed a transit gateway hub, a cross-account peering, a load balancer and a database that only
looks private; record the reachability flaws they (and the network seeder) plant.

moto attaches to a transit gateway only VPCs of the gateway's own account, so MGMT doubles as the
network hub account: it holds the hub and one spoke VPC per environment (TEST 10.11/16, STG 10.12/16,
PROD 10.13/16, tagged ``Environment``). The hub has a non-production route table (TEST and STG
associated and propagated) and a production one (PROD) — and the planted mistake: PROD's
attachment also propagates into the non-production table and TEST's into the production table, so
TEST and PROD reach each other. STG's VPC routes only to TEST, so STG stays isolated from PROD.

TEST's and STG's own VPCs (accounts TEST and STG) are peered across accounts: non-production to
non-production, allowed. In STG, 'stg-private-analytics-a/b' are named private but associated with
the public route table, and hold a publicly accessible PostgreSQL instance whose security group
admits 5432 from anywhere. In TEST, an internet-facing ALB serves plain HTTP on 8080, which the
public subnets' network ACL lets in through its "ephemeral" 1024-65535 rule.
"""

from __future__ import annotations

from typing import Any

from secpillar.collect.ec2 import ec2_arn
from secpillar.sandbox.seed import SeedOrg
from secpillar.sandbox.seeders.network import AMI, AZS, WORLD, _tags

SPOKES = (("TEST", 11), ("STG", 12), ("PROD", 13))


def _one(ec2: Any, kind: str, name: str) -> dict[str, Any]:
    method = {"subnet": "describe_subnets", "route-table": "describe_route_tables", "vpc": "describe_vpcs"}[
        kind
    ]
    key = {"subnet": "Subnets", "route-table": "RouteTables", "vpc": "Vpcs"}[kind]
    items = getattr(ec2, method)(Filters=[{"Name": "tag:Name", "Values": [name]}])[key]
    return dict(items[0])


def seed(org: SeedOrg) -> None:
    _hub(org)
    _peering(org)
    _analytics_db(org)
    _alb(org)
    _existing(org)


def _spoke(ec2: Any, env: str, n: int) -> dict[str, str]:
    low = env.lower()
    vpc = ec2.create_vpc(CidrBlock=f"10.{n}.0.0/16", TagSpecifications=_tags("vpc", f"hub-{low}-spoke", env))[
        "Vpc"
    ]["VpcId"]
    sub = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock=f"10.{n}.1.0/24",
        AvailabilityZone=AZS[0],
        TagSpecifications=_tags("subnet", f"hub-{low}-private", env, Tier="private"),
    )["Subnet"]["SubnetId"]
    rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=_tags("route-table", f"hub-{low}", env))[
        "RouteTable"
    ]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rt, SubnetId=sub)
    sg = ec2.create_security_group(
        GroupName=f"hub-{low}-svc",
        Description=f"{env} service",
        VpcId=vpc,
        TagSpecifications=_tags("security-group", f"hub-{low}-svc", env),
    )["GroupId"]
    ports = {"TEST": (443, "10.0.0.0/8"), "STG": (443, "10.12.0.0/16"), "PROD": (8443, "10.11.0.0/16")}[env]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": ports[0],
                "ToPort": ports[0],
                "IpRanges": [{"CidrIp": ports[1]}],
            }
        ],
    )
    ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.micro",
        NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": sub, "Groups": [sg], "AssociatePublicIpAddress": False}
        ],
        MetadataOptions={"HttpTokens": "required", "HttpEndpoint": "enabled"},
        TagSpecifications=_tags("instance", f"hub-{low}-svc", env),
    )
    return {"vpc": vpc, "subnet": sub, "rt": rt}


def _hub(org: SeedOrg) -> None:
    ec2 = org.client("MGMT", "ec2")
    tgw = ec2.create_transit_gateway(
        Description="network hub",
        Options={"DefaultRouteTableAssociation": "disable", "DefaultRouteTablePropagation": "disable"},
        TagSpecifications=_tags("transit-gateway", "hub", "SHARED"),
    )["TransitGateway"]["TransitGatewayId"]
    spokes = {env: _spoke(ec2, env, n) for env, n in SPOKES}
    att = {
        env: ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw,
            VpcId=s["vpc"],
            SubnetIds=[s["subnet"]],
            TagSpecifications=_tags("transit-gateway-attachment", f"hub-{env.lower()}", env),
        )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
        for env, s in spokes.items()
    }
    tables = {
        name: ec2.create_transit_gateway_route_table(
            TransitGatewayId=tgw,
            TagSpecifications=_tags("transit-gateway-route-table", f"hub-{name}", "SHARED"),
        )["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
        for name in ("nonprod", "prod")
    }
    plan = {"nonprod": (("TEST", "STG"), ("TEST", "STG", "PROD")), "prod": (("PROD",), ("PROD", "TEST"))}
    for name, (assoc, props) in plan.items():
        for env in assoc:
            ec2.associate_transit_gateway_route_table(
                TransitGatewayRouteTableId=tables[name], TransitGatewayAttachmentId=att[env]
            )
        for env in props:  # PROD into nonprod and TEST into prod: the planted mistake
            ec2.enable_transit_gateway_route_table_propagation(
                TransitGatewayRouteTableId=tables[name], TransitGatewayAttachmentId=att[env]
            )
    routes = {"TEST": ("10.12.0.0/16", "10.13.0.0/16"), "STG": ("10.11.0.0/16",), "PROD": ("10.11.0.0/16",)}
    for env, dests in routes.items():
        for dest in dests:
            ec2.create_route(RouteTableId=spokes[env]["rt"], DestinationCidrBlock=dest, TransitGatewayId=tgw)
    org.manifest.flaw(
        "aws.net.environments-connected",
        "MGMT",
        "transit gateway hub",
        ec2_arn(org.region, org.account_id("MGMT"), "transit-gateway", tgw),
        "PROD's attachment propagates into the non-production route table and TEST's into PROD's: "
        "hub-test-svc reaches hub-prod-svc on tcp 8443.",
    )


def _peering(org: SeedOrg) -> None:
    test, stg = org.client("TEST", "ec2"), org.client("STG", "ec2")
    test_vpc, stg_vpc = _one(test, "vpc", "test-vpc")["VpcId"], _one(stg, "vpc", "stg-vpc")["VpcId"]
    pcx = test.create_vpc_peering_connection(
        VpcId=test_vpc,
        PeerVpcId=stg_vpc,
        PeerOwnerId=org.account_id("STG"),
        TagSpecifications=_tags("vpc-peering-connection", "test-stg", "TEST"),
    )["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    stg.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    test.create_route(
        RouteTableId=_one(test, "route-table", "test-private")["RouteTableId"],
        DestinationCidrBlock="10.2.0.0/16",
        VpcPeeringConnectionId=pcx,
    )
    stg.create_route(
        RouteTableId=_one(stg, "route-table", "stg-private")["RouteTableId"],
        DestinationCidrBlock="10.1.0.0/16",
        VpcPeeringConnectionId=pcx,
    )
    org.manifest.clean_resource(
        "TEST",
        "peering test-stg",
        ec2_arn(org.region, org.account_id("TEST"), "vpc-peering-connection", pcx),
        "Cross-account peering between two non-production VPCs: no path into production.",
    )


def _analytics_db(org: SeedOrg) -> None:
    env, ec2, m = "STG", org.client("STG", "ec2"), org.manifest
    vpc = _one(ec2, "vpc", "stg-vpc")["VpcId"]
    public_rt = _one(ec2, "route-table", "stg-public")["RouteTableId"]
    subnets = []
    for i, az in enumerate(AZS):
        name = f"stg-private-analytics-{az[-1]}"
        sid = ec2.create_subnet(
            VpcId=vpc,
            CidrBlock=f"10.2.{30 + i}.0/24",
            AvailabilityZone=az,
            TagSpecifications=_tags("subnet", name, env, Tier="private"),
        )["Subnet"]["SubnetId"]
        ec2.associate_route_table(RouteTableId=public_rt, SubnetId=sid)
        subnets.append(sid)
        m.flaw(
            "aws.net.private-subnet-routes-to-igw",
            env,
            f"subnet {name}",
            ec2_arn(org.region, org.account_id(env), "subnet", sid),
            "Named and tagged private, but associated with the public route table (0.0.0.0/0 -> IGW).",
        )
    sg = ec2.create_security_group(
        GroupName="stg-analytics-db",
        Description="analytics database",
        VpcId=vpc,
        TagSpecifications=_tags("security-group", "stg-analytics-db", env),
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "IpRanges": [{"CidrIp": WORLD}]}
        ],
    )
    rds = org.client(env, "rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="stg-analytics-private",
        DBSubnetGroupDescription="analytics (private, they say)",
        SubnetIds=subnets,
    )
    arn = rds.create_db_instance(
        DBInstanceIdentifier="stg-analytics-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="dbadmin",
        MasterUserPassword="sandbox-not-a-secret",
        AllocatedStorage=20,
        DBSubnetGroupName="stg-analytics-private",
        VpcSecurityGroupIds=[sg],
        StorageEncrypted=True,
        PubliclyAccessible=True,
        Tags=[{"Key": "Environment", "Value": env}, {"Key": "Name", "Value": "stg-analytics-db"}],
    )["DBInstance"]["DBInstanceArn"]
    for check, text in (
        (
            "aws.net.db-reachable-from-internet",
            "Reachable from the internet on 5432: public address, IGW route, the default NACL allows all, "
            "and its SG admits 5432 from 0.0.0.0/0.",
        ),
        ("aws.rds.not-publicly-accessible", "The analytics database is publicly accessible."),
        ("aws.rds.in-private-subnets", "Its 'private' subnets route to the internet gateway."),
    ):
        m.flaw(check, env, "rds stg-analytics-db", arn, text)


def _alb(org: SeedOrg) -> None:
    env, ec2 = "TEST", org.client("TEST", "ec2")
    vpc = _one(ec2, "vpc", "test-vpc")["VpcId"]
    subnets = [_one(ec2, "subnet", f"test-public-{az[-1]}")["SubnetId"] for az in AZS]
    sg = ec2.create_security_group(
        GroupName="test-alb",
        Description="web load balancer",
        VpcId=vpc,
        TagSpecifications=_tags("security-group", "test-alb", env),
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": WORLD}]}
        ],
    )
    elb = org.client(env, "elbv2")
    lb = elb.create_load_balancer(
        Name="test-web-alb",
        Subnets=subnets,
        SecurityGroups=[sg],
        Scheme="internet-facing",
        Type="application",
    )["LoadBalancers"][0]["LoadBalancerArn"]
    tg = elb.create_target_group(
        Name="test-web", Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="instance"
    )["TargetGroups"][0]["TargetGroupArn"]
    web = ec2.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["test-web"]}])["Reservations"][0][
        "Instances"
    ][0]["InstanceId"]
    elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": web, "Port": 8080}])
    elb.create_listener(
        LoadBalancerArn=lb,
        Protocol="HTTP",
        Port=8080,
        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}],
    )
    org.manifest.flaw(
        "aws.net.lb-http-without-https",
        env,
        "alb test-web-alb",
        lb,
        "Internet-facing ALB serves plain HTTP on 8080, let in by the public NACL's 1024-65535 rule.",
    )


def _existing(org: SeedOrg) -> None:
    """Flaws the network seeder planted that the reachability checks also find."""
    test, prod = org.client("TEST", "ec2"), org.client("PROD", "ec2")
    web = test.describe_instances(Filters=[{"Name": "tag:Name", "Values": ["test-web"]}])["Reservations"][0][
        "Instances"
    ][0]
    org.manifest.flaw(
        "aws.net.admin-ports-reachable-from-internet",
        "TEST",
        "instance test-web",
        ec2_arn(org.region, org.account_id("TEST"), "instance", web["InstanceId"]),
        "SSH (22) reachable end to end: public IP, IGW route, NACL rule 100 and SG test-bastion allow it.",
    )
    sub = _one(prod, "subnet", "prod-private-reporting-a")["SubnetId"]
    org.manifest.flaw(
        "aws.net.private-subnet-routes-to-igw",
        "PROD",
        "subnet prod-private-reporting-a",
        ec2_arn(org.region, org.account_id("PROD"), "subnet", sub),
        "A 'private' reporting subnet associated with the public route table by mistake.",
    )
