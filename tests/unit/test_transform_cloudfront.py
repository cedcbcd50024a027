"""CloudFront transforms on responses recorded from moto (tests/fixtures/responses/cloudfront)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.cloudfront import transform_distribution
from secpillar.model import GLOBAL

RESPONSES = Path(__file__).parent.parent / "fixtures" / "responses" / "cloudfront"


def load(name: str) -> Any:
    return json.loads((RESPONSES / name).read_text())


def summaries() -> list[dict[str, Any]]:
    return list(load("list_distributions.json")["DistributionList"]["Items"])


def test_distribution_summary() -> None:
    s = summaries()[0]
    tags = load("list_tags_for_resource.json")["Tags"]["Items"]
    r = transform_distribution(s, "123456789012", tags)
    assert r.resource_type == "AWS::CloudFront::Distribution"
    assert r.arn == s["ARN"] and r.resource_id == s["Id"]
    assert r.region == GLOBAL and r.account_id == "123456789012"
    assert r.name == s["DomainName"]
    cfg = r.configuration
    assert cfg["id"] == s["Id"] and cfg["domainName"] == s["DomainName"]
    dc = cfg["distributionConfig"]
    origin = dc["origins"]["items"][0]
    assert origin["domainName"] == "fixture-bare.s3.us-east-1.amazonaws.com"
    assert dc["defaultCacheBehavior"]["viewerProtocolPolicy"] == "allow-all"
    assert dc["viewerCertificate"]["cloudFrontDefaultCertificate"] is True
    assert "ARN" not in dc and "arn" not in dc
    assert r.tags == {} and r.supplementary == {}


def test_custom_origin_and_unknown_tags() -> None:
    s = summaries()[1]
    r = transform_distribution(s, "123456789012", None)
    origin = r.configuration["distributionConfig"]["origins"]["items"][0]
    assert origin["customOriginConfig"]["originProtocolPolicy"] == "http-only"
    assert r.supplementary == {"TagsUnknown": True}


def test_get_distribution_shape_and_alias_name() -> None:
    s = summaries()[0]
    settings = {k: v for k, v in s.items() if k not in ("Id", "ARN", "DomainName", "Status")}
    settings["Aliases"] = {"Quantity": 1, "Items": ["www.example.org"]}
    full = {"Id": s["Id"], "ARN": s["ARN"], "DomainName": s["DomainName"], "DistributionConfig": settings}
    r = transform_distribution(full, "123456789012", [{"Key": "team", "Value": "web"}])
    assert r.name == "www.example.org"
    assert r.configuration["distributionConfig"]["aliases"]["items"] == ["www.example.org"]
    assert r.tags == {"team": "web"}
