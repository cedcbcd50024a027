"""EC2/VPC and RDS against a moto server: collectors, and the seeded slice round trip."""

from __future__ import annotations

from typing import Any

import pytest

from secpillar.aws.session import ClientFactory, base_session
from secpillar.collect.base import CollectContext, GapSink
from secpillar.collect.ec2 import Ec2TransitGatewayCollector, ec2_arn
from secpillar.model import ACCOUNT_REGION_TYPE, Status, account_region_arn
from secpillar.sandbox import seed
from secpillar.sandbox.seed import SeedOrg
from secpillar.sandbox.seeders import network
from secpillar.scan import ScanOptions, run_scan

pytestmark = pytest.mark.functional

ACCOUNT = "123456789012"
REGION = "us-east-1"
NETWORK_CHECKS = ["aws.ec2.*", "aws.rds.*"]


def arn(kind: str, rid: str) -> str:
    return ec2_arn(REGION, ACCOUNT, kind, rid)


def _build(aws_client: Any) -> tuple[dict[str, str], dict[str, str]]:
    """A VPC with a public subnet (explicit IGW route) and one on the main table, an SSH-open
    group, an instance, an unencrypted volume, a transit gateway and an unencrypted database."""
    ec2 = aws_client("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24", AvailabilityZone="us-east-1a")["Subnet"][
        "SubnetId"
    ]
    subnet_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.2.0/24", AvailabilityZone="us-east-1b")["Subnet"][
        "SubnetId"
    ]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)
    sg = ec2.create_security_group(GroupName="fn-ssh", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
        ],
    )
    instance = ec2.run_instances(
        ImageId=network.AMI,
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet,
        SecurityGroupIds=[sg],
        MetadataOptions={"HttpTokens": "required"},
    )["Instances"][0]["InstanceId"]
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=5, Encrypted=False)["VolumeId"]
    ec2.enable_ebs_encryption_by_default()
    tgw = ec2.create_transit_gateway(Description="hub")["TransitGateway"]["TransitGatewayId"]
    ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])
    rds = aws_client("rds")
    rds.create_db_subnet_group(
        DBSubnetGroupName="fn", DBSubnetGroupDescription="fn", SubnetIds=[subnet, subnet_b]
    )
    rds.create_db_instance(
        DBInstanceIdentifier="fn-db",
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="dbadmin",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
        DBSubnetGroupName="fn",
        VpcSecurityGroupIds=[sg],
        StorageEncrypted=False,
    )
    return {"vpc": vpc, "subnet": subnet, "subnet_b": subnet_b, "igw": igw, "rt": rt, "sg": sg}, {
        "instance": instance,
        "volume": volume,
        "tgw": tgw,
    }


def test_collectors_read_networks_instances_volumes_and_rds(moto_endpoint: str, aws_client: Any) -> None:
    net, other = _build(aws_client)
    vpc, subnet, subnet_b, igw, rt, sg = (net[k] for k in ("vpc", "subnet", "subnet_b", "igw", "rt", "sg"))
    instance, volume = other["instance"], other["volume"]
    result = run_scan(
        ScanOptions(endpoint_url=moto_endpoint, regions=[REGION], checks=NETWORK_CHECKS, use_org=False)
    )
    inv = result.inventory
    assert not [g for g in inv.gaps if g.service in ("ec2", "rds")], inv.gaps

    vpc_r = inv.get(arn("vpc", vpc))
    assert vpc_r is not None and vpc_r.supplementary["FlowLogs"] == []
    default_vpcs = [v for v in inv.by_type("AWS::EC2::VPC") if v.configuration.get("isDefault")]
    assert len(default_vpcs) == 1  # AWS's (and moto's) default VPC is the account's own
    sub_r = inv.get(arn("subnet", subnet))
    assert sub_r is not None and sub_r.configuration["vpcId"] == vpc
    rt_r = inv.get(arn("route-table", rt))
    assert rt_r is not None and any(r.get("gatewayId") == igw for r in rt_r.configuration["routes"])
    assert inv.get(arn("internet-gateway", igw)) is not None
    sg_r = inv.get(arn("security-group", sg))
    assert sg_r is not None and sg_r.name == "fn-ssh"
    assert len(inv.by_type("AWS::EC2::NetworkAcl")) >= 2
    inst = inv.get(arn("instance", instance))
    assert inst is not None and inst.configuration["metadataOptions"]["httpTokens"] == "required"
    assert any(r.resource_id == sg for r in inst.relationships)
    vol = inv.get(arn("volume", volume))
    assert vol is not None and vol.configuration["encrypted"] is False
    region = inv.get(account_region_arn(ACCOUNT, REGION))
    assert region is not None and region.resource_type == ACCOUNT_REGION_TYPE
    assert region.supplementary["EbsEncryptionByDefault"] is True
    db = inv.get(f"arn:aws:rds:{REGION}:{ACCOUNT}:db:fn-db")
    assert db is not None
    assert db.configuration["storageEncrypted"] is False
    assert {s["subnetIdentifier"] for s in db.configuration["dbSubnetGroup"]["subnets"]} == {subnet, subnet_b}

    status = {(f.check_id, f.resource.arn): f.status for f in result.findings}
    assert status[("aws.ec2.sg-admin-ports-ipv4", arn("security-group", sg))] is Status.FAIL
    assert status[("aws.ec2.imdsv2-required", arn("instance", instance))] is Status.PASS
    assert status[("aws.ec2.ebs-volume-encrypted", arn("volume", volume))] is Status.FAIL
    assert status[("aws.ec2.vpc-flow-logs", arn("vpc", vpc))] is Status.FAIL
    assert status[("aws.rds.storage-encrypted", db.arn)] is Status.FAIL
    # subnet routes to the IGW explicitly; subnet_b uses the VPC's main table (local only).
    assert status[("aws.rds.in-private-subnets", db.arn)] is Status.FAIL


def test_transit_gateway_collector(moto_endpoint: str, aws_client: Any) -> None:
    net, other = _build(aws_client)
    vpc, tgw = net["vpc"], other["tgw"]
    # No check reads transit gateways yet, so run their collector directly.
    sink = GapSink()
    ctx = CollectContext(
        account_id=ACCOUNT,
        account_name="fn",
        region=REGION,
        clients=ClientFactory(base_session(None, REGION, moto_endpoint), moto_endpoint),
        sink=sink,
    )
    tgw_items = {r.resource_type: r for r in Ec2TransitGatewayCollector().collect(ctx)}
    assert not sink.gaps
    assert tgw_items["AWS::EC2::TransitGateway"].arn == arn("transit-gateway", tgw)
    attachment = tgw_items["AWS::EC2::TransitGatewayAttachment"]
    assert attachment.configuration["resourceId"] == vpc
    assert tgw_items["AWS::EC2::TransitGatewayRouteTable"].supplementary["Routes"] == []


def test_seeded_network_slice_round_trip(moto_endpoint: str) -> None:
    seed.seed_random(moto_endpoint)
    org = SeedOrg(moto_endpoint)
    seed.create_organization(org)
    network.seed(org)
    manifest = org.manifest
    mine = [f for f in manifest.flaws if f.check_id.startswith(("aws.ec2.", "aws.rds."))]
    assert len(mine) >= 10

    result = run_scan(ScanOptions(endpoint_url=moto_endpoint, regions=[REGION], checks=NETWORK_CHECKS))
    assert not [g for g in result.inventory.gaps if g.service in ("ec2", "rds")], result.inventory.gaps
    assert not [f for f in result.findings if f.status is Status.ERROR]
    failed = {(f.check_id, f.resource.arn) for f in result.findings if f.status is Status.FAIL}
    missing = [f for f in mine if (f.check_id, f.arn) not in failed]
    assert not missing, missing
    clean = {c.arn: c for c in manifest.clean}
    wrong = [
        (f.check_id, clean[f.resource.arn].resource)
        for f in result.findings
        if f.failed and f.resource.arn in clean
    ]
    assert not wrong, wrong
    # Every clean resource was actually evaluated (a PASS on it), not merely missed.
    passed = {f.resource.arn for f in result.findings if f.status is Status.PASS}
    assert [c.resource for c in manifest.clean if c.arn not in passed] == []
