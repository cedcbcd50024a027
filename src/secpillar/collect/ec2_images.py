"""EC2 images and snapshots the account owns (``OwnerIds=["self"]``: the emulator and AWS both
know many Amazon-owned public ones): ``AWS::EC2::Image`` and ``AWS::EC2::Snapshot``, each with
who may launch / restore it (``supplementary.LaunchPermissions`` / ``CreateVolumePermissions``:
``[{"group": "all"}]`` means public; absent when the attribute call failed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import Resource

IMAGE_TYPE = "AWS::EC2::Image"
SNAPSHOT_TYPE = "AWS::EC2::Snapshot"


def _perms(answer: Mapping[str, Any] | None, key: str) -> list[dict[str, Any]] | None:
    if answer is None:
        return None
    return [camelize(dict(p)) for p in answer.get(key) or ()]


def transform_image(
    raw: Mapping[str, Any],
    launch: Mapping[str, Any] | None,
    account_id: str,
    region: str,
    partition: str = "aws",
) -> Resource:
    iid = str(raw["ImageId"])
    config = {k: v for k, v in camelize(dict(raw)).items() if k != "tags"}
    perms = _perms(launch, "LaunchPermissions")
    return Resource(
        resource_type=IMAGE_TYPE,
        resource_id=iid,
        arn=f"arn:{partition}:ec2:{region}::image/{iid}",
        account_id=account_id,
        region=region,
        name=str(raw.get("Name") or iid),
        configuration=config,
        supplementary={} if perms is None else {"LaunchPermissions": perms},
        tags=tag_dict(raw.get("Tags")),
    )


def transform_snapshot(
    raw: Mapping[str, Any],
    volume_perms: Mapping[str, Any] | None,
    account_id: str,
    region: str,
    partition: str = "aws",
) -> Resource:
    sid = str(raw["SnapshotId"])
    config = {k: v for k, v in camelize(dict(raw)).items() if k != "tags"}
    perms = _perms(volume_perms, "CreateVolumePermissions")
    return Resource(
        resource_type=SNAPSHOT_TYPE,
        resource_id=sid,
        arn=f"arn:{partition}:ec2:{region}:{account_id}:snapshot/{sid}",
        account_id=account_id,
        region=region,
        name=sid,
        configuration=config,
        supplementary={} if perms is None else {"CreateVolumePermissions": perms},
        tags=tag_dict(raw.get("Tags")),
    )


@register
class Ec2ImagesCollector(Collector):
    id = "ec2-images"
    scope = Scope.REGIONAL
    resource_types = (IMAGE_TYPE, SNAPSHOT_TYPE)
    permissions = (
        "ec2:DescribeImages",
        "ec2:DescribeImageAttribute",
        "ec2:DescribeSnapshots",
        "ec2:DescribeSnapshotAttribute",
    )

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        ec2 = ctx.client("ec2")
        images = ctx.call(ec2, "describe_images", Owners=["self"])
        for image in (images or {}).get("Images") or ():
            launch = ctx.call(
                ec2, "describe_image_attribute", ImageId=image["ImageId"], Attribute="launchPermission"
            )
            yield transform_image(image, launch, ctx.account_id, ctx.region, ctx.partition)
        # OwnerIds=["self"] is what AWS honours; the owner-id filter says the same to emulators
        # that ignore OwnerIds (and list every public snapshot otherwise).
        own = [{"Name": "owner-id", "Values": [ctx.account_id]}]
        for snap in (
            ctx.paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"], Filters=own) or ()
        ):
            perms = ctx.call(
                ec2,
                "describe_snapshot_attribute",
                SnapshotId=snap["SnapshotId"],
                Attribute="createVolumePermission",
            )
            yield transform_snapshot(snap, perms, ctx.account_id, ctx.region, ctx.partition)
