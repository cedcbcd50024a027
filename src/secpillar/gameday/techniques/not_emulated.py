"""Techniques the catalogue lists but cannot detonate, with the reason (they are always skipped).
Their detections keep their tests in ``tests/unit/detect`` on recorded events."""

from __future__ import annotations

from secpillar.gameday.technique import Context, Skip, Technique, register
from secpillar.model import Severity

FLOW_LOGS = (
    "needs network traffic in VPC flow logs: no API call causes it, and the sandbox's emulator "
    "writes no flow log records"
)


class _NotEmulated(Technique):
    def detonate(self, ctx: Context) -> None:
        raise Skip(self.not_emulated)


@register
class OrganizationLeave(_NotEmulated):
    id = "aws.defense-evasion.organization-leave"
    title = "Leave the organization"
    attack = "T1666"
    description = "LeaveOrganization from a member account: it escapes the SCPs and the organization trail."
    events = ("LeaveOrganization",)
    detections = ("ct.organization-leave",)
    not_emulated = (
        "cannot be undone by the game day: re-joining takes an invitation the management account "
        "sends and the account accepts (a handshake the sandbox's emulator does not implement), and "
        "until then the account is outside the SCPs and the organization trail"
    )


@register
class DnsQueryLogsDelete(_NotEmulated):
    id = "aws.defense-evasion.dns-delete-logs"
    title = "Delete Route 53 Resolver query logging"
    attack = "T1562.008"
    severity = Severity.MEDIUM
    description = (
        "DisassociateResolverQueryLogConfig, then DeleteResolverQueryLogConfig: the VPCs' DNS queries "
        "stop being logged."
    )
    events = ("DisassociateResolverQueryLogConfig", "DeleteResolverQueryLogConfig")
    detections = ("ct.dns-query-logs-deleted",)
    not_emulated = (
        "the sandbox's emulator creates and associates Resolver query logging configurations but "
        "implements neither DisassociateResolverQueryLogConfig nor DeleteResolverQueryLogConfig"
    )


@register
class AccessDeniedEnumeration(_NotEmulated):
    id = "aws.discovery.access-denied-enumeration"
    title = "Enumerate permissions with stolen credentials (many denied calls)"
    attack = "T1580"
    severity = Severity.MEDIUM
    description = "A principal calls a dozen different APIs it may not use, to learn what it can do."
    detections = ("ct.access-denied-burst",)
    not_emulated = "the sandbox does not enforce IAM, so no call is ever denied"


@register
class SshBruteForce(_NotEmulated):
    id = "aws.credential-access.ssh-brute-force"
    title = "Brute-force SSH on an instance"
    attack = "T1110"
    severity = Severity.MEDIUM
    description = "Many TCP connections to port 22 of one host from one address."
    detections = ("flow.ssh-brute-force",)
    not_emulated = FLOW_LOGS


@register
class RdpBruteForce(_NotEmulated):
    id = "aws.credential-access.rdp-brute-force"
    title = "Brute-force RDP on an instance"
    attack = "T1110"
    severity = Severity.MEDIUM
    description = "Many TCP connections to port 3389 of one host from one address."
    detections = ("flow.rdp-brute-force",)
    not_emulated = FLOW_LOGS


@register
class PortScan(_NotEmulated):
    id = "aws.discovery.network-port-scan"
    title = "Scan the ports of hosts in a VPC"
    attack = "T1046"
    severity = Severity.MEDIUM
    description = "Connections from one address to many ports of the VPC's hosts."
    detections = ("flow.port-scan",)
    not_emulated = FLOW_LOGS
