"""Symbolic forwarding: follow a *set* of destination addresses from a subnet through route tables,
peering connections and transit gateways, splitting it wherever routes diverge.

Rules applied (Amazon VPC and Transit Gateway documentation):

* a subnet uses its explicitly associated route table, else the VPC's main route table;
* the most specific route wins (longest prefix match); the ``local`` route delivers inside the VPC;
* a blackhole route drops the traffic;
* VPC peering is not transitive: the peer VPC accepts only traffic for its own CIDRs;
* a transit gateway routes with the route table *associated* with the ingress attachment; routes
  come from static entries and from attachments *propagating* into that table; static beats
  propagated on equal prefixes; a blackhole route drops.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from secpillar.net.addr import EMPTY, AddrSet
from secpillar.net.model import Network

MAX_HOPS = 24


@dataclass(frozen=True)
class Hop:
    component: str
    type: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"component": self.component, "type": self.type, "detail": self.detail}


@dataclass(frozen=True)
class Block:
    code: str
    component: str
    type: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "component": self.component, "type": self.type, "detail": self.detail}


@dataclass
class Delivery:
    """Addresses that arrive in ``subnet`` along ``hops``."""

    subnet: str
    addrs: AddrSet
    hops: list[Hop]
    via: tuple[str, ...]
    """Peering connections, transit gateways and attachments crossed."""
    sg_refs: bool
    """Whether security-group references still name the source here (same VPC, same-region
    peering, or a transit gateway with security group referencing enabled)."""


@dataclass
class Egress:
    """Addresses that leave the modelled network through a gateway (internet, NAT, endpoint …)."""

    kind: str
    target: str
    addrs: AddrSet
    hops: list[Hop]
    vpc: str


@dataclass
class Forwarding:
    deliveries: list[Delivery] = field(default_factory=list)
    egress: list[Egress] = field(default_factory=list)
    blocks: list[tuple[Block, AddrSet, list[Hop]]] = field(default_factory=list)

    def delivered_to(self, subnet: str, addrs: AddrSet | None = None) -> list[Delivery]:
        out = []
        for d in self.deliveries:
            if d.subnet == subnet and (addrs is None or d.addrs.overlaps(addrs)):
                out.append(d)
        return out


def forward(net: Network, subnet_id: str, dest: AddrSet) -> Forwarding:
    """Where traffic from ``subnet_id`` to ``dest`` goes (memoised per model)."""
    key = ("fwd", subnet_id, dest)
    hit = net.cache.get(key)
    if hit is None:
        hit = net.cache[key] = _forward(net, subnet_id, dest)
    assert isinstance(hit, Forwarding)
    return hit


def _forward(net: Network, subnet_id: str, dest: AddrSet) -> Forwarding:
    out = Forwarding()
    subnet = net.subnets.get(subnet_id)
    if subnet is None or not subnet.route_table or subnet.route_table not in net.route_tables:
        out.blocks.append(
            (Block("NOT_IN_MODEL", subnet_id, "subnet", "no route table known for the subnet"), dest, [])
        )
        return out
    start = Hop(subnet.route_table, "route-table", "main route table" if subnet.route_table_is_main else "")
    queue: deque[tuple[str, str, AddrSet, list[Hop], tuple[str, ...], bool]] = deque(
        [("rt", subnet.route_table, dest, [start], (), True)]
    )
    seen: dict[tuple[str, str], AddrSet] = {}
    while queue:
        kind, node, addrs, hops, via, refs = queue.popleft()
        done = seen.get((kind, node), EMPTY)
        addrs = addrs - done
        if not addrs:
            continue
        seen[(kind, node)] = done | addrs
        if len(hops) > MAX_HOPS:
            out.blocks.append((Block("LOOP_OR_TOO_MANY_HOPS", node, kind, "hop limit"), addrs, hops))
            continue
        if kind == "rt":
            _route_table(net, node, addrs, hops, via, refs, queue, out)
        elif kind == "tgw-rt":
            _tgw_table(net, node, addrs, hops, via, refs, queue, out)
        else:
            _arrive(net, node, addrs, hops, via, refs, out, from_tgw=kind == "vpc-tgw")
    return out


Queue = deque[tuple[str, str, AddrSet, list[Hop], tuple[str, ...], bool]]


def _route_table(
    net: Network,
    rt_id: str,
    addrs: AddrSet,
    hops: list[Hop],
    via: tuple[str, ...],
    refs: bool,
    queue: Queue,
    out: Forwarding,
) -> None:
    table = net.route_tables[rt_id]
    rest = addrs
    for eff, route in table.lpm():
        part = rest & eff
        if not part:
            continue
        rest = rest - part
        here = [*hops[:-1], Hop(rt_id, "route-table", _join(hops[-1].detail, f"route {route.text}"))]
        if route.blackhole:
            out.blocks.append(
                (Block("BLACKHOLE_ROUTE", rt_id, "route-table", f"route {route.text}"), part, here)
            )
        elif route.kind == "local":
            queue.append(("vpc", table.vpc, part, here, via, refs))
        elif route.kind == "pcx":
            _peering(net, table.vpc, route.target, rt_id, part, here, via, refs, queue, out)
        elif route.kind == "tgw":
            _enter_tgw(net, table.vpc, route.target, part, here, via, refs, queue, out)
        elif route.kind == "eni":
            eni = net.enis.get(route.target) or next(
                (e for e in net.enis.values() if e.owner.endswith(f"/{route.target}")), None
            )
            if eni is None:
                out.blocks.append(
                    (Block("NOT_IN_MODEL", route.target, "network-interface", "route target"), part, here)
                )
            elif eni.source_dest_check:
                out.blocks.append(
                    (Block("SOURCE_DEST_CHECK", eni.id, "network-interface", "appliance"), part, here)
                )
            elif eni.subnet in net.subnets and net.subnets[eni.subnet].route_table:
                nxt = net.subnets[eni.subnet].route_table
                queue.append(
                    (
                        "rt",
                        nxt,
                        part,
                        [*here, Hop(eni.id, "network-interface", "appliance"), Hop(nxt, "route-table", "")],
                        via,
                        refs,
                    )
                )
        else:
            out.egress.append(Egress(route.kind, route.target, part, here, table.vpc))
    if rest:
        out.blocks.append(
            (
                Block(
                    "NO_ROUTE_TO_DESTINATION",
                    rt_id,
                    "route-table",
                    f"no route for {', '.join(rest.to_cidrs(3))}",
                ),
                rest,
                hops,
            )
        )


def _peering(
    net: Network,
    vpc: str,
    pcx_id: str,
    rt_id: str,
    addrs: AddrSet,
    hops: list[Hop],
    via: tuple[str, ...],
    refs: bool,
    queue: Queue,
    out: Forwarding,
) -> None:
    pcx = net.peerings.get(pcx_id)
    if pcx is None:
        out.blocks.append(
            (Block("NOT_IN_MODEL", pcx_id, "vpc-peering-connection", "not collected"), addrs, hops)
        )
        return
    if not pcx.active or vpc not in (pcx.requester, pcx.accepter):
        out.blocks.append(
            (Block("BAD_STATE_ATTACHMENT", pcx_id, "vpc-peering-connection", "not active"), addrs, hops)
        )
        return
    other = pcx.accepter if vpc == pcx.requester else pcx.requester
    peer = net.vpcs.get(other)
    here = [*hops, Hop(pcx_id, "vpc-peering-connection", f"{vpc} -> {other}")]
    if peer is None:
        out.egress.append(Egress("pcx", pcx_id, addrs, here, vpc))
        return
    inside = addrs & peer.cidrs
    if addrs - inside:
        out.blocks.append(
            (
                Block(
                    "PEERING_NOT_TRANSITIVE",
                    pcx_id,
                    "vpc-peering-connection",
                    f"{other} accepts only its own CIDRs",
                ),
                addrs - inside,
                here,
            )
        )
    if inside:
        same_region = pcx.requester_region == pcx.accepter_region
        queue.append(("vpc", other, inside, here, (*via, pcx_id), refs and same_region))


def _enter_tgw(
    net: Network,
    vpc: str,
    tgw_id: str,
    addrs: AddrSet,
    hops: list[Hop],
    via: tuple[str, ...],
    refs: bool,
    queue: Queue,
    out: Forwarding,
) -> None:
    atts = [
        net.tgw_attachments[a]
        for a in net.attachments_by_vpc.get(vpc, ())
        if net.tgw_attachments[a].tgw == tgw_id and net.tgw_attachments[a].state == "available"
    ]
    if not atts:
        out.blocks.append(
            (
                Block("TGW_ATTACHMENT_MISSING", tgw_id, "transit-gateway", f"no attachment for {vpc}"),
                addrs,
                hops,
            )
        )
        return
    att = atts[0]
    here = [*hops, Hop(att.id, "transit-gateway-attachment", f"{vpc} -> {tgw_id}")]
    if not att.route_table or att.route_table not in net.tgw_route_tables:
        out.blocks.append(
            (Block("TGW_ATTACHMENT_NOT_ASSOCIATED", att.id, "transit-gateway-attachment", ""), addrs, here)
        )
        return
    tgw = net.tgws.get(tgw_id)
    sg_ok = refs and tgw is not None and tgw.sg_referencing
    queue.append(
        (
            "tgw-rt",
            att.route_table,
            addrs,
            [*here, Hop(att.route_table, "transit-gateway-route-table", "")],
            (*via, tgw_id, att.id),
            sg_ok,
        )
    )


def _tgw_table(
    net: Network,
    rt_id: str,
    addrs: AddrSet,
    hops: list[Hop],
    via: tuple[str, ...],
    refs: bool,
    queue: Queue,
    out: Forwarding,
) -> None:
    table = net.tgw_route_tables[rt_id]
    rest = addrs
    for eff, route in table.lpm():
        part = rest & eff
        if not part:
            continue
        rest = rest - part
        here = [*hops[:-1], Hop(rt_id, "transit-gateway-route-table", f"route {route.text}")]
        if route.blackhole:
            out.blocks.append(
                (
                    Block("BLACKHOLE_ROUTE", rt_id, "transit-gateway-route-table", f"route {route.text}"),
                    part,
                    here,
                )
            )
            continue
        for att_id in route.attachments[:1]:
            att = net.tgw_attachments.get(att_id)
            if att is None or att.state != "available":
                out.blocks.append(
                    (Block("BAD_STATE_ATTACHMENT", att_id, "transit-gateway-attachment", ""), part, here)
                )
            elif att.kind == "vpc":
                step = Hop(att.id, "transit-gateway-attachment", f"{table.tgw} -> {att.resource}")
                queue.append(("vpc-tgw", att.resource, part, [*here, step], (*via, att.id), refs))
            else:
                out.egress.append(Egress(f"tgw-{att.kind}", att.id, part, here, ""))
    if rest:
        out.blocks.append(
            (
                Block(
                    "TGW_RTB_CANNOT_ROUTE",
                    rt_id,
                    "transit-gateway-route-table",
                    f"no route for {', '.join(rest.to_cidrs(3))}",
                ),
                rest,
                hops,
            )
        )


def _arrive(
    net: Network,
    vpc_id: str,
    addrs: AddrSet,
    hops: list[Hop],
    via: tuple[str, ...],
    refs: bool,
    out: Forwarding,
    *,
    from_tgw: bool,
) -> None:
    vpc = net.vpcs.get(vpc_id)
    if vpc is None:
        out.blocks.append((Block("NOT_IN_MODEL", vpc_id, "vpc", "not collected"), addrs, hops))
        return
    inside = addrs & vpc.cidrs
    if from_tgw and addrs - inside:
        out.blocks.append(
            (
                Block(
                    "NO_ROUTE_TO_DESTINATION",
                    vpc_id,
                    "vpc",
                    "traffic from the transit gateway for addresses outside the VPC",
                ),
                addrs - inside,
                hops,
            )
        )
    for sid in net.subnets_by_vpc.get(vpc_id, ()):
        part = inside & net.subnets[sid].cidr
        if part:
            out.deliveries.append(Delivery(sid, part, [*hops, Hop(sid, "subnet", "")], via, refs))


def _join(a: str, b: str) -> str:
    return f"{a}; {b}" if a else b


def hops_json(hops: list[Hop]) -> list[dict[str, Any]]:
    return [h.to_dict() for h in hops]
