"""Inventory -> :class:`Network` (pure). ``network_for`` caches the model per inventory."""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.model import Inventory, Resource
from secpillar.net import model as m
from secpillar.net.addr import EMPTY, AddrSet, cidr_set, prefix_len
from secpillar.net.rules import parse_nacl_entries, parse_sg_rules

_CACHE: dict[int, tuple[weakref.ref[Inventory], int, m.Network]] = {}


def network_for(inventory: Inventory) -> m.Network:
    """The network model of ``inventory``, built once (rebuilt when resources were added)."""
    key = id(inventory)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is inventory and hit[1] == len(inventory):
        return hit[2]
    net = build_network(inventory.resources)
    _CACHE[key] = (weakref.ref(inventory), len(inventory), net)
    for k in [k for k, v in _CACHE.items() if v[0]() is None]:
        del _CACHE[k]
    return net


def _where(r: Resource) -> m.Where:
    return m.Where(r.arn, r.account_id, r.region, r.display_name, dict(r.tags))


def _cidrs(net: m.Network, texts: Iterable[Any], what: str) -> tuple[AddrSet, list[str]]:
    out, kept = EMPTY, []
    for t in texts:
        if not t:
            continue
        try:
            out = out | cidr_set(str(t))
            kept.append(str(t))
        except ValueError:
            net.notes.append(f"{what}: ignored the unparseable CIDR {t!r}")
    return out, kept


def build_network(resources: Iterable[Resource]) -> m.Network:
    net = m.Network()
    by_type: dict[str, list[Resource]] = {}
    for r in resources:
        by_type.setdefault(r.resource_type, []).append(r)

    def each(t: str) -> list[Resource]:
        return by_type.get(t, [])

    for r in each(m.PREFIX_LIST):
        entries = r.supplementary.get("Entries") or r.configuration.get("entries") or ()
        net.prefix_lists[r.resource_id] = _cidrs(net, (e.get("cidr") for e in entries), r.resource_id)[0]
    for r in each(m.VPC):
        c = r.configuration
        texts = [c.get("cidrBlock")]
        texts += [a.get("cidrBlock") for a in c.get("cidrBlockAssociationSet") or ()]
        texts += [a.get("ipv6CidrBlock") for a in c.get("ipv6CidrBlockAssociationSet") or ()]
        cidrs, kept = _cidrs(net, dict.fromkeys(t for t in texts if t), r.resource_id)
        net.vpcs[r.resource_id] = m.Vpc(r.resource_id, _where(r), cidrs, kept)
    for r in each(m.INTERNET_GATEWAY):
        for att in r.configuration.get("attachments") or ():
            vpc = net.vpcs.get(str(att.get("vpcId")))
            if vpc is not None and str(att.get("state", "available")) in ("available", "attached"):
                vpc.igws.append(r.resource_id)
    for r in each(m.SUBNET):
        c = r.configuration
        texts = [c.get("cidrBlock")] + [
            a.get("ipv6CidrBlock") for a in c.get("ipv6CidrBlockAssociationSet") or ()
        ]
        cidr, kept = _cidrs(net, [t for t in texts if t], r.resource_id)
        vpc_id = str(c.get("vpcId", ""))
        net.subnets[r.resource_id] = m.Subnet(
            r.resource_id, vpc_id, _where(r), cidr, kept, bool(c.get("mapPublicIpOnLaunch"))
        )
        net.subnets_by_vpc[vpc_id].append(r.resource_id)
    _route_tables(net, each(m.ROUTE_TABLE))
    _nacls(net, each(m.NETWORK_ACL))
    for r in each(m.SECURITY_GROUP):
        c = r.configuration
        net.security_groups[r.resource_id] = m.SecurityGroup(
            r.resource_id,
            str(c.get("vpcId", "")),
            _where(r),
            parse_sg_rules(c.get("ipPermissions") or ()),
            parse_sg_rules(c.get("ipPermissionsEgress") or ()),
        )
    for r in each(m.NAT_GATEWAY):
        net.nat_gateways[r.resource_id] = str(r.configuration.get("subnetId", ""))
    _peerings(net, each(m.PEERING))
    _transit(net, each(m.TRANSIT_GATEWAY), each(m.TGW_ATTACHMENT), each(m.TGW_ROUTE_TABLE))
    from secpillar.net.endpoints import add_endpoints

    add_endpoints(net, by_type)
    return net


def _route_kind(route: Mapping[str, Any]) -> tuple[str, str]:
    for key, kind in (
        ("transitGatewayId", "tgw"),
        ("vpcPeeringConnectionId", "pcx"),
        ("natGatewayId", "nat"),
        ("egressOnlyInternetGatewayId", "eigw"),
        ("networkInterfaceId", "eni"),
        ("instanceId", "eni"),
        ("localGatewayId", "other"),
        ("carrierGatewayId", "other"),
        ("coreNetworkArn", "other"),
    ):
        if route.get(key):
            return kind, str(route[key])
    gw = str(route.get("gatewayId") or "")
    if gw == "local":
        return "local", "local"
    for prefix, kind in (("igw-", "igw"), ("eigw-", "eigw"), ("vpce-", "vpce"), ("vgw-", "vgw")):
        if gw.startswith(prefix):
            return kind, gw
    return ("other", gw) if gw else ("other", "unknown")


def _route_tables(net: m.Network, tables: list[Resource]) -> None:
    explicit: dict[str, str] = {}
    for r in tables:
        c = r.configuration
        vpc_id = str(c.get("vpcId", ""))
        routes: list[m.Route] = []
        for raw in c.get("routes") or ():
            kind, target = _route_kind(raw)
            blackhole = str(raw.get("state", "active")).lower() == "blackhole"
            dests = [raw.get("destinationCidrBlock"), raw.get("destinationIpv6CidrBlock")]
            for d in (x for x in dests if x):
                try:
                    routes.append(m.route(str(d), kind, target, blackhole=blackhole))
                except ValueError:
                    net.notes.append(f"{r.resource_id}: ignored the route to {d!r}")
            pl = raw.get("destinationPrefixListId")
            if pl:
                cidrs = net.prefix_lists.get(str(pl))
                if cidrs is None:
                    net.notes.append(f"{r.resource_id}: route to prefix list {pl} whose entries are unknown")
                    continue
                for text in cidrs.to_cidrs(limit=10_000):
                    if text != "…":
                        routes.append(
                            m.Route(str(pl), cidr_set(text), prefix_len(text), kind, target, blackhole, True)
                        )
        net.route_tables[r.resource_id] = m.RouteTable(r.resource_id, vpc_id, _where(r), routes)
        for assoc in c.get("associations") or ():
            if assoc.get("main") and vpc_id in net.vpcs:
                net.vpcs[vpc_id].main_rt = r.resource_id
            elif assoc.get("subnetId"):
                explicit[str(assoc["subnetId"])] = r.resource_id
    for sub in net.subnets.values():
        if sub.id in explicit:
            sub.route_table = explicit[sub.id]
        elif sub.vpc in net.vpcs and net.vpcs[sub.vpc].main_rt:
            sub.route_table, sub.route_table_is_main = net.vpcs[sub.vpc].main_rt, True


def _nacls(net: m.Network, acls: list[Resource]) -> None:
    default_by_vpc: dict[str, str] = {}
    for r in acls:
        c = r.configuration
        vpc_id = str(c.get("vpcId", ""))
        net.nacls[r.resource_id] = m.Nacl(
            r.resource_id, vpc_id, _where(r), parse_nacl_entries(c.get("entries") or ())
        )
        if c.get("isDefault"):
            default_by_vpc[vpc_id] = r.resource_id
        for assoc in c.get("associations") or ():
            sub = net.subnets.get(str(assoc.get("subnetId")))
            if sub is not None:
                sub.nacl = r.resource_id
    for sub in net.subnets.values():
        if not sub.nacl and sub.vpc in default_by_vpc:
            sub.nacl = default_by_vpc[sub.vpc]


def _peerings(net: m.Network, items: list[Resource]) -> None:
    for r in items:
        c = r.configuration
        if r.resource_id in net.peerings:
            continue  # listed by both accounts of a cross-account peering
        req, acc = c.get("requesterVpcInfo") or {}, c.get("accepterVpcInfo") or {}
        p = m.Peering(
            r.resource_id,
            _where(r),
            str(req.get("vpcId", "")),
            str(acc.get("vpcId", "")),
            str(req.get("region") or r.region),
            str(acc.get("region") or r.region),
            str((c.get("status") or {}).get("code", "")).lower() == "active",
        )
        net.peerings[p.id] = p
        net.peerings_by_vpc[p.requester].append(p.id)
        net.peerings_by_vpc[p.accepter].append(p.id)


def _transit(net: m.Network, tgws: list[Resource], atts: list[Resource], tables: list[Resource]) -> None:
    for r in tgws:
        opts = r.configuration.get("options") or {}
        net.tgws[r.resource_id] = m.Tgw(
            r.resource_id, _where(r), str(opts.get("securityGroupReferencingSupport", "")).lower() == "enable"
        )
    for r in atts:
        c = r.configuration
        assoc = c.get("association") or {}
        att = m.TgwAttachment(
            r.resource_id,
            str(c.get("transitGatewayId", "")),
            str(c.get("resourceType", "")),
            str(c.get("resourceId", "")),
            _where(r),
            str(c.get("state", "available")),
            str(assoc.get("transitGatewayRouteTableId", ""))
            if assoc.get("state", "associated") == "associated"
            else "",
        )
        net.tgw_attachments[att.id] = att
        if att.kind == "vpc":
            net.attachments_by_vpc[att.resource].append(att.id)
    for r in tables:
        routes: list[m.TgwRoute] = []
        static: set[str] = set()
        for raw in r.supplementary.get("Routes") or ():
            dest = raw.get("destinationCidrBlock")
            if not dest:
                continue
            atts_ = tuple(
                str(a.get("transitGatewayAttachmentId"))
                for a in raw.get("transitGatewayAttachments") or ()
                if a.get("transitGatewayAttachmentId")
            )
            origin = str(raw.get("type", "static"))
            routes.append(
                m.TgwRoute(
                    str(dest),
                    cidr_set(str(dest)),
                    prefix_len(str(dest)),
                    atts_,
                    str(raw.get("state", "active")) == "blackhole",
                    origin,
                )
            )
            static.add(f"{dest}|{','.join(atts_)}")
        # Propagation installs each propagating VPC's CIDRs (search results may omit them; moto does).
        for prop in r.supplementary.get("Propagations") or ():
            if str(prop.get("state", "enabled")) != "enabled":
                continue
            patt = net.tgw_attachments.get(str(prop.get("transitGatewayAttachmentId")))
            vpc = net.vpcs.get(patt.resource) if patt is not None and patt.kind == "vpc" else None
            if patt is None or vpc is None:
                continue
            for text in vpc.cidr_texts:
                if f"{text}|{patt.id}" in static:
                    continue
                routes.append(
                    m.TgwRoute(text, cidr_set(text), prefix_len(text), (patt.id,), False, "propagated")
                )
        for assoc in r.supplementary.get("Associations") or ():
            aatt = net.tgw_attachments.get(str(assoc.get("transitGatewayAttachmentId")))
            if aatt is not None and str(assoc.get("state", "associated")) == "associated":
                aatt.route_table = r.resource_id
        tgw = str(r.configuration.get("transitGatewayId", ""))
        net.tgw_route_tables[r.resource_id] = m.TgwRouteTable(r.resource_id, tgw, _where(r), routes)
