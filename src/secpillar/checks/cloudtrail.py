"""CloudTrail checks: every account covered by a logging multi-region trail, and each trail
multi-region, logging, validated, encrypted with KMS and delivering to a bucket outside its account."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_TYPE, Resource, Severity

TRAIL = "AWS::CloudTrail::Trail"
BUCKET = "AWS::S3::Bucket"


def _logs_all_management_events(cfg: Mapping[str, Any]) -> bool | None:
    """Whether the trail's selectors capture read and write management events (None: unknown).

    A trail with neither basic nor advanced selectors logs all management events (the default)."""
    if "eventSelectors" not in cfg:
        return None
    basic = cfg.get("eventSelectors") or []
    advanced = cfg.get("advancedEventSelectors") or []
    if not basic and not advanced:
        return True
    for sel in basic:
        if sel.get("includeManagementEvents", True) and sel.get("readWriteType", "All") == "All":
            return True
    for sel in advanced:
        fields = {str(f.get("field")): f for f in sel.get("fieldSelectors") or ()}
        category = fields.get("eventCategory")
        if category and "Management" in (category.get("equals") or ()) and "readOnly" not in fields:
            return True
    return False


def _coverage(trail: Resource) -> bool | None:
    """Whether the trail alone satisfies CloudTrail.1 (multi-region, logging, read+write
    management events); None when part of that is unknown."""
    cfg = trail.configuration
    if not cfg.get("isMultiRegionTrail"):
        return False
    status = cfg.get("status")
    logging = status.get("isLogging") if isinstance(status, Mapping) else None
    if logging is False:
        return False
    events = _logs_all_management_events(cfg)
    if events is False:
        return False
    if logging is None or events is None:
        return None
    return True


def _cloudtrail_gap(ctx: CheckContext, account_id: str) -> bool:
    return any(g.service == "cloudtrail" and g.account_id == account_id for g in ctx.inventory.gaps)


@register
class CloudTrailEnabledInAccount(Check):
    """Some logging, multi-region trail that records read and write management events covers the
    account: one of its own trails, or an organization trail of the management account.

    Unknown (no result) when no trail is known to cover the account and CloudTrail could not be
    read in the account (or, for a member account, in the management account)."""

    id = "aws.cloudtrail.enabled-in-account"
    title = "CloudTrail records the account's activity in every region"
    severity = Severity.CRITICAL
    resource_types = (ACCOUNT_TYPE,)
    reads = (TRAIL,)
    wa = ("SEC04-BP01",)
    cis = ("3.1",)
    fsbp = ("CloudTrail.1",)
    risk = (
        "Without a multi-region trail that is logging, API activity in the account leaves no durable "
        "record: an intrusion or a destructive change cannot be investigated."
    )
    remediation = (
        "Create an organization trail in the management account (multi-region, read and write "
        "management events) and start logging, or a multi-region trail in the account itself."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        acct = resource.account_id
        inv = ctx.inventory
        mgmt = str(inv.organization.get("managementAccountId") or "")
        candidates = list(inv.by_account(acct, TRAIL))
        member = bool(mgmt) and (acct == mgmt or not inv.accounts or acct in inv.accounts)
        if member and mgmt != acct:
            candidates += [
                t for t in inv.by_account(mgmt, TRAIL) if t.configuration.get("isOrganizationTrail")
            ]
        unknown = False
        for trail in candidates:
            covered = _coverage(trail)
            if covered:
                kind = "organization trail" if trail.account_id != acct else "trail"
                yield self.passed(
                    f"Account {inv.account_name(acct)} is covered by the logging multi-region {kind} "
                    f"'{trail.name}'.",
                    trail=trail.arn,
                )
                return
            unknown = unknown or covered is None
        mgmt_unread = member and mgmt != acct and not inv.by_account(mgmt)
        if unknown or _cloudtrail_gap(ctx, acct) or mgmt_unread or (member and _cloudtrail_gap(ctx, mgmt)):
            return
        yield self.failed(
            f"Account {inv.account_name(acct)} has no logging multi-region CloudTrail trail recording read "
            "and write management events, neither its own nor an organization trail: API activity in the "
            "account is not recorded, so incidents cannot be investigated.",
            trails_seen=[t.arn for t in candidates],
        )


class _TrailCheck(Check):
    resource_types = (TRAIL,)


@register
class CloudTrailMultiRegion(_TrailCheck):
    id = "aws.cloudtrail.multi-region"
    title = "CloudTrail trails record every region"
    severity = Severity.HIGH
    wa = ("SEC04-BP01",)
    cis = ("3.1",)
    risk = (
        "A single-region trail misses API activity in every other region, where an attacker can "
        "create resources unseen."
    )
    remediation = "Update the trail with --is-multi-region-trail (or replace it with an organization trail)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        value = resource.configuration.get("isMultiRegionTrail")
        if value is None:
            return
        if value:
            yield self.passed(f"Trail '{resource.name}' records all regions.")
        else:
            yield self.failed(
                f"Trail '{resource.name}' records only {resource.region}: API activity in the other regions "
                "is not logged by it.",
                homeRegion=resource.region,
            )


@register
class CloudTrailLogging(_TrailCheck):
    id = "aws.cloudtrail.logging"
    title = "CloudTrail trails are logging"
    severity = Severity.HIGH
    wa = ("SEC04-BP01",)
    risk = "A stopped trail records nothing: stopping logging is a classic first step of an intruder."
    remediation = (
        "Start logging (aws cloudtrail start-logging --name TRAIL) and alert on cloudtrail:StopLogging; "
        "deny it with an SCP."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        status = resource.configuration.get("status")
        if not isinstance(status, Mapping) or status.get("isLogging") is None:
            return
        if status["isLogging"]:
            yield self.passed(f"Trail '{resource.name}' is logging.")
        else:
            yield self.failed(
                f"Trail '{resource.name}' is not logging (logging stopped): it records no API activity.",
                isLogging=False,
                timeLoggingStopped=status.get("timeLoggingStopped") or status.get("stopLoggingTime"),
            )


@register
class CloudTrailLogFileValidation(_TrailCheck):
    id = "aws.cloudtrail.log-file-validation"
    title = "CloudTrail log file validation is enabled"
    severity = Severity.MEDIUM
    wa = ("SEC04-BP01",)
    cis = ("3.2",)
    fsbp = ("CloudTrail.4",)
    risk = (
        "Without digest files, a log file altered or deleted after delivery cannot be detected, so the "
        "trail's records cannot be trusted as evidence."
    )
    remediation = "Update the trail with --enable-log-file-validation."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        value = resource.configuration.get("logFileValidationEnabled")
        if value is None:
            return
        if value:
            yield self.passed(f"Trail '{resource.name}' writes signed digest files.")
        else:
            yield self.failed(
                f"Trail '{resource.name}' has log file validation off: tampering with its delivered log "
                "files would go undetected."
            )


@register
class CloudTrailKmsEncryption(_TrailCheck):
    id = "aws.cloudtrail.kms-encryption"
    title = "CloudTrail logs are encrypted with a KMS key"
    severity = Severity.MEDIUM
    wa = ("SEC08-BP02", "SEC04-BP01")
    cis = ("3.5",)
    fsbp = ("CloudTrail.2",)
    risk = (
        "Logs encrypted only with S3-managed keys can be read by anyone with read access to the bucket; "
        "a KMS key adds a separate, audited permission to decrypt them."
    )
    remediation = (
        "Update the trail with --kms-key-id pointing to a customer managed key whose key policy "
        "allows CloudTrail to encrypt."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        key = resource.configuration.get("kmsKeyId")
        if key:
            yield self.passed(f"Trail '{resource.name}' encrypts its logs with KMS key {key}.", kmsKeyId=key)
        else:
            yield self.failed(
                f"Trail '{resource.name}' does not encrypt its log files with a KMS key (SSE-S3 only): "
                "anyone who can read the bucket can read the account's API history."
            )


@register
class CloudTrailCentralBucket(_TrailCheck):
    """The trail delivers to a bucket in another account (the log archive account).

    The bucket's account comes from the inventory (an ``AWS::S3::Bucket`` of that name); when the
    bucket is not in the inventory, from the collector's ``s3BucketInTrailAccount`` (whether the
    trail account's own ``ListBuckets`` lists it — it lists only buckets that account owns, so
    "not listed" means the bucket belongs to another account). When neither is known the check
    says nothing."""

    id = "aws.cloudtrail.central-bucket"
    title = "CloudTrail delivers logs to a bucket in another account"
    severity = Severity.MEDIUM
    wa = ("SEC04-BP02",)
    risk = (
        "Logs kept in the account they describe can be deleted or altered by whoever compromises that "
        "account; a separate log archive account keeps them out of reach."
    )
    remediation = (
        "Deliver the trail to a bucket in the log archive account (or rely on the organization trail "
        "that does) and restrict writes to cloudtrail.amazonaws.com."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        bucket = cfg.get("s3BucketName")
        if not bucket:
            return
        partition = resource.arn.split(":")[1] if resource.arn.count(":") >= 2 else "aws"
        found = ctx.inventory.get(f"arn:{partition}:s3:::{bucket}") or ctx.inventory.find(BUCKET, str(bucket))
        if found is not None:
            same = found.account_id == resource.account_id
            owner = ctx.inventory.account_name(found.account_id)
        elif isinstance(cfg.get("s3BucketInTrailAccount"), bool):
            same = bool(cfg["s3BucketInTrailAccount"])
            owner = ctx.inventory.account_name(resource.account_id) if same else "another account"
        else:
            return
        if same:
            yield self.failed(
                f"Trail '{resource.name}' delivers to bucket '{bucket}' in its own account "
                f"{ctx.inventory.account_name(resource.account_id)}: whoever compromises the account can "
                "delete or alter its logs.",
                bucket=bucket,
                bucketAccount=resource.account_id,
            )
        else:
            yield self.passed(
                f"Trail '{resource.name}' delivers to bucket '{bucket}' in {owner}.",
                bucket=bucket,
                bucketAccount=found.account_id if found is not None else None,
            )
