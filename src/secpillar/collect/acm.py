"""AWS Certificate Manager: certificates (``AWS::ACM::Certificate``) of each account and region,
and the server certificates IAM stores (``IAMServerCertificates`` on ``AWS::::Account``).

A certificate's configuration is the camelized ``DescribeCertificate`` answer (``notAfter``,
``keyAlgorithm``, ``domainName``, ``subjectAlternativeNames``, ``inUseBy``, ``options`` …); when
that call fails the ``ListCertificates`` summary stands in (fewer keys: checks needing the others
say nothing).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import ACCOUNT_TYPE, Resource, account_resource

CERTIFICATE_TYPE = "AWS::ACM::Certificate"
_ALL_KEY_TYPES = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
]


def transform_certificate(
    summary: Mapping[str, Any],
    detail: Mapping[str, Any] | None,
    tags: list[Mapping[str, Any]] | None,
    account_id: str,
    region: str,
) -> Resource:
    raw = dict(detail.get("Certificate") or {}) if detail else {}
    config: dict[str, Any] = camelize(raw or dict(summary))
    arn = str(summary.get("CertificateArn") or raw.get("CertificateArn", ""))
    return Resource(
        resource_type=CERTIFICATE_TYPE,
        resource_id=arn.rsplit("/", 1)[-1],
        arn=arn,
        account_id=account_id,
        region=region,
        name=str(config.get("domainName", "")),
        configuration=config,
        tags=tag_dict([dict(t) for t in tags or ()]),
    )


def transform_server_certificates(
    account_id: str, account_name: str, partition: str, certs: Iterable[Mapping[str, Any]]
) -> Resource:
    items = [
        {k: v for k, v in camelize(dict(c)).items() if k in {"serverCertificateName", "arn", "expiration"}}
        for c in certs
    ]
    return account_resource(account_id, account_name, partition, {"IAMServerCertificates": items})


@register
class AcmCollector(Collector):
    id = "acm"
    scope = Scope.REGIONAL
    resource_types = (CERTIFICATE_TYPE,)
    permissions = ("acm:ListCertificates", "acm:DescribeCertificate", "acm:ListTagsForCertificate")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        acm = ctx.client("acm")
        certs = ctx.paginate(
            acm, "list_certificates", "CertificateSummaryList", Includes={"keyTypes": _ALL_KEY_TYPES}
        )
        for summary in certs or ():
            arn = summary["CertificateArn"]
            detail = ctx.call(acm, "describe_certificate", CertificateArn=arn)
            tags = ctx.call(acm, "list_tags_for_certificate", CertificateArn=arn)
            yield transform_certificate(
                summary,
                detail,
                None if tags is None else list(tags.get("Tags") or ()),
                ctx.account_id,
                ctx.region,
            )


@register
class IamServerCertificateCollector(Collector):
    id = "iam-server-certificates"
    scope = Scope.ACCOUNT
    resource_types = (ACCOUNT_TYPE,)
    permissions = ("iam:ListServerCertificates",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        certs = ctx.paginate(ctx.client("iam"), "list_server_certificates", "ServerCertificateMetadataList")
        if certs is not None:
            yield transform_server_certificates(ctx.account_id, ctx.account_name, ctx.partition, certs)
