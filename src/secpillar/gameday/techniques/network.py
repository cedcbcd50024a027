"""Network exposure: security groups opened to the world, a network ACL that allows everything,
and changes in a region nobody uses. Each acts on a decoy the warm-up creates."""

from __future__ import annotations

from typing import Any

from secpillar.gameday.resources import (
    ABSENT,
    PRESENT,
    create_security_group,
    default_vpc,
    delete_security_group,
    security_group_state,
)
from secpillar.gameday.technique import Context, Technique, register
from secpillar.model import Severity

UNUSED_REGION = "sa-east-1"
"""A region enabled in every account by default that the sandbox organization does not use."""

SG_PERMISSIONS: tuple[str, ...] = (
    "ec2:DescribeVpcs",
    "ec2:CreateSecurityGroup",
    "ec2:DescribeSecurityGroups",
    "ec2:AuthorizeSecurityGroupIngress",
    "ec2:DeleteSecurityGroup",
)


def world_open(ctx: Context, group_id: str) -> bool:
    groups = ctx.client("ec2").describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    for perm in groups[0].get("IpPermissions", []) if groups else []:
        if any(r.get("CidrIp") == "0.0.0.0/0" for r in perm.get("IpRanges", [])):
            return True
        if any(r.get("CidrIpv6") == "::/0" for r in perm.get("Ipv6Ranges", [])):
            return True
    return False


class _OpenSecurityGroup(Technique):
    """Open a decoy security group to the world on one port."""

    attack = "T1562.007"
    events = ("AuthorizeSecurityGroupIngress",)
    detections = ("ct.security-group-open-to-world",)
    responses = ("ec2.revoke-world-ingress",)
    permissions = SG_PERMISSIONS
    permission: dict[str, Any]

    def select(self, ctx: Context) -> None:
        ctx.state["group_name"] = ctx.name("sg")

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {
            f"security group {ctx.state['group_name']}": security_group_state(ctx, ctx.state["group_name"])
        }

    def warm_up(self, ctx: Context) -> None:
        ctx.state["group_id"] = create_security_group(ctx, ctx.state["group_name"])

    def detonate(self, ctx: Context) -> None:
        ctx.client("ec2").authorize_security_group_ingress(
            GroupId=ctx.state["group_id"], IpPermissions=[self.permission]
        )

    def remediated(self, ctx: Context) -> bool:
        return not world_open(ctx, ctx.state["group_id"])

    def cleanup(self, ctx: Context) -> None:
        delete_security_group(ctx, ctx.state.get("group_id"))


@register
class OpenSsh(_OpenSecurityGroup):
    id = "aws.defense-evasion.security-group-open-port-22"
    title = "Open port 22 (SSH) to the world"
    description = "AuthorizeSecurityGroupIngress for tcp/22 from 0.0.0.0/0 on a security group."
    permission = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@register
class OpenRdpIpv6(_OpenSecurityGroup):
    id = "aws.defense-evasion.security-group-open-rdp-ipv6"
    title = "Open port 3389 (RDP) to the whole IPv6 internet"
    description = "AuthorizeSecurityGroupIngress for tcp/3389 from ::/0 on a security group."
    permission = {"IpProtocol": "tcp", "FromPort": 3389, "ToPort": 3389, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}


@register
class NaclAllowAll(Technique):
    id = "aws.defense-evasion.nacl-allow-all"
    title = "Network ACL rule that allows all traffic from anywhere"
    attack = "T1562.007"
    severity = Severity.MEDIUM
    description = "CreateNetworkAclEntry: inbound rule 100 allowing every protocol from 0.0.0.0/0."
    events = ("CreateNetworkAclEntry",)
    detections = ("ct.nacl-allow-all",)
    permissions = (
        "ec2:DescribeVpcs",
        "ec2:CreateNetworkAcl",
        "ec2:CreateTags",
        "ec2:DescribeNetworkAcls",
        "ec2:CreateNetworkAclEntry",
        "ec2:DeleteNetworkAcl",
    )

    def select(self, ctx: Context) -> None:
        ctx.state["name"] = ctx.name("nacl")

    def _acls(self, ctx: Context) -> list[str]:
        acls = ctx.client("ec2").describe_network_acls(
            Filters=[{"Name": "tag:Name", "Values": [ctx.state["name"]]}]
        )["NetworkAcls"]
        return [str(a["NetworkAclId"]) for a in acls]

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"network ACL {ctx.state['name']}": PRESENT if self._acls(ctx) else ABSENT}

    def warm_up(self, ctx: Context) -> None:
        acl = ctx.client("ec2").create_network_acl(
            VpcId=default_vpc(ctx),
            TagSpecifications=[
                {"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": ctx.state["name"]}]}
            ],
        )
        ctx.state["acl"] = str(acl["NetworkAcl"]["NetworkAclId"])

    def detonate(self, ctx: Context) -> None:
        ctx.client("ec2").create_network_acl_entry(
            NetworkAclId=ctx.state["acl"],
            RuleNumber=100,
            Protocol="-1",
            RuleAction="allow",
            Egress=False,
            CidrBlock="0.0.0.0/0",
        )

    def cleanup(self, ctx: Context) -> None:
        for acl in self._acls(ctx):
            ctx.client("ec2").delete_network_acl(NetworkAclId=acl)


@register
class UnusedRegion(Technique):
    id = "aws.defense-evasion.unused-region"
    title = "Create resources in a region the organization does not use"
    attack = "T1535"
    severity = Severity.MEDIUM
    description = (
        f"CreateSecurityGroup in {UNUSED_REGION}, where nobody looks: attackers hide miners and "
        "footholds in unused regions."
    )
    events = ("CreateSecurityGroup",)
    detections = ("ct.unused-region",)
    permissions = SG_PERMISSIONS
    regions = (UNUSED_REGION,)

    def select(self, ctx: Context) -> None:
        ctx.state["group_name"] = ctx.name("sg")
        ctx.state["vpc"] = default_vpc(ctx, UNUSED_REGION)

    def probe(self, ctx: Context) -> dict[str, Any]:
        state = security_group_state(ctx, ctx.state["group_name"], UNUSED_REGION)
        return {f"security group {ctx.state['group_name']} in {UNUSED_REGION}": state}

    def detonate(self, ctx: Context) -> None:
        ctx.state["group_id"] = create_security_group(
            ctx, ctx.state["group_name"], UNUSED_REGION, ctx.state["vpc"]
        )

    def cleanup(self, ctx: Context) -> None:
        delete_security_group(ctx, ctx.state.get("group_id"), UNUSED_REGION)
