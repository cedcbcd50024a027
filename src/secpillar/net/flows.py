"""One flow, end to end: can traffic of a protocol and port get from a source to a destination?

The filters a packet meets, in order (Amazon VPC documentation): the source interface's security
groups (outbound), the source subnet's network ACL (outbound), the route tables and gateways on
the way, the destination subnet's network ACL (inbound) and the destination interface's security
groups (inbound). Network ACLs apply only when traffic crosses a subnet boundary. Security groups
are stateful; network ACLs are not, so a TCP connection also needs the reply to pass both ACLs on
an ephemeral port and a route back. UDP and ICMP are judged one way (a datagram that arrives,
arrived)."""

from __future__ import annotations

from dataclasses import dataclass, field

from secpillar.net.addr import ALL_V4, ALL_V6, EMPTY, AddrSet
from secpillar.net.model import Eni, Network
from secpillar.net.routing import Block, Hop, forward
from secpillar.net.rules import EPHEMERAL, TCP, Peer, SgRule, nacl_allowed, nacl_allowed_any_port, sg_allowed


@dataclass
class Endpoint:
    """A source or destination: the internet, an outside CIDR, an interface, or a subnet."""

    label: str
    kind: str
    """internet, external, eni, subnet."""
    addrs: AddrSet
    subnet: str = ""
    eni: Eni | None = None
    resource: str = ""

    @property
    def inside(self) -> bool:
        return self.kind in ("eni", "subnet")


@dataclass
class Verdict:
    reachable: bool
    path: list[Hop] = field(default_factory=list)
    blocked: list[Block] = field(default_factory=list)
    sources: AddrSet = EMPTY
    """The source addresses that get through (for an internet source: which of the internet)."""


def endpoint_of(eni: Eni, label: str = "") -> Endpoint:
    return Endpoint(label or eni.id, "eni", eni.private | eni.ipv6, eni.subnet, eni, eni.owner)


def _rules(net: Network, groups: tuple[str, ...], ingress: bool) -> list[tuple[str, tuple[SgRule, ...]]]:
    out = []
    for g in groups:
        sg = net.security_groups.get(g)
        if sg is not None:
            out.append((g, sg.ingress if ingress else sg.egress))
    return out


def sg_filter(
    net: Network, groups: tuple[str, ...], ingress: bool, proto: str, port: int | None, peer: Peer
) -> tuple[AddrSet, Hop | Block]:
    """The part of ``peer.addrs`` the groups admit (union over groups) and the hop or block."""
    allowed = EMPTY
    used: list[str] = []
    for gid, rules in _rules(net, groups, ingress):
        got, texts = sg_allowed(rules, proto, port, peer, net.prefix_lists)
        if got:
            allowed = allowed | got
            used.append(f"{gid}: {texts[0]}")
    label = "inbound" if ingress else "outbound"
    comp = ",".join(groups) or "(none)"
    if allowed:
        return allowed, Hop(comp, "security-group", f"{label} allowed by {'; '.join(used)}")
    return EMPTY, Block("ENI_SG_RULES_MISMATCH", comp, "security-group", f"no {label} rule matches")


def nacl_filter(
    net: Network,
    subnet: str,
    egress: bool,
    proto: str,
    port: int | None,
    addrs: AddrSet,
    *,
    reply: bool = False,
) -> tuple[AddrSet, Hop | Block]:
    sub = net.subnets.get(subnet)
    acl = net.nacls.get(sub.nacl) if sub is not None else None
    label = ("outbound" if egress else "inbound") + (" reply (ephemeral ports)" if reply else "")
    if acl is None:
        return addrs, Hop(subnet, "network-acl", f"{label}: no network ACL known (not judged)")
    if reply:
        got = nacl_allowed_any_port(acl.entries, egress, proto, EPHEMERAL, addrs)
        detail = f"{label} allowed" if got else f"{label} denied"
        used: list[str] = []
        denied = detail
    else:
        got, used, denied = nacl_allowed(acl.entries, egress, proto, port, addrs)
    if got:
        return got, Hop(acl.id, "network-acl", f"{label}: {used[0] if used else 'allowed'}")
    return EMPTY, Block("SUBNET_ACL_RESTRICTION", acl.id, "network-acl", f"{label}: {denied}")


def flow(net: Network, src: Endpoint, dst: Endpoint, proto: str, port: int | None) -> Verdict:
    if src.inside and dst.inside:
        return internal(net, src, dst, proto, port)
    if dst.inside:
        return inbound(net, src, dst, proto, port)
    if src.inside:
        return outbound(net, src, dst, proto, port)
    return Verdict(False, blocked=[Block("NOT_IN_MODEL", src.label, "endpoint", "neither end is in a VPC")])


def _has_sgs(eni: Eni | None) -> bool:
    """Whether security groups filter this interface (a Network Load Balancer may have none)."""
    return eni is not None and (bool(eni.groups) or eni.kind != "lb")


def _start(src: Endpoint) -> list[Hop]:
    return [Hop(src.eni.id if src.eni else src.label, "network-interface" if src.eni else src.kind, "source")]


def internal(
    net: Network, src: Endpoint, dst: Endpoint, proto: str, port: int | None, *, middlebox: bool = False
) -> Verdict:
    """Between two points in VPCs (``middlebox``: the source is a load balancer node that keeps
    its own connection state, so no return route is needed)."""
    if src.eni is not None and not src.eni.attached:
        return Verdict(False, blocked=[Block("UNATTACHED_INTERFACE", src.eni.id, "network-interface", "")])
    fwd = forward(net, src.subnet, dst.addrs)
    cands = fwd.delivered_to(dst.subnet, dst.addrs)
    if not cands:
        blocks = [b for b, addrs, _h in fwd.blocks if addrs.overlaps(dst.addrs)]
        if not blocks:
            where = next((e.target for e in fwd.egress if e.addrs.overlaps(dst.addrs)), src.subnet)
            blocks = [Block("NO_ROUTE_TO_DESTINATION", where, "route", f"{dst.label} is not routed here")]
        return Verdict(False, blocked=blocks)
    blocked: list[Block] = []
    cross = src.subnet != dst.subnet
    for d in cands:
        verdict = _candidate(
            net, src, dst, proto, port, d.addrs & dst.addrs, d.hops, d.sg_refs, cross, middlebox
        )
        if verdict.reachable:
            return verdict
        blocked += verdict.blocked
    return Verdict(False, blocked=blocked)


def _candidate(
    net: Network,
    src: Endpoint,
    dst: Endpoint,
    proto: str,
    port: int | None,
    dst_addrs: AddrSet,
    route_hops: list[Hop],
    sg_refs: bool,
    cross: bool,
    middlebox: bool,
) -> Verdict:
    path = _start(src)
    s_addrs, d_addrs = src.addrs, dst_addrs
    src_groups = frozenset(src.eni.groups) if src.eni is not None and sg_refs else frozenset()
    dst_groups = frozenset(dst.eni.groups) if dst.eni is not None and sg_refs else frozenset()
    if _has_sgs(src.eni):
        assert src.eni is not None
        d_addrs, step = sg_filter(net, src.eni.groups, False, proto, port, Peer(d_addrs, dst_groups))
        if isinstance(step, Block):
            return Verdict(False, blocked=[step])
        path.append(step)
    if cross:
        d_addrs, step = nacl_filter(net, src.subnet, True, proto, port, d_addrs)
        if isinstance(step, Block):
            return Verdict(False, blocked=[step])
        path.append(step)
    path += route_hops
    if cross:
        s_addrs, step = nacl_filter(net, dst.subnet, False, proto, port, s_addrs)
        if isinstance(step, Block):
            return Verdict(False, blocked=[step])
        path.append(step)
    if _has_sgs(dst.eni):
        assert dst.eni is not None
        s_addrs, step = sg_filter(net, dst.eni.groups, True, proto, port, Peer(s_addrs, src_groups))
        if isinstance(step, Block):
            return Verdict(False, blocked=[step])
        path.append(step)
    if proto == TCP:
        if not middlebox:
            back = forward(net, dst.subnet, s_addrs)
            ok = EMPTY
            for r in back.delivered_to(src.subnet, s_addrs):
                ok = ok | (r.addrs & s_addrs)
            if not ok:
                why = [b for b, a, _h in back.blocks if a.overlaps(s_addrs)]
                detail = f"{why[0].code} at {why[0].component}" if why else "replies are routed elsewhere"
                return Verdict(False, blocked=[Block("NO_RETURN_ROUTE", dst.subnet, "subnet", detail)])
            s_addrs = ok
        if cross:
            s_addrs, step = nacl_filter(net, dst.subnet, True, proto, None, s_addrs, reply=True)
            if isinstance(step, Block):
                return Verdict(False, blocked=[step])
            d_addrs, step2 = nacl_filter(net, src.subnet, False, proto, None, d_addrs, reply=True)
            if isinstance(step2, Block):
                return Verdict(False, blocked=[step2])
    path.append(
        Hop(dst.eni.id if dst.eni else dst.label, "network-interface" if dst.eni else dst.kind, "destination")
    )
    return Verdict(bool(s_addrs and d_addrs), path, sources=s_addrs)


def inbound(net: Network, src: Endpoint, dst: Endpoint, proto: str, port: int | None) -> Verdict:
    """From the internet (or an outside CIDR) to an interface or subnet, through the internet gateway."""
    vpc = net.vpcs.get(net.subnets[dst.subnet].vpc) if dst.subnet in net.subnets else None
    if vpc is None:
        return Verdict(False, blocked=[Block("NOT_IN_MODEL", dst.subnet, "subnet", "not collected")])
    if dst.eni is not None and not dst.eni.attached:
        return Verdict(False, blocked=[Block("UNATTACHED_INTERFACE", dst.eni.id, "network-interface", "")])
    if not vpc.igws:
        return Verdict(
            False, blocked=[Block("IGW_NOT_ATTACHED", vpc.id, "vpc", "no internet gateway attached")]
        )
    blocked: list[Block] = []
    s4, s6 = src.addrs & ALL_V4, src.addrs & ALL_V6
    eni = dst.eni
    if eni is not None and s4 and not eni.public:
        blocked.append(Block("NO_PUBLIC_ADDRESS", eni.id, "network-interface", "only private IPv4 addresses"))
        s4 = EMPTY
    if eni is not None and s6 and not eni.ipv6:
        if not s4:
            blocked.append(Block("NO_IPV6_ADDRESS", eni.id, "network-interface", ""))
        s6 = EMPTY
    s_addrs = s4 | s6
    if not s_addrs:
        return Verdict(False, blocked=blocked)
    igw = vpc.igws[0]
    path = [Hop(src.label, src.kind, "source"), Hop(igw, "internet-gateway", f"into {vpc.id}")]
    s_addrs, step = nacl_filter(net, dst.subnet, False, proto, port, s_addrs)
    if isinstance(step, Block):
        return Verdict(False, blocked=[step])
    path.append(step)
    if _has_sgs(eni):
        assert eni is not None
        s_addrs, step = sg_filter(net, eni.groups, True, proto, port, Peer(s_addrs))
        if isinstance(step, Block):
            return Verdict(False, blocked=[step])
        path.append(step)
    if proto == TCP:
        back = forward(net, dst.subnet, s_addrs)
        ok = EMPTY
        for e in back.egress:
            if e.kind == "igw" and e.target in vpc.igws:
                ok = ok | (e.addrs & s_addrs)
        if not ok:
            kinds = sorted({e.kind for e in back.egress if e.addrs.overlaps(s_addrs)})
            code = "EGRESS_ONLY_GATEWAY" if kinds == ["eigw"] else "NO_RETURN_ROUTE"
            detail = f"replies leave through {', '.join(kinds)}" if kinds else "no route back to the internet"
            rt = net.subnets[dst.subnet].route_table
            return Verdict(False, blocked=[Block(code, rt, "route-table", detail)])
        path.append(Hop(net.subnets[dst.subnet].route_table, "route-table", f"replies routed to {igw}"))
        s_addrs, step = nacl_filter(net, dst.subnet, True, proto, None, ok, reply=True)
        if isinstance(step, Block):
            return Verdict(False, blocked=[step])
    path.append(Hop(eni.id if eni else dst.label, "network-interface" if eni else dst.kind, "destination"))
    return Verdict(bool(s_addrs), path, sources=s_addrs)


def outbound(net: Network, src: Endpoint, dst: Endpoint, proto: str, port: int | None) -> Verdict:
    """From an interface or subnet out to the internet (or an outside CIDR)."""
    path = _start(src)
    d_addrs = dst.addrs
    if src.eni is not None:
        d_addrs, step = sg_filter(net, src.eni.groups, False, proto, port, Peer(d_addrs))
        if isinstance(step, Block):
            return Verdict(False, blocked=[step])
        path.append(step)
    d_addrs, step = nacl_filter(net, src.subnet, True, proto, port, d_addrs)
    if isinstance(step, Block):
        return Verdict(False, blocked=[step])
    path.append(step)
    fwd = forward(net, src.subnet, d_addrs)
    public4 = src.eni is None or src.eni.public
    for e in fwd.egress:
        part = e.addrs & d_addrs
        ok = EMPTY
        if e.kind == "igw":
            ok = (part & ALL_V4 if public4 else EMPTY) | (
                part & ALL_V6 if src.eni is None or src.eni.ipv6 else EMPTY
            )
        elif e.kind == "eigw":
            ok = part & ALL_V6
        elif e.kind == "nat":
            nat_subnet = net.nat_gateways.get(e.target, "")
            if nat_subnet in net.subnets:
                onward = forward(net, nat_subnet, part & ALL_V4)
                for o in onward.egress:
                    if o.kind == "igw":
                        ok = ok | o.addrs
        elif dst.kind == "external":
            ok = part
        if ok and proto == TCP:
            ok, step = nacl_filter(net, src.subnet, False, proto, None, ok, reply=True)
            if isinstance(step, Block):
                return Verdict(False, blocked=[step])
        if ok:
            return Verdict(
                True,
                [
                    *path,
                    *e.hops,
                    Hop(e.target, e.kind, "leaves the VPC"),
                    Hop(dst.label, dst.kind, "destination"),
                ],
            )
    blocks = [b for b, a, _h in fwd.blocks if a.overlaps(d_addrs)]
    return Verdict(
        False,
        blocked=blocks
        or [
            Block(
                "NO_ROUTE_TO_DESTINATION",
                net.subnets[src.subnet].route_table if src.subnet in net.subnets else src.subnet,
                "route-table",
                "no usable route to the internet",
            )
        ],
    )
