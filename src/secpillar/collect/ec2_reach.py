"""EC2 parts that network reachability needs beyond ``ec2-network``: network interfaces and
Elastic IPs (``ec2-eni``), and VPC peering connections, VPC endpoints and managed prefix lists
with their entries (``ec2-vpc-links``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.collect.ec2 import SUBNET, VPC, ec2_arn
from secpillar.model import Relationship, Resource

ENI = "AWS::EC2::NetworkInterface"
EIP = "AWS::EC2::EIP"
PEERING = "AWS::EC2::VPCPeeringConnection"
VPC_ENDPOINT = "AWS::EC2::VPCEndpoint"
PREFIX_LIST = "AWS::EC2::PrefixList"


def _resource(
    rtype: str,
    kind: str,
    rid: str,
    raw: Mapping[str, Any],
    account_id: str,
    region: str,
    partition: str,
    *,
    tags_key: str = "Tags",
    supplementary: Mapping[str, Any] | None = None,
    relationships: tuple[Relationship, ...] = (),
) -> Resource:
    tags = tag_dict(raw.get(tags_key))
    return Resource(
        resource_type=rtype,
        resource_id=rid,
        arn=ec2_arn(region, account_id, kind, rid, partition),
        account_id=account_id,
        region=region,
        name=tags.get("Name") or rid,
        configuration=camelize(dict(raw)),
        supplementary=dict(supplementary or {}),
        tags=tags,
        relationships=relationships,
    )


def transform_network_interface(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    rels = tuple(
        Relationship(n, t, str(raw[k]))
        for n, t, k in (("Is contained in Vpc", VPC, "VpcId"), ("Is contained in Subnet", SUBNET, "SubnetId"))
        if raw.get(k)
    )
    return _resource(
        ENI,
        "network-interface",
        str(raw["NetworkInterfaceId"]),
        raw,
        account_id,
        region,
        partition,
        tags_key="TagSet",
        relationships=rels,
    )


def transform_address(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    rid = str(raw.get("AllocationId") or raw.get("PublicIp"))
    return _resource(EIP, "elastic-ip", rid, raw, account_id, region, partition)


def transform_peering(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    return _resource(
        PEERING,
        "vpc-peering-connection",
        str(raw["VpcPeeringConnectionId"]),
        raw,
        account_id,
        region,
        partition,
    )


def transform_vpc_endpoint(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    return _resource(
        VPC_ENDPOINT, "vpc-endpoint", str(raw["VpcEndpointId"]), raw, account_id, region, partition
    )


def transform_prefix_list(
    raw: Mapping[str, Any],
    entries: list[Mapping[str, Any]] | None,
    account_id: str,
    region: str,
    partition: str = "aws",
) -> Resource:
    """A managed prefix list; ``entries`` its CIDRs (None: unknown)."""
    supp = {"Entries": [camelize(dict(e)) for e in entries]} if entries is not None else {}
    return _resource(
        PREFIX_LIST,
        "prefix-list",
        str(raw["PrefixListId"]),
        raw,
        account_id,
        region,
        partition,
        supplementary=supp,
    )


@register
class Ec2EniCollector(Collector):
    id = "ec2-eni"
    scope = Scope.REGIONAL
    resource_types = (ENI, EIP)
    permissions = ("ec2:DescribeNetworkInterfaces", "ec2:DescribeAddresses")

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        ec2 = ctx.client("ec2")
        acct, region, part = ctx.account_id, ctx.region, ctx.partition
        for eni in ctx.paginate(ec2, "describe_network_interfaces", "NetworkInterfaces") or ():
            yield transform_network_interface(eni, acct, region, part)
        answer = ctx.call(ec2, "describe_addresses")
        for addr in (answer or {}).get("Addresses") or ():
            yield transform_address(addr, acct, region, part)


@register
class Ec2VpcLinksCollector(Collector):
    id = "ec2-vpc-links"
    scope = Scope.REGIONAL
    resource_types = (PEERING, VPC_ENDPOINT, PREFIX_LIST)
    permissions = (
        "ec2:DescribeVpcPeeringConnections",
        "ec2:DescribeVpcEndpoints",
        "ec2:DescribeManagedPrefixLists",
        "ec2:GetManagedPrefixListEntries",
    )

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        ec2 = ctx.client("ec2")
        acct, region, part = ctx.account_id, ctx.region, ctx.partition
        for pcx in ctx.paginate(ec2, "describe_vpc_peering_connections", "VpcPeeringConnections") or ():
            if str((pcx.get("Status") or {}).get("Code", "")) not in (
                "deleted",
                "rejected",
                "failed",
                "expired",
            ):
                yield transform_peering(pcx, acct, region, part)
        for vpce in ctx.paginate(ec2, "describe_vpc_endpoints", "VpcEndpoints") or ():
            yield transform_vpc_endpoint(vpce, acct, region, part)
        for pl in ctx.paginate(ec2, "describe_managed_prefix_lists", "PrefixLists") or ():
            entries = ctx.paginate(
                ec2, "get_managed_prefix_list_entries", "Entries", PrefixListId=pl["PrefixListId"]
            )
            yield transform_prefix_list(pl, entries, acct, region, part)
