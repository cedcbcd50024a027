"""Compute: instances launched from approved (golden) and recent images, managed through Systems
Manager rather than SSH keys; images and snapshots not shared with the world; Lambda functions on
supported runtimes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.checks.iam import days_since
from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, Severity

INSTANCE = "AWS::EC2::Instance"
IMAGE = "AWS::EC2::Image"
SNAPSHOT = "AWS::EC2::Snapshot"
FUNCTION = "AWS::Lambda::Function"

DEPRECATED_RUNTIMES = (
    "python2.7",
    "python3.6",
    "python3.7",
    "python3.8",
    "nodejs",
    "nodejs4.3",
    "nodejs4.3-edge",
    "nodejs6.10",
    "nodejs8.10",
    "nodejs10.x",
    "nodejs12.x",
    "nodejs14.x",
    "nodejs16.x",
    "java8",
    "dotnetcore1.0",
    "dotnetcore2.0",
    "dotnetcore2.1",
    "dotnetcore3.1",
    "dotnet5.0",
    "dotnet6",
    "ruby2.5",
    "ruby2.7",
    "go1.x",
    "provided",
)
"""Runtimes past their deprecation date in Lambda's runtime table (override: setting deprecated_runtimes)."""


def _running(instance: Resource) -> bool:
    return (instance.configuration.get("state") or {}).get("name") not in {"terminated", "shutting-down"}


def _golden(image: Resource, ctx: CheckContext) -> bool:
    key = str(ctx.setting("golden_ami_tag_key", "golden"))
    values = {str(v).lower() for v in ctx.setting("golden_ami_tag_values", ("true", "yes"))}
    return image.tags.get(key, "").lower() in values


@register
class ApprovedAmi(Check):
    id = "aws.ec2.approved-ami"
    title = "EC2 instances run from approved (golden) images"
    severity = Severity.MEDIUM
    resource_types = (INSTANCE,)
    reads = (IMAGE,)
    wa = ("SEC06-BP02",)
    risk = (
        "An instance from an arbitrary image skips the hardening, agents and patch baseline built into the "
        "golden image, and its software is unknown."
    )
    remediation = (
        "Launch from images of the golden pipeline (EC2 Image Builder), tagged golden=true or listed in the "
        "approved_amis setting; replace instances from other images."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if not _running(resource):
            return
        image_id = str(resource.configuration.get("imageId") or "")
        allowed = set(ctx.setting("approved_amis", ()))
        golden = {
            i.resource_id
            for i in ctx.inventory.by_account(resource.account_id, IMAGE)
            if i.region == resource.region and _golden(i, ctx)
        }
        if not image_id or not (allowed or golden):
            return  # no approved list known for this account: nothing to judge against
        name = resource.display_name
        if image_id in allowed or image_id in golden:
            yield self.passed(f"Instance '{name}' runs from approved image {image_id}.")
        else:
            yield self.failed(
                f"Instance '{name}' runs from image {image_id}, which is not an approved golden image: its "
                "hardening and patch level are unknown.",
                imageId=image_id,
            )


@register
class AmiAge(Check):
    id = "aws.ec2.ami-age"
    title = "EC2 instances run from images younger than the maximum age"
    severity = Severity.LOW
    resource_types = (INSTANCE,)
    reads = (IMAGE,)
    wa = ("SEC06-BP02", "SEC06-BP01")
    risk = "An old image carries every vulnerability published since it was built."
    remediation = (
        "Rebuild the golden image regularly (EC2 Image Builder) and roll "
        "instances onto it; setting max_ami_age_days."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if not _running(resource):
            return
        image = ctx.inventory.find(
            IMAGE, str(resource.configuration.get("imageId") or ""), resource.account_id
        )
        if image is None:
            return
        age = days_since(image.configuration.get("creationDate"), ctx.now)
        if age is None:
            return
        limit = int(ctx.setting("max_ami_age_days", 180))
        if age > limit:
            yield self.failed(
                f"Instance '{resource.display_name}' runs from image {image.resource_id}, "
                f"built {age} days ago "
                f"(limit {limit}): it lacks half a year of fixes.",
                imageAgeDays=age,
            )
        else:
            yield self.passed(f"Instance '{resource.display_name}' runs from an image built {age} days ago.")


def _public(perms: Any) -> bool:
    return any(p.get("group") == "all" for p in perms or ())


@register
class ImageNotPublic(Check):
    id = "aws.ec2.image-not-public"
    title = "Images the account owns are not public"
    severity = Severity.HIGH
    resource_types = (IMAGE,)
    wa = ("SEC03-BP07", "SEC08-BP04")
    risk = (
        "A public image can be launched by anyone, exposing the software, "
        "configuration and secrets baked into it."
    )
    remediation = 'aws ec2 modify-image-attribute --image-id ID --launch-permission "Remove=[{Group=all}]"'

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "LaunchPermissions" not in resource.supplementary:
            return
        if _public(resource.supplementary["LaunchPermissions"]) or resource.configuration.get("public"):
            yield self.failed(
                f"Image '{resource.display_name}' ({resource.resource_id}) is public: anyone can launch it."
            )
        else:
            yield self.passed(f"Image '{resource.display_name}' is private.")


@register
class SnapshotNotPublic(Check):
    id = "aws.ec2.snapshot-not-public"
    title = "EBS snapshots are not publicly restorable"
    severity = Severity.CRITICAL
    resource_types = (SNAPSHOT,)
    wa = ("SEC03-BP07", "SEC08-BP04")
    fsbp = ("EC2.1",)
    risk = "Anyone can create a volume from a public snapshot and read every byte of the disk."
    remediation = (
        "aws ec2 modify-snapshot-attribute --snapshot-id ID --attribute "
        "createVolumePermission --operation-type remove --group-names all"
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "CreateVolumePermissions" not in resource.supplementary:
            return
        if _public(resource.supplementary["CreateVolumePermissions"]):
            yield self.failed(f"Snapshot {resource.resource_id} is public: anyone can restore and read it.")
        else:
            yield self.passed(f"Snapshot {resource.resource_id} is not public.")


@register
class SnapshotEncrypted(Check):
    id = "aws.ec2.snapshot-encrypted"
    title = "EBS snapshots are encrypted"
    severity = Severity.MEDIUM
    resource_types = (SNAPSHOT,)
    wa = ("SEC08-BP02",)
    risk = "An unencrypted snapshot can be copied and shared without any key policy standing in the way."
    remediation = (
        "Copy the snapshot with --encrypted --kms-key-id KEY, delete the "
        "plaintext one, and enable EBS default encryption."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if "encrypted" not in resource.configuration:
            return
        if resource.configuration["encrypted"]:
            yield self.passed(f"Snapshot {resource.resource_id} is encrypted.")
        else:
            yield self.failed(
                f"Snapshot {resource.resource_id} is not encrypted: a copy or share of it "
                "exposes the disk's data with no key policy in the way."
            )


@register
class InstanceNoKeyPair(Check):
    id = "aws.ec2.instance-no-key-pair"
    title = "EC2 instances are reached through Session Manager, not SSH key pairs"
    severity = Severity.LOW
    resource_types = (INSTANCE,)
    wa = ("SEC06-BP03",)
    risk = (
        "An SSH key pair invites interactive logins: keys are copied around, sessions are not logged "
        "centrally and port 22 tends to open."
    )
    remediation = (
        "Use Systems Manager Session Manager (IAM-authorised, logged); launch "
        "without --key-name and close port 22."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if not _running(resource):
            return
        key = resource.configuration.get("keyName")
        if key:
            yield self.failed(
                f"Instance '{resource.display_name}' was launched with SSH key pair "
                f"'{key}': interactive access "
                "outside Session Manager.",
                keyName=key,
            )
        else:
            yield self.passed(f"Instance '{resource.display_name}' has no SSH key pair.")


@register
class SsmManaged(Check):
    id = "aws.ssm.instance-managed"
    title = "EC2 instances are managed by Systems Manager"
    severity = Severity.MEDIUM
    resource_types = (INSTANCE,)
    reads = (ACCOUNT_REGION_TYPE,)
    wa = ("SEC06-BP03", "SEC06-BP05")
    fsbp = ("SSM.1",)
    risk = "An unmanaged instance is patched, inventoried and accessed by hand, if at all."
    remediation = (
        "Give the instance a role with AmazonSSMManagedInstanceCore and make sure "
        "the SSM agent can reach the SSM endpoints."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if (resource.configuration.get("state") or {}).get("name") != "running":
            return
        ar = ctx.inventory.find(ACCOUNT_REGION_TYPE, f"{resource.account_id}/{resource.region}")
        if ar is None or "SsmManagedInstances" not in ar.supplementary:
            return
        managed: Mapping[str, str] = {
            i["instanceId"]: i.get("pingStatus", "") for i in ar.supplementary["SsmManagedInstances"]
        }
        if managed.get(resource.resource_id) == "Online":
            yield self.passed(f"Instance '{resource.display_name}' is managed by Systems Manager.")
        else:
            state = "offline" if resource.resource_id in managed else "not registered"
            yield self.failed(
                f"Instance '{resource.display_name}' is {state} in Systems Manager: it "
                "cannot be patched or reached without SSH."
            )


@register
class LambdaSupportedRuntime(Check):
    id = "aws.lambda.supported-runtime"
    title = "Lambda functions run on supported runtimes"
    severity = Severity.MEDIUM
    resource_types = (FUNCTION,)
    wa = ("SEC06-BP01",)
    fsbp = ("Lambda.2",)
    risk = "A deprecated runtime receives no security patches: vulnerabilities in it are never fixed."
    remediation = (
        "Update the function to a supported runtime (aws lambda update-function-configuration --runtime ...)."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        runtime = resource.configuration.get("runtime")
        if not runtime or resource.configuration.get("packageType") == "Image":
            return
        deprecated = set(ctx.setting("deprecated_runtimes", DEPRECATED_RUNTIMES))
        if runtime in deprecated:
            yield self.failed(
                (
                    f"Function '{resource.display_name}' runs on deprecated runtime {runtime}: "
                    "it no longer gets security patches."
                ),
                runtime=runtime,
            )
        else:
            yield self.passed(f"Function '{resource.display_name}' runs on {runtime}.")
