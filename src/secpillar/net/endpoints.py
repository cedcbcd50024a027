"""The interfaces traffic starts and ends at: collected ENIs, the ENIs of instances (when ENIs
were not collected), Elastic IPs, and the interfaces the model infers for RDS instances and load
balancer nodes (AWS creates them, but describes them only as requester-managed ENIs)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secpillar.model import Resource
from secpillar.net import model as m
from secpillar.net.addr import EMPTY, AddrSet, cidr_set

_NAT_TYPES = {"nat_gateway"}
_LB_TYPES = {"network_load_balancer", "gateway_load_balancer", "load_balancer"}
DB_DEFAULT_PORTS = {
    "postgres": 5432,
    "aurora-postgresql": 5432,
    "mysql": 3306,
    "aurora-mysql": 3306,
    "mariadb": 3306,
    "oracle": 1521,
    "sqlserver": 1433,
}


def _where(r: Resource) -> m.Where:
    return m.Where(r.arn, r.account_id, r.region, r.display_name, dict(r.tags))


def _addrs(raw: Mapping[str, Any]) -> tuple[AddrSet, AddrSet, list[str]]:
    private, ipv6, public = EMPTY, EMPTY, []
    ips = [p.get("privateIpAddress") for p in raw.get("privateIpAddresses") or ()] or [
        raw.get("privateIpAddress")
    ]
    for ip in ips:
        if ip:
            private = private | cidr_set(str(ip))
    for p in raw.get("privateIpAddresses") or ():
        pub = (p.get("association") or {}).get("publicIp")
        if pub:
            public.append(str(pub))
    top = (raw.get("association") or {}).get("publicIp")
    if top and top not in public:
        public.append(str(top))
    for a in raw.get("ipv6Addresses") or ():
        if a.get("ipv6Address"):
            ipv6 = ipv6 | cidr_set(str(a["ipv6Address"]))
    return private, ipv6, public


def _eni_from(raw: Mapping[str, Any], where: m.Where, owner: str, owner_type: str, kind: str) -> m.Eni:
    private, ipv6, public = _addrs(raw)
    att = raw.get("attachment") or {}
    attached = str(raw.get("status", "in-use")) == "in-use" or bool(att.get("instanceId"))
    return m.Eni(
        id=str(raw.get("networkInterfaceId")),
        subnet=str(raw.get("subnetId", "")),
        vpc=str(raw.get("vpcId", "")),
        where=where,
        private=private,
        ipv6=ipv6,
        public_ips=public,
        groups=tuple(str(g["groupId"]) for g in raw.get("groups") or () if g.get("groupId")),
        kind=kind,
        owner=owner,
        owner_type=owner_type,
        attached=attached,
        source_dest_check=bool(raw.get("sourceDestCheck", True)),
    )


def add_endpoints(net: m.Network, by_type: Mapping[str, list[Resource]]) -> None:
    instances: dict[str, Resource] = {}
    for r in by_type.get(m.INSTANCE, ()):
        if str((r.configuration.get("state") or {}).get("name", "running")) in (
            "terminated",
            "shutting-down",
        ):
            continue
        instances[r.resource_id] = r
        net.owners[r.arn] = _where(r)
        net.aliases[r.resource_id] = r.arn
    nat_enis = {
        str(a.get("networkInterfaceId"))
        for r in by_type.get(m.NAT_GATEWAY, ())
        for a in r.configuration.get("natGatewayAddresses") or ()
        if a.get("networkInterfaceId")
    }
    eips = {
        str(r.configuration.get("networkInterfaceId")): str(r.configuration.get("publicIp"))
        for r in by_type.get(m.EIP, ())
        if r.configuration.get("networkInterfaceId") and r.configuration.get("publicIp")
    }
    for r in by_type.get(m.ENI, ()):
        c = r.configuration
        iid = str((c.get("attachment") or {}).get("instanceId") or "")
        itype = str(c.get("interfaceType", "interface"))
        owner, owner_type, kind = "", "", "interface"
        if iid and iid in instances:
            owner, owner_type, kind = instances[iid].arn, m.INSTANCE, "instance"
        elif r.resource_id in nat_enis or itype in _NAT_TYPES:
            kind = "nat"
        elif itype in _LB_TYPES or str(c.get("description", "")).startswith("ELB "):
            kind = "lb"
        elif itype == "vpc_endpoint":
            kind = "endpoint"
        eni = _eni_from(c, _where(r), owner, owner_type, kind)
        if r.resource_id in eips and eips[r.resource_id] not in eni.public_ips:
            eni.public_ips.append(eips[r.resource_id])
        net.add_eni(eni)
    for r in instances.values():
        for raw in r.configuration.get("networkInterfaces") or ():
            eid = str(raw.get("networkInterfaceId") or "")
            if not eid or eid in net.enis:
                continue
            net.add_eni(_eni_from({**raw, "status": "in-use"}, _where(r), r.arn, m.INSTANCE, "instance"))
    _databases(net, by_type.get(m.DB_INSTANCE, []))
    _load_balancers(net, by_type.get(m.LOAD_BALANCER, []), by_type.get(m.TARGET_GROUP, []))


def _databases(net: m.Network, dbs: list[Resource]) -> None:
    """One inferred interface per subnet of the DB subnet group: the instance (or its standby after a
    failover) may sit in any of them. A publicly accessible instance gets a public address."""
    for r in dbs:
        c = r.configuration
        net.owners[r.arn] = _where(r)
        net.aliases[str(c.get("dbInstanceIdentifier") or r.name)] = r.arn
        engine = str(c.get("engine", "")).lower()
        port = (
            (c.get("endpoint") or {}).get("port")
            or c.get("dbInstancePort")
            or DB_DEFAULT_PORTS.get(engine, 0)
        )
        net.db_ports[r.arn] = int(port or 0)
        groups = tuple(
            str(g["vpcSecurityGroupId"])
            for g in c.get("vpcSecurityGroups") or ()
            if g.get("vpcSecurityGroupId")
        )
        public = bool(c.get("publiclyAccessible"))
        for sub in (c.get("dbSubnetGroup") or {}).get("subnets") or ():
            sid = str(sub.get("subnetIdentifier", ""))
            subnet = net.subnets.get(sid)
            if subnet is None:
                continue
            net.add_eni(
                m.Eni(
                    id=f"{r.name or r.resource_id}@{sid}",
                    subnet=sid,
                    vpc=subnet.vpc,
                    where=_where(r),
                    private=AddrSet(v4=subnet.cidr.v4),
                    public_ips=["(public address of the DB endpoint)"] if public else [],
                    groups=groups,
                    kind="rds",
                    owner=r.arn,
                    owner_type=m.DB_INSTANCE,
                )
            )


def _load_balancers(net: m.Network, lbs: list[Resource], tgs: list[Resource]) -> None:
    for r in tgs:
        c = r.configuration
        targets = []
        for t in r.supplementary.get("Targets") or ():
            tgt = t.get("target") or t
            if tgt.get("id"):
                targets.append((str(tgt["id"]), int(tgt.get("port") or c.get("port") or 0)))
        net.target_groups[r.arn] = m.TargetGroup(
            r.arn,
            int(c.get("port") or 0),
            str(c.get("protocol", "")),
            str(c.get("targetType", "instance")),
            targets,
        )
    for r in lbs:
        c = r.configuration
        listeners = []
        for li in r.supplementary.get("Listeners") or ():
            tg_arns: list[str] = []
            redirect = ""
            for action in li.get("defaultActions") or ():
                if action.get("targetGroupArn"):
                    tg_arns.append(str(action["targetGroupArn"]))
                for tg in (action.get("forwardConfig") or {}).get("targetGroups") or ():
                    if tg.get("targetGroupArn"):
                        tg_arns.append(str(tg["targetGroupArn"]))
                if action.get("type") == "redirect":
                    rc = action.get("redirectConfig") or {}
                    redirect = f"{rc.get('protocol', '#{protocol}')}:{rc.get('port', '#{port}')}"
            listeners.append(
                m.Listener(
                    int(li.get("port") or 0),
                    str(li.get("protocol", "")).upper(),
                    tuple(dict.fromkeys(tg_arns)),
                    redirect,
                )
            )
        subnets = [str(z["subnetId"]) for z in c.get("availabilityZones") or () if z.get("subnetId")]
        lb = m.LoadBalancer(
            r.arn,
            _where(r),
            str(c.get("type", "application")),
            str(c.get("scheme", "internet-facing")) == "internet-facing",
            str(c.get("vpcId", "")),
            subnets,
            tuple(str(g) for g in c.get("securityGroups") or ()),
            listeners,
        )
        net.load_balancers[r.arn] = lb
        net.owners[r.arn] = lb.where
        net.aliases[r.name] = r.arn
        for sid in subnets:
            subnet = net.subnets.get(sid)
            if subnet is None:
                continue
            net.add_eni(
                m.Eni(
                    id=f"{r.name}@{sid}",
                    subnet=sid,
                    vpc=subnet.vpc,
                    where=lb.where,
                    private=AddrSet(v4=subnet.cidr.v4),
                    public_ips=["(load balancer node address)"] if lb.internet_facing else [],
                    groups=lb.groups,
                    kind="lb",
                    owner=r.arn,
                    owner_type=m.LOAD_BALANCER,
                )
            )
