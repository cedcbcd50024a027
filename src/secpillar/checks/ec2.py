"""Checks for EC2 and VPC: flow logs, security groups, network ACLs, EBS encryption, instances.

Also the routing helpers other checks use (``route_table_for_subnet``, ``routes_to_internet``):
which route table governs a subnet, and whether it sends traffic to an internet gateway."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_REGION_TYPE, Inventory, Resource, Severity

VPC = "AWS::EC2::VPC"
SUBNET = "AWS::EC2::Subnet"
ROUTE_TABLE = "AWS::EC2::RouteTable"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
NETWORK_ACL = "AWS::EC2::NetworkAcl"
INSTANCE = "AWS::EC2::Instance"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
VOLUME = "AWS::EC2::Volume"

WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"
DEFAULT_ADMIN_PORTS = (22, 3389)
_ALL = {"-1", "all"}
_TCP_UDP = {"tcp", "udp", "6", "17"}
_PROTO_NAMES = {
    "6": "TCP",
    "17": "UDP",
    "tcp": "TCP",
    "udp": "UDP",
    "-1": "all protocols",
    "all": "all protocols",
}


def admin_ports(ctx: CheckContext) -> tuple[int, ...]:
    """Remote administration ports (setting ``ec2_admin_ports``; default SSH 22 and RDP 3389)."""
    return tuple(int(p) for p in ctx.setting("ec2_admin_ports", DEFAULT_ADMIN_PORTS))


def _port_range(start: Any, end: Any) -> tuple[int, int]:
    lo = int(start) if start is not None else -1
    hi = int(end) if end is not None else -1
    if lo == -1 and hi == -1:
        return 0, 65535
    return lo, hi


def sg_rule_ports(perm: Mapping[str, Any], ports: Iterable[int]) -> list[int]:
    """Which of ``ports`` a security-group permission covers (all ports for protocol -1)."""
    proto = str(perm.get("ipProtocol", "")).lower()
    if proto in _ALL:
        return list(ports)
    if proto not in _TCP_UDP:
        return []
    lo, hi = _port_range(perm.get("fromPort"), perm.get("toPort"))
    return [p for p in ports if lo <= p <= hi]


def sg_world_sources(perm: Mapping[str, Any], family: str) -> bool:
    """Does the permission admit the whole internet (``0.0.0.0/0`` for v4, ``::/0`` for v6)?"""
    if family == "v4":
        return any(r.get("cidrIp") == WORLD_V4 for r in perm.get("ipRanges") or ())
    return any(r.get("cidrIpv6") == WORLD_V6 for r in perm.get("ipv6Ranges") or ())


def _ports_text(ports: Iterable[int]) -> str:
    return ", ".join(str(p) for p in ports)


def _rule_text(perm: Mapping[str, Any]) -> str:
    proto = str(perm.get("ipProtocol", ""))
    if proto.lower() in _ALL:
        return "all traffic"
    lo, hi = _port_range(perm.get("fromPort"), perm.get("toPort"))
    ports = str(lo) if lo == hi else f"{lo}-{hi}"
    return f"{_PROTO_NAMES.get(proto.lower(), proto)} {ports}"


class _SgAdminPorts(Check):
    resource_types = (SECURITY_GROUP,)
    wa = ("SEC05-BP02", "SEC05-BP01")
    family: str = "v4"

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        perms = resource.configuration.get("ipPermissions")
        if perms is None:
            return
        ports = admin_ports(ctx)
        world = WORLD_V4 if self.family == "v4" else WORLD_V6
        open_rules: list[dict[str, Any]] = []
        exposed: set[int] = set()
        for perm in perms:
            hit = sg_rule_ports(perm, ports)
            if hit and sg_world_sources(perm, self.family):
                exposed.update(hit)
                open_rules.append({"rule": _rule_text(perm), "source": world, "ports": hit})
        name = resource.display_name
        if exposed:
            yield self.failed(
                f"Security group '{name}' ({resource.resource_id}) allows inbound traffic from {world} to "
                f"remote administration port(s) {_ports_text(sorted(exposed))}: anyone on the internet can "
                "try to log in to the instances it protects.",
                rules=open_rules,
            )
        else:
            yield self.passed(
                f"Security group '{name}' allows no inbound traffic from {world} to remote administration "
                f"ports ({_ports_text(ports)}).",
            )


@register
class SgAdminPortsIpv4(_SgAdminPorts):
    id = "aws.ec2.sg-admin-ports-ipv4"
    title = "Security groups do not open remote administration ports to 0.0.0.0/0"
    severity = Severity.HIGH
    cis = ("5.3",)
    fsbp = ("EC2.13", "EC2.53")
    family = "v4"
    risk = (
        "SSH or RDP open to every IPv4 address invites brute-force and exploit attempts against the "
        "instances behind the group."
    )
    remediation = (
        "Remove the inbound rules that admit 0.0.0.0/0 to ports 22/3389 (or to all traffic); reach "
        "instances through Systems Manager Session Manager or from a known CIDR instead."
    )


@register
class SgAdminPortsIpv6(_SgAdminPorts):
    id = "aws.ec2.sg-admin-ports-ipv6"
    title = "Security groups do not open remote administration ports to ::/0"
    severity = Severity.HIGH
    cis = ("5.4",)
    fsbp = ("EC2.54",)
    family = "v6"
    risk = (
        "SSH or RDP open to every IPv6 address invites brute-force and exploit attempts against the "
        "instances behind the group."
    )
    remediation = (
        "Remove the inbound rules that admit ::/0 to ports 22/3389 (or to all traffic); reach instances "
        "through Systems Manager Session Manager or from a known CIDR instead."
    )


@register
class SgAllTrafficOpen(Check):
    id = "aws.ec2.sg-all-traffic-open"
    title = "Security groups do not allow all inbound traffic from the internet"
    severity = Severity.HIGH
    resource_types = (SECURITY_GROUP,)
    wa = ("SEC05-BP02",)
    fsbp = ("EC2.18",)
    risk = (
        "An inbound rule for every protocol and port from 0.0.0.0/0 or ::/0 exposes every service "
        "listening on the instances behind the group to the whole internet."
    )
    remediation = "Replace the all-traffic inbound rule with rules for the specific ports and sources needed."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        perms = resource.configuration.get("ipPermissions")
        if perms is None:
            return
        sources = sorted(
            {
                world
                for perm in perms
                if str(perm.get("ipProtocol", "")).lower() in _ALL
                for world, fam in ((WORLD_V4, "v4"), (WORLD_V6, "v6"))
                if sg_world_sources(perm, fam)
            }
        )
        name = resource.display_name
        if sources:
            yield self.failed(
                f"Security group '{name}' ({resource.resource_id}) allows all inbound traffic (every "
                f"protocol and port) from {' and '.join(sources)}: every service on its instances is "
                "exposed to the internet.",
                sources=sources,
            )
        else:
            yield self.passed(f"Security group '{name}' has no all-traffic inbound rule from the internet.")


@register
class DefaultSgRestrictsAll(Check):
    id = "aws.ec2.default-sg-restricts-all"
    title = "Default security groups restrict all traffic"
    severity = Severity.MEDIUM
    resource_types = (SECURITY_GROUP,)
    wa = ("SEC05-BP02",)
    cis = ("5.5",)
    fsbp = ("EC2.2",)
    risk = (
        "Resources launched without an explicit security group land in the VPC's default group; rules "
        "left in it grant them traffic nobody chose."
    )
    remediation = (
        "Remove every inbound and outbound rule from the VPC's default security group and use "
        "purpose-built groups instead."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        cfg = resource.configuration
        if cfg.get("groupName") != "default":
            return
        inbound, outbound = cfg.get("ipPermissions"), cfg.get("ipPermissionsEgress")
        if inbound is None or outbound is None:
            return
        vpc = cfg.get("vpcId", "?")
        if inbound or outbound:
            yield self.failed(
                f"The default security group {resource.resource_id} of VPC {vpc} has {len(inbound)} inbound "
                f"and {len(outbound)} outbound rule(s): anything launched without a chosen security group "
                "gets that traffic.",
                inbound=[_rule_text(p) for p in inbound],
                outbound=[_rule_text(p) for p in outbound],
            )
        else:
            yield self.passed(f"The default security group {resource.resource_id} of VPC {vpc} has no rules.")


def _nacl_covers(entry: Mapping[str, Any], port: int) -> bool:
    proto = str(entry.get("protocol", "")).lower()
    if proto in _ALL:
        return True
    if proto not in _TCP_UDP:
        return False
    rng = entry.get("portRange")
    if not rng:
        return True
    lo, hi = _port_range(rng.get("from"), rng.get("to"))
    return lo <= port <= hi


def nacl_world_decision(entries: Iterable[Mapping[str, Any]], port: int) -> Mapping[str, Any] | None:
    """The inbound entry that decides traffic from anywhere (0.0.0.0/0 or ::/0) to ``port``,
    taking entries in rule-number order; None when no entry matches (the implicit deny)."""
    inbound = [e for e in entries if not e.get("egress")]
    for entry in sorted(inbound, key=lambda e: int(e.get("ruleNumber", 32767))):
        if entry.get("cidrBlock") != WORLD_V4 and entry.get("ipv6CidrBlock") != WORLD_V6:
            continue
        if _nacl_covers(entry, port):
            return entry
    return None


@register
class NaclAdminPortsOpen(Check):
    id = "aws.ec2.nacl-admin-ports-open"
    title = "Network ACLs do not allow remote administration ports from the internet"
    severity = Severity.MEDIUM
    resource_types = (NETWORK_ACL,)
    wa = ("SEC05-BP02", "SEC05-BP01")
    cis = ("5.2",)
    fsbp = ("EC2.21",)
    risk = (
        "A network ACL that lets SSH or RDP in from anywhere removes the subnet-level layer of defence; "
        "one permissive security group is then enough to expose an instance."
    )
    remediation = (
        "Add a lower-numbered inbound DENY for ports 22 and 3389 from 0.0.0.0/0 and ::/0, or narrow the "
        "ALLOW rule's source to known networks."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        entries = resource.configuration.get("entries")
        if entries is None:
            return
        allowed: list[dict[str, Any]] = []
        for port in admin_ports(ctx):
            entry = nacl_world_decision(entries, port)
            if entry is not None and str(entry.get("ruleAction", "")).lower() == "allow":
                allowed.append(
                    {
                        "port": port,
                        "ruleNumber": entry.get("ruleNumber"),
                        "source": entry.get("cidrBlock") or entry.get("ipv6CidrBlock"),
                        "protocol": entry.get("protocol"),
                    }
                )
        name = resource.display_name
        if allowed:
            desc = "; ".join(
                f"port {a['port']} by rule {a['ruleNumber']} from {a['source']}" for a in allowed
            )
            yield self.failed(
                f"Network ACL '{name}' ({resource.resource_id}) allows inbound remote administration traffic "
                f"from the internet ({desc}): the subnet layer does not stop SSH/RDP from anywhere.",
                allowed=allowed,
            )
        else:
            yield self.passed(
                f"Network ACL '{name}' denies inbound remote administration ports "
                f"({_ports_text(admin_ports(ctx))}) from the internet."
            )


@register
class VpcFlowLogs(Check):
    id = "aws.ec2.vpc-flow-logs"
    title = "VPC flow logging is enabled"
    severity = Severity.MEDIUM
    resource_types = (VPC,)
    wa = ("SEC04-BP01",)
    cis = ("3.7",)
    fsbp = ("EC2.6",)
    risk = (
        "Without flow logs there is no record of the traffic in the VPC to investigate an intrusion, "
        "data exfiltration or a misrouted connection."
    )
    remediation = (
        "Create a flow log for the VPC capturing ALL (or at least REJECT) traffic to CloudWatch Logs or a "
        "central S3 bucket."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        flow_logs = resource.supplementary.get("FlowLogs")
        if flow_logs is None:
            return
        active = [
            f
            for f in flow_logs
            if str(f.get("flowLogStatus", "ACTIVE")).upper() == "ACTIVE"
            and str(f.get("trafficType", "ALL")).upper() in ("ALL", "REJECT")
        ]
        name = resource.display_name
        if active:
            yield self.passed(
                f"VPC '{name}' has an active flow log ({active[0].get('flowLogId', '?')}, "
                f"{active[0].get('trafficType', 'ALL')} traffic).",
                flowLogIds=[f.get("flowLogId") for f in active],
            )
        else:
            yield self.failed(
                f"VPC '{name}' ({resource.resource_id}) has no active flow log capturing rejected or all "
                "traffic: connections into and out of it leave no record to investigate.",
                flowLogs=[{"id": f.get("flowLogId"), "trafficType": f.get("trafficType")} for f in flow_logs],
            )


@register
class EbsVolumeEncrypted(Check):
    id = "aws.ec2.ebs-volume-encrypted"
    title = "EBS volumes are encrypted at rest"
    severity = Severity.MEDIUM
    resource_types = (VOLUME,)
    wa = ("SEC08-BP02",)
    fsbp = ("EC2.3",)
    risk = (
        "An unencrypted volume, and every snapshot taken of it, stores its data in the clear; a shared "
        "or leaked snapshot discloses it."
    )
    remediation = (
        "Snapshot the volume, copy the snapshot with encryption (KMS), create a volume from it and swap "
        "it in; turn on EBS encryption by default so new volumes are encrypted."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        encrypted = resource.configuration.get("encrypted")
        if encrypted is None:
            return
        name = resource.display_name
        if encrypted:
            yield self.passed(
                f"EBS volume '{name}' is encrypted.", kmsKeyId=resource.configuration.get("kmsKeyId")
            )
        else:
            attached = [a.get("instanceId") for a in resource.configuration.get("attachments") or ()]
            yield self.failed(
                f"EBS volume '{name}' ({resource.resource_id}) is not encrypted: its data and every snapshot "
                "of it are stored unencrypted.",
                attachedTo=attached,
            )


@register
class EbsDefaultEncryption(Check):
    id = "aws.ec2.ebs-default-encryption"
    title = "EBS encryption by default is enabled in every region"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_REGION_TYPE,)
    wa = ("SEC08-BP02", "SEC08-BP03")
    cis = ("5.1.1",)
    fsbp = ("EC2.7",)
    risk = (
        "Without the regional default, every new volume is unencrypted unless its creator remembers to "
        "ask for encryption."
    )
    remediation = "Enable EBS encryption by default (ec2:EnableEbsEncryptionByDefault) in every region used."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        value = resource.supplementary.get("EbsEncryptionByDefault")
        if value is None:
            return
        where = f"account {ctx.inventory.account_name(resource.account_id)} in {resource.region}"
        if value:
            yield self.passed(f"EBS encryption by default is enabled for {where}.")
        else:
            yield self.failed(
                f"EBS encryption by default is disabled for {where}: new volumes and snapshot copies are "
                "created unencrypted unless each request asks otherwise.",
                ebsEncryptionByDefault=False,
            )


@register
class ImdsV2Required(Check):
    id = "aws.ec2.imdsv2-required"
    title = "EC2 instances and launch templates require IMDSv2"
    severity = Severity.HIGH
    resource_types = (INSTANCE, LAUNCH_TEMPLATE)
    wa = ("SEC06-BP02",)
    cis = ("5.7",)
    fsbp = ("EC2.8",)
    risk = (
        "IMDSv1 answers unauthenticated GET requests, so an SSRF flaw in the instance's software can read "
        "its role's temporary credentials."
    )
    remediation = (
        "Set the instance's metadata options to HttpTokens=required (ec2:ModifyInstanceMetadataOptions) "
        "and require IMDSv2 in launch templates and the account's AMI defaults."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        if resource.resource_type == LAUNCH_TEMPLATE:
            yield from self._template(resource)
            return
        opts = resource.configuration.get("metadataOptions")
        if not opts or "httpTokens" not in opts:
            return
        name = resource.display_name
        if str(opts.get("httpEndpoint", "enabled")).lower() == "disabled":
            yield self.passed(f"Instance '{name}' has the metadata service turned off.")
        elif str(opts["httpTokens"]).lower() == "required":
            yield self.passed(f"Instance '{name}' requires IMDSv2 session tokens.")
        else:
            yield self.failed(
                f"Instance '{name}' ({resource.resource_id}) accepts IMDSv1 (httpTokens="
                f"{opts['httpTokens']}): a server-side request forgery can read its role credentials.",
                httpTokens=opts["httpTokens"],
            )

    def _template(self, resource: Resource) -> Iterator[Result]:
        """The default version's data: without HttpTokens=required, instances launched from the
        template accept IMDSv1 unless the AMI or the account default says otherwise (FSBP EC2.170)."""
        data = resource.configuration.get("launchTemplateData")
        if data is None:
            return
        opts = data.get("metadataOptions") or {}
        name = resource.display_name
        if str(opts.get("httpEndpoint", "enabled")).lower() == "disabled":
            yield self.passed(f"Launch template '{name}' turns the metadata service off.")
        elif str(opts.get("httpTokens", "")).lower() == "required":
            yield self.passed(f"Launch template '{name}' requires IMDSv2 session tokens.")
        else:
            yield self.failed(
                f"Launch template '{name}' does not require IMDSv2 (httpTokens="
                f"{opts.get('httpTokens', 'not set')}): instances launched from it accept IMDSv1.",
                httpTokens=opts.get("httpTokens"),
            )


@register
class InstanceNoPublicIp(Check):
    id = "aws.ec2.instance-no-public-ip"
    title = "EC2 instances have no public IPv4 address"
    severity = Severity.MEDIUM
    resource_types = (INSTANCE,)
    wa = ("SEC05-BP01",)
    fsbp = ("EC2.9",)
    risk = (
        "An instance with a public address is reachable from the internet whenever a security group or "
        "NACL rule slips; private instances behind load balancers or NAT are not."
    )
    remediation = (
        "Launch instances in private subnets without public addresses; expose services through a load "
        "balancer and administer through Session Manager."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        cfg = resource.configuration
        if "instanceId" not in cfg:
            return
        name = resource.display_name
        public = cfg.get("publicIpAddress")
        if public:
            yield self.failed(
                f"Instance '{name}' ({resource.resource_id}) has the public IPv4 address {public}: it is "
                "directly addressable from the internet.",
                publicIpAddress=public,
            )
        else:
            yield self.passed(f"Instance '{name}' has no public IPv4 address.")


# ---- routing helpers (used by other checks) --------------------------------------------------


def route_table_for_subnet(inventory: Inventory, subnet: Resource) -> Resource | None:
    """The route table that governs ``subnet``: its explicit association, else the main route table
    of its VPC (None when neither is in the inventory)."""
    sid = subnet.resource_id
    vpc_id = subnet.configuration.get("vpcId")
    main: Resource | None = None
    for rt in inventory.by_account(subnet.account_id, ROUTE_TABLE):
        if rt.region != subnet.region:
            continue
        for assoc in rt.configuration.get("associations") or ():
            if assoc.get("subnetId") == sid:
                return rt
            if assoc.get("main") and rt.configuration.get("vpcId") == vpc_id:
                main = rt
    return main


def internet_routes(route_table: Resource) -> list[Mapping[str, Any]]:
    """The active routes of ``route_table`` whose target is an internet gateway."""
    return [
        r
        for r in route_table.configuration.get("routes") or ()
        if str(r.get("gatewayId") or "").startswith("igw-") and str(r.get("state", "active")) != "blackhole"
    ]
