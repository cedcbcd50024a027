"""How the full exposure analysis scales: synthetic organizations of 1x, 4x and 16x a base size.

The largest has 2,000 VPCs, 40,000 network interfaces and 20,000 security groups. Each VPC has two
public and two private subnets, an internet gateway, public/private route tables (IGW; NAT and a
transit gateway route), two network ACLs, ten security groups (web, admin-from-corp, app tiers
referencing the web tier, databases, an open debug group) and twenty interfaces, half of them with
public addresses. Times include building the model from the inventory's resources.

    .venv/bin/python bench/net_scale.py            # base 125 VPCs: 1x, 4x, 16x
    .venv/bin/python bench/net_scale.py --base 20  # quick

Prints the seconds per size and the growth ratio per 4x step (4.0 = linear)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from secpillar.model import Resource
from secpillar.net import build_network, exposure

REGION = "us-east-1"


def _r(rtype: str, kind: str, rid: str, acct: str, cfg: dict[str, Any], **kw: Any) -> Resource:
    return Resource(rtype, rid, f"arn:aws:ec2:{REGION}:{acct}:{kind}/{rid}", acct, REGION, rid, cfg, **kw)


def _perm(proto: str, port: int | None, src: str) -> dict[str, Any]:
    p: dict[str, Any] = {"ipProtocol": proto}
    if port is not None:
        p["fromPort"] = p["toPort"] = port
    if src.startswith("sg-"):
        p["userIdGroupPairs"] = [{"groupId": src}]
    else:
        p["ipRanges"] = [{"cidrIp": src}]
    return p


def organization(vpcs: int) -> list[Resource]:
    out: list[Resource] = []
    for v in range(vpcs):
        acct = f"{100000000000 + v // 10}"
        vid, base = f"vpc-{v}", f"10.{v // 16}.{(v % 16) * 16}"
        out.append(_r("AWS::EC2::VPC", "vpc", vid, acct, {"vpcId": vid, "cidrBlock": f"{base}.0/20"}))
        igw = f"igw-{v}"
        out.append(
            _r(
                "AWS::EC2::InternetGateway",
                "internet-gateway",
                igw,
                acct,
                {"attachments": [{"vpcId": vid, "state": "available"}]},
            )
        )
        subnets = [f"subnet-{v}-{i}" for i in range(4)]
        for i, sid in enumerate(subnets):
            cfg = {"subnetId": sid, "vpcId": vid, "cidrBlock": f"10.{v // 16}.{(v % 16) * 16 + i * 4}.0/22"}
            out.append(_r("AWS::EC2::Subnet", "subnet", sid, acct, cfg))
        local = {"destinationCidrBlock": f"{base}.0/20", "gatewayId": "local"}
        pub = {
            "routeTableId": f"rtb-{v}-pub",
            "vpcId": vid,
            "associations": [{"subnetId": s} for s in subnets[:2]],
            "routes": [local, {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw}],
        }
        priv = {
            "routeTableId": f"rtb-{v}-priv",
            "vpcId": vid,
            "associations": [{"main": True}] + [{"subnetId": s} for s in subnets[2:]],
            "routes": [
                local,
                {"destinationCidrBlock": "0.0.0.0/0", "natGatewayId": f"nat-{v}"},
                {"destinationCidrBlock": "10.0.0.0/8", "transitGatewayId": f"tgw-{v // 50}"},
            ],
        }
        for rt in (pub, priv):
            out.append(_r("AWS::EC2::RouteTable", "route-table", rt["routeTableId"], acct, rt))
        entries = [
            {
                "ruleNumber": 90,
                "ruleAction": "deny",
                "protocol": "6",
                "portRange": {"from": 3389, "to": 3389},
                "cidrBlock": "0.0.0.0/0",
                "egress": False,
            },
            {
                "ruleNumber": 100,
                "ruleAction": "allow",
                "protocol": "6",
                "portRange": {"from": 22, "to": 22},
                "cidrBlock": "203.0.113.0/24",
                "egress": False,
            },
            {
                "ruleNumber": 110,
                "ruleAction": "allow",
                "protocol": "6",
                "portRange": {"from": 443, "to": 443},
                "cidrBlock": "0.0.0.0/0",
                "egress": False,
            },
            {
                "ruleNumber": 120,
                "ruleAction": "allow",
                "protocol": "6",
                "portRange": {"from": 1024, "to": 65535},
                "cidrBlock": "0.0.0.0/0",
                "egress": False,
            },
            {
                "ruleNumber": 130,
                "ruleAction": "allow",
                "protocol": "-1",
                "cidrBlock": "10.0.0.0/8",
                "egress": False,
            },
            {
                "ruleNumber": 100,
                "ruleAction": "allow",
                "protocol": "-1",
                "cidrBlock": "0.0.0.0/0",
                "egress": True,
            },
        ]
        for i, part in enumerate((subnets[:2], subnets[2:])):
            aid = f"acl-{v}-{i}"
            out.append(
                _r(
                    "AWS::EC2::NetworkAcl",
                    "network-acl",
                    aid,
                    acct,
                    {
                        "networkAclId": aid,
                        "vpcId": vid,
                        "entries": entries,
                        "associations": [{"subnetId": s} for s in part],
                    },
                )
            )
        sgs = [f"sg-{v}-{i}" for i in range(10)]
        rules = [
            [_perm("tcp", 443, "0.0.0.0/0"), _perm("tcp", 80, "0.0.0.0/0")],
            [_perm("tcp", 22, "203.0.113.0/24")],
            [_perm("tcp", 8080, sgs[0])],
            [_perm("tcp", 8080, sgs[0]), _perm("tcp", 9090, "10.0.0.0/8")],
            [_perm("tcp", 5432, sgs[2])],
            [_perm("tcp", 3306, sgs[3])],
            [_perm("-1", None, "0.0.0.0/0")],
            [_perm("udp", 53, "10.0.0.0/8")],
            [_perm("tcp", 3389, "0.0.0.0/0")],
            [],
        ]
        for gid, perms in zip(sgs, rules, strict=True):
            cfg = {
                "groupId": gid,
                "vpcId": vid,
                "ipPermissions": perms,
                "ipPermissionsEgress": [_perm("-1", None, "0.0.0.0/0")],
            }
            out.append(_r("AWS::EC2::SecurityGroup", "security-group", gid, acct, cfg))
        for e in range(20):
            public = e < 10
            sid = subnets[e % 2] if public else subnets[2 + e % 2]
            cfg = {
                "networkInterfaceId": f"eni-{v}-{e}",
                "subnetId": sid,
                "vpcId": vid,
                "status": "in-use",
                "privateIpAddresses": [
                    {
                        "privateIpAddress": f"10.{v // 16}.{(v % 16) * 16 + (e % 4) * 4}.{10 + e}",
                        **({"association": {"publicIp": f"54.{v // 256}.{v % 256}.{e}"}} if public else {}),
                    }
                ],
                "groups": [{"groupId": sgs[e % 10]}, *([{"groupId": sgs[1]}] if e % 3 == 0 else [])],
            }
            out.append(_r("AWS::EC2::NetworkInterface", "network-interface", f"eni-{v}-{e}", acct, cfg))
    return out


def run(vpcs: int) -> tuple[float, int, int, int]:
    resources = organization(vpcs)
    t0 = time.perf_counter()
    net = build_network(resources)
    found = exposure(net)
    seconds = time.perf_counter() - t0
    return seconds, len(net.enis), len(net.security_groups), len(found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=int, default=125, help="VPCs at 1x (default 125: 16x = 2,000).")
    args = parser.parse_args()
    previous = None
    print(f"{'size':>5} {'VPCs':>6} {'ENIs':>7} {'SGs':>7} {'exposed':>8} {'seconds':>8} {'x per 4x':>9}")
    for factor in (1, 4, 16):
        vpcs = args.base * factor
        seconds, enis, sgs, exposed = run(vpcs)
        ratio = f"{seconds / previous:.2f}" if previous else "-"
        print(f"{factor:>4}x {vpcs:>6} {enis:>7} {sgs:>7} {exposed:>8} {seconds:>8.2f} {ratio:>9}")
        previous = seconds
    print("growth per 4x step: 4.0 = linear, 16.0 = quadratic")


if __name__ == "__main__":
    main()
