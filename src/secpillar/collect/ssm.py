"""AWS Systems Manager: which instances are managed (``SsmManagedInstances`` on the
``AWS::::AccountRegion`` pseudo resource: instance ids with their ping status; absent when
``DescribeInstanceInformation`` failed, as it does against the sandbox's emulator) and the
account's own Automation runbooks (``SsmAutomationDocuments``: names).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, account_region_resource


def transform_ssm(
    info: Iterable[Mapping[str, Any]] | None, documents: Iterable[Mapping[str, Any]] | None
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if info is not None:
        out["SsmManagedInstances"] = [
            {"instanceId": i.get("InstanceId", ""), "pingStatus": i.get("PingStatus", "")} for i in info
        ]
    if documents is not None:
        out["SsmAutomationDocuments"] = sorted(str(d.get("Name", "")) for d in documents)
    return out


@register
class SsmCollector(Collector):
    id = "ssm"
    scope = Scope.REGIONAL
    resource_types = (ACCOUNT_REGION_TYPE,)
    permissions = ("ssm:DescribeInstanceInformation", "ssm:ListDocuments")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        ssm = ctx.client("ssm", attempts=2)
        info = ctx.paginate(ssm, "describe_instance_information", "InstanceInformationList")
        docs = ctx.paginate(
            ssm,
            "list_documents",
            "DocumentIdentifiers",
            Filters=[{"Key": "Owner", "Values": ["Self"]}, {"Key": "DocumentType", "Values": ["Automation"]}],
        )
        yield account_region_resource(
            ctx.account_id, ctx.account_name, ctx.region, ctx.partition, transform_ssm(info, docs)
        )
