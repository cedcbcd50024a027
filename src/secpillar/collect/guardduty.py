"""Amazon GuardDuty: the detectors of each region and their status.

Fills the ``GuardDutyDetectors`` key of the ``AWS::::AccountRegion`` pseudo resource: one
camelized ``get_detector`` answer per detector plus ``detectorId``. No detector gives ``[]``; the
key is absent when the detectors could not be listed. A detector whose ``get_detector`` failed is
listed with its id only (status unknown).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, account_region_resource


def transform_detector(detector_id: str, detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """``get_detector`` answer (None when the call failed) -> one ``GuardDutyDetectors`` entry."""
    item: dict[str, Any] = camelize(dict(detail)) if detail is not None else {}
    item["detectorId"] = detector_id
    return item


@register
class GuardDutyCollector(Collector):
    id = "guardduty"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE,)
    permissions = ("guardduty:ListDetectors", "guardduty:GetDetector")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        gd = ctx.client("guardduty")
        supplementary: dict[str, Any] = {}
        ids = ctx.paginate(gd, "list_detectors", "DetectorIds")
        if ids is not None:
            supplementary["GuardDutyDetectors"] = [
                transform_detector(str(d), ctx.call(gd, "get_detector", DetectorId=d)) for d in ids
            ]
        yield account_region_resource(
            ctx.account_id, ctx.account_name, ctx.region, ctx.partition, supplementary
        )
