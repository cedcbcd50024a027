"""Address sets: unions of IPv4 and IPv6 ranges as sorted, disjoint integer intervals.

Every filter along a path (a NACL's ordered entries, a security group's rules, a route table's
longest-prefix match) maps a set of addresses to the part it lets through, so the engine reasons
about *all* sources or destinations at once instead of sampling addresses."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

V4_MAX = (1 << 32) - 1
V6_MAX = (1 << 128) - 1
Interval = tuple[int, int]


def _normalize(items: Iterable[Interval]) -> tuple[Interval, ...]:
    out: list[list[int]] = []
    for lo, hi in sorted(items):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return tuple((a, b) for a, b in out)


def _intersect(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _subtract(a: tuple[Interval, ...], b: tuple[Interval, ...]) -> tuple[Interval, ...]:
    out: list[Interval] = []
    j = 0
    for lo, hi in a:
        cur = lo
        while j < len(b) and b[j][1] < cur:
            j += 1
        k = j
        while k < len(b) and b[k][0] <= hi:
            if b[k][0] > cur:
                out.append((cur, b[k][0] - 1))
            cur = max(cur, b[k][1] + 1)
            if cur > hi:
                break
            k += 1
        if cur <= hi:
            out.append((cur, hi))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class AddrSet:
    """A set of IPv4 and IPv6 addresses (immutable)."""

    v4: tuple[Interval, ...] = ()
    v6: tuple[Interval, ...] = ()

    @staticmethod
    def of(*cidrs: str) -> AddrSet:
        out = EMPTY
        for c in cidrs:
            out = out | cidr_set(c)
        return out

    def __or__(self, other: AddrSet) -> AddrSet:
        if not other:
            return self
        if not self:
            return other
        return AddrSet(_normalize(self.v4 + other.v4), _normalize(self.v6 + other.v6))

    def __and__(self, other: AddrSet) -> AddrSet:
        return AddrSet(_intersect(self.v4, other.v4), _intersect(self.v6, other.v6))

    def __sub__(self, other: AddrSet) -> AddrSet:
        if not other:
            return self
        return AddrSet(_subtract(self.v4, other.v4), _subtract(self.v6, other.v6))

    def __bool__(self) -> bool:
        return bool(self.v4 or self.v6)

    def overlaps(self, other: AddrSet) -> bool:
        return bool(self & other)

    def contains(self, other: AddrSet) -> bool:
        return not (other - self)

    def sample(self) -> str:
        """One address of the set (the lowest IPv4 one first)."""
        if self.v4:
            return str(ipaddress.IPv4Address(self.v4[0][0]))
        if self.v6:
            return str(ipaddress.IPv6Address(self.v6[0][0]))
        return ""

    def to_cidrs(self, limit: int = 8) -> list[str]:
        """The set as CIDR blocks (at most ``limit``, then ``…``)."""
        out: list[str] = []
        for fam, items in ((4, self.v4), (6, self.v6)):
            for lo, hi in items:
                first: ipaddress.IPv4Address | ipaddress.IPv6Address
                last: ipaddress.IPv4Address | ipaddress.IPv6Address
                if fam == 4:
                    first, last = ipaddress.IPv4Address(lo), ipaddress.IPv4Address(hi)
                else:
                    first, last = ipaddress.IPv6Address(lo), ipaddress.IPv6Address(hi)
                for net in ipaddress.summarize_address_range(first, last):
                    out.append(str(net))
                    if len(out) >= limit:
                        return [*out, "…"]
        return out


EMPTY = AddrSet()


@lru_cache(maxsize=65536)
def cidr_set(cidr: str) -> AddrSet:
    """``10.0.0.0/16``, ``10.0.0.5`` or ``2001:db8::/32`` -> its address set (ValueError if bad)."""
    net = ipaddress.ip_network(cidr.strip(), strict=False)
    lo, hi = int(net.network_address), int(net.broadcast_address)
    return AddrSet(v4=((lo, hi),)) if net.version == 4 else AddrSet(v6=((lo, hi),))


def prefix_len(cidr: str) -> int:
    return ipaddress.ip_network(cidr.strip(), strict=False).prefixlen


ALL_V4 = AddrSet(v4=((0, V4_MAX),))
ALL_V6 = AddrSet(v6=((0, V6_MAX),))
ALL = ALL_V4 | ALL_V6

_NOT_INTERNET = (
    "0.0.0.0/8",
    "10.0.0.0/8",
    "100.64.0.0/10",
    "127.0.0.0/8",
    "169.254.0.0/16",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "224.0.0.0/3",
    "::/8",
    "fc00::/7",
    "fe80::/10",
    "ff00::/8",
)
INTERNET = ALL - AddrSet.of(*_NOT_INTERNET)
"""Addresses a packet from the internet can carry as its source: everything but private
(RFC 1918, RFC 6598, ULA), loopback, link-local and multicast space."""
