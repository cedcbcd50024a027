"""EC2/VPC transforms on responses recorded from moto (tests/fixtures/responses/ec2/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.ec2 import (
    INSTANCE,
    SECURITY_GROUP,
    SUBNET,
    VOLUME,
    VPC,
    ec2_arn,
    transform_account_region,
    transform_instance,
    transform_internet_gateway,
    transform_nat_gateway,
    transform_network_acl,
    transform_route_table,
    transform_security_group,
    transform_subnet,
    transform_tgw_attachment,
    transform_tgw_route_table,
    transform_transit_gateway,
    transform_volume,
    transform_vpc,
)
from secpillar.model import ACCOUNT_REGION_TYPE, Relationship, account_region_arn

FIXTURES = Path(__file__).parent.parent / "fixtures" / "responses" / "ec2"
ACCT = "874095891809"
REGION = "us-east-1"


def load(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_ec2_arn_matches_aws_config_form() -> None:
    assert ec2_arn("us-east-1", ACCT, "vpc", "vpc-1") == f"arn:aws:ec2:us-east-1:{ACCT}:vpc/vpc-1"
    assert ec2_arn("cn-north-1", ACCT, "volume", "vol-1", "aws-cn").startswith("arn:aws-cn:ec2:cn-north-1:")


def test_vpc_carries_its_own_flow_logs() -> None:
    raw = load("describe_vpcs")["Vpcs"][0]
    flow_logs = load("describe_flow_logs")["FlowLogs"]
    other = {**flow_logs[0], "ResourceId": "vpc-other", "FlowLogId": "fl-other"}
    r = transform_vpc(raw, [*flow_logs, other], ACCT, REGION)
    assert r.resource_type == VPC
    assert r.arn == f"arn:aws:ec2:{REGION}:{ACCT}:vpc/{raw['VpcId']}"
    assert r.name == "prod-vpc"
    assert r.tags == {"Name": "prod-vpc", "Environment": "PROD"}
    assert r.configuration["cidrBlock"] == "10.3.0.0/16"
    assert r.configuration["isDefault"] is False
    logs = r.supplementary["FlowLogs"]
    assert [f["flowLogId"] for f in logs] == [flow_logs[0]["FlowLogId"]]
    assert logs[0]["trafficType"] == "ALL" and logs[0]["flowLogStatus"] == "ACTIVE"


def test_vpc_flow_logs_unknown_leaves_the_key_out() -> None:
    raw = load("describe_vpcs")["Vpcs"][0]
    assert "FlowLogs" not in transform_vpc(raw, None, ACCT, REGION).supplementary
    assert transform_vpc(raw, [], ACCT, REGION).supplementary["FlowLogs"] == []


def test_subnet_relates_to_its_vpc() -> None:
    raw = load("describe_subnets")["Subnets"][0]
    r = transform_subnet(raw, ACCT, REGION)
    assert r.resource_type == SUBNET
    assert r.arn.endswith(f":subnet/{raw['SubnetId']}")
    assert r.configuration["vpcId"] == raw["VpcId"]
    assert r.configuration["cidrBlock"] == raw["CidrBlock"]
    assert r.tags["Tier"] == "public"
    assert Relationship("Is contained in Vpc", VPC, raw["VpcId"]) in r.relationships


def test_route_tables_keep_associations_and_routes() -> None:
    tables = {t["RouteTableId"]: t for t in load("describe_route_tables")["RouteTables"]}
    by_name = {
        transform_route_table(t, ACCT, REGION).name: transform_route_table(t, ACCT, REGION)
        for t in tables.values()
    }
    public = by_name["prod-public"]
    assert public.arn.startswith(f"arn:aws:ec2:{REGION}:{ACCT}:route-table/rtb-")
    assert any(r["gatewayId"].startswith("igw-") for r in public.configuration["routes"] if "gatewayId" in r)
    assert len([a for a in public.configuration["associations"] if a.get("subnetId")]) == 3
    assert any(rel.resource_type == "AWS::EC2::InternetGateway" for rel in public.relationships)
    private = by_name["prod-private"]
    assert any("natGatewayId" in r for r in private.configuration["routes"])
    main = [t for t in by_name.values() if any(a.get("main") for a in t.configuration["associations"])]
    assert len(main) == 1


def test_gateways() -> None:
    igw = transform_internet_gateway(load("describe_internet_gateways")["InternetGateways"][0], ACCT, REGION)
    assert igw.arn.split(":")[-1].startswith("internet-gateway/igw-")
    assert igw.name == "prod-igw"
    assert igw.relationships[0].name == "Is attached to Vpc"
    nat = transform_nat_gateway(load("describe_nat_gateways")["NatGateways"][0], ACCT, REGION)
    assert nat.arn.split(":")[-1].startswith("natgateway/nat-")
    assert {rel.resource_type for rel in nat.relationships} == {VPC, SUBNET}


def test_security_groups_keep_rules_and_group_name() -> None:
    groups = {g["GroupName"]: g for g in load("describe_security_groups")["SecurityGroups"]}
    rdp = transform_security_group(groups["stg-rdp"], ACCT, REGION)
    assert rdp.resource_type == SECURITY_GROUP
    assert rdp.name == "stg-rdp"
    assert rdp.arn == f"arn:aws:ec2:{REGION}:{ACCT}:security-group/{groups['stg-rdp']['GroupId']}"
    perm = rdp.configuration["ipPermissions"][0]
    assert (perm["ipProtocol"], perm["fromPort"], perm["toPort"]) == ("tcp", 3389, 3389)
    assert perm["ipv6Ranges"] == [{"cidrIpv6": "::/0"}]
    db = transform_security_group(groups["stg-db"], ACCT, REGION)
    assert db.configuration["ipPermissions"][0]["userIdGroupPairs"][0]["groupId"].startswith("sg-")
    default = transform_security_group(groups["default"], ACCT, REGION)
    assert default.configuration["ipPermissions"] == []
    assert default.configuration["ipPermissionsEgress"][0]["ipProtocol"] == "-1"


def test_network_acls_keep_entries_and_subnets() -> None:
    acls = {
        transform_network_acl(a, ACCT, REGION).name: transform_network_acl(a, ACCT, REGION)
        for a in load("describe_network_acls")["NetworkAcls"]
    }
    public = acls["test-public-acl"]
    assert public.arn.split(":")[-1].startswith("network-acl/acl-")
    ssh = [e for e in public.configuration["entries"] if e["ruleNumber"] == 100 and not e["egress"]]
    assert ssh[0]["portRange"] == {"from": 22, "to": 22}
    assert ssh[0]["ruleAction"] == "allow" and ssh[0]["protocol"] == "6"
    assert sum(rel.resource_type == SUBNET for rel in public.relationships) == 2


def test_instance_with_metadata_options_and_links() -> None:
    raw = load("describe_instances")["Reservations"][0]["Instances"][0]
    r = transform_instance(raw, ACCT, REGION)
    assert r.resource_type == INSTANCE
    assert r.arn == f"arn:aws:ec2:{REGION}:{ACCT}:instance/{raw['InstanceId']}"
    assert r.name == "test-web"
    assert r.configuration["metadataOptions"]["httpTokens"] == "optional"
    assert r.configuration["publicIpAddress"] == raw["PublicIpAddress"]
    kinds = {rel.resource_type for rel in r.relationships}
    assert kinds == {VPC, SUBNET, SECURITY_GROUP, VOLUME}


def test_volumes() -> None:
    vols = [transform_volume(v, ACCT, REGION) for v in load("describe_volumes")["Volumes"]]
    scratch = next(v for v in vols if v.name == "test-scratch")
    assert scratch.arn.split(":")[-1] == f"volume/{scratch.resource_id}"
    assert scratch.configuration["encrypted"] is False
    root = next(v for v in vols if v.relationships)
    assert root.relationships[0].resource_type == INSTANCE


def test_transit_gateway_attachment_and_route_table() -> None:
    tgw = transform_transit_gateway(load("describe_transit_gateways")["TransitGateways"][0], ACCT, REGION)
    assert tgw.arn.split(":")[-1].startswith("transit-gateway/tgw-")
    assert tgw.name == "prod-hub"
    att = transform_tgw_attachment(
        load("describe_transit_gateway_attachments")["TransitGatewayAttachments"][0], ACCT, REGION
    )
    assert {rel.resource_type for rel in att.relationships} == {"AWS::EC2::TransitGateway", VPC}
    raw_rt = load("describe_transit_gateway_route_tables")["TransitGatewayRouteTables"][0]
    routes = load("search_transit_gateway_routes")["Routes"]
    rt = transform_tgw_route_table(raw_rt, routes, ACCT, REGION)
    assert rt.supplementary["Routes"] == [
        {"destinationCidrBlock": "10.99.0.0/16", "state": "blackhole", "type": "static"}
    ]
    assert "Routes" not in transform_tgw_route_table(raw_rt, None, ACCT, REGION).supplementary


def test_account_region_ebs_default() -> None:
    r = transform_account_region(load("get_ebs_encryption_by_default"), ACCT, "PROD", REGION)
    assert r.resource_type == ACCOUNT_REGION_TYPE
    assert r.arn == account_region_arn(ACCT, REGION)
    assert r.resource_id == f"{ACCT}/{REGION}"
    assert r.name == f"PROD {REGION}"
    assert r.configuration == {"accountId": ACCT, "region": REGION}
    assert r.supplementary == {"EbsEncryptionByDefault": True}
    assert transform_account_region(None, ACCT, "PROD", REGION).supplementary == {}
