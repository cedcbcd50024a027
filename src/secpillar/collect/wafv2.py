"""AWS WAF (v2): regional web ACLs (``AWS::WAFv2::WebACL``) with their rules, logging
configuration (``supplementary.LoggingConfiguration``: ``None`` when logging is off) and the
resources they protect (``supplementary.ProtectedResources``: load balancer / API ARNs). CloudFront
web ACLs are global (``CLOUDFRONT`` scope, us-east-1); a distribution names its web ACL in its own
configuration, so the checks read that."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import Resource

WEB_ACL_TYPE = "AWS::WAFv2::WebACL"


def transform_web_acl(
    acl: Mapping[str, Any],
    logging: Mapping[str, Any] | None,
    protected: list[str] | None,
    account_id: str,
    region: str,
) -> Resource:
    config: dict[str, Any] = camelize(dict(acl))
    supp: dict[str, Any] = {}
    if logging is not None:
        lc = logging.get("LoggingConfiguration")
        supp["LoggingConfiguration"] = camelize(dict(lc)) if lc else None
    if protected is not None:
        supp["ProtectedResources"] = list(protected)
    return Resource(
        resource_type=WEB_ACL_TYPE,
        resource_id=str(acl.get("Id", "")),
        arn=str(acl.get("ARN", "")),
        account_id=account_id,
        region=region,
        name=str(acl.get("Name", "")),
        configuration=config,
        supplementary=supp,
    )


@register
class Wafv2Collector(Collector):
    id = "wafv2"
    scope = Scope.REGIONAL
    resource_types = (WEB_ACL_TYPE,)
    permissions = (
        "wafv2:ListWebACLs",
        "wafv2:GetWebACL",
        "wafv2:GetLoggingConfiguration",
        "wafv2:ListResourcesForWebACL",
    )

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        waf = ctx.client("wafv2", attempts=2)
        listed = ctx.call(waf, "list_web_acls", Scope="REGIONAL")
        for summary in (listed or {}).get("WebACLs") or ():
            got = ctx.call(waf, "get_web_acl", Name=summary["Name"], Id=summary["Id"], Scope="REGIONAL")
            acl = dict((got or {}).get("WebACL") or summary)
            logging = ctx.call(
                waf,
                "get_logging_configuration",
                absent={"WAFNonexistentItemException"},
                ResourceArn=summary["ARN"],
            )
            res = ctx.call(waf, "list_resources_for_web_acl", WebACLArn=summary["ARN"])
            protected = None if res is None else [str(a) for a in res.get("ResourceArns") or ()]
            yield transform_web_acl(acl, logging, protected, ctx.account_id, ctx.region)
