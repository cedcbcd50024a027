"""EC2 and VPC: networks (VPCs, subnets, route tables, gateways, security groups, NACLs), transit
gateways, instances, EBS volumes and the region's EBS encryption default.

Four collectors, so that a scan reads only what its checks need:

* ``ec2-network`` — VPCs (with their flow logs), subnets, route tables, internet and NAT
  gateways, security groups, network ACLs;
* ``ec2-tgw`` — transit gateways, their attachments and route tables (with routes);
* ``ec2`` — instances and EBS volumes;
* ``ec2-account`` — ``AWS::::AccountRegion`` with ``EbsEncryptionByDefault``.

ARNs follow AWS Config (``arn:aws:ec2:REGION:ACCOUNT:vpc/vpc-…``). The default VPC AWS creates in
every region is the account's own and is collected like any other.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import (
    ACCOUNT_REGION_TYPE,
    Relationship,
    Resource,
    account_region_resource,
)

VPC = "AWS::EC2::VPC"
SUBNET = "AWS::EC2::Subnet"
ROUTE_TABLE = "AWS::EC2::RouteTable"
INTERNET_GATEWAY = "AWS::EC2::InternetGateway"
NAT_GATEWAY = "AWS::EC2::NatGateway"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
NETWORK_ACL = "AWS::EC2::NetworkAcl"
INSTANCE = "AWS::EC2::Instance"
VOLUME = "AWS::EC2::Volume"
TRANSIT_GATEWAY = "AWS::EC2::TransitGateway"
TGW_ATTACHMENT = "AWS::EC2::TransitGatewayAttachment"
TGW_ROUTE_TABLE = "AWS::EC2::TransitGatewayRouteTable"

_TGW_ROUTE_STATES = [{"Name": "state", "Values": ["active", "blackhole"]}]


def ec2_arn(region: str, account_id: str, kind: str, resource_id: str, partition: str = "aws") -> str:
    """``arn:aws:ec2:REGION:ACCOUNT:KIND/ID`` (the form AWS Config records)."""
    return f"arn:{partition}:ec2:{region}:{account_id}:{kind}/{resource_id}"


def _name(raw: Mapping[str, Any], default: str) -> str:
    return tag_dict(raw.get("Tags")).get("Name") or default


def _rel(name: str, resource_type: str, resource_id: str | None) -> tuple[Relationship, ...]:
    return (Relationship(name, resource_type, resource_id),) if resource_id else ()


def _resource(
    resource_type: str,
    kind: str,
    resource_id: str,
    raw: Mapping[str, Any],
    account_id: str,
    region: str,
    partition: str,
    *,
    name: str | None = None,
    supplementary: Mapping[str, Any] | None = None,
    relationships: tuple[Relationship, ...] = (),
) -> Resource:
    return Resource(
        resource_type=resource_type,
        resource_id=resource_id,
        arn=ec2_arn(region, account_id, kind, resource_id, partition),
        account_id=account_id,
        region=region,
        name=name if name is not None else _name(raw, resource_id),
        configuration=camelize(dict(raw)),
        supplementary=dict(supplementary or {}),
        tags=tag_dict(raw.get("Tags")),
        relationships=relationships,
    )


# ---- pure transforms -------------------------------------------------------------------------


def transform_vpc(
    raw: Mapping[str, Any],
    flow_logs: list[Mapping[str, Any]] | None,
    account_id: str,
    region: str,
    partition: str = "aws",
) -> Resource:
    """A VPC; ``flow_logs`` = every flow log of the account and region (None: unknown)."""
    vpc_id = str(raw["VpcId"])
    supp: dict[str, Any] = {}
    if flow_logs is not None:
        supp["FlowLogs"] = [camelize(dict(f)) for f in flow_logs if f.get("ResourceId") == vpc_id]
    return _resource(VPC, "vpc", vpc_id, raw, account_id, region, partition, supplementary=supp)


def transform_subnet(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    sid = str(raw["SubnetId"])
    return _resource(
        SUBNET,
        "subnet",
        sid,
        raw,
        account_id,
        region,
        partition,
        relationships=_rel("Is contained in Vpc", VPC, raw.get("VpcId")),
    )


def transform_route_table(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    rid = str(raw["RouteTableId"])
    rels = _rel("Is contained in Vpc", VPC, raw.get("VpcId"))
    for assoc in raw.get("Associations") or ():
        rels += _rel("Is associated with Subnet", SUBNET, assoc.get("SubnetId"))
    for route in raw.get("Routes") or ():
        gw = str(route.get("GatewayId") or "")
        if gw.startswith("igw-"):
            rels += _rel("Contains InternetGateway", INTERNET_GATEWAY, gw)
        rels += _rel("Contains NatGateway", NAT_GATEWAY, route.get("NatGatewayId"))
    return _resource(ROUTE_TABLE, "route-table", rid, raw, account_id, region, partition, relationships=rels)


def transform_internet_gateway(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    gid = str(raw["InternetGatewayId"])
    rels: tuple[Relationship, ...] = ()
    for att in raw.get("Attachments") or ():
        rels += _rel("Is attached to Vpc", VPC, att.get("VpcId"))
    return _resource(
        INTERNET_GATEWAY, "internet-gateway", gid, raw, account_id, region, partition, relationships=rels
    )


def transform_nat_gateway(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    nid = str(raw["NatGatewayId"])
    rels = _rel("Is contained in Vpc", VPC, raw.get("VpcId")) + _rel(
        "Is contained in Subnet", SUBNET, raw.get("SubnetId")
    )
    return _resource(NAT_GATEWAY, "natgateway", nid, raw, account_id, region, partition, relationships=rels)


def transform_security_group(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    gid = str(raw["GroupId"])
    return _resource(
        SECURITY_GROUP,
        "security-group",
        gid,
        raw,
        account_id,
        region,
        partition,
        name=str(raw.get("GroupName") or gid),
        relationships=_rel("Is contained in Vpc", VPC, raw.get("VpcId")),
    )


def transform_network_acl(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    aid = str(raw["NetworkAclId"])
    rels = _rel("Is contained in Vpc", VPC, raw.get("VpcId"))
    for assoc in raw.get("Associations") or ():
        rels += _rel("Is attached to Subnet", SUBNET, assoc.get("SubnetId"))
    return _resource(NETWORK_ACL, "network-acl", aid, raw, account_id, region, partition, relationships=rels)


def transform_instance(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    iid = str(raw["InstanceId"])
    rels = _rel("Is contained in Vpc", VPC, raw.get("VpcId")) + _rel(
        "Is contained in Subnet", SUBNET, raw.get("SubnetId")
    )
    groups: list[str] = []
    for eni in raw.get("NetworkInterfaces") or ():
        groups.extend(str(g["GroupId"]) for g in eni.get("Groups") or () if g.get("GroupId"))
    groups.extend(str(g["GroupId"]) for g in raw.get("SecurityGroups") or () if g.get("GroupId"))
    for gid in dict.fromkeys(groups):
        rels += _rel("Is associated with SecurityGroup", SECURITY_GROUP, gid)
    for bdm in raw.get("BlockDeviceMappings") or ():
        rels += _rel("Is attached to Volume", VOLUME, (bdm.get("Ebs") or {}).get("VolumeId"))
    return _resource(INSTANCE, "instance", iid, raw, account_id, region, partition, relationships=rels)


def transform_volume(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    vid = str(raw["VolumeId"])
    rels: tuple[Relationship, ...] = ()
    for att in raw.get("Attachments") or ():
        rels += _rel("Is attached to Instance", INSTANCE, att.get("InstanceId"))
    return _resource(VOLUME, "volume", vid, raw, account_id, region, partition, relationships=rels)


def transform_transit_gateway(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    tid = str(raw["TransitGatewayId"])
    return _resource(TRANSIT_GATEWAY, "transit-gateway", tid, raw, account_id, region, partition)


def transform_tgw_attachment(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    aid = str(raw["TransitGatewayAttachmentId"])
    rels = _rel("Is attached to TransitGateway", TRANSIT_GATEWAY, raw.get("TransitGatewayId"))
    if raw.get("ResourceType") == "vpc":
        rels += _rel("Is attached to Vpc", VPC, raw.get("ResourceId"))
    return _resource(
        TGW_ATTACHMENT,
        "transit-gateway-attachment",
        aid,
        raw,
        account_id,
        region,
        partition,
        relationships=rels,
    )


def transform_tgw_route_table(
    raw: Mapping[str, Any],
    routes: list[Mapping[str, Any]] | None,
    account_id: str,
    region: str,
    partition: str = "aws",
    associations: list[Mapping[str, Any]] | None = None,
    propagations: list[Mapping[str, Any]] | None = None,
) -> Resource:
    """A transit gateway route table; ``routes`` its active and blackhole routes, ``associations``
    and ``propagations`` the attachments associated with / propagating into it (None: unknown)."""
    rid = str(raw["TransitGatewayRouteTableId"])
    supp: dict[str, Any] = {"Routes": [camelize(dict(r)) for r in routes]} if routes is not None else {}
    if associations is not None:
        supp["Associations"] = [camelize(dict(a)) for a in associations]
    if propagations is not None:
        supp["Propagations"] = [camelize(dict(p)) for p in propagations]
    return _resource(
        TGW_ROUTE_TABLE,
        "transit-gateway-route-table",
        rid,
        raw,
        account_id,
        region,
        partition,
        supplementary=supp,
        relationships=_rel("Is contained in TransitGateway", TRANSIT_GATEWAY, raw.get("TransitGatewayId")),
    )


def transform_account_region(
    ebs_default: Mapping[str, Any] | None,
    account_id: str,
    account_name: str,
    region: str,
    partition: str = "aws",
) -> Resource:
    """The region's settings; ``ebs_default`` = GetEbsEncryptionByDefault's answer (None: unknown)."""
    supp: dict[str, Any] = {}
    if ebs_default is not None and "EbsEncryptionByDefault" in ebs_default:
        supp["EbsEncryptionByDefault"] = bool(ebs_default["EbsEncryptionByDefault"])
    return account_region_resource(account_id, account_name, region, partition, supp)


# ---- collectors ------------------------------------------------------------------------------


@register
class Ec2NetworkCollector(Collector):
    id = "ec2-network"
    scope = Scope.REGIONAL
    resource_types = (VPC, SUBNET, ROUTE_TABLE, INTERNET_GATEWAY, NAT_GATEWAY, SECURITY_GROUP, NETWORK_ACL)
    permissions = (
        "ec2:DescribeVpcs",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeSubnets",
        "ec2:DescribeRouteTables",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeNatGateways",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeNetworkAcls",
    )

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        ec2 = ctx.client("ec2")
        acct, region, part = ctx.account_id, ctx.region, ctx.partition
        vpcs = ctx.paginate(ec2, "describe_vpcs", "Vpcs")
        if vpcs:
            flow_logs = ctx.paginate(ec2, "describe_flow_logs", "FlowLogs")
            for vpc in vpcs:
                yield transform_vpc(vpc, flow_logs, acct, region, part)
        for sub in ctx.paginate(ec2, "describe_subnets", "Subnets") or ():
            yield transform_subnet(sub, acct, region, part)
        for rt in ctx.paginate(ec2, "describe_route_tables", "RouteTables") or ():
            yield transform_route_table(rt, acct, region, part)
        for igw in ctx.paginate(ec2, "describe_internet_gateways", "InternetGateways") or ():
            yield transform_internet_gateway(igw, acct, region, part)
        for nat in ctx.paginate(ec2, "describe_nat_gateways", "NatGateways") or ():
            if nat.get("State") != "deleted":
                yield transform_nat_gateway(nat, acct, region, part)
        for sg in ctx.paginate(ec2, "describe_security_groups", "SecurityGroups") or ():
            yield transform_security_group(sg, acct, region, part)
        for acl in ctx.paginate(ec2, "describe_network_acls", "NetworkAcls") or ():
            yield transform_network_acl(acl, acct, region, part)


@register
class Ec2TransitGatewayCollector(Collector):
    id = "ec2-tgw"
    scope = Scope.REGIONAL
    resource_types = (TRANSIT_GATEWAY, TGW_ATTACHMENT, TGW_ROUTE_TABLE)
    permissions = (
        "ec2:DescribeTransitGateways",
        "ec2:DescribeTransitGatewayAttachments",
        "ec2:DescribeTransitGatewayRouteTables",
        "ec2:SearchTransitGatewayRoutes",
        "ec2:GetTransitGatewayRouteTableAssociations",
        "ec2:GetTransitGatewayRouteTablePropagations",
    )

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        ec2 = ctx.client("ec2")
        acct, region, part = ctx.account_id, ctx.region, ctx.partition
        tgws = [
            t for t in ctx.paginate(ec2, "describe_transit_gateways", "TransitGateways") or () if _live(t)
        ]
        if not tgws:
            return
        for tgw in tgws:
            yield transform_transit_gateway(tgw, acct, region, part)
        attachments = ctx.paginate(ec2, "describe_transit_gateway_attachments", "TransitGatewayAttachments")
        for att in attachments or ():
            if _live(att):
                yield transform_tgw_attachment(att, acct, region, part)
        tables = ctx.paginate(ec2, "describe_transit_gateway_route_tables", "TransitGatewayRouteTables")
        for table in tables or ():
            if not _live(table):
                continue
            routes = ctx.paginate(
                ec2,
                "search_transit_gateway_routes",
                "Routes",
                TransitGatewayRouteTableId=table["TransitGatewayRouteTableId"],
                Filters=_TGW_ROUTE_STATES,
            )
            tid = table["TransitGatewayRouteTableId"]
            assocs = ctx.paginate(
                ec2,
                "get_transit_gateway_route_table_associations",
                "Associations",
                TransitGatewayRouteTableId=tid,
            )
            props = ctx.paginate(
                ec2,
                "get_transit_gateway_route_table_propagations",
                "TransitGatewayRouteTablePropagations",
                TransitGatewayRouteTableId=tid,
            )
            yield transform_tgw_route_table(table, routes, acct, region, part, assocs, props)


def _live(raw: Mapping[str, Any]) -> bool:
    return raw.get("State") not in ("deleted", "deleting")


@register
class Ec2Collector(Collector):
    id = "ec2"
    scope = Scope.REGIONAL
    resource_types = (INSTANCE, VOLUME)
    permissions = ("ec2:DescribeInstances", "ec2:DescribeVolumes")

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        ec2 = ctx.client("ec2")
        acct, region, part = ctx.account_id, ctx.region, ctx.partition
        for instance in _instances(ctx.paginate(ec2, "describe_instances", "Reservations")):
            yield transform_instance(instance, acct, region, part)
        for vol in ctx.paginate(ec2, "describe_volumes", "Volumes") or ():
            yield transform_volume(vol, acct, region, part)


def _instances(reservations: Iterable[Mapping[str, Any]] | None) -> Iterator[Mapping[str, Any]]:
    for res in reservations or ():
        for instance in res.get("Instances") or ():
            if (instance.get("State") or {}).get("Name") != "terminated":
                yield instance


@register
class Ec2AccountCollector(Collector):
    id = "ec2-account"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE,)
    permissions = ("ec2:GetEbsEncryptionByDefault",)

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        answer = ctx.call(ctx.client("ec2"), "get_ebs_encryption_by_default")
        yield transform_account_region(answer, ctx.account_id, ctx.account_name, ctx.region, ctx.partition)
