"""Alerting on security events (CIS AWS Foundations v5.0 section 4): a CloudTrail trail that covers
the account delivers to CloudWatch Logs, a metric filter on that log group matches the events, and
an alarm on the filter's metric notifies someone (a trail that does not deliver to CloudWatch Logs
fails every one of them). Also: alarms have actions, log groups keep logs long enough and encrypt
them.

The metric-filter checks judge ``AWS::::Account``. The trails that cover an account are its own
and the organization trails of the management account; their log groups' filters and alarms are
read from the ``AWS::::AccountRegion`` of the log group's account and region. Filter patterns are
compared after removing white space and quotes, so ``{ ($.eventName = "StopLogging") }`` and
``{($.eventName=StopLogging)}`` are the same.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_REGION_TYPE, ACCOUNT_TYPE, Resource, Severity

TRAIL = "AWS::CloudTrail::Trail"
LOG_GROUP = "AWS::Logs::LogGroup"


def compact(pattern: str) -> str:
    return re.sub(r"[\s\"']", "", pattern)


def pattern_matches(pattern: str, required: Iterable[str]) -> bool:
    text = compact(pattern)
    return all(re.search(re.escape(compact(term)) + r"(?![A-Za-z0-9])", text) for term in required)


def events(*names: str, source: str | None = None) -> tuple[str, ...]:
    terms = tuple(f"$.eventName={n}" for n in names)
    return ((f"$.eventSource={source}",) if source else ()) + terms


def _log_group_of(trail: Resource) -> tuple[str, str, str] | None:
    arn = str(trail.configuration.get("cloudWatchLogsLogGroupArn") or "")
    parts = arn.split(":")
    if len(parts) < 7 or parts[5] != "log-group":
        return None
    return parts[4], parts[3], parts[6]


def covering_trails(ctx: CheckContext, account_id: str) -> list[Resource]:
    """The logging trails that record the account: its own, and organization trails."""
    out = []
    for t in ctx.inventory.by_type(TRAIL):
        covers = t.account_id == account_id or (
            bool(t.configuration.get("isOrganizationTrail")) and account_id in ctx.inventory.accounts
        )
        if covers and t.configuration.get("status", {}).get("isLogging", True):
            out.append(t)
    return out


@dataclass(frozen=True)
class Match:
    group: str
    filter_name: str
    alarm: str


def find_alarm(
    ctx: CheckContext, account_id: str, required: tuple[str, ...]
) -> tuple[bool, list[str], Match | None]:
    """(known, log groups looked at, the first filter+alarm that satisfies ``required``)."""
    groups: list[str] = []
    known = False
    for trail in covering_trails(ctx, account_id):
        where = _log_group_of(trail)
        if where is None:
            continue
        acct, region, group = where
        groups.append(f"{acct}/{region}/{group}")
        ar = ctx.inventory.find(ACCOUNT_REGION_TYPE, f"{acct}/{region}")
        if ar is None or "LogMetricFilters" not in ar.supplementary or "MetricAlarms" not in ar.supplementary:
            continue
        known = True
        for f in ar.supplementary["LogMetricFilters"]:
            if f.get("logGroupName") != group or not pattern_matches(
                str(f.get("filterPattern", "")), required
            ):
                continue
            metrics = {
                (m.get("metricNamespace"), m.get("metricName")) for m in f.get("metricTransformations") or ()
            }
            for alarm in ar.supplementary["MetricAlarms"]:
                if (alarm.get("namespace"), alarm.get("metricName")) in metrics and alarm.get("alarmActions"):
                    return True, groups, Match(group, str(f.get("filterName")), str(alarm.get("alarmName")))
    return known, groups, None


def _account_known(ctx: CheckContext, account_id: str) -> bool:
    """The CloudWatch collector ran for the account (some region has its keys)."""
    return any(
        "LogMetricFilters" in r.supplementary
        for r in ctx.inventory.by_account(account_id, ACCOUNT_REGION_TYPE)
    )


class _MetricAlarmCheck(Check):
    resource_types = (ACCOUNT_TYPE,)
    reads = (TRAIL, ACCOUNT_REGION_TYPE)
    severity = Severity.LOW
    wa = ("SEC04-BP03",)
    required: tuple[str, ...] = ()
    what: str = ""
    management_only = False

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        account = resource.account_id
        acct = ctx.inventory.accounts.get(account)
        if self.management_only and acct is not None and not acct.is_management:
            return
        if not _account_known(ctx, account) and not covering_trails(ctx, account):
            return
        known, groups, match = find_alarm(ctx, account, self.required)
        name = ctx.inventory.account_name(account)
        if match is not None:
            yield self.passed(
                f"{self.what.capitalize()} in account '{name}' raise alarm '{match.alarm}' "
                f"(filter '{match.filter_name}' on {match.group}).",
                logGroup=match.group,
                alarm=match.alarm,
            )
        elif groups and not known:
            return  # the log group's filters or alarms could not be read
        else:
            where = (
                f"the log group(s) {', '.join(groups)}"
                if groups
                else "no trail delivering to CloudWatch Logs"
            )
            yield self.failed(
                f"No metric filter with an alarm watches for {self.what} in account '{name}' ({where}): "
                "nobody is alerted when it happens.",
                logGroups=groups,
            )


_ALARMS: list[tuple[str, str, str, str, tuple[str, ...]]] = [
    (
        "unauthorized-api-calls",
        "4.1",
        "Unauthorized API calls",
        "unauthorized API calls",
        ("$.errorCode=*UnauthorizedOperation", "$.errorCode=AccessDenied*"),
    ),
    (
        "console-signin-without-mfa",
        "4.2",
        "Console sign-in without MFA",
        "console sign-ins without MFA",
        ("$.eventName=ConsoleLogin", "$.additionalEventData.MFAUsed!=Yes"),
    ),
    (
        "root-usage",
        "4.3",
        "Root user usage",
        "uses of the root user",
        ("$.userIdentity.type=Root", "$.userIdentity.invokedByNOTEXISTS", "$.eventType!=AwsServiceEvent"),
    ),
    (
        "iam-policy-changes",
        "4.4",
        "IAM policy changes",
        "IAM policy changes",
        events(
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ),
    ),
    (
        "cloudtrail-changes",
        "4.5",
        "CloudTrail configuration changes",
        "CloudTrail configuration changes",
        events("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    ),
    (
        "console-auth-failures",
        "4.6",
        "Console authentication failures",
        "failed console sign-ins",
        ("$.eventName=ConsoleLogin", "$.errorMessage=Failedauthentication"),
    ),
    (
        "kms-key-disable-or-deletion",
        "4.7",
        "Disabling or scheduled deletion of KMS keys",
        "KMS keys being disabled or scheduled for deletion",
        events("DisableKey", "ScheduleKeyDeletion", source="kms.amazonaws.com"),
    ),
    (
        "s3-bucket-policy-changes",
        "4.8",
        "S3 bucket policy changes",
        "S3 bucket policy changes",
        events(
            "PutBucketAcl",
            "PutBucketPolicy",
            "PutBucketCors",
            "PutBucketLifecycle",
            "PutBucketReplication",
            "DeleteBucketPolicy",
            "DeleteBucketCors",
            "DeleteBucketLifecycle",
            "DeleteBucketReplication",
            source="s3.amazonaws.com",
        ),
    ),
    (
        "config-changes",
        "4.9",
        "AWS Config configuration changes",
        "AWS Config configuration changes",
        events(
            "StopConfigurationRecorder",
            "DeleteDeliveryChannel",
            "PutDeliveryChannel",
            "PutConfigurationRecorder",
            source="config.amazonaws.com",
        ),
    ),
    (
        "security-group-changes",
        "4.10",
        "Security group changes",
        "security group changes",
        events(
            "AuthorizeSecurityGroupIngress",
            "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress",
            "RevokeSecurityGroupEgress",
            "CreateSecurityGroup",
            "DeleteSecurityGroup",
        ),
    ),
    (
        "nacl-changes",
        "4.11",
        "Network ACL changes",
        "network ACL changes",
        events(
            "CreateNetworkAcl",
            "CreateNetworkAclEntry",
            "DeleteNetworkAcl",
            "DeleteNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
        ),
    ),
    (
        "network-gateway-changes",
        "4.12",
        "Network gateway changes",
        "network gateway changes",
        events(
            "CreateCustomerGateway",
            "DeleteCustomerGateway",
            "AttachInternetGateway",
            "CreateInternetGateway",
            "DeleteInternetGateway",
            "DetachInternetGateway",
        ),
    ),
    (
        "route-table-changes",
        "4.13",
        "Route table changes",
        "route table changes",
        events(
            "CreateRoute",
            "CreateRouteTable",
            "ReplaceRoute",
            "ReplaceRouteTableAssociation",
            "DeleteRouteTable",
            "DeleteRoute",
            "DisassociateRouteTable",
        ),
    ),
    (
        "vpc-changes",
        "4.14",
        "VPC changes",
        "VPC changes",
        events(
            "CreateVpc",
            "DeleteVpc",
            "ModifyVpcAttribute",
            "AcceptVpcPeeringConnection",
            "CreateVpcPeeringConnection",
            "DeleteVpcPeeringConnection",
            "RejectVpcPeeringConnection",
        ),
    ),
    (
        "organizations-changes",
        "4.15",
        "AWS Organizations changes",
        "AWS Organizations changes",
        events(
            "AcceptHandshake",
            "AttachPolicy",
            "CreateAccount",
            "CreateOrganizationalUnit",
            "CreatePolicy",
            "DeclineHandshake",
            "DeleteOrganization",
            "DeleteOrganizationalUnit",
            "DeletePolicy",
            "DetachPolicy",
            "DisablePolicyType",
            "EnablePolicyType",
            "InviteAccountToOrganization",
            "LeaveOrganization",
            "MoveAccount",
            "RemoveAccountFromOrganization",
            "UpdatePolicy",
            "UpdateOrganizationalUnit",
            source="organizations.amazonaws.com",
        ),
    ),
]


def _make(slug: str, cis_id: str, title: str, what: str, required: tuple[str, ...]) -> type[Check]:
    attrs: dict[str, Any] = {
        "id": f"aws.cloudwatch.alarm-{slug}",
        "title": f"{title} raise a CloudWatch alarm",
        "cis": (cis_id,),
        "what": what,
        "required": required,
        "risk": f"Nobody is alerted when {what} happen, so misuse is found late or never.",
        "remediation": (
            "Send an all-region CloudTrail trail to CloudWatch Logs, create a metric filter on its log group "
            f"matching {what} (the CIS {cis_id} pattern) and an alarm on that metric with an SNS action "
            "that reaches the security team."
        ),
        "management_only": slug == "organizations-changes",
        "__doc__": f"CIS {cis_id}: a metric filter and alarm for {what}.",
    }
    cls = type(f"Alarm_{slug.replace('-', '_')}", (_MetricAlarmCheck,), attrs)
    return register(cls)


for _row in _ALARMS:
    _make(*_row)


@register
class AlarmsHaveActions(Check):
    id = "aws.cloudwatch.alarm-actions"
    title = "CloudWatch alarms notify or act when they fire"
    severity = Severity.LOW
    resource_types = (ACCOUNT_REGION_TYPE,)
    wa = ("SEC04-BP03", "SEC10-BP06")
    risk = "An alarm without an enabled action changes state silently: nobody is told and nothing responds."
    remediation = "aws cloudwatch put-metric-alarm … --alarm-actions SNS_TOPIC_ARN (and --actions-enabled)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        alarms = resource.supplementary.get("MetricAlarms")
        if not alarms:
            return
        silent = sorted(
            str(a.get("alarmName"))
            for a in alarms
            if not a.get("alarmActions") or a.get("actionsEnabled") is False
        )
        if silent:
            yield self.failed(
                (
                    f"{len(silent)} alarm(s) in {resource.display_name} have no enabled "
                    f"action: {', '.join(silent[:10])}."
                ),
                alarms=silent,
            )
        else:
            yield self.passed(
                f"All {len(alarms)} alarm(s) in {resource.display_name} have an enabled action."
            )


@register
class LogGroupRetention(Check):
    id = "aws.logs.retention"
    title = "CloudWatch log groups keep logs for at least a year"
    severity = Severity.LOW
    resource_types = (LOG_GROUP,)
    wa = ("SEC04-BP01", "SEC07-BP04")
    risk = "Logs deleted after days or weeks are gone when a slow-burning incident is finally investigated."
    remediation = "aws logs put-retention-policy --log-group-name NAME --retention-in-days 365 (or longer)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        minimum = int(ctx.setting("log_retention_min_days", 365))
        days = resource.configuration.get("retentionInDays")
        name = resource.display_name
        if days is None:
            yield self.passed(f"Log group '{name}' keeps its logs indefinitely.")
        elif int(days) >= minimum:
            yield self.passed(f"Log group '{name}' keeps its logs {days} days.")
        else:
            yield self.failed(
                f"Log group '{name}' deletes its logs after {days} days (less than {minimum}): evidence "
                "of older activity is lost.",
                retentionInDays=days,
            )


@register
class LogGroupKms(Check):
    id = "aws.logs.kms-encryption"
    title = "CloudWatch log groups are encrypted with a KMS key"
    severity = Severity.LOW
    resource_types = (LOG_GROUP,)
    wa = ("SEC08-BP02",)
    risk = (
        "Without a KMS key of yours, access to the logs is governed only by CloudWatch Logs permissions; "
        "revoking key access cannot cut off readers."
    )
    remediation = "aws logs associate-kms-key --log-group-name NAME --kms-key-id KEY_ARN"

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if resource.configuration.get("kmsKeyId"):
            yield self.passed(f"Log group '{resource.display_name}' is encrypted with a KMS key.")
        else:
            yield self.failed(
                f"Log group '{resource.display_name}' is not encrypted with a customer KMS "
                "key: access to its logs cannot be cut off through a key policy."
            )
