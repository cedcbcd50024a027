"""Amazon ECR: private repositories, their scanning and tag settings, policy and image findings.

Configuration: the camelized ``describe_repositories`` entry (``imageScanningConfiguration``,
``imageTagMutability``, ``encryptionConfiguration`` …). Supplementary keys (absent when the call
failed):

* ``RepositoryPolicy``: the parsed repository policy, ``None`` when the repository has none
  (``RepositoryPolicyError`` says why when the text does not parse);
* ``RegistryScanningConfiguration``: the region's registry-level scanning configuration (scan type
  and rules), which overrides the repository setting when it has rules;
* ``ImageScanFindings``: for the ``IMAGE_LIMIT`` most recently pushed images, ``{imageDigest,
  imageTags, imagePushedAt, scanStatus, findingSeverityCounts}``. The counts come from
  ``describe_images``' ``imageScanFindingsSummary`` when AWS gives one, else from
  ``describe_image_scan_findings``; an image never scanned has ``scanStatus`` ``NOT_SCANNED`` and no
  counts, an image whose findings could not be read has no counts either (unknown).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import Resource

REPOSITORY_TYPE = "AWS::ECR::Repository"
IMAGE_LIMIT = 20
"""How many of a repository's images (most recently pushed first) have their findings read."""


def parse_policy(text: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """Policy text -> (parsed policy, error). ``(None, None)`` when there is no policy."""
    if not text:
        return None, None
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        return None, f"unparsable policy: {exc}"
    if not isinstance(parsed, dict):
        return None, "policy is not a JSON object"
    return parsed, None


def latest_images(images: Sequence[Mapping[str, Any]], limit: int = IMAGE_LIMIT) -> list[Mapping[str, Any]]:
    """The ``limit`` most recently pushed images (``describe_images`` entries)."""
    return sorted(images, key=lambda i: str(camelize(i.get("imagePushedAt")) or ""), reverse=True)[:limit]


def transform_image_findings(image: Mapping[str, Any], findings: Mapping[str, Any] | None) -> dict[str, Any]:
    """One image (``describe_images`` entry) and its ``describe_image_scan_findings`` answer ->
    an ``ImageScanFindings`` entry. ``findings`` is ``{}`` when the image was never scanned and
    None when the call failed; when the image entry carries ``imageScanFindingsSummary`` (real
    AWS), that summary is used and ``findings`` is ignored."""
    entry: dict[str, Any] = {
        "imageDigest": image.get("imageDigest"),
        "imageTags": list(image.get("imageTags") or ()),
        "imagePushedAt": camelize(image.get("imagePushedAt")),
    }
    summary = image.get("imageScanFindingsSummary")
    if isinstance(summary, Mapping):
        entry["scanStatus"] = (image.get("imageScanStatus") or {}).get("status", "COMPLETE")
        entry["findingSeverityCounts"] = dict(summary.get("findingSeverityCounts") or {})
        return entry
    if findings is None:
        return entry
    if not findings:
        entry["scanStatus"] = "NOT_SCANNED"
        return entry
    status = (findings.get("imageScanStatus") or {}).get("status")
    entry["scanStatus"] = status
    scan = findings.get("imageScanFindings")
    if isinstance(scan, Mapping) and status in {"COMPLETE", "ACTIVE"}:
        entry["findingSeverityCounts"] = dict(scan.get("findingSeverityCounts") or {})
    return entry


def transform_repository(
    repo: Mapping[str, Any],
    account_id: str,
    region: str,
    *,
    policy: Mapping[str, Any] | None,
    images: Sequence[dict[str, Any]] | None,
    registry_scanning: Mapping[str, Any] | None,
    tags: Iterable[dict[str, Any]] | None = None,
) -> Resource:
    """A ``describe_repositories`` entry and what the other calls returned (None = failed) ->
    the repository resource. ``policy`` is ``{}`` when the repository has no policy."""
    supplementary: dict[str, Any] = {}
    if policy is not None:
        parsed, error = parse_policy(policy.get("policyText"))
        if error:
            supplementary["RepositoryPolicyError"] = error
        else:
            supplementary["RepositoryPolicy"] = parsed
    if images is not None:
        supplementary["ImageScanFindings"] = list(images)
    if registry_scanning is not None:
        supplementary["RegistryScanningConfiguration"] = camelize(
            dict(registry_scanning.get("scanningConfiguration") or {})
        )
    arn = str(repo["repositoryArn"])
    return Resource(
        resource_type=REPOSITORY_TYPE,
        resource_id=str(repo["repositoryName"]),
        arn=arn,
        account_id=account_id,
        region=region,
        name=str(repo["repositoryName"]),
        configuration=camelize(dict(repo)),
        supplementary=supplementary,
        tags=tag_dict(tags),
    )


@register
class EcrCollector(Collector):
    id = "ecr"
    scope = Scope.REGIONAL
    resource_types = (REPOSITORY_TYPE,)
    permissions = (
        "ecr:DescribeRepositories",
        "ecr:GetRepositoryPolicy",
        "ecr:ListTagsForResource",
        "ecr:DescribeImages",
        "ecr:DescribeImageScanFindings",
        "ecr:GetRegistryScanningConfiguration",
    )

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        ecr = ctx.client("ecr")
        repos = ctx.paginate(ecr, "describe_repositories", "repositories")
        if not repos:
            return
        registry = ctx.call(ecr, "get_registry_scanning_configuration")
        for repo in repos:
            name = str(repo["repositoryName"])
            reg_id = str(repo.get("registryId") or ctx.account_id)
            policy = ctx.call(
                ecr,
                "get_repository_policy",
                absent={"RepositoryPolicyNotFoundException"},
                repositoryName=name,
                registryId=reg_id,
            )
            tags = ctx.call(ecr, "list_tags_for_resource", resourceArn=repo["repositoryArn"])
            yield transform_repository(
                repo,
                ctx.account_id,
                ctx.region,
                policy=policy,
                images=self._images(ctx, ecr, name, reg_id),
                registry_scanning=registry,
                tags=None if tags is None else tags.get("tags"),
            )

    @staticmethod
    def _images(ctx: CollectContext, ecr: Any, name: str, reg_id: str) -> list[dict[str, Any]] | None:
        images = ctx.paginate(ecr, "describe_images", "imageDetails", repositoryName=name, registryId=reg_id)
        if images is None:
            return None
        out = []
        for image in latest_images(images):
            findings = None
            if "imageScanFindingsSummary" not in image:
                findings = ctx.call(
                    ecr,
                    "describe_image_scan_findings",
                    absent={"ScanNotFoundException"},
                    repositoryName=name,
                    registryId=reg_id,
                    imageId={"imageDigest": image["imageDigest"]},
                    maxResults=1,
                )
            out.append(transform_image_findings(image, findings))
        return out
