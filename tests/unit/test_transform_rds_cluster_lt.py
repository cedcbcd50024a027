"""DB clusters and launch templates: transforms on responses recorded from moto
(tests/fixtures/responses/{rds/describe_db_clusters.json, ec2/describe_launch_template*.json}),
each followed by the check that reads them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.checks import CheckContext, load_all
from secpillar.collect.ec2_templates import LAUNCH_TEMPLATE, transform_launch_template
from secpillar.collect.rds import DB_CLUSTER, transform_db_cluster
from secpillar.model import Inventory, Resource

RESPONSES = Path(__file__).parent.parent / "fixtures" / "responses"


def statuses(check_id: str, resources: list[Resource]) -> dict[str, str]:
    check = load_all().get(check_id)
    ctx = CheckContext(inventory=Inventory(resources=resources))
    return {r.name: res.status.value for r in resources for res in check.evaluate(r, ctx)}


def clusters() -> list[Resource]:
    data = json.loads((RESPONSES / "rds" / "describe_db_clusters.json").read_text())
    return [transform_db_cluster(c, "123456789012", "us-east-1") for c in data["DBClusters"]]


def test_db_cluster_shape() -> None:
    by_name = {r.name: r for r in clusters()}
    r = by_name["orders-aurora"]
    assert r.resource_type == DB_CLUSTER
    assert r.arn == "arn:aws:rds:us-east-1:123456789012:cluster:orders-aurora"
    assert r.configuration["storageEncrypted"] is False
    assert r.configuration["engine"] == "aurora-postgresql"
    assert r.tags == {"Environment": "PROD"}
    # Aurora: public accessibility is the instances' setting; a Multi-AZ DB cluster keeps its own.
    assert "publiclyAccessible" not in r.configuration
    assert by_name["reports-maz"].configuration["publiclyAccessible"] is True


def test_cluster_checks() -> None:
    assert statuses("aws.rds.storage-encrypted", clusters()) == {
        "orders-aurora": "FAIL",
        "billing-aurora": "PASS",
        "reports-maz": "PASS",
    }
    assert statuses("aws.rds.not-publicly-accessible", clusters()) == {"reports-maz": "FAIL"}


def templates() -> list[Resource]:
    listed = json.loads((RESPONSES / "ec2" / "describe_launch_templates.json").read_text())
    versions: dict[str, Any] = json.loads(
        (RESPONSES / "ec2" / "describe_launch_template_versions_default.json").read_text()
    )
    out = []
    for t in listed["LaunchTemplates"]:
        default = versions[t["LaunchTemplateId"]]["LaunchTemplateVersions"][0]
        out.append(transform_launch_template(t, default, "123456789012", "us-east-1"))
    return out


def test_launch_template_shape_uses_the_default_version() -> None:
    by_name = {r.name: r for r in templates()}
    v2 = by_name["web-v2"]
    assert v2.resource_type == LAUNCH_TEMPLATE
    assert v2.arn == f"arn:aws:ec2:us-east-1:123456789012:launch-template/{v2.resource_id}"
    assert v2.configuration["defaultVersionNumber"] == 2
    # Version 1 said optional; the default (2) requires tokens.
    assert v2.configuration["launchTemplateData"]["metadataOptions"]["httpTokens"] == "required"
    assert by_name["web-v1"].tags == {"Team": "web"}
    assert "metadataOptions" not in by_name["web-v1"].configuration["launchTemplateData"]


def test_imdsv2_on_templates_and_unknown_version() -> None:
    assert statuses("aws.ec2.imdsv2-required", templates()) == {"web-v1": "FAIL", "web-v2": "PASS"}
    listed = json.loads((RESPONSES / "ec2" / "describe_launch_templates.json").read_text())
    unread = transform_launch_template(listed["LaunchTemplates"][0], None, "123456789012", "us-east-1")
    assert "launchTemplateData" not in unread.configuration
    assert statuses("aws.ec2.imdsv2-required", [unread]) == {}
