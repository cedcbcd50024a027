"""The network model: the reachability-relevant parts of an Inventory as typed, indexed objects.

Built once per inventory (``network_for`` caches it), from resources in AWS Config item shape as
the collectors write them. Everything here is pure data; the analyses live in ``routing``,
``flows``, ``exposure`` and ``isolation``."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from secpillar.net.addr import EMPTY, AddrSet, cidr_set, prefix_len
from secpillar.net.rules import NaclEntry, SgRule

# AWS Config resource types the model reads.
VPC = "AWS::EC2::VPC"
SUBNET = "AWS::EC2::Subnet"
ROUTE_TABLE = "AWS::EC2::RouteTable"
INTERNET_GATEWAY = "AWS::EC2::InternetGateway"
NAT_GATEWAY = "AWS::EC2::NatGateway"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
NETWORK_ACL = "AWS::EC2::NetworkAcl"
INSTANCE = "AWS::EC2::Instance"
ENI = "AWS::EC2::NetworkInterface"
EIP = "AWS::EC2::EIP"
PEERING = "AWS::EC2::VPCPeeringConnection"
VPC_ENDPOINT = "AWS::EC2::VPCEndpoint"
PREFIX_LIST = "AWS::EC2::PrefixList"
TRANSIT_GATEWAY = "AWS::EC2::TransitGateway"
TGW_ATTACHMENT = "AWS::EC2::TransitGatewayAttachment"
TGW_ROUTE_TABLE = "AWS::EC2::TransitGatewayRouteTable"
DB_INSTANCE = "AWS::RDS::DBInstance"
LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"

NETWORK_TYPES: tuple[str, ...] = (
    VPC,
    SUBNET,
    ROUTE_TABLE,
    INTERNET_GATEWAY,
    NAT_GATEWAY,
    SECURITY_GROUP,
    NETWORK_ACL,
    INSTANCE,
    ENI,
    EIP,
    PEERING,
    VPC_ENDPOINT,
    PREFIX_LIST,
    TRANSIT_GATEWAY,
    TGW_ATTACHMENT,
    TGW_ROUTE_TABLE,
    DB_INSTANCE,
    LOAD_BALANCER,
    TARGET_GROUP,
)
"""Everything a reachability check reads (its ``reads``), so that a scan collects it."""


@dataclass
class Where:
    """Who owns a component: for messages and findings."""

    arn: str
    account: str
    region: str
    name: str
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class Vpc:
    id: str
    where: Where
    cidrs: AddrSet
    cidr_texts: list[str]
    igws: list[str] = field(default_factory=list)
    main_rt: str = ""


@dataclass
class Subnet:
    id: str
    vpc: str
    where: Where
    cidr: AddrSet
    cidr_texts: list[str]
    map_public_ip: bool = False
    route_table: str = ""
    route_table_is_main: bool = False
    nacl: str = ""


@dataclass(frozen=True)
class Route:
    dest: str
    dest_set: AddrSet
    plen: int
    kind: str
    """local, igw, eigw, nat, tgw, pcx, vpce, eni, vgw, other."""
    target: str
    blackhole: bool = False
    from_prefix_list: bool = False

    @property
    def text(self) -> str:
        state = " (blackhole)" if self.blackhole else ""
        return f"{self.dest} -> {self.target}{state}"


@dataclass
class RouteTable:
    id: str
    vpc: str
    where: Where
    routes: list[Route]
    _lpm: list[tuple[AddrSet, Route]] | None = None

    def lpm(self) -> list[tuple[AddrSet, Route]]:
        """Each route with the addresses it really wins (longest prefix first; on equal prefixes a
        CIDR route wins over a prefix-list route)."""
        if self._lpm is None:
            self._lpm = lpm_partition(self.routes)
        return self._lpm


def lpm_partition(routes: list[Route]) -> list[tuple[AddrSet, Route]]:
    covered = EMPTY
    out: list[tuple[AddrSet, Route]] = []
    for r in sorted(routes, key=lambda r: (-r.plen, r.from_prefix_list, r.blackhole)):
        eff = r.dest_set - covered
        if eff:
            out.append((eff, r))
            covered = covered | r.dest_set
    return out


@dataclass
class SecurityGroup:
    id: str
    vpc: str
    where: Where
    ingress: tuple[SgRule, ...]
    egress: tuple[SgRule, ...]


@dataclass
class Nacl:
    id: str
    vpc: str
    where: Where
    entries: tuple[NaclEntry, ...]


@dataclass
class Eni:
    """A network interface: real ones, and the ones the model infers for RDS instances and load
    balancer nodes (one per subnet they may be placed in)."""

    id: str
    subnet: str
    vpc: str
    where: Where
    private: AddrSet
    ipv6: AddrSet = EMPTY
    public_ips: list[str] = field(default_factory=list)
    groups: tuple[str, ...] = ()
    kind: str = "interface"
    """interface, instance, rds, lb, nat, endpoint."""
    owner: str = ""
    """ARN of the resource the interface belongs to (instance, DB, load balancer …)."""
    owner_type: str = ""
    attached: bool = True
    source_dest_check: bool = True

    @property
    def public(self) -> bool:
        return bool(self.public_ips)


@dataclass
class TgwAttachment:
    id: str
    tgw: str
    kind: str
    resource: str
    where: Where
    state: str = "available"
    route_table: str = ""


@dataclass
class TgwRoute:
    dest: str
    dest_set: AddrSet
    plen: int
    attachments: tuple[str, ...]
    blackhole: bool
    origin: str

    @property
    def text(self) -> str:
        target = "blackhole" if self.blackhole else ",".join(self.attachments)
        return f"{self.dest} -> {target} ({self.origin})"


@dataclass
class TgwRouteTable:
    id: str
    tgw: str
    where: Where
    routes: list[TgwRoute]
    _lpm: list[tuple[AddrSet, TgwRoute]] | None = None

    def lpm(self) -> list[tuple[AddrSet, TgwRoute]]:
        """Longest prefix first; on equal prefixes a static route wins over a propagated one."""
        if self._lpm is None:
            covered = EMPTY
            out: list[tuple[AddrSet, TgwRoute]] = []
            for r in sorted(self.routes, key=lambda r: (-r.plen, r.origin != "static")):
                eff = r.dest_set - covered
                if eff:
                    out.append((eff, r))
                    covered = covered | r.dest_set
            self._lpm = out
        return self._lpm


@dataclass
class Tgw:
    id: str
    where: Where
    sg_referencing: bool = False


@dataclass
class Peering:
    id: str
    where: Where
    requester: str
    accepter: str
    requester_region: str
    accepter_region: str
    active: bool


@dataclass
class Listener:
    port: int
    protocol: str
    target_groups: tuple[str, ...]
    redirect: str = ""


@dataclass
class TargetGroup:
    arn: str
    port: int
    protocol: str
    target_type: str
    targets: list[tuple[str, int]]


@dataclass
class LoadBalancer:
    arn: str
    where: Where
    kind: str
    """application, network, gateway."""
    internet_facing: bool
    vpc: str
    subnets: list[str]
    groups: tuple[str, ...]
    listeners: list[Listener]


@dataclass
class Network:
    """The whole organization's network, indexed."""

    vpcs: dict[str, Vpc] = field(default_factory=dict)
    subnets: dict[str, Subnet] = field(default_factory=dict)
    route_tables: dict[str, RouteTable] = field(default_factory=dict)
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    nacls: dict[str, Nacl] = field(default_factory=dict)
    enis: dict[str, Eni] = field(default_factory=dict)
    prefix_lists: dict[str, AddrSet] = field(default_factory=dict)
    tgws: dict[str, Tgw] = field(default_factory=dict)
    tgw_attachments: dict[str, TgwAttachment] = field(default_factory=dict)
    tgw_route_tables: dict[str, TgwRouteTable] = field(default_factory=dict)
    peerings: dict[str, Peering] = field(default_factory=dict)
    load_balancers: dict[str, LoadBalancer] = field(default_factory=dict)
    target_groups: dict[str, TargetGroup] = field(default_factory=dict)
    nat_gateways: dict[str, str] = field(default_factory=dict)
    """NAT gateway id -> its subnet."""
    owners: dict[str, Where] = field(default_factory=dict)
    """Resource ARN -> where (instances, DB instances, load balancers)."""
    db_ports: dict[str, int] = field(default_factory=dict)
    """DB instance ARN -> its listener port."""
    aliases: dict[str, str] = field(default_factory=dict)
    """Instance ids, DB identifiers, names -> owner ARN."""
    enis_by_subnet: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    enis_by_owner: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    subnets_by_vpc: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    attachments_by_vpc: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    peerings_by_vpc: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    """Results computed once per model (forwarding, exposure, isolation)."""
    notes: list[str] = field(default_factory=list)
    """What the builder skipped (unparseable CIDRs …): reported, never silent."""

    def add_eni(self, eni: Eni) -> None:
        self.enis[eni.id] = eni
        self.enis_by_subnet[eni.subnet].append(eni.id)
        if eni.owner:
            self.enis_by_owner[eni.owner].append(eni.id)

    def environment(self, eni: Eni, key: str) -> str | None:
        """The ``key`` tag of an interface, inherited from its owner, subnet, then VPC."""
        for tags in (
            eni.where.tags,
            self.owners[eni.owner].tags if eni.owner in self.owners else {},
            self.subnets[eni.subnet].where.tags if eni.subnet in self.subnets else {},
            self.vpcs[eni.vpc].where.tags if eni.vpc in self.vpcs else {},
        ):
            if key in tags:
                return tags[key]
        return None


def route(dest: str, kind: str, target: str, *, blackhole: bool = False, prefix_list: bool = False) -> Route:
    return Route(dest, cidr_set(dest), prefix_len(dest), kind, target, blackhole, prefix_list)
