"""ECR transforms on responses recorded from moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.ecr import latest_images, parse_policy, transform_image_findings, transform_repository

FIX = Path(__file__).parent.parent / "fixtures" / "responses" / "ecr"


def load(name: str) -> Any:
    return json.loads((FIX / f"{name}.json").read_text())


def repos() -> dict[str, dict[str, Any]]:
    return {r["repositoryName"]: r for r in load("describe_repositories")["repositories"]}


def images() -> dict[str, dict[str, Any]]:
    return {i["imageTags"][0]: i for i in load("describe_images")["imageDetails"]}


def test_repository_with_policy_findings_and_registry_config() -> None:
    repo = repos()["test/web"]
    found = [
        transform_image_findings(images()["v1"], load("describe_image_scan_findings_high")),
        transform_image_findings(images()["v2"], load("describe_image_scan_findings_critical")),
    ]
    r = transform_repository(
        repo,
        "123456789012",
        "us-east-1",
        policy=load("get_repository_policy"),
        images=found,
        registry_scanning=load("get_registry_scanning_configuration"),
        tags=[],
    )
    assert r.resource_type == "AWS::ECR::Repository"
    assert r.arn == "arn:aws:ecr:us-east-1:123456789012:repository/test/web"
    assert r.resource_id == r.name == "test/web"
    assert r.configuration["imageScanningConfiguration"] == {"scanOnPush": False}
    assert r.configuration["imageTagMutability"] == "MUTABLE"
    assert r.configuration["encryptionConfiguration"]["encryptionType"] == "AES256"
    assert r.supplementary["RepositoryPolicy"]["Statement"][0]["Sid"] == "pull"
    assert r.supplementary["RegistryScanningConfiguration"] == {"rules": [], "scanType": "BASIC"}
    counts = [i["findingSeverityCounts"] for i in r.supplementary["ImageScanFindings"]]
    assert counts == [{"HIGH": 1}, {"CRITICAL": 1, "HIGH": 2}]
    assert r.supplementary["ImageScanFindings"][1]["imageTags"] == ["v2"]
    json.dumps(r.to_dict())


def test_repository_without_policy_and_unknown_parts() -> None:
    r = transform_repository(
        repos()["prod/web"],
        "123456789012",
        "us-east-1",
        policy={},
        images=None,
        registry_scanning=None,
        tags=load("list_tags_for_resource")["tags"],
    )
    assert r.supplementary == {"RepositoryPolicy": None}
    assert r.configuration["imageTagMutability"] == "IMMUTABLE"
    assert r.tags == {"env": "prod"}
    r = transform_repository(
        repos()["prod/web"], "1", "us-east-1", policy=None, images=[], registry_scanning=None
    )
    assert r.supplementary == {"ImageScanFindings": []}


def test_image_scan_states() -> None:
    image = images()["v1"]
    assert transform_image_findings(image, {})["scanStatus"] == "NOT_SCANNED"
    assert "findingSeverityCounts" not in transform_image_findings(image, {})
    unknown = transform_image_findings(image, None)
    assert "findingSeverityCounts" not in unknown and "scanStatus" not in unknown
    in_progress = {"imageScanStatus": {"status": "IN_PROGRESS"}}
    assert "findingSeverityCounts" not in transform_image_findings(image, in_progress)
    # Real AWS puts a summary in describe_images: it wins and no extra call is needed.
    summarized = dict(
        image,
        imageScanStatus={"status": "COMPLETE"},
        imageScanFindingsSummary={"findingSeverityCounts": {"CRITICAL": 3}},
    )
    assert transform_image_findings(summarized, None)["findingSeverityCounts"] == {"CRITICAL": 3}


def test_latest_images_and_policy_parsing() -> None:
    many = [
        {"imageDigest": f"sha256:{i}", "imagePushedAt": f"2026-01-{i:02d}T00:00:00+00:00"}
        for i in range(1, 26)
    ]
    latest = latest_images(many)
    assert (
        len(latest) == 20
        and latest[0]["imageDigest"] == "sha256:25"
        and latest[-1]["imageDigest"] == "sha256:6"
    )
    assert parse_policy(None) == (None, None)
    assert parse_policy("[1]")[1] == "policy is not a JSON object"
    assert parse_policy("{nope")[1].startswith("unparsable policy")
