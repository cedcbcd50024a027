"""The coverage collectors against a moto server: services the emulator does not offer become gaps
quickly (no crash, no key left behind), the others fill their keys; the Access Analyzer gap keeps
the dependent checks silent; a WAF gap keeps aws.elb.waf-attached silent."""

from __future__ import annotations

import time
from typing import Any

from secpillar.aws.session import ClientFactory, base_session
from secpillar.checks import CheckContext, load_all
from secpillar.collect import load_all as load_collectors
from secpillar.collect.base import CollectContext, GapSink
from secpillar.model import Gap, GapKind, Inventory, Resource

ACCT = "123456789012"
COVERAGE_COLLECTORS = (
    "securityhub",
    "accessanalyzer",
    "acm",
    "iam-server-certificates",
    "cloudwatch",
    "identity",
    "inspector2",
    "macie2",
    "events",
    "backup",
    "ssm",
    "ec2-images",
    "wafv2",
    "codebuild",
    "fis",
    "lambda",
    "secretsmanager",
    "ecr-registry",
    "organizations-delegated",
)


def _collect(endpoint: str, cid: str) -> tuple[list[Resource], list[Gap], float]:
    clients = ClientFactory(base_session(endpoint_url=endpoint), endpoint_url=endpoint)
    sink = GapSink()
    ctx = CollectContext(ACCT, "test", "us-east-1", clients, sink)
    t0 = time.monotonic()
    resources = list(load_collectors().get(cid).collect(ctx))
    return resources, sink.gaps, time.monotonic() - t0


def test_every_coverage_collector_runs_on_an_empty_account(moto_endpoint: str) -> None:
    for cid in COVERAGE_COLLECTORS:
        resources, gaps, seconds = _collect(moto_endpoint, cid)
        assert seconds < 5, f"{cid} took {seconds:.1f}s"
        for gap in gaps:
            assert gap.kind in {GapKind.UNSUPPORTED, GapKind.NOT_ENABLED, GapKind.NOT_FOUND}, (cid, gap)
    _, gaps, _ = _collect(moto_endpoint, "accessanalyzer")
    assert [g.operation for g in gaps] == ["list_analyzers"]
    resources, gaps, _ = _collect(moto_endpoint, "ssm")
    assert [g.operation for g in gaps] == ["describe_instance_information"]
    (ar,) = resources
    assert "SsmManagedInstances" not in ar.supplementary and ar.supplementary["SsmAutomationDocuments"] == []
    (hub,) = _collect(moto_endpoint, "securityhub")[0]
    assert hub.supplementary == {"SecurityHub": None}  # not subscribed: a state, judged FAIL


def test_security_hub_and_secrets_seen_after_enabling(moto_endpoint: str, aws_client: Any) -> None:
    aws_client("securityhub").enable_security_hub()
    aws_client("secretsmanager").create_secret(Name="app/db", SecretString='{"password": "test-only"}')
    (hub,) = _collect(moto_endpoint, "securityhub")[0]
    assert hub.supplementary["SecurityHub"]["hubArn"].endswith(":hub/default")
    (secret,) = _collect(moto_endpoint, "secretsmanager")[0]
    assert "test-only" not in str(secret.to_dict())
    statuses = [
        r.status.value
        for r in load_all()
        .get("aws.secretsmanager.rotation-enabled")
        .evaluate(secret, CheckContext(Inventory([secret])))
    ]
    assert statuses == ["FAIL"]


def test_unknown_stays_silent() -> None:
    """Access Analyzer's key is absent after its gap: no FAIL. A WAF gap in the load balancer's
    account and region: no FAIL for a load balancer nobody could check."""
    registry = load_all()
    region = Resource(
        "AWS::::AccountRegion", f"{ACCT}/us-east-1", "arn:aws::us-east-1:x:account", ACCT, "us-east-1"
    )
    ctx = CheckContext(Inventory([region]))
    assert list(registry.get("aws.accessanalyzer.enabled").evaluate(region, ctx)) == []
    lb = Resource(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "app/web/1",
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1",
        ACCT,
        "us-east-1",
        configuration={"type": "application", "scheme": "internet-facing"},
    )
    gap = Gap(GapKind.UNSUPPORTED, ACCT, "us-east-1", "wafv2", "list_web_acls", "not offered")
    check = registry.get("aws.elb.waf-attached")
    assert list(check.evaluate(lb, CheckContext(Inventory([lb], gaps=[gap])))) == []
    assert [r.status.value for r in check.evaluate(lb, CheckContext(Inventory([lb])))] == ["FAIL"]
