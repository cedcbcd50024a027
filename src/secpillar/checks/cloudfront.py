"""Checks for CloudFront distributions: S3 origin access, public origin buckets, viewer HTTPS."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.checks.s3 import BUCKET, as_list, bucket_exposure
from secpillar.model import ACCOUNT_TYPE, Resource, Severity

DISTRIBUTION = "AWS::CloudFront::Distribution"
_S3_DOMAIN = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.s3(?P<website>-website)?(?:[.-][a-z0-9-]+)*"
    r"\.amazonaws\.com(?:\.cn)?$"
)
_WEAK_TLS = {"SSLv3", "TLSv1", "TLSv1_2016", "TLSv1.1_2016"}


def _settings(resource: Resource) -> Mapping[str, Any]:
    cfg = resource.configuration.get("distributionConfig")
    return cfg if isinstance(cfg, Mapping) else {}


def origins(resource: Resource) -> list[Mapping[str, Any]]:
    return [
        o for o in as_list((_settings(resource).get("origins") or {}).get("items")) if isinstance(o, Mapping)
    ]


def s3_bucket_of(origin: Mapping[str, Any]) -> tuple[str | None, bool]:
    """(bucket name, is website endpoint) of an S3 origin, (None, False) for other origins."""
    m = _S3_DOMAIN.match(str(origin.get("domainName", "")).lower())
    if not m:
        return None, False
    return m.group("bucket"), bool(m.group("website"))


def is_s3_rest_origin(origin: Mapping[str, Any]) -> bool:
    if origin.get("s3OriginConfig") is not None:
        return True
    bucket, website = s3_bucket_of(origin)
    return bucket is not None and not website and origin.get("customOriginConfig") is None


def behaviors(resource: Resource) -> Iterator[tuple[str, Mapping[str, Any]]]:
    settings = _settings(resource)
    default = settings.get("defaultCacheBehavior")
    if isinstance(default, Mapping):
        yield "default", default
    for b in as_list((settings.get("cacheBehaviors") or {}).get("items")):
        if isinstance(b, Mapping):
            yield str(b.get("pathPattern", "?")), b


@register
class S3OriginAccessControl(Check):
    id = "aws.cloudfront.s3-origin-access-control"
    title = "CloudFront S3 origins use origin access control"
    severity = Severity.HIGH
    resource_types = (DISTRIBUTION,)
    wa = ("SEC03-BP07", "SEC08-BP04")
    fsbp = ("CloudFront.13",)
    risk = (
        "An S3 origin reached without origin access control (or identity) must be readable by "
        "everyone, so the bucket can be read around CloudFront."
    )
    remediation = (
        "Create an origin access control (signing sigv4, always), attach it to the S3 origin and allow "
        "only cloudfront.amazonaws.com with aws:SourceArn = the distribution in the bucket policy."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        s3 = [o for o in origins(resource) if is_s3_rest_origin(o)]
        if not s3:
            return
        name = resource.display_name
        missing = [
            str(o.get("id", o.get("domainName")))
            for o in s3
            if not o.get("originAccessControlId")
            and not ((o.get("s3OriginConfig") or {}).get("originAccessIdentity"))
        ]
        if missing:
            yield self.failed(
                f"Distribution '{name}' reaches S3 origin(s) {', '.join(missing)} without origin access "
                "control: the bucket must then allow public reads, bypassing CloudFront.",
                origins=missing,
            )
        else:
            yield self.passed(f"Distribution '{name}' reaches its S3 origins through origin access control.")


@register
class OriginBucketNotPublic(Check):
    id = "aws.cloudfront.origin-bucket-not-public"
    title = "CloudFront S3 origin buckets are not public"
    severity = Severity.HIGH
    resource_types = (DISTRIBUTION,)
    reads = (BUCKET, ACCOUNT_TYPE)
    wa = ("SEC03-BP07",)
    risk = (
        "A public origin bucket can be read directly, bypassing CloudFront's TLS, WAF, geo "
        "restrictions and signed URLs."
    )
    remediation = (
        "Remove public statements and ACL grants from the origin bucket, turn on Block Public Access and "
        "let CloudFront read it through origin access control."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        public: list[dict[str, Any]] = []
        private: list[str] = []
        for origin in origins(resource):
            name, _ = s3_bucket_of(origin)
            if name is None:
                continue
            bucket = ctx.inventory.find(BUCKET, name)
            if bucket is None:
                continue  # bucket in an account outside the scan, or gone: unknown
            exposed, evidence = bucket_exposure(bucket, ctx.inventory)
            if exposed:
                public.append({"bucket": name, "arn": bucket.arn, **evidence})
            elif exposed is False:
                private.append(name)
        dist = resource.display_name
        if public:
            names = ", ".join(p["bucket"] for p in public)
            yield self.failed(
                f"Distribution '{dist}' serves from S3 bucket(s) {names} that are public: anyone can read "
                "them directly, bypassing CloudFront's controls.",
                buckets=public,
            )
        elif private:
            yield self.passed(f"Distribution '{dist}' serves from private S3 bucket(s) {', '.join(private)}.")


@register
class ViewerHttps(Check):
    id = "aws.cloudfront.viewer-https"
    title = "CloudFront distributions require HTTPS from viewers"
    severity = Severity.MEDIUM
    resource_types = (DISTRIBUTION,)
    wa = ("SEC09-BP02",)
    fsbp = ("CloudFront.3",)
    risk = (
        "A behaviour with viewer protocol policy allow-all serves content over plain HTTP, open to "
        "reading and tampering in transit."
    )
    remediation = (
        "Set the viewer protocol policy of every cache behaviour to redirect-to-https or https-only and "
        "use a security policy of TLSv1.2_2021 or later for custom certificates."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        found = list(behaviors(resource))
        if not found:
            return
        name = resource.display_name
        plain = [path for path, b in found if b.get("viewerProtocolPolicy") == "allow-all"]
        cert = _settings(resource).get("viewerCertificate") or {}
        weak = (
            cert.get("minimumProtocolVersion")
            if not cert.get("cloudFrontDefaultCertificate")
            and cert.get("minimumProtocolVersion") in _WEAK_TLS
            else None
        )
        if plain:
            yield self.failed(
                f"Distribution '{name}' allows plain HTTP (viewer protocol policy allow-all) on "
                f"behaviour(s) {', '.join(plain)}: content and cookies travel unencrypted.",
                behaviors=plain,
            )
        elif weak:
            yield self.failed(
                f"Distribution '{name}' accepts viewers on {weak}: outdated TLS versions are open to "
                "known attacks.",
                minimumProtocolVersion=weak,
            )
        else:
            yield self.passed(f"Distribution '{name}' requires HTTPS on every behaviour.")
