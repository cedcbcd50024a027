"""Central identity: IAM Identity Center instances (``IdentityCenterInstances``) and the account's
SAML / OIDC identity providers (``IdentityProviders``), both on the ``AWS::::Account`` pseudo
resource. Identity Center lives in the organization's management account (or a delegated
administrator) in one home region: the instances are listed in the scan's first region of each
account; a key is absent when its call failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import ACCOUNT_TYPE, Resource, account_resource


def transform_identity(
    instances: Iterable[Mapping[str, Any]] | None,
    saml: Iterable[Mapping[str, Any]] | None,
    oidc: Iterable[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if instances is not None:
        out["IdentityCenterInstances"] = [
            {k: v for k, v in camelize(dict(i)).items() if k in {"instanceArn", "ownerAccountId", "status"}}
            for i in instances
        ]
    if saml is not None and oidc is not None:
        out["IdentityProviders"] = [{"type": "SAML", "arn": p.get("Arn", "")} for p in saml] + [
            {"type": "OIDC", "arn": p.get("Arn", "")} for p in oidc
        ]
    return out


@register
class IdentityCollector(Collector):
    id = "identity"
    scope = Scope.ACCOUNT
    resource_types = (ACCOUNT_TYPE,)
    permissions = ("sso:ListInstances", "iam:ListSAMLProviders", "iam:ListOpenIDConnectProviders")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        instances = ctx.paginate(ctx.client("sso-admin", attempts=2), "list_instances", "Instances")
        iam = ctx.client("iam")
        saml = ctx.call(iam, "list_saml_providers")
        oidc = ctx.call(iam, "list_open_id_connect_providers")
        supplementary = transform_identity(
            instances,
            None if saml is None else saml.get("SAMLProviderList") or [],
            None if oidc is None else oidc.get("OpenIDConnectProviderList") or [],
        )
        yield account_resource(ctx.account_id, ctx.account_name, ctx.partition, supplementary)
