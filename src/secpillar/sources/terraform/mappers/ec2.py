"""EC2 and VPC: VPCs (+ ``aws_flow_log``), subnets, route tables (+ ``aws_route``,
associations), gateways, security groups (inline blocks + ``aws_security_group_rule`` +
``aws_vpc_security_group_ingress_rule``/``egress_rule``), network ACLs (+ ``aws_network_acl_rule``),
transit gateways, instances and launch templates (metadata options), EBS volumes and EBS
encryption by default (``AWS::::AccountRegion``).

Provider facts used: a security group Terraform creates loses AWS's default allow-all egress
rule unless one is declared; protocol ``-1``/``all`` means every protocol and port; an instance
without ``metadata_options`` gets the API default ``http_tokens = optional`` (unless its AMI
says otherwise, which the code cannot show); ``aws_ebs_volume.encrypted`` defaults to false.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from secpillar.collect.ec2 import (
    transform_account_region,
    transform_instance,
    transform_internet_gateway,
    transform_nat_gateway,
    transform_network_acl,
    transform_route_table,
    transform_security_group,
    transform_subnet,
    transform_tgw_attachment,
    transform_tgw_route_table,
    transform_transit_gateway,
    transform_volume,
    transform_vpc,
)
from secpillar.collect.ec2_templates import transform_launch_template
from secpillar.model import Resource
from secpillar.sources.terraform.expr import UNKNOWN
from secpillar.sources.terraform.mapping import (
    MapContext,
    as_list,
    blocks,
    emit_raw,
    first_block,
    flag,
    is_set,
    split_unknown,
    tags_of,
)
from secpillar.sources.terraform.model import TfResource

_PROTO = {
    "-1": "-1",
    "all": "-1",
    "tcp": "tcp",
    "6": "tcp",
    "udp": "udp",
    "17": "udp",
    "icmp": "icmp",
    "1": "icmp",
}
_NACL_PROTO = {"-1": "-1", "all": "-1", "tcp": "6", "6": "6", "udp": "17", "17": "udp", "icmp": "1", "1": "1"}
_NACL_PROTO["17"] = "17"


def _id(tf: TfResource) -> str:
    return str(tf.computed.get("id") or tf.address)


def _ref(ctx: MapContext, value: Any) -> Any:
    """A reference value as an id (UNKNOWN stays UNKNOWN)."""
    return value


def _port(v: Any) -> Any:
    if v is None or v is UNKNOWN:
        return v
    try:
        return int(v)
    except (TypeError, ValueError):
        return UNKNOWN


def sg_permission(
    protocol: Any,
    from_port: Any,
    to_port: Any,
    cidrs: Any,
    cidrs6: Any,
    groups: Any = (),
    prefix_lists: Any = (),
) -> Any:
    """One IpPermissions entry in the EC2 API's shape (UNKNOWN when the protocol is unknown)."""
    if protocol is UNKNOWN:
        return UNKNOWN
    proto = _PROTO.get(str(protocol).lower(), str(protocol))
    perm: dict[str, Any] = {"IpProtocol": proto}
    if proto != "-1":
        perm["FromPort"] = _port(from_port)
        perm["ToPort"] = _port(to_port)
    perm["IpRanges"] = [{"CidrIp": c} for c in as_list(cidrs)] if as_list(cidrs) is not UNKNOWN else UNKNOWN
    perm["Ipv6Ranges"] = (
        [{"CidrIpv6": c} for c in as_list(cidrs6)] if as_list(cidrs6) is not UNKNOWN else UNKNOWN
    )
    gl = as_list(groups)
    perm["UserIdGroupPairs"] = [{"GroupId": is_set(g)} for g in gl] if gl is not UNKNOWN else []
    pl = as_list(prefix_lists)
    perm["PrefixListIds"] = [{"PrefixListId": is_set(p)} for p in pl] if pl is not UNKNOWN else []
    return perm


def _inline_rule(rule: Mapping[str, Any], group_id: str) -> Any:
    groups = list(as_list(rule.get("security_groups")) or [])
    if rule.get("self") is True:
        groups.append(group_id)
    return sg_permission(
        rule.get("protocol"),
        rule.get("from_port"),
        rule.get("to_port"),
        rule.get("cidr_blocks"),
        rule.get("ipv6_cidr_blocks"),
        groups,
        rule.get("prefix_list_ids"),
    )


def _security_groups(ctx: MapContext) -> None:
    rules = ctx.of_type("aws_security_group_rule")
    ingress_v = ctx.of_type("aws_vpc_security_group_ingress_rule")
    egress_v = ctx.of_type("aws_vpc_security_group_egress_rule")
    for sg in ctx.of_type("aws_security_group", "aws_default_security_group"):
        v = sg.values
        gid = _id(sg)
        default = sg.type == "aws_default_security_group"
        ingress = blocks(v, "ingress")
        egress = blocks(v, "egress")
        perms_in: Any = UNKNOWN if ingress is UNKNOWN else [_inline_rule(r, gid) for r in ingress]
        perms_out: Any = UNKNOWN if egress is UNKNOWN else [_inline_rule(r, gid) for r in egress]
        for r in rules:
            if not ctx.matches(sg, r.values.get("security_group_id"), ("id",)):
                continue
            rv = r.values
            groups = [rv["source_security_group_id"]] if rv.get("source_security_group_id") else []
            if rv.get("self") is True:
                groups.append(gid)
            perm = sg_permission(
                rv.get("protocol"),
                rv.get("from_port"),
                rv.get("to_port"),
                rv.get("cidr_blocks"),
                rv.get("ipv6_cidr_blocks"),
                groups,
                rv.get("prefix_list_ids"),
            )
            kind = rv.get("type")
            if kind is UNKNOWN:
                perms_in = perms_out = UNKNOWN
            elif kind == "ingress" and perms_in is not UNKNOWN:
                perms_in.append(perm)
            elif kind == "egress" and perms_out is not UNKNOWN:
                perms_out.append(perm)
        for rules_v, is_in in ((ingress_v, True), (egress_v, False)):
            for r in rules_v:
                if not ctx.matches(sg, r.values.get("security_group_id"), ("id",)):
                    continue
                rv = r.values
                perm = sg_permission(
                    rv.get("ip_protocol"),
                    rv.get("from_port"),
                    rv.get("to_port"),
                    [rv["cidr_ipv4"]] if rv.get("cidr_ipv4") is not None else [],
                    [rv["cidr_ipv6"]] if rv.get("cidr_ipv6") is not None else [],
                    [rv["referenced_security_group_id"]] if rv.get("referenced_security_group_id") else [],
                    [rv["prefix_list_id"]] if rv.get("prefix_list_id") else [],
                )
                target = perms_in if is_in else perms_out
                if target is not UNKNOWN:
                    target.append(perm)
        raw = {
            "GroupId": gid,
            "GroupName": "default" if default else v.get("name") or sg.computed.get("name") or sg.name,
            "Description": v.get("description") or "Managed by Terraform",
            "VpcId": is_set(v.get("vpc_id")) if v.get("vpc_id") is not None else None,
            "OwnerId": ctx.account,
            "IpPermissions": perms_in,
            "IpPermissionsEgress": perms_out,
            "Tags": tags_of(sg),
        }
        emit_raw(ctx, transform_security_group, raw, sg, ctx.account, ctx.region)


def _nacl_entry(rule: Mapping[str, Any], egress: bool) -> dict[str, Any]:
    proto = rule.get("protocol")
    p = UNKNOWN if proto is UNKNOWN else _NACL_PROTO.get(str(proto).lower(), str(proto))
    entry: dict[str, Any] = {
        "RuleNumber": rule.get("rule_no", rule.get("rule_number")),
        "Protocol": p,
        "RuleAction": rule.get("action", rule.get("rule_action")),
        "Egress": egress,
    }
    if rule.get("cidr_block"):
        entry["CidrBlock"] = rule["cidr_block"]
    if rule.get("ipv6_cidr_block"):
        entry["Ipv6CidrBlock"] = rule["ipv6_cidr_block"]
    if p not in ("-1", "1"):
        entry["PortRange"] = {"From": _port(rule.get("from_port")), "To": _port(rule.get("to_port"))}
    return entry


def _nacls(ctx: MapContext) -> None:
    rules = ctx.of_type("aws_network_acl_rule")
    assocs = ctx.of_type("aws_network_acl_association")
    for acl in ctx.of_type("aws_network_acl", "aws_default_network_acl"):
        v = acl.values
        entries: list[dict[str, Any]] = []
        for key, egress in (("ingress", False), ("egress", True)):
            bl = blocks(v, key)
            if bl is UNKNOWN:
                entries.append({"Protocol": UNKNOWN, "Egress": egress})
                continue
            entries.extend(_nacl_entry(r, egress) for r in bl)
        for r in rules:
            if ctx.matches(acl, r.values.get("network_acl_id"), ("id",)):
                entries.append(_nacl_entry(r.values, flag(r.values.get("egress"), False)))
        for egress in (False, True):
            entries.append(
                {
                    "RuleNumber": 32767,
                    "Protocol": "-1",
                    "RuleAction": "deny",
                    "Egress": egress,
                    "CidrBlock": "0.0.0.0/0",
                }
            )
        associations = [{"SubnetId": is_set(s)} for s in as_list(v.get("subnet_ids")) or []]
        associations += [
            {"SubnetId": is_set(a.values.get("subnet_id"))}
            for a in assocs
            if ctx.matches(acl, a.values.get("network_acl_id"), ("id",))
        ]
        raw = {
            "NetworkAclId": _id(acl),
            "VpcId": is_set(v.get("vpc_id")),
            "IsDefault": acl.type == "aws_default_network_acl",
            "Entries": entries,
            "Associations": associations,
            "Tags": tags_of(acl),
        }
        emit_raw(ctx, transform_network_acl, raw, acl, ctx.account, ctx.region)


def _route(r: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"State": "active", "Origin": "CreateRoute"}
    for key, name in (
        ("cidr_block", "DestinationCidrBlock"),
        ("destination_cidr_block", "DestinationCidrBlock"),
        ("ipv6_cidr_block", "DestinationIpv6CidrBlock"),
        ("destination_ipv6_cidr_block", "DestinationIpv6CidrBlock"),
        ("gateway_id", "GatewayId"),
        ("nat_gateway_id", "NatGatewayId"),
        ("transit_gateway_id", "TransitGatewayId"),
        ("vpc_peering_connection_id", "VpcPeeringConnectionId"),
        ("egress_only_gateway_id", "EgressOnlyInternetGatewayId"),
        ("network_interface_id", "NetworkInterfaceId"),
        ("vpc_endpoint_id", "VpcEndpointId"),
    ):
        if r.get(key) not in (None, ""):
            out[name] = r[key]
    return out


def _route_tables(ctx: MapContext) -> None:
    routes = ctx.of_type("aws_route")
    assocs = ctx.of_type("aws_route_table_association")
    mains = ctx.of_type("aws_main_route_table_association")
    for rt in ctx.of_type("aws_route_table", "aws_default_route_table"):
        v = rt.values
        inline = blocks(v, "route")
        rlist: Any = UNKNOWN if inline is UNKNOWN else [_route(r) for r in inline]
        for r in routes:
            if ctx.matches(rt, r.values.get("route_table_id"), ("id",)) and rlist is not UNKNOWN:
                rlist.append(_route(r.values))
        associations: list[dict[str, Any]] = []
        for a in assocs:
            if ctx.matches(rt, a.values.get("route_table_id"), ("id",)):
                associations.append(
                    {"RouteTableId": _id(rt), "SubnetId": a.values.get("subnet_id"), "Main": False}
                )
        is_main = rt.type == "aws_default_route_table" or any(
            ctx.matches(rt, m.values.get("route_table_id"), ("id",)) for m in mains
        )
        if is_main:
            associations.append({"RouteTableId": _id(rt), "Main": True})
        vpc = v.get("vpc_id")
        if vpc is None and rt.type == "aws_default_route_table":
            owner = ctx.find(("aws_vpc",), v.get("default_route_table_id"), ("default_route_table_id",))
            vpc = _id(owner) if owner else None
        raw = {
            "RouteTableId": _id(rt),
            "VpcId": vpc,
            "Routes": rlist,
            "Associations": associations,
            "Tags": tags_of(rt),
        }
        emit_raw(ctx, transform_route_table, raw, rt, ctx.account, ctx.region)


def _flow_logs(ctx: MapContext, vpc: TfResource) -> Any:
    out: list[dict[str, Any]] = []
    for fl in ctx.of_type("aws_flow_log"):
        target = fl.values.get("vpc_id", fl.values.get("resource_id"))
        if target is UNKNOWN and fl.values.get("vpc_id") is UNKNOWN:
            return UNKNOWN
        if not ctx.matches(vpc, target, ("id",)):
            continue
        traffic = fl.values.get("traffic_type")
        out.append(
            {
                "FlowLogId": _id(fl),
                "FlowLogStatus": "ACTIVE",
                "ResourceId": _id(vpc),
                "TrafficType": traffic,
                "LogDestinationType": fl.values.get("log_destination_type") or "cloud-watch-logs",
            }
        )
    return out


def map_network(ctx: MapContext) -> None:
    for vpc in ctx.of_type("aws_vpc", "aws_default_vpc"):
        v = vpc.values
        raw = {
            "VpcId": _id(vpc),
            "CidrBlock": v.get("cidr_block"),
            "IsDefault": vpc.type == "aws_default_vpc",
            "InstanceTenancy": v.get("instance_tenancy") or "default",
            "Tags": tags_of(vpc),
        }
        flow = _flow_logs(ctx, vpc)
        res = transform_vpc(raw, [] if flow is UNKNOWN else flow, ctx.account, ctx.region)
        if flow is UNKNOWN:
            res = _without_supp(res, "FlowLogs")
            ctx.emit(res, vpc, ["supplementary.FlowLogs"])
        else:
            ctx.emit(res, vpc)
    for sn in ctx.of_type("aws_subnet", "aws_default_subnet"):
        v = sn.values
        raw = {
            "SubnetId": _id(sn),
            "VpcId": v.get("vpc_id"),
            "CidrBlock": v.get("cidr_block"),
            "AvailabilityZone": v.get("availability_zone"),
            "MapPublicIpOnLaunch": flag(v.get("map_public_ip_on_launch"), sn.type == "aws_default_subnet"),
            "Tags": tags_of(sn),
        }
        emit_raw(ctx, transform_subnet, raw, sn, ctx.account, ctx.region)
    _route_tables(ctx)
    for gw in ctx.of_type("aws_internet_gateway"):
        vpc_id = gw.values.get("vpc_id")
        attachments = [{"VpcId": vpc_id, "State": "available"}] if vpc_id else []
        raw = {"InternetGatewayId": _id(gw), "Attachments": attachments, "Tags": tags_of(gw)}
        emit_raw(ctx, transform_internet_gateway, raw, gw, ctx.account, ctx.region)
    for nat in ctx.of_type("aws_nat_gateway"):
        v = nat.values
        raw = {
            "NatGatewayId": _id(nat),
            "SubnetId": v.get("subnet_id"),
            "ConnectivityType": v.get("connectivity_type") or "public",
            "State": "available",
            "Tags": tags_of(nat),
        }
        emit_raw(ctx, transform_nat_gateway, raw, nat, ctx.account, ctx.region)
    _security_groups(ctx)
    _nacls(ctx)
    ctx.of_type("aws_flow_log", "aws_network_acl_association")
    for tgw in ctx.of_type("aws_ec2_transit_gateway"):
        v = tgw.values
        options = {
            "DefaultRouteTableAssociation": v.get("default_route_table_association") or "enable",
            "DefaultRouteTablePropagation": v.get("default_route_table_propagation") or "enable",
            "AutoAcceptSharedAttachments": v.get("auto_accept_shared_attachments") or "disable",
        }
        raw = {"TransitGatewayId": _id(tgw), "State": "available", "Options": options, "Tags": tags_of(tgw)}
        emit_raw(ctx, transform_transit_gateway, raw, tgw, ctx.account, ctx.region)
    for att in ctx.of_type("aws_ec2_transit_gateway_vpc_attachment"):
        v = att.values
        raw = {
            "TransitGatewayAttachmentId": _id(att),
            "TransitGatewayId": v.get("transit_gateway_id"),
            "ResourceType": "vpc",
            "ResourceId": v.get("vpc_id"),
            "State": "available",
            "Tags": tags_of(att),
        }
        emit_raw(ctx, transform_tgw_attachment, raw, att, ctx.account, ctx.region)
    tgw_routes = ctx.of_type("aws_ec2_transit_gateway_route")
    for rt in ctx.of_type("aws_ec2_transit_gateway_route_table"):
        routes = [
            {
                "DestinationCidrBlock": r.values.get("destination_cidr_block"),
                "State": "blackhole" if r.values.get("blackhole") is True else "active",
                "TransitGatewayAttachments": [
                    {"TransitGatewayAttachmentId": r.values.get("transit_gateway_attachment_id")}
                ]
                if r.values.get("transit_gateway_attachment_id")
                else [],
                "Type": "static",
            }
            for r in tgw_routes
            if ctx.matches(rt, r.values.get("transit_gateway_route_table_id"), ("id",))
        ]
        raw = {
            "TransitGatewayRouteTableId": _id(rt),
            "TransitGatewayId": rt.values.get("transit_gateway_id"),
            "State": "available",
            "Tags": tags_of(rt),
        }
        emit_raw(ctx, transform_tgw_route_table, raw, rt, routes, ctx.account, ctx.region)


def _without_supp(res: Resource, key: str) -> Resource:

    return dataclasses.replace(res, supplementary={k: v for k, v in res.supplementary.items() if k != key})


def metadata_options(values: Mapping[str, Any]) -> Any:
    """``metadata_options`` as the API's MetadataOptions (API defaults when absent)."""
    mo = first_block(values, "metadata_options")
    if mo is UNKNOWN:
        return UNKNOWN
    tokens = mo.get("http_tokens")
    return {
        "HttpTokens": "optional" if tokens is None else tokens,
        "HttpEndpoint": mo.get("http_endpoint") or "enabled",
        "HttpPutResponseHopLimit": mo.get("http_put_response_hop_limit") or 1,
        "InstanceMetadataTags": mo.get("instance_metadata_tags") or "disabled",
    }


def map_compute(ctx: MapContext) -> None:
    for inst in ctx.of_type("aws_instance"):
        v = inst.values
        raw: dict[str, Any] = {
            "InstanceId": _id(inst),
            "InstanceType": v.get("instance_type"),
            "ImageId": v.get("ami"),
            "SubnetId": v.get("subnet_id"),
            "MetadataOptions": metadata_options(v),
            "SecurityGroups": [{"GroupId": g} for g in as_list(v.get("vpc_security_group_ids")) or []]
            if as_list(v.get("vpc_security_group_ids")) is not UNKNOWN
            else [],
            "Tags": tags_of(inst),
        }
        public = v.get("associate_public_ip_address")
        extra: list[str] = []
        if public is True:
            raw["PublicIpAddress"] = "(assigned at launch)"
        elif public is None or public is UNKNOWN:
            subnet = ctx.find(("aws_subnet", "aws_default_subnet"), v.get("subnet_id"), ("id",))
            mapped = None if subnet is None else flag(subnet.values.get("map_public_ip_on_launch"), False)
            if mapped is True:
                raw["PublicIpAddress"] = "(assigned at launch)"
            elif mapped is not False or public is UNKNOWN:
                extra.append("configuration.publicIpAddress")
        raw, unknown_paths = split_unknown(raw)
        extra.extend(unknown_paths)
        res = transform_instance(raw, ctx.account, ctx.region)
        if extra:
            cfg = {k: val for k, val in res.configuration.items() if k != "instanceId"}

            res = dataclasses.replace(res, configuration=cfg)
        ctx.emit(res, inst, extra)
    for lt in ctx.of_type("aws_launch_template"):
        v = lt.values
        name = v.get("name") or lt.computed.get("id")
        # A template without metadata_options has no MetadataOptions in its data (instances launched
        # from it get the account/AMI default); one whose options are unknown stays undecided.
        data: Any = {}
        mo = first_block(v, "metadata_options")
        decisive = ("http_tokens", "http_endpoint")  # the rest (hop limit, tags) may be computed
        if mo is UNKNOWN or (isinstance(mo, Mapping) and any(mo.get(k) is UNKNOWN for k in decisive)):
            data = UNKNOWN
        elif mo:
            data = {
                "MetadataOptions": {
                    api: mo[tf] for api, tf in _MO_TF.items() if mo.get(tf) not in (None, UNKNOWN)
                }
            }
        template = {"LaunchTemplateId": _id(lt), "LaunchTemplateName": name, "Tags": tags_of(lt)}
        res = transform_launch_template(template, {"LaunchTemplateData": {}}, ctx.account, ctx.region)
        if data is UNKNOWN:
            cfg = {k: val for k, val in res.configuration.items() if k != "launchTemplateData"}
            ctx.emit(dataclasses.replace(res, configuration=cfg), lt, ["configuration.launchTemplateData"])
        else:
            ctx.emit(
                transform_launch_template(template, {"LaunchTemplateData": data}, ctx.account, ctx.region), lt
            )
    attachments = ctx.of_type("aws_volume_attachment")
    for vol in ctx.of_type("aws_ebs_volume"):
        v = vol.values
        raw = {
            "VolumeId": _id(vol),
            "AvailabilityZone": v.get("availability_zone"),
            "Size": v.get("size"),
            "VolumeType": v.get("type") or "gp2",
            "Encrypted": flag(v.get("encrypted"), False),
            "Attachments": [
                {
                    "InstanceId": a.values.get("instance_id"),
                    "VolumeId": _id(vol),
                    "Device": a.values.get("device_name"),
                }
                for a in attachments
                if ctx.matches(vol, a.values.get("volume_id"), ("id",))
            ],
            "Tags": tags_of(vol),
        }
        if v.get("kms_key_id") is not None:
            raw["KmsKeyId"] = is_set(v.get("kms_key_id"))
        emit_raw(ctx, transform_volume, raw, vol, ctx.account, ctx.region)
    for ebs in ctx.of_type("aws_ebs_encryption_by_default"):
        enabled = flag(ebs.values.get("enabled"), True)
        answer = None if enabled is UNKNOWN else {"EbsEncryptionByDefault": enabled}
        ctx.emit(
            transform_account_region(answer, ctx.account, ctx.account, ctx.region),
            ebs,
            ["supplementary.EbsEncryptionByDefault"] if answer is None else [],
        )


_MO_TF = {
    "HttpTokens": "http_tokens",
    "HttpEndpoint": "http_endpoint",
    "HttpPutResponseHopLimit": "http_put_response_hop_limit",
    "InstanceMetadataTags": "instance_metadata_tags",
}
"""A template's data holds only the metadata options its block sets."""
