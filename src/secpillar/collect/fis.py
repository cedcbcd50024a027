"""AWS Fault Injection Service: experiment templates (``AWS::FIS::ExperimentTemplate``) with their
stop conditions -- evidence that failure and response are rehearsed."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import Resource

TEMPLATE_TYPE = "AWS::FIS::ExperimentTemplate"


def transform_template(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    tid = str(raw.get("id", ""))
    config = {k: v for k, v in camelize(dict(raw)).items() if k != "tags"}
    return Resource(
        resource_type=TEMPLATE_TYPE,
        resource_id=tid,
        arn=str(raw.get("arn") or f"arn:{partition}:fis:{region}:{account_id}:experiment-template/{tid}"),
        account_id=account_id,
        region=region,
        name=str((raw.get("tags") or {}).get("Name") or tid),
        configuration=config,
        tags={str(k): str(v) for k, v in (raw.get("tags") or {}).items()}
        if isinstance(raw.get("tags"), dict)
        else tag_dict(raw.get("tags")),
    )


@register
class FisCollector(Collector):
    id = "fis"
    scope = Scope.REGIONAL
    resource_types = (TEMPLATE_TYPE,)
    permissions = ("fis:ListExperimentTemplates", "fis:GetExperimentTemplate")

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        fis = ctx.client("fis", attempts=2)
        for summary in ctx.paginate(fis, "list_experiment_templates", "experimentTemplates") or ():
            got = ctx.call(fis, "get_experiment_template", id=summary["id"])
            raw = dict((got or {}).get("experimentTemplate") or summary)
            yield transform_template(raw, ctx.account_id, ctx.region, ctx.partition)
