"""``reach``: resolve the two ends a user names and answer one question, with the path or the
blocking component of every candidate path."""

from __future__ import annotations

from typing import Any

from secpillar.errors import UsageError
from secpillar.net.addr import INTERNET, AddrSet, cidr_set
from secpillar.net.flows import Endpoint, Verdict, endpoint_of, flow
from secpillar.net.model import Network
from secpillar.net.routing import Block, hops_json
from secpillar.net.rules import PROTO_LABEL, canon_proto, has_ports

PROTOCOLS = ("tcp", "udp", "icmp", "icmpv6")


def resolve(net: Network, text: str) -> list[Endpoint]:
    """``internet``, a CIDR or IP, an ENI/instance/subnet id, an RDS identifier, a load balancer
    name, or an ARN -> the endpoints it stands for (several for multi-homed resources)."""
    t = text.strip()
    if t.lower() == "internet":
        return [Endpoint("internet", "internet", INTERNET)]
    key = t.rsplit("/", 1)[-1] if t.startswith("arn:") and ":ec2:" in t else t
    if key in net.enis:
        return [endpoint_of(net.enis[key])]
    if key in net.subnets:
        s = net.subnets[key]
        return [Endpoint(s.id, "subnet", s.cidr, s.id)]
    owner = t if t in net.owners else net.aliases.get(key)
    if owner:
        enis = [net.enis[e] for e in net.enis_by_owner.get(owner, ())]
        if not enis:
            raise UsageError(
                f"{t!r} has no network interface in the inventory (its subnets were not collected?)"
            )
        return [endpoint_of(e, f"{e.where.name} ({e.id})") for e in enis]
    try:
        addrs = cidr_set(t)
    except ValueError:
        raise UsageError(
            f"cannot resolve {t!r}: use 'internet', a CIDR, or an ENI, instance, subnet, RDS or load "
            "balancer id, name or ARN present in the inventory"
        ) from None
    exact = [e for e in net.enis.values() if e.kind in ("instance", "interface") and addrs == e.private]
    if len(exact) == 1:
        return [endpoint_of(exact[0])]
    inside = [
        Endpoint(f"{t} in {s.id}", "subnet", addrs & s.cidr, s.id)
        for s in net.subnets.values()
        if s.cidr.overlaps(addrs)
    ]
    return inside or [Endpoint(t, "external", addrs)]


def _listener_block(net: Network, dst: Endpoint, port: int | None) -> Block | None:
    eni = dst.eni
    if eni is None or eni.kind != "lb" or eni.owner not in net.load_balancers:
        return None
    lb = net.load_balancers[eni.owner]
    if any(li.port == port for li in lb.listeners):
        return None
    return Block("ELBV2_LISTENERS_MISMATCH", lb.arn, "load-balancer", f"no listener on port {port}")


def reach(
    net: Network, source: str, dest: str, protocol: str = "tcp", port: int | None = None
) -> dict[str, Any]:
    proto = canon_proto(protocol)
    if PROTO_LABEL.get(proto) not in PROTOCOLS:
        raise UsageError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    if has_ports(proto) and port is None:
        raise UsageError("--port is required for tcp and udp")
    if port is not None and not 0 <= port <= 65535:
        raise UsageError(f"port {port} is out of range")
    srcs, dsts = resolve(net, source), resolve(net, dest)
    blocked: list[dict[str, Any]] = []
    candidates = 0
    for s in srcs:
        for d in dsts:
            if not (s.inside or d.inside):
                continue
            candidates += 1
            lb_block = _listener_block(net, d, port)
            verdict = Verdict(False, blocked=[lb_block]) if lb_block else flow(net, s, d, proto, port)
            if verdict.reachable:
                return {
                    "reachable": True,
                    "from": s.label,
                    "to": d.label,
                    "protocol": PROTO_LABEL[proto],
                    "port": port,
                    "path": hops_json(verdict.path),
                    "blocked_by": [],
                    "sources": verdict.sources.to_cidrs(4) if s.kind in ("internet", "external") else [],
                }
            for b in verdict.blocked:
                item = {"candidate": f"{s.label} -> {d.label}", **b.to_dict()}
                if item not in blocked:
                    blocked.append(item)
    if candidates == 0:
        raise UsageError("at least one end must be inside a VPC of the inventory")
    return {
        "reachable": False,
        "from": source,
        "to": dest,
        "protocol": PROTO_LABEL[proto],
        "port": port,
        "path": [],
        "blocked_by": blocked,
    }


def parse_cidr(text: str) -> AddrSet:
    try:
        return cidr_set(text)
    except ValueError:
        raise UsageError(f"not a CIDR or IP address: {text!r}") from None
