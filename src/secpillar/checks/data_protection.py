"""Data protection by purpose and classification: log archive buckets (tamper-resistant, with a
lifecycle, readable only by their account and the log delivery services), confidential data
(customer managed key, never public, versioned), and sharing that stays inside the organization.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.checks.iam import as_list, statements
from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.checks.s3 import PAB_FLAGS, bucket_exposure, effective_flag
from secpillar.model import Resource, Severity

BUCKET = "AWS::S3::Bucket"
KEY = "AWS::KMS::Key"
TRAIL = "AWS::CloudTrail::Trail"
_READ_OR_DELETE = ("s3:*", "s3:get", "s3:delete", "s3:put", "*")


def log_buckets(ctx: CheckContext) -> dict[str, str]:
    """Bucket name -> why it is a log bucket (a trail delivers there, or S3 access logs do)."""
    out: dict[str, str] = {}
    for t in ctx.inventory.by_type(TRAIL):
        name = t.configuration.get("s3BucketName")
        if name:
            out[str(name)] = f"CloudTrail trail {t.display_name}"
    for b in ctx.inventory.by_type(BUCKET):
        target = (b.supplementary.get("BucketLoggingConfiguration") or {}).get("destinationBucketName")
        if target:
            out.setdefault(str(target), "S3 server access logs")
    return out


class _LogBucketCheck(Check):
    resource_types = (BUCKET,)
    reads = (TRAIL,)

    def why(self, resource: Resource, ctx: CheckContext) -> str | None:
        return log_buckets(ctx).get(resource.resource_id)


@register
class LogBucketImmutable(_LogBucketCheck):
    id = "aws.s3.log-bucket-object-lock"
    title = "Log buckets protect their objects with Object Lock or versioning"
    severity = Severity.MEDIUM
    wa = ("SEC04-BP02", "SEC10-BP03")
    risk = (
        "Logs that can be overwritten or deleted cannot be trusted as evidence; "
        "an intruder erases their tracks."
    )
    remediation = (
        "Enable S3 Object Lock (compliance mode, default retention) on the log "
        "archive bucket; at least enable "
        "versioning with MFA delete."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        why = self.why(resource, ctx)
        sup = resource.supplementary
        if why is None or "ObjectLockConfiguration" not in sup or "BucketVersioningConfiguration" not in sup:
            return
        lock = sup["ObjectLockConfiguration"] or {}
        versioning = (sup["BucketVersioningConfiguration"] or {}).get("status")
        name = resource.display_name
        if lock.get("objectLockEnabled") == "Enabled":
            yield self.passed(f"Log bucket '{name}' ({why}) has Object Lock enabled.")
        elif versioning == "Enabled":
            yield self.passed(
                f"Log bucket '{name}' ({why}) keeps object versions (Object Lock would be stronger)."
            )
        else:
            yield self.failed(
                f"Log bucket '{name}' ({why}) has neither Object Lock nor versioning: its "
                "logs can be overwritten "
                "or deleted without trace.",
                usedBy=why,
            )


@register
class LogBucketLifecycle(_LogBucketCheck):
    id = "aws.s3.log-bucket-lifecycle"
    title = "Log buckets have a lifecycle for their retention period"
    severity = Severity.LOW
    wa = ("SEC07-BP04",)
    risk = (
        "Logs without a lifecycle are either kept forever (cost, data beyond its purpose) or deleted by hand."
    )
    remediation = (
        "Add a lifecycle rule: transition to Glacier after N days and expire after the retention period."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        why = self.why(resource, ctx)
        if why is None or "BucketLifecycleConfiguration" not in resource.supplementary:
            return
        cfg = resource.supplementary["BucketLifecycleConfiguration"] or {}
        rules = [r for r in cfg.get("rules") or () if r.get("status") == "Enabled"]
        if rules:
            yield self.passed(
                f"Log bucket '{resource.display_name}' has {len(rules)} enabled lifecycle rule(s)."
            )
        else:
            yield self.failed(
                f"Log bucket '{resource.display_name}' ({why}) has no enabled lifecycle "
                "rule: its retention is undefined."
            )


def _principal_accounts(stmt: Mapping[str, Any]) -> list[str]:
    p = stmt.get("Principal")
    if p == "*":
        return ["*"]
    if not isinstance(p, Mapping):
        return []
    out = []
    for v in as_list(p.get("AWS")):
        s = str(v)
        if s == "*":
            out.append("*")
        elif s.isdigit():
            out.append(s)
        elif s.startswith("arn:") and len(s.split(":")) > 4:
            out.append(s.split(":")[4])
    return out


def _grants_data_access(stmt: Mapping[str, Any]) -> bool:
    acts = [str(a).lower() for a in as_list(stmt.get("Action"))]
    return any(a.startswith(p) for a in acts for p in _READ_OR_DELETE) or "NotAction" in stmt


@register
class LogBucketRestricted(_LogBucketCheck):
    id = "aws.s3.log-bucket-access-restricted"
    title = "Log buckets are readable only by their own account and the log delivery services"
    severity = Severity.HIGH
    wa = ("SEC04-BP02", "SEC08-BP04")
    risk = (
        "A log archive other accounts can read or delete from exposes the audit trail and lets it be erased."
    )
    remediation = (
        "Keep the archive in the dedicated log account; grant only the delivery services (cloudtrail/config/"
        "logging) PutObject, and reads to the log account's own roles."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        why = self.why(resource, ctx)
        policy = resource.supplementary.get("BucketPolicy")
        if why is None or policy is None:
            return
        outside = []
        for st in statements(policy.get("policyText")):
            if st.get("Effect") != "Allow" or not _grants_data_access(st):
                continue
            for acct in _principal_accounts(st):
                if acct != resource.account_id:
                    outside.append(f"{st.get('Sid', '?')}: {acct}")
        public, _ = bucket_exposure(resource, ctx.inventory)
        if public:
            outside.append("public access")
        name = resource.display_name
        if outside:
            yield self.failed(
                (
                    f"Log bucket '{name}' ({why}) grants data access beyond its own account "
                    f"({'; '.join(outside)})."
                ),
                grants=outside,
            )
        else:
            yield self.passed(
                f"Log bucket '{name}' grants data access only within its account and to log delivery."
            )


def _classification(resource: Resource, ctx: CheckContext) -> str | None:
    key = str(ctx.setting("classification_tag_key", "DataClassification"))
    value = next((v for k, v in resource.tags.items() if k.lower() == key.lower()), None)
    if value is None:
        return None
    sensitive = {
        str(v).lower() for v in ctx.setting("confidential_values", ("confidential", "restricted", "secret"))
    }
    return value if value.lower() in sensitive else None


class _ConfidentialCheck(Check):
    resource_types = (BUCKET,)

    def level(self, resource: Resource, ctx: CheckContext) -> str | None:
        if resource.supplementary.get("TagsUnknown"):
            return None
        return _classification(resource, ctx)


@register
class ConfidentialCmk(_ConfidentialCheck):
    id = "aws.classification.confidential-cmk"
    title = "Confidential data is encrypted with a customer managed KMS key"
    severity = Severity.HIGH
    reads = (KEY,)
    wa = ("SEC07-BP02", "SEC08-BP01")
    risk = (
        "With SSE-S3 or the AWS managed key, anyone with S3 read permission reads "
        "the data; a customer managed "
        "key adds a key policy you control, separate audit and the ability to revoke."
    )
    remediation = (
        "aws s3api put-bucket-encryption with SSEAlgorithm aws:kms and "
        "KMSMasterKeyID of a customer managed key."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        level = self.level(resource, ctx)
        if level is None or "ServerSideEncryptionConfiguration" not in resource.supplementary:
            return
        rules = (resource.supplementary["ServerSideEncryptionConfiguration"] or {}).get("rules") or []
        defaults = [r.get("applyServerSideEncryptionByDefault") or {} for r in rules]
        keys = [
            str(d.get("kMSMasterKeyID") or d.get("kmsMasterKeyID") or "")
            for d in defaults
            if str(d.get("sSEAlgorithm") or d.get("sseAlgorithm") or "").startswith("aws:kms")
        ]
        name = resource.display_name
        cmk = [k for k in keys if k and "alias/aws/" not in k]
        if cmk:
            yield self.passed(f"{level} bucket '{name}' is encrypted with customer managed key {cmk[0]}.")
        else:
            how = (
                "the AWS managed key aws/s3"
                if keys
                else "S3 managed keys (SSE-S3)"
                if defaults
                else "no default encryption"
            )
            yield self.failed(
                f"{level} bucket '{name}' uses {how}, not a customer managed KMS key: "
                "access to its data is not "
                "governed by a key policy you control.",
                classification=level,
            )


@register
class ConfidentialNotPublic(_ConfidentialCheck):
    id = "aws.classification.confidential-not-public"
    title = "Confidential data is blocked from public access"
    severity = Severity.CRITICAL
    wa = ("SEC07-BP02", "SEC08-BP04")
    risk = (
        "A confidential bucket without all four public access block settings is "
        "one policy edit away from exposure."
    )
    remediation = "Turn on all four S3 Block Public Access settings on the bucket (and the account)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        level = self.level(resource, ctx)
        if level is None:
            return
        flags = {f: effective_flag(resource, ctx.inventory, f) for f in PAB_FLAGS}
        public, evidence = bucket_exposure(resource, ctx.inventory)
        name = resource.display_name
        off = [f for f, v in flags.items() if v is False]
        if public or off:
            yield self.failed(
                f"{level} bucket '{name}' is "
                + ("public" if public else f"not fully blocked ({', '.join(off)} off)")
                + ".",
                publicAccessBlockOff=off,
                **evidence,
            )
        elif all(flags.values()) and public is False:
            yield self.passed(f"{level} bucket '{name}' blocks all public access.")


@register
class ConfidentialVersioned(_ConfidentialCheck):
    id = "aws.classification.confidential-versioned"
    title = "Confidential data is versioned"
    severity = Severity.MEDIUM
    wa = ("SEC07-BP02",)
    risk = (
        "Without versioning, an overwrite or deletion (accident or ransomware) "
        "destroys confidential data for good."
    )
    remediation = "aws s3api put-bucket-versioning --versioning-configuration Status=Enabled"

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        level = self.level(resource, ctx)
        ver = resource.supplementary.get("BucketVersioningConfiguration")
        if level is None or ver is None:
            return
        if ver.get("status") == "Enabled":
            yield self.passed(f"{level} bucket '{resource.display_name}' is versioned.")
        else:
            yield self.failed(
                f"{level} bucket '{resource.display_name}' is not versioned: overwritten data is lost."
            )


def _outside_org(policy: Mapping[str, Any] | None, org: set[str], own: str) -> list[str]:
    out = []
    for st in statements(policy):
        if st.get("Effect") != "Allow":
            continue
        keys = {
            str(k).lower()
            for block in (st.get("Condition") or {}).values()
            if isinstance(block, Mapping)
            for k in block
        }
        if keys & {"aws:principalorgid", "aws:principalorgpaths"}:
            continue
        for acct in _principal_accounts(st):
            if acct not in ("*", own) and acct not in org:
                out.append(acct)
    return sorted(set(out))


class _SharingCheck(Check):
    severity = Severity.HIGH
    noun: str = ""

    def policy(self, resource: Resource) -> tuple[bool, Mapping[str, Any] | None]:
        raise NotImplementedError

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        known, doc = self.policy(resource)
        if not known or not ctx.inventory.accounts:
            return
        outside = _outside_org(doc, set(ctx.inventory.accounts), resource.account_id)
        if not outside and any(
            "*" in _principal_accounts(st) for st in statements(doc) if st.get("Effect") == "Allow"
        ):
            return  # open to everyone: the public-access checks judge that
        name = resource.display_name
        if outside:
            yield self.failed(
                f"{self.noun} '{name}' grants access to account(s) {', '.join(outside)} "
                "outside the organization "
                "without an aws:PrincipalOrgID condition.",
                accounts=outside,
            )
        else:
            yield self.passed(f"{self.noun} '{name}' shares nothing outside the organization.")


@register
class BucketSharedInOrg(_SharingCheck):
    id = "aws.s3.bucket-shared-within-organization"
    title = "Bucket policies share data only within the organization"
    resource_types = (BUCKET,)
    noun = "Bucket"
    wa = ("SEC03-BP08", "SEC03-BP09")
    risk = "A bucket policy naming an outside account gives that account (and whoever controls it) your data."
    remediation = (
        "Remove outside accounts, or scope the grant with aws:PrincipalOrgID; "
        "share with third parties through dedicated, audited buckets."
    )

    def policy(self, resource: Resource) -> tuple[bool, Mapping[str, Any] | None]:
        if "BucketPolicy" not in resource.supplementary:
            return False, None
        return True, (resource.supplementary["BucketPolicy"] or {}).get("policyText")


@register
class KeySharedInOrg(_SharingCheck):
    id = "aws.kms.key-shared-within-organization"
    title = "KMS key policies grant use only within the organization"
    resource_types = (KEY,)
    noun = "KMS key"
    wa = ("SEC03-BP08", "SEC08-BP01")
    risk = "A key policy naming an outside account lets it decrypt everything the key protects."
    remediation = "Remove outside principals from the key policy, or scope with aws:PrincipalOrgID."

    def policy(self, resource: Resource) -> tuple[bool, Mapping[str, Any] | None]:
        kp = resource.supplementary.get("KeyPolicy")
        if kp is None:
            return False, None
        return True, kp.get("policyText")
