"""EC2 actions: revoke world-open security-group ingress; isolate an instance into a quarantine group.

World-open means an IPv4 range ``0.0.0.0/0`` or an IPv6 range ``::/0`` (the ranges AWS Config's
``restricted-ssh`` / ``vpc-sg-open-only-to-authorized-ports`` rules treat as unrestricted). Only
those ranges are revoked; other sources of the same permission stay. Isolation follows AWS's
incident-response guidance: the instance's network interfaces get a quarantine security group
with no inbound and no outbound rules (created in the instance's VPC when missing), and the prior
groups are saved so that rollback restores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secpillar.respond.actions.base import (
    ActionContext,
    ActionError,
    Invocation,
    ResponseAction,
    Target,
    arn_resources,
    detail,
    register,
    request_params,
    where,
)
from secpillar.respond.changes import Change

WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"
QUARANTINE_GROUP = "secpillar-quarantine"


def world_permissions(perms: list[dict[str, Any]], ports: list[int] | None = None) -> list[dict[str, Any]]:
    """The world-open part of each permission (only ``0.0.0.0/0`` / ``::/0`` ranges kept)."""
    out = []
    for p in perms:
        v4 = [r for r in p.get("IpRanges", []) if r.get("CidrIp") == WORLD_V4]
        v6 = [r for r in p.get("Ipv6Ranges", []) if r.get("CidrIpv6") == WORLD_V6]
        if not (v4 or v6):
            continue
        if ports is not None and not _covers(p, ports):
            continue
        perm: dict[str, Any] = {"IpProtocol": p["IpProtocol"]}
        for key in ("FromPort", "ToPort"):
            if key in p:
                perm[key] = p[key]
        if v4:
            perm["IpRanges"] = v4
        if v6:
            perm["Ipv6Ranges"] = v6
        out.append(perm)
    return out


def _covers(perm: Mapping[str, Any], ports: list[int]) -> bool:
    if perm.get("IpProtocol") == "-1":
        return True
    lo, hi = perm.get("FromPort", 0), perm.get("ToPort", 65535)
    return any(lo <= port <= hi for port in ports)


def _bare(perms: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Permissions without range descriptions (revoke matches on protocol, ports and ranges)."""
    out = []
    for p in perms:
        q = dict(p)
        for key, field in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")):
            if key in q:
                q[key] = [{field: r[field]} for r in q[key]]
        out.append(q)
    return out


@register
class RevokeWorldIngress(ResponseAction):
    id = "ec2.revoke-world-ingress"
    title = "Revoke security-group ingress open to the world (0.0.0.0/0, ::/0)"
    permissions = (
        "ec2:DescribeSecurityGroups",
        "ec2:RevokeSecurityGroupIngress",
        "ec2:AuthorizeSecurityGroupIngress",
    )
    params_schema = {
        "group_id": {"type": "string"},
        "ports": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 65535}},
    }
    wa = ("SEC05-BP02", "SEC05-BP04")

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        account, region = where(event)
        ids = [params["group_id"]] if isinstance(params.get("group_id"), str) else []
        gid = request_params(event).get("groupId")
        if isinstance(gid, str):
            ids.append(gid)
        ids.extend(arn_resources(event, "security-group"))
        if not ids:
            raise ActionError("the event names no security group (requestParameters.groupId)")
        return [{"account": account, "region": region, "group_id": g} for g in dict.fromkeys(ids)]

    def _world(self, ctx: ActionContext, target: Target, ports: list[int] | None) -> list[dict[str, Any]]:
        ec2 = ctx.target_client("ec2", target)
        groups = ec2.describe_security_groups(GroupIds=[target["group_id"]])["SecurityGroups"]
        return world_permissions(groups[0].get("IpPermissions", []), ports) if groups else []

    def plan(self, target: Target, inv: Invocation, ctx: ActionContext) -> Change:
        ports = inv.params.get("ports")
        world = self._world(ctx, target, list(ports) if ports is not None else None)
        rules = ", ".join(
            f"{p['IpProtocol']} {p.get('FromPort', 'all')}-{p.get('ToPort', 'all')}" for p in world
        )
        return self.change(
            target,
            inv,
            f"revoke world-open ingress of {target['group_id']}: {rules or 'none'}",
            prior={"permissions": world},
            desired={"revoke": world},
            noop=not world,
            reason="no world-open ingress" if not world else "",
        )

    def apply(self, change: Change, ctx: ActionContext) -> None:
        ec2 = ctx.target_client("ec2", change.target)
        ec2.revoke_security_group_ingress(
            GroupId=change.target["group_id"], IpPermissions=_bare(change.desired["revoke"])
        )

    def is_applied(self, change: Change, ctx: ActionContext) -> bool:
        left = _bare(self._world(ctx, change.target, None))
        return not any(p in left for p in _bare(change.desired["revoke"]))

    def rollback(self, change: Change, ctx: ActionContext) -> None:
        ec2 = ctx.target_client("ec2", change.target)
        ec2.authorize_security_group_ingress(
            GroupId=change.target["group_id"], IpPermissions=change.prior["permissions"]
        )


def instance_ids(event: Mapping[str, Any], params: Mapping[str, Any]) -> list[str]:
    ids = [params["instance_id"]] if isinstance(params.get("instance_id"), str) else []
    d = detail(event)
    res = d.get("resource")
    if isinstance(res, dict):  # GuardDuty findings
        inst = res.get("instanceDetails")
        if isinstance(inst, dict) and isinstance(inst.get("instanceId"), str):
            ids.append(inst["instanceId"])
    rp = request_params(event)
    if isinstance(rp.get("instanceId"), str):
        ids.append(rp["instanceId"])
    items = (rp.get("instancesSet") or {}).get("items") if isinstance(rp.get("instancesSet"), dict) else None
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("instanceId"), str):
            ids.append(item["instanceId"])
    ids.extend(arn_resources(event, "instance"))
    return list(dict.fromkeys(ids))


@register
class IsolateInstance(ResponseAction):
    id = "ec2.isolate-instance"
    title = "Isolate an EC2 instance into a quarantine security group (no inbound, no outbound)"
    permissions = (
        "ec2:DescribeInstances",
        "ec2:DescribeSecurityGroups",
        "ec2:CreateSecurityGroup",
        "ec2:CreateTags",
        "ec2:RevokeSecurityGroupEgress",
        "ec2:ModifyNetworkInterfaceAttribute",
        "ec2:ModifyInstanceAttribute",
    )
    params_schema = {"instance_id": {"type": "string"}, "group_name": {"type": "string"}}
    wa = ("SEC10-BP06", "SEC06-BP05")

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        account, region = where(event)
        ids = instance_ids(event, params)
        if not ids:
            raise ActionError("the event names no instance (GuardDuty resource, requestParameters or ARN)")
        return [{"account": account, "region": region, "instance_id": i} for i in ids]

    def _instance(self, ctx: ActionContext, target: Target) -> dict[str, Any]:
        ec2 = ctx.target_client("ec2", target)
        for r in ec2.describe_instances(InstanceIds=[target["instance_id"]])["Reservations"]:
            for inst in r["Instances"]:
                return dict(inst)
        raise ActionError(f"instance {target['instance_id']} not found")

    def _group(self, ctx: ActionContext, target: Target, vpc: str, name: str) -> str | None:
        ec2 = ctx.target_client("ec2", target)
        found = ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": [name]}, {"Name": "vpc-id", "Values": [vpc]}]
        )["SecurityGroups"]
        return str(found[0]["GroupId"]) if found else None

    @classmethod
    def _enis(cls, inst: Mapping[str, Any]) -> dict[str, list[str]]:
        """Interface -> group ids; the primary interface's are the instance's ``SecurityGroups``."""
        out = {
            eni["NetworkInterfaceId"]: [g["GroupId"] for g in eni.get("Groups", [])]
            for eni in inst.get("NetworkInterfaces", [])
        }
        primary = cls._primary(inst)
        if primary and "SecurityGroups" in inst:
            out[primary] = [g["GroupId"] for g in inst["SecurityGroups"]]
        return out

    @staticmethod
    def _primary(inst: Mapping[str, Any]) -> str:
        for eni in inst.get("NetworkInterfaces", []):
            if (eni.get("Attachment") or {}).get("DeviceIndex") == 0:
                return str(eni["NetworkInterfaceId"])
        return ""

    @staticmethod
    def _set_groups(ec2: Any, change: Change, eni: str, groups: list[str]) -> None:
        """The primary interface through ModifyInstanceAttribute (which replaces the instance's groups),
        the others through ModifyNetworkInterfaceAttribute."""
        if eni == change.prior.get("primary"):
            ec2.modify_instance_attribute(InstanceId=change.target["instance_id"], Groups=groups)
        else:
            ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, Groups=groups)

    def plan(self, target: Target, inv: Invocation, ctx: ActionContext) -> Change:
        inst = self._instance(ctx, target)
        name = str(inv.params.get("group_name") or QUARANTINE_GROUP)
        vpc = str(inst.get("VpcId", ""))
        qsg = self._group(ctx, target, vpc, name) if vpc else None
        enis = self._enis(inst)
        done = bool(qsg) and bool(enis) and all(g == [qsg] for g in enis.values())
        return self.change(
            target,
            inv,
            f"move the {len(enis)} network interface(s) of {target['instance_id']} into quarantine "
            f"group {name} ({qsg or 'to be created'}) in {vpc}",
            prior={"interfaces": enis, "primary": self._primary(inst)},
            desired={"group_name": name, "vpc": vpc, "group_id": qsg},
            noop=done,
            reason="already isolated" if done else "",
        )

    def apply(self, change: Change, ctx: ActionContext) -> None:
        ec2 = ctx.target_client("ec2", change.target)
        name, vpc = change.desired["group_name"], change.desired["vpc"]
        qsg = self._group(ctx, change.target, vpc, name)
        if qsg is None:
            qsg = ec2.create_security_group(
                GroupName=name,
                Description="secpillar quarantine: no inbound, no outbound",
                VpcId=vpc,
                TagSpecifications=[
                    {"ResourceType": "security-group", "Tags": [{"Key": "secpillar", "Value": "quarantine"}]}
                ],
            )["GroupId"]
            ec2.revoke_security_group_egress(
                GroupId=qsg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": WORLD_V4}]}]
            )
        change.desired["group_id"] = qsg
        for eni in change.prior["interfaces"]:
            self._set_groups(ec2, change, eni, [qsg])

    def is_applied(self, change: Change, ctx: ActionContext) -> bool:
        enis = self._enis(self._instance(ctx, change.target))
        qsg = self._group(ctx, change.target, change.desired["vpc"], change.desired["group_name"])
        return qsg is not None and all(g == [qsg] for g in enis.values())

    def rollback(self, change: Change, ctx: ActionContext) -> None:
        ec2 = ctx.target_client("ec2", change.target)
        for eni, groups in change.prior["interfaces"].items():
            self._set_groups(ec2, change, eni, groups)
