"""Edge protection: TLS policies of load balancer listeners and CloudFront, WAF in front of
internet-facing load balancers and distributions, and the web ACLs themselves."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import Resource, Severity

LB = "AWS::ElasticLoadBalancingV2::LoadBalancer"
DIST = "AWS::CloudFront::Distribution"
WEB_ACL = "AWS::WAFv2::WebACL"

OUTDATED_ELB_POLICIES = {
    "ELBSecurityPolicy-2016-08",
    "ELBSecurityPolicy-2015-05",
    "ELBSecurityPolicy-TLS-1-0-2015-04",
    "ELBSecurityPolicy-TLS-1-1-2017-01",
    "ELBSecurityPolicy-FS-2018-06",
    "ELBSecurityPolicy-FS-1-1-2019-08",
    "ELBSecurityPolicy-TLS13-1-0-2021-06",
    "ELBSecurityPolicy-TLS13-1-1-2021-06",
    "ELBSecurityPolicy-TLS13-1-0-PQ-2025-09",
    "ELBSecurityPolicy-TLS13-1-1-PQ-2025-09",
}
"""Predefined policies that still negotiate TLS 1.0 or 1.1 (AWS's ELB security policy table)."""
MODERN_CLOUDFRONT = {"TLSv1.2_2018", "TLSv1.2_2019", "TLSv1.2_2021", "TLSv1.2_2025", "TLSv1.3_2025"}


def _tls_listeners(resource: Resource) -> list[Mapping[str, Any]] | None:
    listeners = resource.supplementary.get("Listeners")
    if listeners is None:
        return None
    return [li for li in listeners if li.get("protocol") in {"HTTPS", "TLS"}]


@register
class LbTlsPolicy(Check):
    id = "aws.elb.tls-policy-modern"
    title = "Load balancer TLS listeners use a security policy without TLS 1.0/1.1"
    severity = Severity.MEDIUM
    resource_types = (LB,)
    wa = ("SEC09-BP02", "SEC09-BP03")
    fsbp = ("ELB.17",)
    risk = "A listener that still accepts TLS 1.0/1.1 lets clients negotiate protocols with known weaknesses."
    remediation = (
        "Set the listener's SslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or a newer TLS 1.2+ policy): "
        "aws elbv2 modify-listener --listener-arn ARN --ssl-policy ELBSecurityPolicy-TLS13-1-2-2021-06"
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        listeners = _tls_listeners(resource)
        if not listeners:
            return
        weak = sorted(
            {
                f"{li.get('port')}: {li.get('sslPolicy')}"
                for li in listeners
                if li.get("sslPolicy") in OUTDATED_ELB_POLICIES
            }
        )
        name = resource.display_name
        if weak:
            yield self.failed(
                f"Load balancer '{name}' has TLS listener(s) with an outdated policy ({', '.join(weak)}): "
                "clients can negotiate TLS 1.0/1.1.",
                listeners=weak,
            )
        else:
            yield self.passed(f"Load balancer '{name}' TLS listeners use TLS 1.2+ security policies.")


@register
class LbDropInvalidHeaders(Check):
    id = "aws.elb.drop-invalid-headers"
    title = "Application load balancers drop invalid HTTP header fields"
    severity = Severity.MEDIUM
    resource_types = (LB,)
    wa = ("SEC05-BP03",)
    fsbp = ("ELB.4",)
    risk = "Forwarding malformed headers to targets enables HTTP desync / request smuggling attacks."
    remediation = (
        "aws elbv2 modify-load-balancer-attributes --load-balancer-arn ARN --attributes "
        "Key=routing.http.drop_invalid_header_fields.enabled,Value=true"
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        attrs = resource.supplementary.get("Attributes")
        if resource.configuration.get("type") != "application" or not isinstance(attrs, Mapping):
            return
        value = attrs.get("routing.http.drop_invalid_header_fields.enabled")
        if value is None:
            return
        if value == "true":
            yield self.passed(f"Load balancer '{resource.display_name}' drops invalid header fields.")
        else:
            yield self.failed(
                f"Load balancer '{resource.display_name}' forwards invalid HTTP header "
                "fields to its targets: "
                "request smuggling becomes possible."
            )


@register
class LbAccessLogs(Check):
    id = "aws.elb.access-logs"
    title = "Load balancers write access logs"
    severity = Severity.MEDIUM
    resource_types = (LB,)
    wa = ("SEC04-BP01",)
    fsbp = ("ELB.5",)
    risk = (
        "Without access logs, requests that reached the application cannot be "
        "reconstructed in an investigation."
    )
    remediation = (
        "aws elbv2 modify-load-balancer-attributes --load-balancer-arn ARN --attributes "
        "Key=access_logs.s3.enabled,Value=true Key=access_logs.s3.bucket,Value=LOG_BUCKET"
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        attrs = resource.supplementary.get("Attributes")
        if not isinstance(attrs, Mapping) or "access_logs.s3.enabled" not in attrs:
            return
        if attrs["access_logs.s3.enabled"] == "true":
            yield self.passed(f"Load balancer '{resource.display_name}' writes access logs.")
        else:
            yield self.failed(
                f"Load balancer '{resource.display_name}' writes no access logs: its traffic cannot be "
                "reviewed after an incident."
            )


def _waf_gap(ctx: CheckContext, resource: Resource) -> bool:
    return any(
        g.service == "wafv2" and g.account_id == resource.account_id and g.region == resource.region
        for g in ctx.inventory.gaps
    )


@register
class LbWaf(Check):
    id = "aws.elb.waf-attached"
    title = "Internet-facing application load balancers are protected by AWS WAF"
    severity = Severity.MEDIUM
    resource_types = (LB,)
    reads = (WEB_ACL,)
    wa = ("SEC05-BP03", "SEC05-BP04")
    fsbp = ("ELB.16",)
    risk = (
        "Without a web ACL, injection, bad bots and layer-7 floods reach the application unfiltered and "
        "nothing blocks them automatically."
    )
    remediation = (
        "aws wafv2 associate-web-acl --web-acl-arn ACL --resource-arn "
        "LOAD_BALANCER (AWS managed rule groups)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if cfg.get("type") != "application" or cfg.get("scheme") != "internet-facing":
            return
        if _waf_gap(ctx, resource):
            return
        acls = [
            a.display_name
            for a in ctx.inventory.by_account(resource.account_id, WEB_ACL)
            if resource.arn in (a.supplementary.get("ProtectedResources") or ())
        ]
        if acls:
            yield self.passed(
                f"Load balancer '{resource.display_name}' is protected by web ACL {', '.join(acls)}."
            )
        else:
            yield self.failed(
                f"Internet-facing load balancer '{resource.display_name}' has no AWS WAF web ACL: "
                "application-layer attacks reach its targets unfiltered."
            )


def _dist_cfg(resource: Resource) -> Mapping[str, Any]:
    cfg = resource.configuration.get("distributionConfig")
    return cfg if isinstance(cfg, Mapping) else {}


@register
class CloudFrontMinimumTls(Check):
    id = "aws.cloudfront.minimum-tls"
    title = "CloudFront distributions accept viewers only over TLS 1.2 or later"
    severity = Severity.MEDIUM
    resource_types = (DIST,)
    wa = ("SEC09-BP02",)
    risk = (
        "A distribution on the default *.cloudfront.net certificate or an old security policy accepts "
        "TLS 1.0/1.1 from viewers."
    )
    remediation = (
        "Serve the distribution on your own ACM certificate (us-east-1) with MinimumProtocolVersion "
        "TLSv1.2_2021 (SNI)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        vc = _dist_cfg(resource).get("viewerCertificate")
        if not isinstance(vc, Mapping):
            return
        name = resource.display_name
        if vc.get("cloudFrontDefaultCertificate"):
            yield self.failed(
                f"Distribution '{name}' uses the default CloudFront certificate, whose security policy "
                "still accepts TLS 1.0 from viewers."
            )
            return
        version = str(vc.get("minimumProtocolVersion") or "")
        if version in MODERN_CLOUDFRONT:
            yield self.passed(f"Distribution '{name}' requires {version} or later from viewers.")
        elif version:
            yield self.failed(
                (
                    f"Distribution '{name}' allows viewers down to {version}: clients can "
                    "negotiate outdated TLS."
                ),
                minimumProtocolVersion=version,
            )


@register
class CloudFrontOriginTls(Check):
    id = "aws.cloudfront.origin-https"
    title = "CloudFront reaches custom origins over HTTPS with TLS 1.2"
    severity = Severity.MEDIUM
    resource_types = (DIST,)
    wa = ("SEC09-BP02", "SEC09-BP03")
    risk = (
        "Between the edge and a custom origin over HTTP or SSLv3/TLS 1.0, content and cookies travel "
        "readable and the origin is not authenticated."
    )
    remediation = (
        "Set each custom origin's OriginProtocolPolicy to https-only and OriginSslProtocols to TLSv1.2."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        origins = (_dist_cfg(resource).get("origins") or {}).get("items") or []
        custom = [o for o in origins if isinstance(o.get("customOriginConfig"), Mapping)]
        if not custom:
            return
        bad = []
        for o in custom:
            coc = o["customOriginConfig"]
            protocols = ((coc.get("originSslProtocols") or {}).get("items")) or []
            if coc.get("originProtocolPolicy") != "https-only":
                bad.append(f"{o.get('id')}: {coc.get('originProtocolPolicy')}")
            elif any(p in {"SSLv3", "TLSv1", "TLSv1.1"} for p in protocols):
                bad.append(f"{o.get('id')}: {', '.join(protocols)}")
        if bad:
            yield self.failed(
                f"Distribution '{resource.display_name}' reaches origin(s) without enforced modern TLS "
                f"({'; '.join(bad)}): traffic to the origin can be read or altered.",
                origins=bad,
            )
        else:
            yield self.passed(
                f"Distribution '{resource.display_name}' reaches its custom origins over HTTPS only."
            )


@register
class CloudFrontWaf(Check):
    id = "aws.cloudfront.waf-attached"
    title = "CloudFront distributions are protected by AWS WAF"
    severity = Severity.MEDIUM
    resource_types = (DIST,)
    wa = ("SEC05-BP03", "SEC05-BP04")
    risk = "Without a web ACL, application-layer attacks pass the edge unfiltered."
    remediation = "Associate a CLOUDFRONT-scope web ACL (update-distribution with WebACLId)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = _dist_cfg(resource)
        if "webACLId" not in cfg:
            return
        if cfg["webACLId"]:
            yield self.passed(f"Distribution '{resource.display_name}' is protected by a web ACL.")
        else:
            yield self.failed(
                f"Distribution '{resource.display_name}' has no AWS WAF web ACL: attacks "
                "reach the origin unfiltered."
            )


@register
class WebAclHasRules(Check):
    id = "aws.wafv2.webacl-has-rules"
    title = "AWS WAF web ACLs contain rules"
    severity = Severity.MEDIUM
    resource_types = (WEB_ACL,)
    wa = ("SEC05-BP04",)
    risk = "An empty web ACL only applies its default action: it looks like protection but filters nothing."
    remediation = (
        "Add AWS managed rule groups (core rule set, known bad inputs, IP reputation) and rate-based rules."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "rules" not in resource.configuration:
            return
        rules = resource.configuration.get("rules") or []
        if rules:
            yield self.passed(f"Web ACL '{resource.display_name}' has {len(rules)} rule(s).")
        else:
            action = next(iter((resource.configuration.get("defaultAction") or {}).keys()), "allow")
            yield self.failed(
                f"Web ACL '{resource.display_name}' has no rules: every request gets its "
                f"default action ({action})."
            )


@register
class WebAclLogging(Check):
    id = "aws.wafv2.logging"
    title = "AWS WAF web ACLs log the requests they inspect"
    severity = Severity.LOW
    resource_types = (WEB_ACL,)
    wa = ("SEC04-BP01", "SEC05-BP04")
    risk = "Without WAF logs, blocked attacks and false positives cannot be analysed or tuned."
    remediation = "aws wafv2 put-logging-configuration (to CloudWatch Logs, S3 or Firehose)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "LoggingConfiguration" not in resource.supplementary:
            return
        if resource.supplementary["LoggingConfiguration"]:
            yield self.passed(f"Web ACL '{resource.display_name}' logs its requests.")
        else:
            yield self.failed(
                f"Web ACL '{resource.display_name}' does not log: its decisions leave no trace."
            )
