"""Detections of evidence being switched off: CloudTrail, GuardDuty, AWS Config, VPC flow logs,
S3 server access logging. Each fires only on a call that succeeded (``errorCode`` unset)."""

from __future__ import annotations

from secpillar.detect.registry import Detection, register
from secpillar.detect.sql import SUCCEEDED, event_sql, rp
from secpillar.model import Severity


@register
class CloudTrailStopped(Detection):
    id = "ct.cloudtrail-stopped"
    title = "CloudTrail logging stopped"
    severity = Severity.HIGH
    guardduty = "Stealth:IAMUser/CloudTrailLoggingDisabled"
    attack = ("T1562.008",)
    tactic = "Defense Evasion"
    wa = ("SEC04-BP01", "SEC04-BP02")
    description = "cloudtrail:StopLogging on a trail: from this moment the trail records nothing."
    sql = event_sql(
        f"eventsource = 'cloudtrail.amazonaws.com' AND eventname = 'StopLogging' AND {SUCCEEDED}",
        resource=rp("name"),
        detail="'trail stopped: ' || " + rp("name"),
    )


@register
class CloudTrailDeleted(Detection):
    id = "ct.cloudtrail-deleted"
    title = "CloudTrail trail deleted"
    severity = Severity.HIGH
    guardduty = "Stealth:IAMUser/CloudTrailLoggingDisabled"
    attack = ("T1562.008",)
    tactic = "Defense Evasion"
    wa = ("SEC04-BP01", "SEC04-BP02")
    description = "cloudtrail:DeleteTrail: the trail and its delivery are gone."
    sql = event_sql(
        f"eventsource = 'cloudtrail.amazonaws.com' AND eventname = 'DeleteTrail' AND {SUCCEEDED}",
        resource=rp("name"),
        detail="'trail deleted: ' || " + rp("name"),
    )


@register
class CloudTrailSelectorsChanged(Detection):
    id = "ct.cloudtrail-selectors-changed"
    title = "CloudTrail event selectors changed"
    severity = Severity.MEDIUM
    attack = ("T1562.008",)
    tactic = "Defense Evasion"
    wa = ("SEC04-BP01",)
    description = (
        "cloudtrail:PutEventSelectors or PutInsightSelectors: what the trail records changed (a "
        "selector can silently exclude management or data events)."
    )
    sql = event_sql(
        "eventsource = 'cloudtrail.amazonaws.com' AND eventname IN "
        f"('PutEventSelectors', 'PutInsightSelectors') AND {SUCCEEDED}",
        resource=f"COALESCE({rp('trailName')}, {rp('name')})",
        detail="eventname",
    )


GUARDDUTY_OFF = (
    "eventsource = 'guardduty.amazonaws.com' AND ("
    "eventname IN ('DeleteDetector', 'DisassociateFromMasterAccount', "
    "'DisassociateFromAdministratorAccount', "
    "'StopMonitoringMembers', 'DeleteMembers', 'DisassociateMembers') "
    f"OR (eventname = 'UpdateDetector' AND lower({rp('enable')}) = 'false'))"
)


@register
class GuardDutyDisabled(Detection):
    id = "ct.guardduty-disabled"
    title = "GuardDuty detector disabled, deleted or detached"
    severity = Severity.HIGH
    attack = ("T1562.001",)
    tactic = "Defense Evasion"
    wa = ("SEC04-BP01", "SEC04-BP03")
    description = (
        "guardduty:DeleteDetector, UpdateDetector with enable=false, or a member account leaving its "
        "administrator (DisassociateFrom*Account, DeleteMembers, StopMonitoringMembers)."
    )
    sql = event_sql(
        f"{GUARDDUTY_OFF} AND {SUCCEEDED}",
        resource=f"COALESCE({rp('detectorId')}, recipientaccountid)",
        detail="eventname",
    )


@register
class ConfigDisabled(Detection):
    id = "ct.config-disabled"
    title = "AWS Config recording stopped or deleted"
    severity = Severity.HIGH
    attack = ("T1562.001",)
    tactic = "Defense Evasion"
    wa = ("SEC04-BP01", "SEC04-BP02")
    description = (
        "config:StopConfigurationRecorder, DeleteConfigurationRecorder or DeleteDeliveryChannel: "
        "configuration history stops."
    )
    sql = event_sql(
        "eventsource = 'config.amazonaws.com' AND eventname IN "
        "('StopConfigurationRecorder', 'DeleteConfigurationRecorder', 'DeleteDeliveryChannel') "
        f"AND {SUCCEEDED}",
        resource=f"COALESCE({rp('configurationRecorderName')}, {rp('deliveryChannelName')})",
        detail="eventname",
    )


@register
class FlowLogsDeleted(Detection):
    id = "ct.flow-logs-deleted"
    title = "VPC flow logs deleted"
    severity = Severity.MEDIUM
    attack = ("T1562.008",)
    tactic = "Defense Evasion"
    wa = ("SEC04-BP01", "SEC05-BP02")
    description = "ec2:DeleteFlowLogs: network evidence for the VPC, subnet or interface stops."
    sql = event_sql(
        f"eventsource = 'ec2.amazonaws.com' AND eventname = 'DeleteFlowLogs' AND {SUCCEEDED}",
        resource="CAST(json_extract(requestparameters, '$.DeleteFlowLogsRequest') AS VARCHAR)",
        detail="eventname",
    )


@register
class DnsQueryLogsDeleted(Detection):
    id = "ct.dns-query-logs-deleted"
    title = "Route 53 Resolver query logging removed"
    severity = Severity.MEDIUM
    attack = ("T1562.008",)
    tactic = "Defense Evasion"
    wa = ("SEC04-BP01", "SEC05-BP02")
    description = (
        "route53resolver:DeleteResolverQueryLogConfig or DisassociateResolverQueryLogConfig: the "
        "VPCs' DNS queries (where malware calls home) stop being logged."
    )
    sql = event_sql(
        "eventsource = 'route53resolver.amazonaws.com' AND eventname IN "
        f"('DeleteResolverQueryLogConfig', 'DisassociateResolverQueryLogConfig') AND {SUCCEEDED}",
        resource=f"COALESCE({rp('resolverQueryLogConfigId')}, {rp('resourceId')})",
        detail="eventname",
    )


@register
class S3AccessLoggingDisabled(Detection):
    id = "ct.s3-access-logging-disabled"
    title = "S3 server access logging disabled"
    severity = Severity.LOW
    guardduty = "Stealth:S3/ServerAccessLoggingDisabled"
    attack = ("T1562.008",)
    tactic = "Defense Evasion"
    wa = ("SEC04-BP01",)
    description = (
        "s3:PutBucketLogging with a BucketLoggingStatus that has no LoggingEnabled element: the "
        "bucket's access log stops."
    )
    sql = event_sql(
        f"eventsource = 's3.amazonaws.com' AND eventname = 'PutBucketLogging' AND {SUCCEEDED} "
        f"AND json_extract(requestparameters, '$.BucketLoggingStatus.LoggingEnabled') IS NULL",
        resource=rp("bucketName"),
        detail="'access logging disabled on ' || " + rp("bucketName"),
    )


@register
class LeaveOrganization(Detection):
    id = "ct.organization-leave"
    title = "Account left the organization"
    severity = Severity.HIGH
    attack = ("T1666",)
    tactic = "Defense Evasion"
    wa = ("SEC01-BP01", "SEC03-BP05")
    description = (
        "organizations:LeaveOrganization: the account escapes the organization's SCPs, its "
        "organization trail and delegated security services."
    )
    sql = event_sql(
        f"eventsource = 'organizations.amazonaws.com' AND eventname = 'LeaveOrganization' AND {SUCCEEDED}",
        resource="recipientaccountid",
        detail="'account left its organization'",
    )
