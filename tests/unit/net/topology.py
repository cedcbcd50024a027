"""Compact topology fixtures (tests/fixtures/net/topologies/*.yaml) -> Resources in AWS Config
item shape, the same shape the collectors write, so the tests exercise the real model builder."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from secpillar.model import Resource

TOPOLOGIES = Path(__file__).parents[2] / "fixtures" / "net" / "topologies"
ACCOUNT = "111111111111"
REGION = "us-east-1"


def load(name: str) -> dict[str, Any]:
    return dict(yaml.safe_load((TOPOLOGIES / f"{name}.yaml").read_text()))


def merge(base: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """Deep merge; a ``null`` in the patch deletes the key."""
    out = copy.deepcopy(base)
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _res(rtype: str, kind: str, rid: str, cfg: dict[str, Any], spec: dict[str, Any], **kw: Any) -> Resource:
    acct = str(spec.get("account", ACCOUNT))
    region = str(spec.get("region", REGION))
    tags = {str(k): str(v) for k, v in (spec.get("tags") or {}).items()}
    return Resource(
        resource_type=rtype,
        resource_id=rid,
        arn=kw.pop("arn", f"arn:aws:ec2:{region}:{acct}:{kind}/{rid}"),
        account_id=acct,
        region=region,
        name=tags.get("Name", rid),
        configuration=cfg,
        tags=tags,
        **kw,
    )


def _src(text: Any) -> dict[str, Any]:
    t = str(text)
    if t.startswith("sg-"):
        return {"userIdGroupPairs": [{"groupId": t}]}
    if t.startswith("pl-"):
        return {"prefixListIds": [{"prefixListId": t}]}
    if ":" in t:
        return {"ipv6Ranges": [{"cidrIpv6": t}]}
    return {"ipRanges": [{"cidrIp": t}]}


def _perm(rule: list[Any]) -> dict[str, Any]:
    proto, lo, hi, src = rule
    perm: dict[str, Any] = {"ipProtocol": str(proto)}
    if lo is not None:
        perm["fromPort"], perm["toPort"] = int(lo), int(hi)
    perm.update(_src(src))
    return perm


def _entry(rule: list[Any], egress: bool) -> dict[str, Any]:
    number, action, proto, ports, cidr = rule
    e: dict[str, Any] = {
        "ruleNumber": int(number),
        "ruleAction": action,
        "protocol": str(proto),
        "egress": egress,
    }
    e["ipv6CidrBlock" if ":" in str(cidr) else "cidrBlock"] = str(cidr)
    if ports is not None:
        lo, hi = (ports, ports) if isinstance(ports, int) else ports
        e["portRange"] = {"from": int(lo), "to": int(hi)}
    return e


def _route(dest: str, target: str, state: str = "active") -> dict[str, Any]:
    r: dict[str, Any] = {"state": state}
    if dest.startswith("pl-"):
        r["destinationPrefixListId"] = dest
    else:
        r["destinationIpv6CidrBlock" if ":" in dest else "destinationCidrBlock"] = dest
    key = {
        "igw": "gatewayId",
        "tgw": "transitGatewayId",
        "pcx": "vpcPeeringConnectionId",
        "nat": "natGatewayId",
        "eigw": "egressOnlyInternetGatewayId",
        "eni": "networkInterfaceId",
        "vpce": "gatewayId",
    }
    if target == "local":
        r["gatewayId"] = "local"
    else:
        r[key.get(target.split("-", maxsplit=1)[0], "gatewayId")] = target
    return r


def resources(topo: dict[str, Any]) -> list[Resource]:
    out: list[Resource] = []
    vpcs = topo.get("vpcs") or {}
    for vid, v in vpcs.items():
        cfg: dict[str, Any] = {"vpcId": vid, "cidrBlock": v["cidr"]}
        if v.get("ipv6"):
            cfg["ipv6CidrBlockAssociationSet"] = [{"ipv6CidrBlock": v["ipv6"]}]
        out.append(_res("AWS::EC2::VPC", "vpc", vid, cfg, v))
        if v.get("igw"):
            igw = {"internetGatewayId": v["igw"], "attachments": [{"vpcId": vid, "state": "available"}]}
            out.append(_res("AWS::EC2::InternetGateway", "internet-gateway", v["igw"], igw, v))
    for sid, s in (topo.get("subnets") or {}).items():
        v = vpcs[s["vpc"]]
        cfg = {
            "subnetId": sid,
            "vpcId": s["vpc"],
            "cidrBlock": s["cidr"],
            "mapPublicIpOnLaunch": bool(s.get("map_public")),
        }
        if s.get("ipv6"):
            cfg["ipv6CidrBlockAssociationSet"] = [{"ipv6CidrBlock": s["ipv6"]}]
        out.append(_res("AWS::EC2::Subnet", "subnet", sid, cfg, {**v, **s}))
    for rid, r in (topo.get("route_tables") or {}).items():
        v = vpcs[r["vpc"]]
        routes = [_route(str(v["cidr"]), "local")]
        if v.get("ipv6"):
            routes.append(_route(str(v["ipv6"]), "local"))
        routes += [_route(str(x[0]), str(x[1]), *(x[2:] or [])) for x in r.get("routes") or ()]
        assocs: list[dict[str, Any]] = [{"main": True}] if r.get("main") else []
        assocs += [
            {"subnetId": sid, "main": False}
            for sid, s in (topo.get("subnets") or {}).items()
            if s.get("rt") == rid
        ]
        cfg = {"routeTableId": rid, "vpcId": r["vpc"], "routes": routes, "associations": assocs}
        out.append(_res("AWS::EC2::RouteTable", "route-table", rid, cfg, v))
    for aid, a in (topo.get("nacls") or {}).items():
        entries = [_entry(e, False) for e in a.get("in") or ()] + [
            _entry(e, True) for e in a.get("out") or ()
        ]
        assocs = [{"subnetId": sid} for sid, s in (topo.get("subnets") or {}).items() if s.get("nacl") == aid]
        cfg = {
            "networkAclId": aid,
            "vpcId": a["vpc"],
            "isDefault": bool(a.get("default")),
            "entries": entries,
            "associations": assocs,
        }
        out.append(_res("AWS::EC2::NetworkAcl", "network-acl", aid, cfg, vpcs[a["vpc"]]))
    for gid, g in (topo.get("sgs") or {}).items():
        cfg = {
            "groupId": gid,
            "groupName": gid,
            "vpcId": g["vpc"],
            "ipPermissions": [_perm(x) for x in g.get("in") or ()],
            "ipPermissionsEgress": [_perm(x) for x in g.get("out", [["-1", None, None, "0.0.0.0/0"]]) or ()],
        }
        out.append(_res("AWS::EC2::SecurityGroup", "security-group", gid, cfg, vpcs[g["vpc"]]))
    for pid, cidrs in (topo.get("prefix_lists") or {}).items():
        out.append(
            _res(
                "AWS::EC2::PrefixList",
                "prefix-list",
                pid,
                {"prefixListId": pid},
                {},
                supplementary={"Entries": [{"cidr": c} for c in cidrs]},
            )
        )
    for nid, n in (topo.get("nats") or {}).items():
        sub = (topo.get("subnets") or {})[n["subnet"]]
        cfg = {"natGatewayId": nid, "subnetId": n["subnet"], "vpcId": sub["vpc"]}
        out.append(_res("AWS::EC2::NatGateway", "natgateway", nid, cfg, vpcs[sub["vpc"]]))
    _enis(topo, out)
    _transit(topo, out)
    return out


def _enis(topo: dict[str, Any], out: list[Resource]) -> None:
    subnets = topo.get("subnets") or {}
    vpcs = topo.get("vpcs") or {}
    for eid, e in (topo.get("enis") or {}).items():
        s = subnets[e["subnet"]]
        cfg: dict[str, Any] = {
            "networkInterfaceId": eid,
            "subnetId": e["subnet"],
            "vpcId": s["vpc"],
            "status": e.get("status", "in-use"),
            "interfaceType": e.get("type", "interface"),
            "sourceDestCheck": e.get("source_dest_check", True),
            "privateIpAddresses": [
                {
                    "privateIpAddress": e["ip"],
                    **({"association": {"publicIp": e["public"]}} if e.get("public") else {}),
                }
            ],
            "groups": [{"groupId": g} for g in e.get("sgs") or ()],
            "ipv6Addresses": [{"ipv6Address": e["ipv6"]}] if e.get("ipv6") else [],
        }
        out.append(
            _res(
                "AWS::EC2::NetworkInterface",
                "network-interface",
                eid,
                cfg,
                {**vpcs[s["vpc"]], **s, **e, "tags": e.get("tags") or {}},
            )
        )
    for did, d in (topo.get("dbs") or {}).items():
        acct = str(d.get("account", ACCOUNT))
        cfg = {
            "dbInstanceIdentifier": did,
            "engine": d.get("engine", "postgres"),
            "publiclyAccessible": bool(d.get("public")),
            "endpoint": {"address": f"{did}.example", "port": d.get("port", 5432)},
            "vpcSecurityGroups": [{"vpcSecurityGroupId": g} for g in d.get("sgs") or ()],
            "dbSubnetGroup": {"subnets": [{"subnetIdentifier": x} for x in d["subnets"]]},
        }
        arn = f"arn:aws:rds:{REGION}:{acct}:db:{did}"
        out.append(_res("AWS::RDS::DBInstance", "db", did, cfg, d, arn=arn))
    for name, lb in (topo.get("lbs") or {}).items():
        acct = str(lb.get("account", ACCOUNT))
        kind = "net" if lb.get("type") == "network" else "app"
        arn = f"arn:aws:elasticloadbalancing:{REGION}:{acct}:loadbalancer/{kind}/{name}/1"
        listeners = []
        for li in lb.get("listeners") or ():
            actions = [{"type": "forward", "targetGroupArn": f"tg/{li['tg']}"}] if li.get("tg") else []
            if li.get("redirect"):
                actions = [
                    {"type": "redirect", "redirectConfig": {"protocol": "HTTPS", "port": str(li["redirect"])}}
                ]
            listeners.append({"port": li["port"], "protocol": li["protocol"], "defaultActions": actions})
        cfg = {
            "loadBalancerArn": arn,
            "loadBalancerName": name,
            "type": lb.get("type", "application"),
            "scheme": lb.get("scheme", "internet-facing"),
            "vpcId": subnets[lb["subnets"][0]]["vpc"],
            "availabilityZones": [{"subnetId": s} for s in lb["subnets"]],
            "securityGroups": lb.get("sgs") or [],
        }
        out.append(
            _res(
                "AWS::ElasticLoadBalancingV2::LoadBalancer",
                "lb",
                name,
                cfg,
                lb,
                arn=arn,
                supplementary={"Listeners": listeners},
            )
        )
    for name, tg in (topo.get("target_groups") or {}).items():
        cfg = {
            "targetGroupArn": f"tg/{name}",
            "port": tg["port"],
            "protocol": tg.get("protocol", "HTTP"),
            "targetType": "instance",
        }
        targets = [{"target": {"id": t, "port": tg["port"]}} for t in tg["targets"]]
        out.append(
            _res(
                "AWS::ElasticLoadBalancingV2::TargetGroup",
                "tg",
                name,
                cfg,
                tg,
                arn=f"tg/{name}",
                supplementary={"Targets": targets},
            )
        )
    for iid, inst in (topo.get("instances") or {}).items():
        nis = []
        for eid in inst["enis"]:
            e = topo["enis"][eid]
            nis.append(
                {"networkInterfaceId": eid, "subnetId": e["subnet"], "vpcId": subnets[e["subnet"]]["vpc"]}
            )
        cfg = {"instanceId": iid, "state": {"name": "running"}, "networkInterfaces": nis}
        out.append(_res("AWS::EC2::Instance", "instance", iid, cfg, inst))
    # Attach ENIs to their instances.
    owners = {eid: iid for iid, inst in (topo.get("instances") or {}).items() for eid in inst["enis"]}
    for i, r in enumerate(out):
        if r.resource_type == "AWS::EC2::NetworkInterface" and r.resource_id in owners:
            cfg = {
                **r.configuration,
                "attachment": {"instanceId": owners[r.resource_id], "status": "attached"},
            }
            out[i] = Resource(**{**_fields(r), "configuration": cfg})


def _fields(r: Resource) -> dict[str, Any]:
    return {f: getattr(r, f) for f in r.__dataclass_fields__}


def _transit(topo: dict[str, Any], out: list[Resource]) -> None:
    vpcs = topo.get("vpcs") or {}
    for pid, p in (topo.get("peerings") or {}).items():
        req, acc = vpcs[p["requester"]], vpcs[p["accepter"]]
        cfg = {
            "vpcPeeringConnectionId": pid,
            "status": {"code": p.get("status", "active")},
            "requesterVpcInfo": {
                "vpcId": p["requester"],
                "ownerId": str(req.get("account", ACCOUNT)),
                "region": req.get("region", REGION),
            },
            "accepterVpcInfo": {
                "vpcId": p["accepter"],
                "ownerId": str(acc.get("account", ACCOUNT)),
                "region": acc.get("region", REGION),
            },
        }
        out.append(_res("AWS::EC2::VPCPeeringConnection", "vpc-peering-connection", pid, cfg, req))
    for tid, t in (topo.get("tgws") or {}).items():
        cfg = {
            "transitGatewayId": tid,
            "options": {
                "securityGroupReferencingSupport": "enable" if t and t.get("sg_referencing") else "disable"
            },
        }
        out.append(_res("AWS::EC2::TransitGateway", "transit-gateway", tid, cfg, t or {}))
    for aid, a in (topo.get("tgw_attachments") or {}).items():
        cfg = {
            "transitGatewayAttachmentId": aid,
            "transitGatewayId": a["tgw"],
            "resourceType": "vpc",
            "resourceId": a["vpc"],
            "state": a.get("state", "available"),
        }
        out.append(
            _res("AWS::EC2::TransitGatewayAttachment", "transit-gateway-attachment", aid, cfg, vpcs[a["vpc"]])
        )
    for rid, r in (topo.get("tgw_route_tables") or {}).items():
        routes = []
        for dest, target in r.get("routes") or ():
            if target == "blackhole":
                routes.append({"destinationCidrBlock": dest, "type": "static", "state": "blackhole"})
            else:
                routes.append(
                    {
                        "destinationCidrBlock": dest,
                        "type": "static",
                        "state": "active",
                        "transitGatewayAttachments": [{"transitGatewayAttachmentId": target}],
                    }
                )
        supp = {
            "Routes": routes,
            "Associations": [
                {"transitGatewayAttachmentId": a, "state": "associated"} for a in r.get("associations") or ()
            ],
            "Propagations": [
                {"transitGatewayAttachmentId": a, "state": "enabled"} for a in r.get("propagations") or ()
            ],
        }
        out.append(
            _res(
                "AWS::EC2::TransitGatewayRouteTable",
                "transit-gateway-route-table",
                rid,
                {"transitGatewayRouteTableId": rid, "transitGatewayId": r["tgw"]},
                {},
                supplementary=supp,
            )
        )
