"""Checks that judge real reachability (``secpillar.net``), not the text of one rule: a database
or an SSH/RDP port the internet can actually reach, production connected to other environments
through a transit gateway or peering, "private" subnets routed to an internet gateway, and load
balancers that serve plain HTTP. The network model is built once per inventory and shared."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secpillar.checks.ec2 import admin_ports
from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import Resource, Severity
from secpillar.net import environment_crossings, exposure, network_for, reach
from secpillar.net.addr import EMPTY, AddrSet, cidr_set
from secpillar.net.model import (
    DB_INSTANCE,
    INSTANCE,
    LOAD_BALANCER,
    NETWORK_TYPES,
    PEERING,
    SUBNET,
    TRANSIT_GATEWAY,
    Network,
)

DEFAULT_PRODUCTION = ("PROD", "PRODUCTION")


def _others(*types: str) -> tuple[str, ...]:
    return tuple(t for t in NETWORK_TYPES if t not in types)


def _trusted(ctx: CheckContext) -> AddrSet:
    """Internet ranges the organization trusts (setting ``net_trusted_cidrs``; default none)."""
    out = EMPTY
    for c in ctx.setting("net_trusted_cidrs", ()):
        out = out | cidr_set(str(c))
    return out


def _blocker(net: Network, arn: str, port: int) -> str:
    answer = reach(net, "internet", arn, "tcp", port)
    if answer["reachable"] or not answer["blocked_by"]:
        return ""
    b = answer["blocked_by"][0]
    return f" (blocked: {b['code']} at {b['component']})"


@register
class DbReachableFromInternet(Check):
    id = "aws.net.db-reachable-from-internet"
    title = "Databases cannot be reached from the internet"
    severity = Severity.CRITICAL
    resource_types = (DB_INSTANCE,)
    reads = _others(DB_INSTANCE)
    wa = ("SEC05-BP01", "SEC05-BP02")
    fsbp = ("RDS.2",)
    risk = (
        "A database listener the internet can reach, through a public address, a route to an internet "
        "gateway, open network ACLs and a permissive security group, is one credential guess from a breach."
    )
    remediation = (
        "Set PubliclyAccessible=false, place the DB subnet group in subnets without a route to an internet "
        "gateway, and admit the database port only from the application tier's security group."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        net = network_for(ctx.inventory)
        if not net.enis_by_owner.get(resource.arn):
            return
        port = net.db_ports.get(resource.arn) or 0
        hits = [
            e
            for e in exposure(net)
            if e.resource == resource.arn and e.protocol == "tcp" and (not port or e.covers(port))
        ]
        name = resource.display_name
        if hits:
            e = hits[0]
            yield self.failed(
                f"DB instance '{name}' can be reached from the internet on tcp {port or e.ports[0][0]}: "
                f"{' -> '.join(h['component'] for h in e.path)}.",
                ports=[f"{lo}-{hi}" for lo, hi in e.ports],
                sources=e.sources_for(port or e.ports[0][0]).to_cidrs(4),
                path=e.path,
            )
        else:
            yield self.passed(
                f"DB instance '{name}' cannot be reached from the internet on port {port}"
                f"{_blocker(net, resource.arn, port) if port else ''}."
            )


@register
class AdminPortsReachableFromInternet(Check):
    id = "aws.net.admin-ports-reachable-from-internet"
    title = "SSH and RDP on instances cannot be reached from the internet"
    severity = Severity.HIGH
    resource_types = (INSTANCE,)
    reads = _others(INSTANCE)
    wa = ("SEC05-BP02", "SEC06-BP03")
    fsbp = ("EC2.13",)
    risk = (
        "A remote administration port reachable end to end (address, route, network ACL and security "
        "group all allowing it) exposes the instance to brute force and to exploits of the daemon."
    )
    remediation = (
        "Close the path at one layer at least: remove the public address, deny 22/3389 in the subnet's "
        "network ACL, or narrow the security group; administer through Session Manager."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        net = network_for(ctx.inventory)
        if not net.enis_by_owner.get(resource.arn):
            return
        trusted = _trusted(ctx)
        ports = admin_ports(ctx)
        found: list[dict[str, Any]] = []
        for e in exposure(net):
            if e.resource != resource.arn or e.protocol != "tcp":
                continue
            for port in ports:
                sources = e.sources_for(port) - trusted
                if e.covers(port) and sources:
                    found.append({"port": port, "sources": sources.to_cidrs(4), "via": e.via, "path": e.path})
        name = resource.display_name
        if found:
            first = found[0]
            yield self.failed(
                f"Instance '{name}' accepts connections from the internet on "
                f"{', '.join(str(f['port']) for f in found)} (from {', '.join(first['sources'])}): "
                f"{' -> '.join(h['component'] for h in first['path'])}.",
                reachable=found,
            )
        else:
            yield self.passed(
                f"Instance '{name}' cannot be reached from the internet on {', '.join(map(str, ports))}"
                f"{_blocker(net, resource.arn, ports[0]) if ports else ''}."
            )


@register
class EnvironmentsConnected(Check):
    id = "aws.net.environments-connected"
    title = "Production is not connected to other environments through transit gateways or peering"
    severity = Severity.HIGH
    resource_types = (TRANSIT_GATEWAY, PEERING)
    reads = _others(TRANSIT_GATEWAY, PEERING)
    wa = ("SEC01-BP01", "SEC05-BP02")
    risk = (
        "A route from a test or staging workload into production lets a compromise of the weaker "
        "environment, or a misconfigured test, reach production data."
    )
    remediation = (
        "Give production its own transit gateway route table: associate only production attachments with "
        "it, propagate only production attachments into it, and remove cross-environment static routes "
        "and peering connections (or block them with network ACLs and security groups)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        net = network_for(ctx.inventory)
        rid = resource.resource_id
        if rid not in net.tgws and rid not in net.peerings:
            return
        key = str(ctx.setting("net_environment_tag", "Environment"))
        prod = tuple(str(p) for p in ctx.setting("net_production_environments", DEFAULT_PRODUCTION))
        if not any(net.environment(e, key) for e in net.enis.values()):
            return  # no interface carries the tag: cannot tell environments apart
        through = [c for c in environment_crossings(net, key, prod) if rid in c.components]
        kind = "Transit gateway" if rid in net.tgws else "Peering connection"
        if through:
            c = through[0]
            yield self.failed(
                f"{kind} {rid} carries {len(through)} path(s) between production and other environments, "
                f"e.g. {c.source} -> {c.destination} on {c.protocol} {c.ports[0]}.",
                paths=[x.to_dict() for x in through[:10]],
            )
        else:
            yield self.passed(f"{kind} {rid} carries no path between production and other environments.")


def looks_private(resource: Resource) -> bool:
    """Named or tagged private (a Name containing 'private', or any tag whose value is 'private')."""
    name = resource.tags.get("Name", "").lower()
    return "private" in name or any(v.strip().lower() == "private" for v in resource.tags.values())


@register
class PrivateSubnetRoutesToIgw(Check):
    id = "aws.net.private-subnet-routes-to-igw"
    title = "Subnets meant to be private have no route to an internet gateway"
    severity = Severity.HIGH
    resource_types = (SUBNET,)
    reads = _others(SUBNET)
    wa = ("SEC05-BP01",)
    risk = (
        "A subnet named or tagged private whose effective route table (its own, or the VPC's main table) "
        "sends traffic to an attached internet gateway is public: anything given a public address in it "
        "is on the internet."
    )
    remediation = (
        "Associate the subnet with a private route table whose default route points at a NAT gateway "
        "(or nowhere), or rename/retag it if it is meant to be public."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        if not looks_private(resource):
            return
        net = network_for(ctx.inventory)
        sub = net.subnets.get(resource.resource_id)
        if sub is None or sub.route_table not in net.route_tables:
            return
        vpc = net.vpcs.get(sub.vpc)
        igws = set(vpc.igws) if vpc else set()
        routes = [
            r.text
            for _eff, r in net.route_tables[sub.route_table].lpm()
            if r.kind == "igw" and not r.blackhole and r.target in igws
        ]
        table = f"{'main ' if sub.route_table_is_main else ''}route table {sub.route_table}"
        name = resource.display_name
        if routes:
            exposed = sorted(
                {e.name for e in exposure(net) if set(e.interfaces) & set(net.enis_by_subnet.get(sub.id, ()))}
            )
            extra = f" Reachable from the internet in it now: {', '.join(exposed)}." if exposed else ""
            yield self.failed(
                f"Subnet '{name}' looks private but its {table} routes {', '.join(routes)} to an attached "
                f"internet gateway.{extra}",
                routeTable=sub.route_table,
                routes=routes,
                exposed=exposed,
            )
        else:
            yield self.passed(f"Subnet '{name}' has no route to an internet gateway ({table}).")


@register
class LbHttpWithoutHttps(Check):
    id = "aws.net.lb-http-without-https"
    title = "Internet-facing load balancers do not serve plain HTTP"
    severity = Severity.MEDIUM
    resource_types = (LOAD_BALANCER,)
    reads = _others(LOAD_BALANCER)
    wa = ("SEC09-BP02",)
    fsbp = ("ELB.1",)
    risk = (
        "An HTTP listener the internet reaches that forwards to targets instead of redirecting to HTTPS "
        "sends requests, cookies and credentials in clear text."
    )
    remediation = (
        "Replace the HTTP listener's forward action with a redirect to HTTPS (port 443, HTTP_301) and serve "
        "the application only from an HTTPS listener with an ACM certificate."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        net = network_for(ctx.inventory)
        lb = net.load_balancers.get(resource.arn)
        if lb is None or lb.kind != "application" or "Listeners" not in resource.supplementary:
            return
        plain = [
            li for li in lb.listeners if li.protocol == "HTTP" and not li.redirect.upper().startswith("HTTPS")
        ]
        reached = [li for li in plain if reach(net, "internet", lb.arn, "tcp", li.port)["reachable"]]
        name = resource.display_name
        if reached:
            has_https = any(li.protocol == "HTTPS" for li in lb.listeners)
            yield self.failed(
                f"Load balancer '{name}' serves plain HTTP to the internet on port(s) "
                f"{', '.join(str(li.port) for li in reached)}"
                f"{' alongside HTTPS' if has_https else ' and has no HTTPS listener'}: that traffic is "
                "not encrypted.",
                ports=[li.port for li in reached],
                https=has_https,
            )
        else:
            why = (
                "HTTP listeners redirect to HTTPS"
                if not plain
                else "its HTTP listeners are not reachable from the internet"
            )
            yield self.passed(f"Load balancer '{name}' serves no plain HTTP to the internet ({why}).")
