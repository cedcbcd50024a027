"""Checks for S3 buckets and the account-level S3 public access block.

The helpers at the top (policy statements, public principals, restricting conditions, the
effective public access block) are shared with the KMS and CloudFront checks."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_TYPE, Inventory, Resource, Severity

BUCKET = "AWS::S3::Bucket"
PAB_FLAGS = ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets")
PUBLIC_GROUPS = {
    "http://acs.amazonaws.com/groups/global/AllUsers": "AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers": "AuthenticatedUsers",
}
RESTRICTING_KEYS = frozenset(
    k.lower()
    for k in (
        "aws:SourceIp",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceVpce",
        "aws:SourceVpc",
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOrgID",
        "aws:SourceOrgPaths",
        "aws:userid",
        "aws:username",
        "kms:CallerAccount",
    )
)
"""Condition keys that tie an ``Allow`` to a known network, organization, account or resource."""


# ---- policy helpers (shared) -----------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def statements(policy: Mapping[str, Any] | None) -> Iterator[Mapping[str, Any]]:
    for st in as_list((policy or {}).get("Statement")):
        if isinstance(st, Mapping):
            yield st


def is_public_principal(statement: Mapping[str, Any]) -> bool:
    """``Principal: "*"``, ``{"AWS": "*"}`` (alone or in a list), or any ``NotPrincipal``."""
    if "NotPrincipal" in statement:
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(v == "*" for v in as_list(principal.get("AWS")))
    return False


def _restricting_value(operator: str, key: str, values: list[Any]) -> bool:
    if not values or any(not isinstance(v, str | int | float | bool) for v in values):
        return False
    texts = [str(v) for v in values]
    if key == "aws:sourceip":
        return not any(t.endswith("/0") for t in texts)
    if operator.startswith("stringlike") or operator.startswith("arnlike"):
        return not any(t.strip("*?") == "" or t.startswith("*") for t in texts)
    return not any("*" in t or "${" in t for t in texts)


def restricting_conditions(statement: Mapping[str, Any]) -> list[str]:
    """The condition keys of ``statement`` that really narrow who may call: a known key, a
    positive operator (no ``Not``, no ``IfExists``, which a request without the key passes) and
    fixed values (no wildcard-only value, no ``0.0.0.0/0``)."""
    found: list[str] = []
    cond = statement.get("Condition")
    if not isinstance(cond, Mapping):
        return found
    for operator, block in cond.items():
        op = str(operator).lower()
        if "not" in op.split(":")[-1] or op.endswith("ifexists") or not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            k = str(key).lower()
            if k in RESTRICTING_KEYS and _restricting_value(op.split(":")[-1], k, as_list(value)):
                found.append(str(key))
    return found


def public_statements(policy: Mapping[str, Any] | None, action_prefix: str = "") -> list[dict[str, Any]]:
    """``Allow`` statements open to everyone without a restricting condition, as evidence."""
    out: list[dict[str, Any]] = []
    for i, st in enumerate(statements(policy)):
        if st.get("Effect") != "Allow" or not is_public_principal(st):
            continue
        if restricting_conditions(st):
            continue
        actions = [str(a) for a in as_list(st.get("Action"))]
        if action_prefix and "NotAction" not in st:
            actions = [a for a in actions if a == "*" or a.lower().startswith(action_prefix)]
            if not actions:
                continue
        out.append({"sid": st.get("Sid", f"#{i}"), "actions": actions or ["NotAction"]})
    return out


def account_pab(inventory: Inventory, account_id: str) -> tuple[bool, Mapping[str, Any] | None]:
    """(known, configuration) of the account-level S3 public access block."""
    acct = inventory.find(ACCOUNT_TYPE, account_id)
    if acct is None or "S3AccountPublicAccessBlock" not in acct.supplementary:
        return False, None
    return True, acct.supplementary["S3AccountPublicAccessBlock"]


def effective_flag(bucket: Resource, inventory: Inventory, flag: str) -> bool | None:
    """Whether ``flag`` is on for the bucket, through its own or its account's block
    (``None`` when neither is known to be on and one of them is unknown)."""
    pab = bucket.supplementary.get("PublicAccessBlockConfiguration")
    if isinstance(pab, Mapping) and pab.get(flag):
        return True
    known, acct = account_pab(inventory, bucket.account_id)
    if isinstance(acct, Mapping) and acct.get(flag):
        return True
    if not known or "PublicAccessBlockConfiguration" not in bucket.supplementary:
        return None
    return False


def public_acl_grants(acl: Mapping[str, Any]) -> list[dict[str, str]]:
    out = []
    for g in as_list(acl.get("grants")):
        grantee = (g or {}).get("grantee") or {}
        group = PUBLIC_GROUPS.get(str(grantee.get("uri") or grantee.get("URI") or ""))
        if group:
            out.append({"grantee": group, "permission": str(g.get("permission", ""))})
    return out


def bucket_exposure(bucket: Resource, inventory: Inventory) -> tuple[bool | None, dict[str, Any]]:
    """Is the bucket public through its policy or ACL, after the public access blocks?
    ``None`` when its policy or ACL could not be read and nothing public was found."""
    evidence: dict[str, Any] = {}
    unknown = False
    policy = bucket.supplementary.get("BucketPolicy")
    if policy is None and "BucketPolicy" not in bucket.supplementary:
        unknown = True
    else:
        stmts = public_statements((policy or {}).get("policyText"))
        if stmts and effective_flag(bucket, inventory, "restrictPublicBuckets") is not True:
            evidence["publicPolicyStatements"] = stmts
    acl = bucket.supplementary.get("AccessControlList")
    if acl is None:
        unknown = True
    else:
        grants = public_acl_grants(acl)
        if grants and effective_flag(bucket, inventory, "ignorePublicAcls") is not True:
            evidence["publicAclGrants"] = grants
    if evidence:
        return True, evidence
    return (None if unknown else False), evidence


# ---- checks ----------------------------------------------------------------------------------


_PUBLIC_REMEDIATION = (
    "Remove the public statement (or add a condition such as aws:PrincipalOrgID or aws:SourceVpce), "
    "serve public content through CloudFront with origin access control, and turn on S3 Block "
    "Public Access for the bucket and the account."
)


@register
class BucketPolicyNotPublic(Check):
    id = "aws.s3.bucket-policy-not-public"
    title = "S3 bucket policies do not grant access to everyone"
    severity = Severity.CRITICAL
    resource_types = (BUCKET,)
    reads = (ACCOUNT_TYPE,)  # the account-level public access block
    wa = ("SEC03-BP07", "SEC08-BP04")
    fsbp = ("S3.2", "S3.3")
    risk = (
        "A bucket policy that allows Principal '*' without a restricting condition lets anyone on "
        "the internet read or change the bucket's data."
    )
    remediation = _PUBLIC_REMEDIATION

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "BucketPolicy" not in resource.supplementary:
            return
        policy = (resource.supplementary["BucketPolicy"] or {}).get("policyText")
        name = resource.display_name
        if policy is None:
            yield self.passed(f"Bucket '{name}' has no bucket policy.")
            return
        stmts = public_statements(policy)
        if not stmts:
            yield self.passed(f"Bucket '{name}' has a bucket policy that grants nothing to everyone.")
            return
        blocked = effective_flag(resource, ctx.inventory, "restrictPublicBuckets")
        if blocked:
            yield self.passed(
                f"Bucket '{name}' has a public policy statement, but RestrictPublicBuckets blocks "
                "access from outside the account.",
                statements=stmts,
            )
            return
        acts = sorted({a for s in stmts for a in s["actions"]})
        note = "" if blocked is False else " (the account's public access block could not be read)"
        yield self.failed(
            f"Bucket '{name}' allows access to everyone through its bucket policy (Principal '*', "
            f"{', '.join(acts)}) without a restricting condition{note}: anyone on the internet "
            "can use these actions on its data.",
            statements=stmts,
        )


@register
class BucketAclNotPublic(Check):
    id = "aws.s3.bucket-acl-not-public"
    title = "S3 bucket ACLs do not grant access to AllUsers or AuthenticatedUsers"
    severity = Severity.CRITICAL
    resource_types = (BUCKET,)
    reads = (ACCOUNT_TYPE,)  # the account-level public access block
    wa = ("SEC03-BP07", "SEC08-BP04")
    fsbp = ("S3.2", "S3.3")
    risk = (
        "An ACL grant to AllUsers or AuthenticatedUsers (any AWS customer) exposes the bucket to "
        "the whole internet."
    )
    remediation = (
        "Remove the AllUsers/AuthenticatedUsers grants, disable ACLs (Object Ownership: bucket owner "
        "enforced) and turn on S3 Block Public Access."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        acl = resource.supplementary.get("AccessControlList")
        if acl is None:
            return
        name = resource.display_name
        grants = public_acl_grants(acl)
        if not grants:
            yield self.passed(f"Bucket '{name}' grants nothing to AllUsers or AuthenticatedUsers in its ACL.")
            return
        ignored = effective_flag(resource, ctx.inventory, "ignorePublicAcls")
        if ignored:
            yield self.passed(
                f"Bucket '{name}' has public ACL grants, but IgnorePublicAcls makes S3 ignore them.",
                grants=grants,
            )
            return
        desc = ", ".join(f"{g['grantee']}:{g['permission']}" for g in grants)
        who = (
            "anyone with an AWS account"
            if all(g["grantee"] == "AuthenticatedUsers" for g in grants)
            else "anyone on the internet"
        )
        yield self.failed(
            f"Bucket '{name}' grants {desc} in its ACL: {who} can use these permissions on the bucket.",
            grants=grants,
        )


@register
class BucketPublicAccessBlock(Check):
    id = "aws.s3.bucket-public-access-block"
    title = "S3 buckets are covered by all four Block Public Access settings"
    severity = Severity.HIGH
    resource_types = (BUCKET,)
    reads = (ACCOUNT_TYPE,)  # the account-level public access block
    wa = ("SEC03-BP07", "SEC08-BP04")
    cis = ("2.1.4",)
    fsbp = ("S3.8",)
    risk = "Without Block Public Access a single policy or ACL change can make the bucket public."
    remediation = (
        "Turn on BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy and RestrictPublicBuckets on the "
        "bucket, or once for the whole account (s3control put-public-access-block)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "PublicAccessBlockConfiguration" not in resource.supplementary:
            return
        flags = {f: effective_flag(resource, ctx.inventory, f) for f in PAB_FLAGS}
        name = resource.display_name
        if all(flags.values()):
            own = resource.supplementary.get("PublicAccessBlockConfiguration") or {}
            where = (
                "its own settings" if all(own.get(f) for f in PAB_FLAGS) else "its and the account's settings"
            )
            yield self.passed(
                f"Bucket '{name}' is covered by all four Block Public Access settings ({where})."
            )
            return
        if any(v is None for v in flags.values()):
            return  # the account's block could not be read and the bucket's own is incomplete
        off = [f for f, v in flags.items() if not v]
        yield self.failed(
            f"Bucket '{name}' is not covered by Block Public Access setting(s) {', '.join(off)} at the "
            "bucket or account level: a policy or ACL change can make it public.",
            off=off,
        )


@register
class AccountPublicAccessBlock(Check):
    id = "aws.s3.account-public-access-block"
    title = "S3 Block Public Access is on for the account"
    severity = Severity.HIGH
    resource_types = (ACCOUNT_TYPE,)
    wa = ("SEC03-BP07", "SEC08-BP04")
    cis = ("2.1.4",)
    fsbp = ("S3.1",)
    risk = (
        "Without the account-level block every bucket depends on its own settings; one mistake exposes data."
    )
    remediation = (
        "Turn on all four settings for the account: aws s3control put-public-access-block --account-id "
        "ACCOUNT --public-access-block-configuration BlockPublicAcls=true,IgnorePublicAcls=true,"
        "BlockPublicPolicy=true,RestrictPublicBuckets=true"
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "S3AccountPublicAccessBlock" not in resource.supplementary:
            return
        cfg = resource.supplementary["S3AccountPublicAccessBlock"]
        name = resource.display_name
        if not cfg:
            yield self.failed(
                f"Account '{name}' has no account-level S3 Block Public Access: every bucket relies on "
                "its own settings, so one policy or ACL mistake can expose data.",
                configuration=None,
            )
            return
        off = [f for f in PAB_FLAGS if not cfg.get(f)]
        if off:
            yield self.failed(
                f"Account '{name}' has account-level S3 Block Public Access with {', '.join(off)} off: "
                "buckets of this account can still be made public.",
                off=off,
            )
        else:
            yield self.passed(f"Account '{name}' has all four S3 Block Public Access settings on.")


@register
class BucketEncryptionAtRest(Check):
    id = "aws.s3.bucket-encryption-at-rest"
    title = "S3 buckets encrypt new objects by default"
    severity = Severity.MEDIUM
    resource_types = (BUCKET,)
    wa = ("SEC08-BP02",)
    risk = (
        "Objects written without default encryption are stored unencrypted unless every writer asks for it."
    )
    remediation = "Set default encryption on the bucket (SSE-KMS with a customer managed key, or SSE-S3)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "ServerSideEncryptionConfiguration" not in resource.supplementary:
            return
        cfg = resource.supplementary["ServerSideEncryptionConfiguration"] or {}
        algos = sorted(
            {
                str(d.get("sseAlgorithm"))
                for r in as_list(cfg.get("rules"))
                if (d := (r or {}).get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm")
            }
        )
        name = resource.display_name
        if algos:
            yield self.passed(f"Bucket '{name}' encrypts new objects by default ({', '.join(algos)}).")
        else:
            yield self.failed(
                f"Bucket '{name}' has no default encryption: objects uploaded without encryption "
                "headers are stored unencrypted.",
                configuration=cfg or None,
            )


def _covers_objects(resources: list[Any], arn: str) -> bool:
    return any(isinstance(r, str) and fnmatchcase(f"{arn}/object", r) for r in resources)


def _denies_insecure_transport(st: Mapping[str, Any]) -> bool:
    if st.get("Effect") != "Deny" or not is_public_principal(st) or "NotPrincipal" in st:
        return False
    actions = {str(a).lower() for a in as_list(st.get("Action"))}
    if not actions & {"*", "s3:*"}:
        return False
    cond = st.get("Condition")
    if not isinstance(cond, Mapping):
        return False
    for op, block in cond.items():
        if str(op).lower() not in ("bool", "boolifexists") or not isinstance(block, Mapping):
            continue
        for key, value in block.items():
            if str(key).lower() == "aws:securetransport" and any(
                str(v).lower() == "false" for v in as_list(value)
            ):
                return True
    return False


@register
class BucketTlsOnly(Check):
    id = "aws.s3.bucket-tls-only"
    title = "S3 bucket policies deny requests that do not use TLS"
    severity = Severity.MEDIUM
    resource_types = (BUCKET,)
    wa = ("SEC09-BP02",)
    cis = ("2.1.1",)
    fsbp = ("S3.5",)
    risk = (
        "Without a deny on aws:SecureTransport=false, clients may send and receive the bucket's "
        "data over plain HTTP."
    )
    remediation = (
        "Add a statement: Effect Deny, Principal '*', Action s3:*, Resource the bucket and bucket/*, "
        'Condition {"Bool": {"aws:SecureTransport": "false"}}.'
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "BucketPolicy" not in resource.supplementary:
            return
        policy = (resource.supplementary["BucketPolicy"] or {}).get("policyText")
        name = resource.display_name
        for st in statements(policy):
            if _denies_insecure_transport(st) and _covers_objects(as_list(st.get("Resource")), resource.arn):
                yield self.passed(f"Bucket '{name}' denies requests made without TLS.", sid=st.get("Sid", ""))
                return
        what = (
            "has no bucket policy"
            if policy is None
            else "has no policy statement denying aws:SecureTransport=false"
        )
        yield self.failed(
            f"Bucket '{name}' {what}: its data can be read and written over unencrypted HTTP.",
            hasPolicy=policy is not None,
        )


@register
class BucketAccessLogging(Check):
    id = "aws.s3.bucket-access-logging"
    title = "S3 buckets have server access logging enabled"
    severity = Severity.MEDIUM
    resource_types = (BUCKET,)
    wa = ("SEC04-BP01",)
    fsbp = ("S3.9",)
    risk = (
        "Without server access logs there is no record of who read or changed objects, which slows "
        "investigations."
    )
    remediation = (
        "Enable server access logging to a dedicated log bucket in the same region (or use CloudTrail "
        "data events for the bucket)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "BucketLoggingConfiguration" not in resource.supplementary:
            return
        cfg = resource.supplementary["BucketLoggingConfiguration"]
        name = resource.display_name
        if cfg and cfg.get("destinationBucketName"):
            yield self.passed(
                f"Bucket '{name}' logs access to bucket '{cfg['destinationBucketName']}'.",
                destination=cfg["destinationBucketName"],
            )
        else:
            yield self.failed(
                f"Bucket '{name}' has server access logging off: requests to its objects leave no "
                "access record for investigations."
            )


@register
class BucketVersioning(Check):
    id = "aws.s3.bucket-versioning"
    title = "S3 buckets have versioning enabled"
    severity = Severity.LOW
    resource_types = (BUCKET,)
    wa = ("SEC08-BP04",)
    fsbp = ("S3.14",)
    risk = "Without versioning an overwrite or delete (accidental, or by ransomware) destroys the only copy."
    remediation = "Enable versioning on the bucket and add lifecycle rules that expire old versions."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.supplementary.get("BucketVersioningConfiguration")
        if not cfg:
            return
        name = resource.display_name
        status = cfg.get("status") or "Off"
        if status == "Enabled":
            yield self.passed(f"Bucket '{name}' has versioning enabled.")
        else:
            yield self.failed(
                f"Bucket '{name}' has versioning {status.lower()}: an overwrite or delete destroys the "
                "only copy of an object.",
                status=status,
            )
