"""Certificates: ACM certificates that expire soon, use weak keys, wildcards or no certificate
transparency; IAM server certificates that have expired."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_TYPE, Resource, Severity

CERT = "AWS::ACM::Certificate"


def parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


@register
class CertificateExpiry(Check):
    id = "aws.acm.certificate-expiry"
    title = "ACM certificates are renewed well before they expire"
    severity = Severity.HIGH
    resource_types = (CERT,)
    wa = ("SEC09-BP01",)
    fsbp = ("ACM.1",)
    risk = "An expired certificate breaks TLS for every client and tempts people to switch verification off."
    remediation = (
        "Use DNS validation so ACM renews automatically; re-import renewed certificates before expiry; "
        "replace certificates ACM cannot renew."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if cfg.get("status") not in (None, "ISSUED", "EXPIRED"):
            return
        not_after = parse_time(cfg.get("notAfter"))
        if not_after is None:
            return
        days = int(ctx.setting("acm_expiry_days", 30))
        left = (not_after - ctx.now).days
        name = resource.display_name
        if not_after <= ctx.now:
            yield self.failed(
                f"Certificate '{name}' expired on {not_after.date()}: TLS to it fails.",
                notAfter=str(not_after),
            )
        elif not_after - ctx.now < timedelta(days=days):
            yield self.failed(
                f"Certificate '{name}' expires in {left} day(s) ({not_after.date()}), within {days} days: "
                "if renewal does not happen, TLS to it breaks.",
                notAfter=str(not_after),
            )
        else:
            yield self.passed(f"Certificate '{name}' is valid for {left} more days.")


@register
class CertificateKeyStrength(Check):
    id = "aws.acm.certificate-key-strength"
    title = "ACM RSA certificates use keys of at least 2048 bits"
    severity = Severity.HIGH
    resource_types = (CERT,)
    wa = ("SEC09-BP01",)
    fsbp = ("ACM.2",)
    risk = (
        "A 1024-bit RSA key can be factored with enough effort, letting an attacker impersonate the service."
    )
    remediation = (
        "Request or import a replacement certificate with RSA 2048+ or an ECDSA "
        "key, then switch the listener."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        algo = str(resource.configuration.get("keyAlgorithm") or "")
        if not algo:
            return
        if algo.startswith("RSA") and algo.replace("RSA-", "RSA_").split("_")[-1].isdigit():
            bits = int(algo.replace("RSA-", "RSA_").split("_")[-1])
            if bits < 2048:
                yield self.failed(
                    (
                        f"Certificate '{resource.display_name}' uses a {bits}-bit RSA key: too "
                        "weak to resist factoring."
                    ),
                    keyAlgorithm=algo,
                )
                return
        yield self.passed(f"Certificate '{resource.display_name}' uses a {algo} key.")


@register
class CertificateNoWildcard(Check):
    id = "aws.acm.certificate-no-wildcard"
    title = "ACM certificates name their hosts instead of a wildcard"
    severity = Severity.LOW
    resource_types = (CERT,)
    wa = ("SEC09-BP01",)
    risk = (
        "A wildcard certificate's private key is valid for every host of the domain: one leaked copy lets "
        "an attacker impersonate all of them."
    )
    remediation = "Issue certificates for the specific host names each service uses."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        names = [str(n) for n in (cfg.get("subjectAlternativeNames") or [cfg.get("domainName") or ""]) if n]
        if not names:
            return
        wild = sorted(n for n in names if n.startswith("*."))
        if wild:
            yield self.failed(
                f"Certificate '{resource.display_name}' covers wildcard name(s) "
                f"{', '.join(wild)}: one leaked key "
                "impersonates every host of the domain.",
                names=wild,
            )
        else:
            yield self.passed(f"Certificate '{resource.display_name}' names specific hosts only.")


@register
class CertificateTransparency(Check):
    id = "aws.acm.certificate-transparency"
    title = "ACM certificates are logged to certificate transparency"
    severity = Severity.LOW
    resource_types = (CERT,)
    wa = ("SEC09-BP01",)
    risk = (
        "Without certificate transparency logging, browsers reject the certificate and mis-issued "
        "certificates for your domain are harder to spot."
    )
    remediation = (
        "aws acm update-certificate-options --options CertificateTransparencyLoggingPreference=ENABLED"
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        options = resource.configuration.get("options")
        if not isinstance(options, dict) or "certificateTransparencyLoggingPreference" not in options:
            return
        if options["certificateTransparencyLoggingPreference"] == "DISABLED":
            yield self.failed(
                f"Certificate '{resource.display_name}' opted out of certificate transparency logging: "
                "mis-issuance is harder to detect and browsers may reject it."
            )
        else:
            yield self.passed(f"Certificate '{resource.display_name}' is logged to certificate transparency.")


@register
class IamServerCertificatesExpired(Check):
    id = "aws.iam.server-certificates-not-expired"
    title = "No expired SSL/TLS certificates are stored in IAM"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_TYPE,)
    wa = ("SEC09-BP01",)
    cis = ("1.18",)
    risk = (
        "An expired certificate left in IAM can be deployed to a load balancer or CloudFront by mistake, "
        "breaking TLS and damaging trust."
    )
    remediation = (
        "aws iam delete-server-certificate --server-certificate-name NAME for each expired certificate."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        certs = resource.supplementary.get("IAMServerCertificates")
        if certs is None:
            return
        expired = sorted(
            str(c.get("serverCertificateName"))
            for c in certs
            if (exp := parse_time(c.get("expiration"))) is not None and exp <= ctx.now
        )
        name = resource.display_name
        if expired:
            yield self.failed(
                f"Account '{name}' still stores expired IAM server certificate(s) {', '.join(expired)}.",
                certificates=expired,
            )
        else:
            yield self.passed(
                f"Account '{name}' stores no expired IAM server certificate ({len(certs)} stored)."
            )
