"""Isolation: prove that no interface of one group can open a connection to one of another group
(either direction), or show the paths that exist.

Groups are selected by tag (``Environment=PROD``, inherited interface <- owner <- subnet <- VPC) or
by ``account=ID``. The search is a breadth-first forwarding of the *whole* destination address set
from each source subnet (``routing.forward``), so only subnet pairs that routing connects are looked
at; each such pair is then judged per security-group set and per port class."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from secpillar.errors import UsageError
from secpillar.net.addr import EMPTY, AddrSet
from secpillar.net.flows import Endpoint, internal
from secpillar.net.model import Eni, Network
from secpillar.net.routing import forward, hops_json
from secpillar.net.rules import PROTO_LABEL, TCP, UDP, nacl_bounds, port_classes, sg_bounds


@dataclass
class Crossing:
    source: str
    destination: str
    protocol: str
    ports: tuple[int, int]
    path: list[dict[str, Any]]
    components: list[str] = field(default_factory=list)
    """Transit gateways, attachments and peering connections the path crosses."""

    def to_dict(self) -> dict[str, Any]:
        lo, hi = self.ports
        return {
            "from": self.source,
            "to": self.destination,
            "protocol": self.protocol,
            "ports": f"{lo}" if lo == hi else f"{lo}-{hi}",
            "through": self.components,
            "path": self.path,
        }


def parse_selector(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip() or not value.strip():
        raise UsageError(f"selector {text!r} must look like Key=Value (a tag) or account=ID")
    return key.strip(), value.strip()


def select(net: Network, selector: str) -> list[Eni]:
    key, value = parse_selector(selector)
    out = []
    for eni in net.enis.values():
        if not eni.attached or eni.kind == "nat":
            continue
        if key.lower() == "account":
            got: str | None = eni.where.account
        else:
            got = net.environment(eni, key)
        if got is not None and got.lower() == value.lower():
            out.append(eni)
    return out


def _by_subnet(enis: list[Eni]) -> dict[str, dict[tuple[str, ...], list[Eni]]]:
    out: dict[str, dict[tuple[str, ...], list[Eni]]] = defaultdict(lambda: defaultdict(list))
    for e in enis:
        out[e.subnet][e.groups].append(e)
    return out


def _endpoint(net: Network, enis: list[Eni]) -> Endpoint:
    addrs = EMPTY
    for e in enis:
        addrs = addrs | e.private | e.ipv6
    rep = enis[0]
    label = ", ".join(sorted({net_label(net, e) for e in enis})[:3])
    return Endpoint(label, "eni", addrs, rep.subnet, rep, rep.owner)


def net_label(net: Network, e: Eni) -> str:
    """The owner's name (instance, DB, load balancer) or the interface's own, with the interface id."""
    name = net.owners[e.owner].name if e.owner in net.owners else e.where.name
    return f"{name} ({e.id})" if name and name != e.id else e.id


def _components(net: Network, path: list[dict[str, Any]]) -> list[str]:
    out: list[str] = []
    for hop in path:
        if hop["type"] == "transit-gateway-attachment":
            att = net.tgw_attachments.get(hop["component"])
            for c in (att.tgw if att else "", hop["component"]):
                if c and c not in out:
                    out.append(c)
        elif (
            hop["type"] in ("vpc-peering-connection", "transit-gateway-route-table")
            and hop["component"] not in out
        ):
            out.append(hop["component"])
    return out


def crossings(
    net: Network, a: list[Eni], b: list[Eni], protocols: tuple[str, ...] = (TCP, UDP)
) -> list[Crossing]:
    """Every (source subnet, group set) -> (destination subnet, group set) pair with a path,
    with the first port class of each protocol that gets through."""
    found: list[Crossing] = []
    b_sub = _by_subnet(b)
    dest: AddrSet = EMPTY
    for e in b:
        dest = dest | e.private | e.ipv6
    if not dest:
        return found
    for s, groups_a in _by_subnet(a).items():
        if s not in net.subnets:
            continue
        for d in forward(net, s, dest).deliveries:
            if d.subnet not in b_sub:
                continue
            for ga, enis_a in groups_a.items():
                src = _endpoint(net, enis_a)
                for gb, enis_b in b_sub[d.subnet].items():
                    dst = _endpoint(net, enis_b)
                    found += _judge(net, src, dst, ga, gb, protocols)
    return found


def _judge(
    net: Network,
    src: Endpoint,
    dst: Endpoint,
    ga: tuple[str, ...],
    gb: tuple[str, ...],
    protocols: tuple[str, ...],
) -> list[Crossing]:
    bounds: set[int] = set()
    for sid in (src.subnet, dst.subnet):
        acl = net.nacls.get(net.subnets[sid].nacl) if sid in net.subnets else None
        if acl is not None:
            bounds |= nacl_bounds(acl.entries, True) | nacl_bounds(acl.entries, False)
    for g in ga:
        if g in net.security_groups:
            bounds |= sg_bounds(net.security_groups[g].egress)
    for g in gb:
        if g in net.security_groups:
            bounds |= sg_bounds(net.security_groups[g].ingress)
    out = []
    for proto in protocols:
        for lo, hi in port_classes(bounds):
            v = internal(net, src, dst, proto, lo)
            if v.reachable:
                path = hops_json(v.path)
                out.append(
                    Crossing(src.label, dst.label, PROTO_LABEL[proto], (lo, hi), path, _components(net, path))
                )
                break
    return out


def isolation(net: Network, between: str, and_: str) -> dict[str, Any]:
    a, b = select(net, between), select(net, and_)
    forward_paths = crossings(net, a, b)
    backward_paths = crossings(net, b, a)
    return {
        "isolated": not forward_paths and not backward_paths,
        "between": between,
        "and": and_,
        "interfaces": {"between": len(a), "and": len(b)},
        "paths": [c.to_dict() for c in forward_paths] + [c.to_dict() for c in backward_paths],
    }


def environment_crossings(net: Network, key: str, production: tuple[str, ...]) -> list[Crossing]:
    """Paths between production and non-production interfaces (by the ``key`` tag), both ways; cached."""
    ck = ("env-crossings", key, production)
    if ck not in net.cache:
        prod_values = {p.lower() for p in production}
        prod: list[Eni] = []
        other: list[Eni] = []
        for eni in net.enis.values():
            if not eni.attached or eni.kind == "nat":
                continue
            env = net.environment(eni, key)
            if env is None:
                continue
            (prod if env.lower() in prod_values else other).append(eni)
        net.cache[ck] = crossings(net, prod, other) + crossings(net, other, prod)
    return list(net.cache[ck])
