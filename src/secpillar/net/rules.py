"""Security-group and network-ACL evaluation over address sets.

* Security groups are **stateful** allow-lists: a flow passes when any rule of any group on the
  interface matches its protocol and port and names the peer (CIDR, IPv6 CIDR, prefix list, or a
  group the peer belongs to). The reply is allowed automatically.
* Network ACLs are **stateless** and ordered: entries are taken by ascending rule number, the first
  entry that matches decides, and what no entry matches is denied (the ``*`` rule; moto creates
  custom ACLs with no entries at all, so the implicit deny is applied here, never assumed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secpillar.net.addr import EMPTY, AddrSet, cidr_set

ALL_PROTOCOLS = "-1"
TCP, UDP, ICMP, ICMPV6 = "6", "17", "1", "58"
_NAMES = {"all": "-1", "-1": "-1", "tcp": TCP, "udp": UDP, "icmp": ICMP, "icmpv6": ICMPV6}
PROTO_LABEL = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6", "-1": "all"}
EPHEMERAL = (1024, 65535)
"""Client ports a reply can go back to. An attacker chooses the source port, so a return path
that allows *any* port of this range makes the connection possible."""


def canon_proto(value: Any) -> str:
    """``tcp``/``6``/``TCP`` -> ``6``; ``all``/``-1`` -> ``-1``; other numbers stay as they are."""
    text = str(value).strip().lower()
    return _NAMES.get(text, text)


def has_ports(proto: str) -> bool:
    return proto in (TCP, UDP)


@dataclass(frozen=True, slots=True)
class SgRule:
    proto: str
    lo: int
    hi: int
    cidrs: AddrSet
    groups: frozenset[str]
    prefix_lists: tuple[str, ...]
    text: str

    def matches(self, proto: str, port: int | None) -> bool:
        if self.proto not in (ALL_PROTOCOLS, proto):
            return False
        if has_ports(proto) and port is not None:
            return self.lo <= port <= self.hi
        return True


def _ports(start: Any, end: Any) -> tuple[int, int]:
    lo = -1 if start is None else int(start)
    hi = -1 if end is None else int(end)
    if lo == -1 and hi in (-1, 65535):
        return 0, 65535
    if lo == -1:
        return 0, 65535
    return lo, (lo if hi == -1 else hi)


def parse_sg_rules(perms: Iterable[Mapping[str, Any]]) -> tuple[SgRule, ...]:
    out: list[SgRule] = []
    for perm in perms:
        proto = canon_proto(perm.get("ipProtocol", "-1"))
        lo, hi = _ports(perm.get("fromPort"), perm.get("toPort")) if has_ports(proto) else (0, 65535)
        cidrs = EMPTY
        names: list[str] = []
        for r in perm.get("ipRanges") or ():
            if r.get("cidrIp"):
                cidrs = cidrs | cidr_set(str(r["cidrIp"]))
                names.append(str(r["cidrIp"]))
        for r in perm.get("ipv6Ranges") or ():
            if r.get("cidrIpv6"):
                cidrs = cidrs | cidr_set(str(r["cidrIpv6"]))
                names.append(str(r["cidrIpv6"]))
        groups = frozenset(str(p["groupId"]) for p in perm.get("userIdGroupPairs") or () if p.get("groupId"))
        pls = tuple(str(p["prefixListId"]) for p in perm.get("prefixListIds") or () if p.get("prefixListId"))
        label = PROTO_LABEL.get(proto, proto)
        ports = "" if not has_ports(proto) else (f" {lo}" if lo == hi else f" {lo}-{hi}")
        text = f"{label}{ports} from/to {', '.join([*names, *sorted(groups), *pls]) or 'nothing'}"
        out.append(SgRule(proto, lo, hi, cidrs, groups, pls, text))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class NaclEntry:
    number: int
    proto: str
    lo: int
    hi: int
    cidr: AddrSet
    cidr_text: str
    allow: bool
    egress: bool

    def matches(self, proto: str, port: int | None) -> bool:
        if self.proto not in (ALL_PROTOCOLS, proto):
            return False
        if has_ports(proto) and port is not None and self.proto != ALL_PROTOCOLS:
            return self.lo <= port <= self.hi
        return True

    @property
    def text(self) -> str:
        action = "allow" if self.allow else "deny"
        label = PROTO_LABEL.get(self.proto, self.proto)
        ports = f" {self.lo}-{self.hi}" if has_ports(self.proto) else ""
        return f"rule {self.number} {action} {label}{ports} {self.cidr_text}"


def parse_nacl_entries(entries: Iterable[Mapping[str, Any]]) -> tuple[NaclEntry, ...]:
    out: list[NaclEntry] = []
    for e in entries:
        proto = canon_proto(e.get("protocol", "-1"))
        rng = e.get("portRange") or {}
        lo, hi = _ports(rng.get("from"), rng.get("to")) if rng else (0, 65535)
        text = str(e.get("cidrBlock") or e.get("ipv6CidrBlock") or "")
        if not text:
            continue
        out.append(
            NaclEntry(
                number=int(e.get("ruleNumber", 32767)),
                proto=proto,
                lo=lo,
                hi=hi,
                cidr=cidr_set(text),
                cidr_text=text,
                allow=str(e.get("ruleAction", "deny")).lower() == "allow",
                egress=bool(e.get("egress")),
            )
        )
    return tuple(sorted(out, key=lambda x: (x.egress, x.number)))


@dataclass(frozen=True, slots=True)
class Peer:
    """The other end of a flow as a filter sees it: its addresses and (for security-group
    references) the groups it belongs to, when a reference can name it on this path."""

    addrs: AddrSet
    groups: frozenset[str] = field(default_factory=frozenset)


def sg_allowed(
    rules: Iterable[SgRule],
    proto: str,
    port: int | None,
    peer: Peer,
    prefix_lists: Mapping[str, AddrSet],
) -> tuple[AddrSet, list[str]]:
    """The part of ``peer.addrs`` the rules admit, and the texts of the rules that admit it."""
    allowed = EMPTY
    used: list[str] = []
    for rule in rules:
        if not rule.matches(proto, port):
            continue
        part = rule.cidrs
        for pl in rule.prefix_lists:
            part = part | prefix_lists.get(pl, EMPTY)
        if rule.groups & peer.groups:
            part = part | peer.addrs
        got = part & peer.addrs
        if got:
            allowed = allowed | got
            used.append(rule.text)
    return allowed, used


def nacl_allowed(
    entries: Sequence[NaclEntry], egress: bool, proto: str, port: int | None, addrs: AddrSet
) -> tuple[AddrSet, list[str], str]:
    """First match wins, by rule number: the part of ``addrs`` allowed, the allowing entries,
    and the text of what denies the rest (an entry, or the implicit deny)."""
    remaining, allowed = addrs, EMPTY
    used: list[str] = []
    denied_by = ""
    for e in entries:
        if e.egress != egress or not remaining:
            continue
        if not e.matches(proto, port):
            continue
        hit = remaining & e.cidr
        if not hit:
            continue
        remaining = remaining - hit
        if e.allow:
            allowed = allowed | hit
            used.append(e.text)
        elif not denied_by:
            denied_by = e.text
    if remaining and not denied_by:
        denied_by = "implicit deny (*)"
    return allowed, used, denied_by


def nacl_allowed_any_port(
    entries: Sequence[NaclEntry], egress: bool, proto: str, ports: tuple[int, int], addrs: AddrSet
) -> AddrSet:
    """Addresses for which *some* port of ``ports`` is allowed (the return leg of a connection:
    the client's ephemeral port is its own choice)."""
    if not has_ports(proto):
        return nacl_allowed(entries, egress, proto, None, addrs)[0]
    out = EMPTY
    for lo, _hi in port_classes(nacl_bounds(entries, egress), ports):
        out = out | nacl_allowed(entries, egress, proto, lo, addrs)[0]
        if out.contains(addrs):
            break
    return out


def nacl_bounds(entries: Iterable[NaclEntry], egress: bool) -> set[int]:
    out: set[int] = set()
    for e in entries:
        if e.egress == egress and has_ports(e.proto):
            out.update((e.lo, e.hi + 1))
    return out


def sg_bounds(rules: Iterable[SgRule]) -> set[int]:
    out: set[int] = set()
    for r in rules:
        if has_ports(r.proto):
            out.update((r.lo, r.hi + 1))
    return out


def port_classes(bounds: Iterable[int], within: tuple[int, int] = (0, 65535)) -> list[tuple[int, int]]:
    """Split ``within`` at ``bounds`` into ranges on which every rule decides the same way."""
    lo, hi = within
    cuts = sorted({b for b in bounds if lo < b <= hi})
    out: list[tuple[int, int]] = []
    start = lo
    for c in cuts:
        out.append((start, c - 1))
        start = c
    out.append((start, hi))
    return out
