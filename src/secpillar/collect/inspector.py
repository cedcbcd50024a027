"""Amazon Inspector (v2) and Amazon Macie: is vulnerability scanning / sensitive-data discovery on
in each account and region? Keys ``Inspector2`` (``state`` and ``resourceState`` per scan type:
ec2, ecr, lambda, lambdaCode) and ``Macie`` (``status``, or ``None`` when Macie was never enabled)
of the ``AWS::::AccountRegion`` pseudo resource; absent when unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, account_region_resource

MACIE_OFF = {"ResourceNotFoundException"}


def macie_not_enabled(exc: ClientError) -> bool:
    """GetMacieSession answers AccessDeniedException "Macie is not enabled" in an account that never
    enabled it; any other AccessDenied is a real denial (a gap)."""
    err = exc.response.get("Error", {})
    return err.get("Code") == "AccessDeniedException" and "not enabled" in str(err.get("Message", "")).lower()


def transform_inspector(answer: Mapping[str, Any], account_id: str) -> dict[str, Any]:
    """``BatchGetAccountStatus`` -> this account's state; an account missing from the answer has
    Inspector disabled."""
    for acct in answer.get("accounts") or ():
        if acct.get("accountId") == account_id:
            return {
                "state": camelize(acct.get("state") or {}),
                "resourceState": camelize(acct.get("resourceState") or {}),
            }
    return {"state": {"status": "DISABLED"}, "resourceState": {}}


def transform_macie(session: Mapping[str, Any]) -> dict[str, Any] | None:
    if not session:
        return None
    return {"status": session.get("status", "")}


@register
class InspectorCollector(Collector):
    id = "inspector2"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE,)
    permissions = ("inspector2:BatchGetAccountStatus",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        answer = ctx.call(
            ctx.client("inspector2", attempts=2), "batch_get_account_status", accountIds=[ctx.account_id]
        )
        if answer is not None:
            yield account_region_resource(
                ctx.account_id,
                ctx.account_name,
                ctx.region,
                ctx.partition,
                {"Inspector2": transform_inspector(answer, ctx.account_id)},
            )


@register
class MacieCollector(Collector):
    id = "macie2"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE,)
    permissions = ("macie2:GetMacieSession",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        macie = ctx.client("macie2", attempts=2)
        try:
            session: Mapping[str, Any] | None = macie.get_macie_session()
        except ClientError as exc:
            if macie_not_enabled(exc) or exc.response.get("Error", {}).get("Code") in MACIE_OFF:
                session = {}
            else:
                ctx.gap("macie2", "get_macie_session", exc)
                session = None
        except BotoCoreError as exc:
            ctx.gap("macie2", "get_macie_session", exc)
            session = None
        if session is not None:
            yield account_region_resource(
                ctx.account_id,
                ctx.account_name,
                ctx.region,
                ctx.partition,
                {"Macie": transform_macie(session)},
            )
