"""Exposure: every resource the internet can reach, with the ports and one path each.

Built for organization scale: decisions are computed once per (subnet, security-group set) and per
*port class* (the port ranges on which every rule involved decides alike), over address sets, so
the cost grows with the number of distinct configurations, not with interfaces, ports and
sources multiplied."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from secpillar.net.addr import ALL_V4, ALL_V6, EMPTY, INTERNET, AddrSet
from secpillar.net.flows import Endpoint, endpoint_of, flow, internal
from secpillar.net.model import Eni, Network
from secpillar.net.routing import forward, hops_json
from secpillar.net.rules import (
    EPHEMERAL,
    PROTO_LABEL,
    TCP,
    UDP,
    Peer,
    nacl_allowed,
    nacl_allowed_any_port,
    nacl_bounds,
    port_classes,
    sg_allowed,
    sg_bounds,
)

INTERNET_END = Endpoint("internet", "internet", INTERNET)


@dataclass
class Exposed:
    resource: str
    resource_type: str
    name: str
    account: str
    region: str
    protocol: str
    ports: list[tuple[int, int]]
    via: str = "direct"
    """direct, or load-balancer."""
    through: str = ""
    interfaces: list[str] = field(default_factory=list)
    path: list[dict[str, Any]] = field(default_factory=list)
    sources: list[AddrSet] = field(default_factory=list)
    """Per entry of ``ports``: the internet addresses that get through."""

    def sources_for(self, port: int) -> AddrSet:
        out = EMPTY
        for (lo, hi), src in zip(self.ports, self.sources, strict=False):
            if lo <= port <= hi:
                out = out | src
        return out

    def covers(self, port: int) -> bool:
        return any(lo <= port <= hi for lo, hi in self.ports)

    def to_dict(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "type": self.resource_type,
            "name": self.name,
            "account": self.account,
            "region": self.region,
            "protocol": self.protocol,
            "ports": [_text(r) for r in self.ports],
            "sources": {_text(r): s.to_cidrs(4) for r, s in zip(self.ports, self.sources, strict=False)},
            "via": self.via,
            "through": self.through,
            "interfaces": self.interfaces,
            "path": self.path,
        }


def _text(r: tuple[int, int]) -> str:
    return f"{r[0]}" if r[0] == r[1] else f"{r[0]}-{r[1]}"


def _merge_src(items: list[tuple[int, int, AddrSet]]) -> list[tuple[int, int, AddrSet]]:
    out: list[tuple[int, int, AddrSet]] = []
    for lo, hi, src in sorted(items, key=lambda x: (x[0], x[1])):
        if out and lo <= out[-1][1] + 1 and out[-1][2] == src:
            out[-1] = (out[-1][0], max(out[-1][1], hi), src)
        else:
            out.append((lo, hi, src))
    return out


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _replies_ok(net: Network, subnet: str, sources: AddrSet) -> AddrSet:
    """Internet sources whose TCP replies leave ``subnet`` through its VPC's internet gateway and
    pass the subnet's outbound ACL on some ephemeral port (cached per subnet and source set)."""
    key = ("replies", subnet, sources)
    if key in net.cache:
        return net.cache[key]  # type: ignore[no-any-return]
    sub = net.subnets[subnet]
    igws = net.vpcs[sub.vpc].igws
    ok = EMPTY
    for e in forward(net, subnet, sources).egress:
        if e.kind == "igw" and e.target in igws:
            ok = ok | e.addrs
    acl = net.nacls.get(sub.nacl)
    if acl is not None and ok:
        ok = nacl_allowed_any_port(acl.entries, True, TCP, EPHEMERAL, ok)
    net.cache[key] = ok
    return ok


def open_ports(net: Network, eni: Eni, proto: str) -> list[tuple[int, int, AddrSet]]:
    """The port ranges of ``proto`` on which internet sources reach ``eni`` directly, each with
    the sources that get through."""
    sources = (ALL_V4 if eni.public else EMPTY) | (ALL_V6 if eni.ipv6 else EMPTY)
    key = ("open", eni.subnet, eni.groups, sources, proto)
    if key in net.cache:
        return net.cache[key]  # type: ignore[no-any-return]
    sources = sources & INTERNET
    sub = net.subnets[eni.subnet]
    acl = net.nacls.get(sub.nacl)
    groups = [net.security_groups[g] for g in eni.groups if g in net.security_groups]
    filtered = bool(eni.groups) or eni.kind != "lb"
    bounds = nacl_bounds(acl.entries, False) if acl is not None else set()
    for g in groups:
        bounds |= sg_bounds(g.ingress)
    replies = _replies_ok(net, eni.subnet, sources) if proto == TCP else sources
    found: list[tuple[int, int, AddrSet]] = []
    if replies:
        for lo, hi in port_classes(bounds):
            s = nacl_allowed(acl.entries, False, proto, lo, replies)[0] if acl is not None else replies
            if s and filtered:
                got = EMPTY
                for g in groups:
                    got = got | sg_allowed(g.ingress, proto, lo, Peer(s), net.prefix_lists)[0]
                s = got
            if s:
                found.append((lo, hi, s))
    result = _merge_src(found)
    net.cache[key] = result
    return result


def exposure(net: Network, protocols: tuple[str, ...] = (TCP, UDP)) -> list[Exposed]:
    key = ("exposure", protocols)
    if key not in net.cache:
        net.cache[key] = _direct(net, protocols) + _through_load_balancers(net)
    return list(net.cache[key])


def _direct(net: Network, protocols: tuple[str, ...]) -> list[Exposed]:
    found: dict[tuple[str, str], Exposed] = {}
    for eni in net.enis.values():
        if not eni.attached or eni.kind in ("nat", "lb", "endpoint") or not (eni.public or eni.ipv6):
            continue
        vpc = net.vpcs.get(eni.vpc)
        if vpc is None or not vpc.igws or eni.subnet not in net.subnets:
            continue
        for proto in protocols:
            ports = open_ports(net, eni, proto)
            if not ports:
                continue
            owner = eni.owner or eni.where.arn
            where = net.owners.get(owner, eni.where)
            k = (owner, proto)
            if k not in found:
                verdict = flow(net, INTERNET_END, endpoint_of(eni), proto, ports[0][0])
                found[k] = Exposed(
                    owner,
                    eni.owner_type or "AWS::EC2::NetworkInterface",
                    where.name,
                    where.account,
                    where.region,
                    PROTO_LABEL[proto],
                    [],
                    interfaces=[],
                    path=hops_json(verdict.path),
                )
            ex = found[k]
            merged = _merge_src(
                [(lo, hi, s) for (lo, hi), s in zip(ex.ports, ex.sources, strict=False)] + ports
            )
            ex.ports = [(lo, hi) for lo, hi, _ in merged]
            ex.sources = [s for _, _, s in merged]
            ex.interfaces.append(eni.id)
    return list(found.values())


def _through_load_balancers(net: Network) -> list[Exposed]:
    out: list[Exposed] = []
    for lb in net.load_balancers.values():
        if not lb.internet_facing:
            continue
        nodes = [net.enis[e] for e in net.enis_by_owner.get(lb.arn, ())]
        open_listeners: list[tuple[int, int]] = []
        lb_sources = EMPTY
        lb_path: list[dict[str, Any]] = []
        for li in lb.listeners:
            proto = UDP if li.protocol == "UDP" else TCP
            reached = [
                (n, v)
                for n in nodes
                if (v := flow(net, INTERNET_END, endpoint_of(n), proto, li.port)).reachable
            ]
            if not reached:
                continue
            open_listeners.append((li.port, li.port))
            lb_sources = lb_sources | reached[0][1].sources
            lb_path = lb_path or hops_json(reached[0][1].path)
            for tg_arn in li.target_groups:
                tg = net.target_groups.get(tg_arn)
                if tg is None:
                    continue
                nodes_ok = [n for n, _ in reached]
                for tid, tport in tg.targets:
                    out += _target(net, lb.arn, lb.kind, li.port, proto, nodes_ok, tid, tport or tg.port)
        if open_listeners:
            out.append(
                Exposed(
                    lb.arn,
                    "AWS::ElasticLoadBalancingV2::LoadBalancer",
                    lb.where.name,
                    lb.where.account,
                    lb.where.region,
                    "tcp",
                    _merge(open_listeners),
                    interfaces=[n.id for n in nodes],
                    path=lb_path,
                    sources=[lb_sources] * len(_merge(open_listeners)),
                )
            )
    return out


def _target(
    net: Network, lb_arn: str, kind: str, port: int, proto: str, nodes: list[Eni], target: str, tport: int
) -> list[Exposed]:
    owner = net.aliases.get(target, "")
    enis = (
        [net.enis[e] for e in net.enis_by_owner.get(owner, ())]
        if owner
        else [e for e in net.enis.values() if e.private.sample() == target]
    )
    for node in nodes:
        # A Network Load Balancer keeps the client's address (instance targets): the target sees the internet.
        src = Endpoint(node.id, "subnet", INTERNET, node.subnet) if kind == "network" else endpoint_of(node)
        for eni in enis:
            v = internal(net, src, endpoint_of(eni), proto, tport, middlebox=True)
            if v.reachable:
                where = net.owners.get(eni.owner, eni.where)
                return [
                    Exposed(
                        eni.owner or eni.where.arn,
                        eni.owner_type or "AWS::EC2::NetworkInterface",
                        where.name,
                        where.account,
                        where.region,
                        PROTO_LABEL[proto],
                        [(port, port)],
                        "load-balancer",
                        lb_arn,
                        [eni.id],
                        hops_json(v.path),
                        [INTERNET],
                    )
                ]
    return []
