"""EC2 launch templates with the data of their default version (metadata options and the rest).

``DescribeLaunchTemplates`` lists the templates; ``DescribeLaunchTemplateVersions`` with
``Versions=["$Default"]`` gives the default version's ``LaunchTemplateData``, which is what an
instance launched from the template without a version gets. AWS Config records the template the
same way (``AWS::EC2::LaunchTemplate``, ``launchTemplateData`` of the default version).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import Resource

LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"


def transform_launch_template(
    template: Mapping[str, Any],
    version: Mapping[str, Any] | None,
    account_id: str,
    region: str,
    partition: str = "aws",
) -> Resource:
    """One ``DescribeLaunchTemplates`` item and its default version -> ``AWS::EC2::LaunchTemplate``.

    ``configuration.launchTemplateData`` is the default version's data (``metadataOptions`` …);
    it is left out when the version could not be read, so checks of it stay silent."""
    raw = dict(template)
    if version is not None:
        raw["LaunchTemplateData"] = dict(version.get("LaunchTemplateData") or {})
    tid = str(raw["LaunchTemplateId"])
    return Resource(
        resource_type=LAUNCH_TEMPLATE,
        resource_id=tid,
        arn=f"arn:{partition}:ec2:{region}:{account_id}:launch-template/{tid}",
        account_id=account_id,
        region=region,
        name=str(raw.get("LaunchTemplateName") or tid),
        configuration=camelize(raw),
        tags=tag_dict(raw.get("Tags")),
    )


@register
class Ec2LaunchTemplateCollector(Collector):
    id = "ec2-launch-templates"
    scope = Scope.REGIONAL
    resource_types = (LAUNCH_TEMPLATE,)
    permissions = ("ec2:DescribeLaunchTemplates", "ec2:DescribeLaunchTemplateVersions")

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        ec2 = ctx.client("ec2")
        for template in ctx.paginate(ec2, "describe_launch_templates", "LaunchTemplates") or ():
            tid = template["LaunchTemplateId"]
            resp = ctx.call(
                ec2, "describe_launch_template_versions", LaunchTemplateId=tid, Versions=["$Default"]
            )
            versions = (resp or {}).get("LaunchTemplateVersions") or []
            default = versions[0] if versions else None
            yield transform_launch_template(template, default, ctx.account_id, ctx.region, ctx.partition)
