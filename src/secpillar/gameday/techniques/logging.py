"""Defense evasion by switching evidence off: CloudTrail (stop, delete, selectors), GuardDuty, AWS
Config, VPC flow logs, S3 server access logging, CloudWatch alarms. The ones that act on what the
account already runs (its trail, detector, recorder, flow log, logged bucket) put it back exactly
as ``probe`` saw it."""

from __future__ import annotations

import json
from typing import Any

from secpillar.gameday.resources import ABSENT, PRESENT, bucket_state, create_bucket, delete_bucket, presence
from secpillar.gameday.technique import Context, Skip, Technique, register
from secpillar.model import Severity

DEFAULT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}]


def own_logging_trail(ctx: Context) -> str:
    """A trail of the target account, homed in its region, that is logging (by name)."""
    ct = ctx.client("cloudtrail")
    for trail in sorted(ct.describe_trails(includeShadowTrails=False)["trailList"], key=lambda t: t["Name"]):
        arn = str(trail.get("TrailARN", ""))
        if arn.split(":")[4:5] != [ctx.account_id] or trail.get("HomeRegion") != ctx.region:
            continue
        if ct.get_trail_status(Name=trail["Name"]).get("IsLogging"):
            return str(trail["Name"])
    raise Skip(f"no trail of account {ctx.account_id} is logging in {ctx.region}")


def _logging(ctx: Context, trail: str) -> bool:
    return bool(ctx.client("cloudtrail").get_trail_status(Name=trail).get("IsLogging"))


@register
class CloudTrailStop(Technique):
    id = "aws.defense-evasion.cloudtrail-stop"
    title = "Stop CloudTrail logging"
    attack = "T1562.008"
    description = "StopLogging on a trail of the account: from then on it records nothing."
    events = ("StopLogging",)
    detections = ("ct.cloudtrail-stopped",)
    responses = ("cloudtrail.start-logging",)
    permissions = (
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:StopLogging",
        "cloudtrail:StartLogging",
    )

    def select(self, ctx: Context) -> None:
        ctx.state["trail"] = own_logging_trail(ctx)

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"trail {ctx.state['trail']} logging": _logging(ctx, ctx.state["trail"])}

    def detonate(self, ctx: Context) -> None:
        ctx.client("cloudtrail").stop_logging(Name=ctx.state["trail"])

    def remediated(self, ctx: Context) -> bool:
        return _logging(ctx, ctx.state["trail"])

    def cleanup(self, ctx: Context) -> None:
        if not _logging(ctx, ctx.state["trail"]):
            ctx.client("cloudtrail").start_logging(Name=ctx.state["trail"])


def _trail_bucket_policy(ctx: Context, bucket: str) -> str:
    arn = f"arn:{ctx.partition}:s3:::{bucket}"
    service = {"Service": "cloudtrail.amazonaws.com"}
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AclCheck",
                    "Effect": "Allow",
                    "Principal": service,
                    "Action": "s3:GetBucketAcl",
                    "Resource": arn,
                },
                {
                    "Sid": "Write",
                    "Effect": "Allow",
                    "Principal": service,
                    "Action": "s3:PutObject",
                    "Resource": f"{arn}/AWSLogs/{ctx.account_id}/*",
                    "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}},
                },
            ],
        }
    )


@register
class CloudTrailDelete(Technique):
    id = "aws.defense-evasion.cloudtrail-delete"
    title = "Delete a CloudTrail trail"
    attack = "T1562.008"
    description = "DeleteTrail on a trail (a decoy the warm-up creates): its delivery is gone."
    events = ("DeleteTrail",)
    detections = ("ct.cloudtrail-deleted",)
    permissions = (
        "s3:CreateBucket",
        "s3:PutBucketPublicAccessBlock",
        "s3:PutBucketPolicy",
        "s3:DeleteBucket",
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "cloudtrail:CreateTrail",
        "cloudtrail:DeleteTrail",
        "cloudtrail:GetTrail",
    )

    def select(self, ctx: Context) -> None:
        ctx.state["bucket"] = ctx.name("trail")
        ctx.state["trail"] = ctx.name("trail")

    def _trail(self, ctx: Context) -> str:
        trails = ctx.client("cloudtrail")
        return presence(lambda: trails.get_trail(Name=ctx.state["trail"]), "TrailNotFoundException")

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {
            f"trail {ctx.state['trail']}": self._trail(ctx),
            f"bucket {ctx.state['bucket']}": bucket_state(ctx, ctx.state["bucket"]),
        }

    def warm_up(self, ctx: Context) -> None:
        create_bucket(ctx, ctx.state["bucket"])
        ctx.client("s3").put_bucket_policy(
            Bucket=ctx.state["bucket"], Policy=_trail_bucket_policy(ctx, ctx.state["bucket"])
        )
        ctx.client("cloudtrail").create_trail(Name=ctx.state["trail"], S3BucketName=ctx.state["bucket"])

    def detonate(self, ctx: Context) -> None:
        ctx.client("cloudtrail").delete_trail(Name=ctx.state["trail"])

    def cleanup(self, ctx: Context) -> None:
        if self._trail(ctx) == PRESENT:
            ctx.client("cloudtrail").delete_trail(Name=ctx.state["trail"])
        delete_bucket(ctx, ctx.state["bucket"])


def _selectors(ctx: Context, trail: str) -> dict[str, Any]:
    resp = ctx.client("cloudtrail").get_event_selectors(TrailName=trail)
    advanced = resp.get("AdvancedEventSelectors") or []
    basic = [
        {
            "ReadWriteType": s.get("ReadWriteType", "All"),
            "IncludeManagementEvents": bool(s.get("IncludeManagementEvents", True)),
            "DataResources": s.get("DataResources") or [],
        }
        for s in resp.get("EventSelectors") or []
    ]
    # A trail nobody configured records all management events (the default selector).
    return {"advanced": advanced} if advanced else {"basic": basic or DEFAULT_SELECTORS}


@register
class CloudTrailSelectors(Technique):
    id = "aws.defense-evasion.cloudtrail-event-selectors"
    title = "Change CloudTrail event selectors to record nothing that matters"
    attack = "T1562.008"
    severity = Severity.MEDIUM
    description = (
        "PutEventSelectors on a logging trail so that it records read-only events only: write calls "
        "(the attacker's changes) are no longer recorded by it."
    )
    events = ("PutEventSelectors",)
    detections = ("ct.cloudtrail-selectors-changed",)
    permissions = (
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:PutEventSelectors",
    )

    def select(self, ctx: Context) -> None:
        ctx.state["trail"] = own_logging_trail(ctx)
        ctx.state["selectors"] = _selectors(ctx, ctx.state["trail"])

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"trail {ctx.state['trail']} selectors": _selectors(ctx, ctx.state["trail"])}

    def detonate(self, ctx: Context) -> None:
        ctx.client("cloudtrail").put_event_selectors(
            TrailName=ctx.state["trail"],
            EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}],
        )

    def cleanup(self, ctx: Context) -> None:
        saved = ctx.state["selectors"]
        if _selectors(ctx, ctx.state["trail"]) == saved:
            return
        ct = ctx.client("cloudtrail")
        if "advanced" in saved:
            ct.put_event_selectors(TrailName=ctx.state["trail"], AdvancedEventSelectors=saved["advanced"])
        else:
            ct.put_event_selectors(TrailName=ctx.state["trail"], EventSelectors=saved["basic"])


@register
class GuardDutyDisable(Technique):
    id = "aws.defense-evasion.guardduty-disable"
    title = "Disable the GuardDuty detector"
    attack = "T1562.001"
    description = "UpdateDetector with Enable=false on the region's enabled detector: threat detection stops."
    events = ("UpdateDetector",)
    detections = ("ct.guardduty-disabled",)
    permissions = ("guardduty:ListDetectors", "guardduty:GetDetector", "guardduty:UpdateDetector")

    def select(self, ctx: Context) -> None:
        gd = ctx.client("guardduty")
        for det in sorted(gd.list_detectors().get("DetectorIds", [])):
            if gd.get_detector(DetectorId=det).get("Status") == "ENABLED":
                ctx.state["detector"] = det
                return
        raise Skip(f"no enabled GuardDuty detector in {ctx.region}")

    def _status(self, ctx: Context) -> str:
        return str(ctx.client("guardduty").get_detector(DetectorId=ctx.state["detector"]).get("Status"))

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"detector {ctx.state['detector']}": self._status(ctx)}

    def detonate(self, ctx: Context) -> None:
        ctx.client("guardduty").update_detector(DetectorId=ctx.state["detector"], Enable=False)

    def cleanup(self, ctx: Context) -> None:
        if self._status(ctx) != "ENABLED":
            ctx.client("guardduty").update_detector(DetectorId=ctx.state["detector"], Enable=True)


@register
class ConfigRecorderStop(Technique):
    id = "aws.defense-evasion.config-recorder-stop"
    title = "Stop the AWS Config configuration recorder"
    attack = "T1562.001"
    description = "StopConfigurationRecorder on the recording recorder: configuration history stops."
    events = ("StopConfigurationRecorder",)
    detections = ("ct.config-disabled",)
    permissions = (
        "config:DescribeConfigurationRecorderStatus",
        "config:StopConfigurationRecorder",
        "config:StartConfigurationRecorder",
    )

    def _recording(self, ctx: Context) -> dict[str, bool]:
        status = ctx.client("config").describe_configuration_recorder_status()
        return {
            str(s["name"]): bool(s.get("recording")) for s in status.get("ConfigurationRecordersStatus", [])
        }

    def select(self, ctx: Context) -> None:
        on = [name for name, rec in sorted(self._recording(ctx).items()) if rec]
        if not on:
            raise Skip(f"no AWS Config recorder is recording in {ctx.region}")
        ctx.state["recorder"] = on[0]

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {
            f"recorder {ctx.state['recorder']} recording": self._recording(ctx).get(ctx.state["recorder"])
        }

    def detonate(self, ctx: Context) -> None:
        ctx.client("config").stop_configuration_recorder(ConfigurationRecorderName=ctx.state["recorder"])

    def cleanup(self, ctx: Context) -> None:
        if not self._recording(ctx).get(ctx.state["recorder"]):
            ctx.client("config").start_configuration_recorder(ConfigurationRecorderName=ctx.state["recorder"])


FLOW_KEYS = (
    "ResourceId",
    "TrafficType",
    "LogDestinationType",
    "LogDestination",
    "LogGroupName",
    "DeliverLogsPermissionArn",
    "LogFormat",
    "MaxAggregationInterval",
)


def _flow_logs(ctx: Context, resource: str) -> list[dict[str, Any]]:
    logs = ctx.client("ec2").describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [resource]}])
    out = [{k: fl[k] for k in FLOW_KEYS if fl.get(k) not in (None, "")} for fl in logs.get("FlowLogs", [])]
    return sorted(out, key=lambda f: json.dumps(f, sort_keys=True))


@register
class FlowLogsDelete(Technique):
    id = "aws.defense-evasion.vpc-flow-logs-delete"
    title = "Delete VPC flow logs"
    attack = "T1562.008"
    severity = Severity.MEDIUM
    description = "DeleteFlowLogs on the flow log of a VPC: its network evidence stops."
    events = ("DeleteFlowLogs",)
    detections = ("ct.flow-logs-deleted",)
    permissions = (
        "ec2:DescribeFlowLogs",
        "ec2:DeleteFlowLogs",
        "ec2:CreateFlowLogs",
        "iam:PassRole",
        "logs:CreateLogDelivery",
    )

    def select(self, ctx: Context) -> None:
        logs = ctx.client("ec2").describe_flow_logs().get("FlowLogs", [])
        active = sorted(
            (
                fl
                for fl in logs
                if fl.get("FlowLogStatus") == "ACTIVE" and str(fl.get("ResourceId")).startswith("vpc-")
            ),
            key=lambda fl: str(fl["FlowLogId"]),
        )
        if not active:
            raise Skip(f"no active VPC flow log in {ctx.region}")
        ctx.state["flow_log"] = str(active[0]["FlowLogId"])
        ctx.state["vpc"] = str(active[0]["ResourceId"])
        ctx.state["config"] = {k: active[0][k] for k in FLOW_KEYS if active[0].get(k) not in (None, "")}

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"flow logs of {ctx.state['vpc']}": _flow_logs(ctx, ctx.state["vpc"])}

    def detonate(self, ctx: Context) -> None:
        ctx.client("ec2").delete_flow_logs(FlowLogIds=[ctx.state["flow_log"]])

    def cleanup(self, ctx: Context) -> None:
        conf = dict(ctx.state["config"])
        if conf in _flow_logs(ctx, ctx.state["vpc"]):
            return
        params: dict[str, Any] = {"ResourceIds": [conf.pop("ResourceId")], "ResourceType": "VPC"}
        params.update(conf)
        if params.get("LogDestinationType") == "cloud-watch-logs" and "LogDestination" in params:
            params.pop("LogGroupName", None)  # one of the two names the destination
        ctx.client("ec2").create_flow_logs(**params)


@register
class S3AccessLoggingDisable(Technique):
    id = "aws.defense-evasion.s3-access-logging-disable"
    title = "Turn off S3 server access logging"
    attack = "T1562.008"
    severity = Severity.LOW
    description = (
        "PutBucketLogging with an empty BucketLoggingStatus on a logged bucket: reads leave no trace."
    )
    events = ("PutBucketLogging",)
    detections = ("ct.s3-access-logging-disabled",)
    permissions = ("s3:ListAllMyBuckets", "s3:GetBucketLogging", "s3:PutBucketLogging")

    def _logging(self, ctx: Context, bucket: str) -> dict[str, Any] | None:
        conf = ctx.client("s3").get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
        return dict(conf) if conf else None

    def select(self, ctx: Context) -> None:
        buckets = sorted(b["Name"] for b in ctx.client("s3").list_buckets().get("Buckets", []))
        for name in buckets[:100]:
            conf = self._logging(ctx, name)
            if conf:
                ctx.state["bucket"], ctx.state["logging"] = name, conf
                return
        raise Skip("no bucket of the account has server access logging on")

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"bucket {ctx.state['bucket']} logging": self._logging(ctx, ctx.state["bucket"])}

    def detonate(self, ctx: Context) -> None:
        ctx.client("s3").put_bucket_logging(Bucket=ctx.state["bucket"], BucketLoggingStatus={})

    def cleanup(self, ctx: Context) -> None:
        if self._logging(ctx, ctx.state["bucket"]) != ctx.state["logging"]:
            ctx.client("s3").put_bucket_logging(
                Bucket=ctx.state["bucket"], BucketLoggingStatus={"LoggingEnabled": ctx.state["logging"]}
            )


@register
class CloudWatchAlarmsDelete(Technique):
    id = "aws.defense-evasion.cloudwatch-alarm-delete"
    title = "Delete a CloudWatch alarm"
    attack = "T1562.001"
    severity = Severity.MEDIUM
    description = (
        "DeleteAlarms on an alarm (a decoy the warm-up creates): whatever it watched no longer "
        "pages anyone. No detection covers it yet."
    )
    events = ("DeleteAlarms",)
    permissions = ("cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms")

    def select(self, ctx: Context) -> None:
        ctx.state["alarm"] = ctx.name("alarm")

    def probe(self, ctx: Context) -> dict[str, Any]:
        found = ctx.client("cloudwatch").describe_alarms(AlarmNames=[ctx.state["alarm"]])["MetricAlarms"]
        return {f"alarm {ctx.state['alarm']}": PRESENT if found else ABSENT}

    def warm_up(self, ctx: Context) -> None:
        ctx.client("cloudwatch").put_metric_alarm(
            AlarmName=ctx.state["alarm"],
            Namespace="AWS/CloudTrail",
            MetricName="SecurityGroupEventCount",
            Statistic="Sum",
            Period=300,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )

    def detonate(self, ctx: Context) -> None:
        ctx.client("cloudwatch").delete_alarms(AlarmNames=[ctx.state["alarm"]])

    def cleanup(self, ctx: Context) -> None:
        ctx.client("cloudwatch").delete_alarms(AlarmNames=[ctx.state["alarm"]])
