"""Transforms of the coverage collectors on responses recorded from moto
(tests/fixtures/responses/coverage/capture.py), each followed by the check that reads the result."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secpillar.checks import CheckContext, load_all
from secpillar.collect.acm import transform_certificate
from secpillar.collect.backup import transform_plan, transform_vault
from secpillar.collect.cloudwatch import transform_alarms, transform_log_group, transform_metric_filters
from secpillar.collect.codebuild import transform_project
from secpillar.collect.ec2_images import transform_image, transform_snapshot
from secpillar.collect.ecr_registry import transform_registry
from secpillar.collect.events import transform_rule
from secpillar.collect.identity import transform_identity
from secpillar.collect.inspector import transform_inspector, transform_macie
from secpillar.collect.organizations import transform_delegated_admins
from secpillar.collect.secret_patterns import looks_secret
from secpillar.collect.secretsmanager import transform_secret
from secpillar.collect.securityhub import transform_hub
from secpillar.collect.wafv2 import transform_web_acl
from secpillar.model import Inventory, Resource, account_region_resource

FIX = Path(__file__).parent.parent / "fixtures" / "responses" / "coverage"
ACCT, REGION = "123456789012", "us-east-1"
NOW = datetime(2026, 11, 28, 22, tzinfo=UTC)


def load(name: str) -> Any:
    return json.loads((FIX / f"{name}.json").read_text())


def judge(check_id: str, resource: Resource, *others: Resource) -> list[str]:
    ctx = CheckContext(inventory=Inventory(resources=[resource, *others]), now=NOW)
    return [r.status.value for r in load_all().get(check_id).evaluate(resource, ctx)]


def region(supplementary: dict[str, Any]) -> Resource:
    return account_region_resource(ACCT, "test", REGION, "aws", supplementary)


def test_security_hub_and_services() -> None:
    hub = transform_hub(load("securityhub_describe_hub"), None)
    assert hub is not None and hub["autoEnableControls"] is True and "enabledStandards" not in hub
    assert transform_hub({}, None) is None
    assert judge("aws.securityhub.enabled", region({"SecurityHub": hub})) == ["PASS"]
    assert judge("aws.securityhub.standards-enabled", region({"SecurityHub": hub})) == []
    status = transform_inspector(load("inspector2_batch_get_account_status"), ACCT)
    assert status["resourceState"]["ec2"]["status"] == "ENABLED"
    assert judge("aws.inspector.ec2-scanning", region({"Inspector2": status})) == ["PASS"]
    assert judge("aws.inspector.lambda-scanning", region({"Inspector2": status})) == ["FAIL"]
    assert transform_inspector({"accounts": [], "failedAccounts": []}, ACCT)["state"]["status"] == "DISABLED"
    assert transform_macie(load("macie2_get_macie_session")) == {"status": "ENABLED"}
    assert transform_macie({}) is None


def test_certificate_from_describe_certificate() -> None:
    (summary,) = load("acm_list_certificates")["CertificateSummaryList"]
    cert = transform_certificate(summary, load("acm_describe_certificate"), [], ACCT, REGION)
    assert cert.configuration["keyAlgorithm"] == "RSA_1024"
    assert cert.name == "*.example.org"
    assert judge("aws.acm.certificate-key-strength", cert) == ["FAIL"]
    assert judge("aws.acm.certificate-no-wildcard", cert) == ["FAIL"]
    assert judge("aws.acm.certificate-expiry", cert) == ["FAIL"]  # 40 days from 2026-11-01: 13 left
    summary_only = transform_certificate(summary, None, None, ACCT, REGION)
    assert summary_only.configuration["certificateArn"] == summary["CertificateArn"]


def test_alarms_filters_and_log_groups() -> None:
    alarms = transform_alarms(load("cloudwatch_describe_alarms")["MetricAlarms"])
    assert alarms[0]["alarmActions"] and "comparisonOperator" not in alarms[0]
    filters = transform_metric_filters(load("logs_describe_metric_filters")["metricFilters"])
    assert filters[0]["metricTransformations"] == [{"metricName": "root", "metricNamespace": "CIS"}]
    (raw_group,) = load("logs_describe_log_groups")["logGroups"]
    group = transform_log_group(raw_group, ACCT, REGION)
    assert group.arn == "arn:aws:logs:us-east-1:123456789012:log-group:trail"
    assert "storedBytes" not in group.configuration
    assert judge("aws.logs.retention", group) == ["FAIL"]
    trail = Resource(
        "AWS::CloudTrail::Trail",
        "t",
        "arn:aws:cloudtrail:us-east-1:123456789012:trail/t",
        ACCT,
        REGION,
        configuration={"cloudWatchLogsLogGroupArn": raw_group["arn"], "status": {"isLogging": True}},
    )
    account = Resource("AWS::::Account", ACCT, f"arn:aws:iam::{ACCT}:root", ACCT, "global")
    ar = region({"MetricAlarms": alarms, "LogMetricFilters": filters})
    assert judge("aws.cloudwatch.alarm-root-usage", account, trail, ar) == ["PASS"]
    assert judge("aws.cloudwatch.alarm-vpc-changes", account, trail, ar) == ["FAIL"]


def test_identity_events_backup() -> None:
    ident = transform_identity(
        load("sso_list_instances")["Instances"], load("iam_list_saml_providers")["SAMLProviderList"], []
    )
    assert ident["IdentityCenterInstances"][0]["status"] == "ACTIVE" and ident["IdentityProviders"] == []
    assert "IdentityProviders" not in transform_identity(None, None, [])
    (raw,) = load("events_list_rules")["Rules"]
    rule = transform_rule(raw, load("events_list_targets_by_rule")["Targets"], ACCT, REGION)
    assert rule.configuration["eventPatternParsed"] == {"source": ["aws.guardduty"]}
    assert rule.supplementary["Targets"] == [
        {"id": "q", "arn": "arn:aws:sqs:us-east-1:123456789012:findings"}
    ]
    gd = region({"GuardDutyDetectors": [{"detectorId": "d", "status": "ENABLED"}]})
    assert judge("aws.events.threat-findings-routed", gd, rule) == ["PASS"]
    (vault_raw,) = load("backup_list_backup_vaults")["BackupVaultList"]
    assert judge("aws.backup.vault-lock", transform_vault(vault_raw, ACCT, REGION)) == ["FAIL"]
    (plan_raw,) = load("backup_list_backup_plans")["BackupPlansList"]
    plan = transform_plan(plan_raw, load("backup_get_backup_plan"), ACCT, REGION)
    assert judge("aws.backup.plan-lifecycle", plan) == ["PASS"]


def test_images_snapshots_waf_registry() -> None:
    (img_raw,) = load("ec2_describe_images")["Images"]
    image = transform_image(img_raw, load("ec2_describe_image_attribute"), ACCT, REGION)
    assert image.tags == {"golden": "true"} and image.supplementary["LaunchPermissions"] == [{"group": "all"}]
    assert judge("aws.ec2.image-not-public", image) == ["FAIL"]
    (snap_raw,) = load("ec2_describe_snapshots")["Snapshots"]
    snap = transform_snapshot(snap_raw, load("ec2_describe_snapshot_attribute"), ACCT, REGION)
    assert snap.arn.endswith(f"snapshot/{snap_raw['SnapshotId']}")
    assert judge("aws.ec2.snapshot-not-public", snap) == ["FAIL"]
    assert judge("aws.ec2.snapshot-encrypted", snap) == ["FAIL"]
    acl = transform_web_acl(load("wafv2_get_web_acl")["WebACL"], {}, None, ACCT, REGION)
    assert acl.supplementary == {"LoggingConfiguration": None}
    assert judge("aws.wafv2.webacl-has-rules", acl) == ["FAIL"]
    registry = transform_registry(None, load("ecr_get_registry_scanning_configuration"))
    assert registry == {"EcrRegistryScanning": {"scanType": "ENHANCED", "rules": 1}}


def test_codebuild_project_never_keeps_secret_values() -> None:
    (raw,) = load("codebuild_batch_get_projects")["projects"]
    project = transform_project(raw, ACCT, REGION)
    text = json.dumps(project.to_dict())
    assert "test-token" not in text and "test-only-value" not in text and "bot:" not in text
    assert project.configuration["source"]["locationHasCredentials"] is True
    assert project.configuration["source"]["location"] == "https://bitbucket.org/example/app.git"
    names = {
        v["name"]: v.get("looksSecret") for v in project.configuration["environment"]["environmentVariables"]
    }
    assert names == {"STAGE": False, "GITHUB_TOKEN": True, "DB": None}
    for check in ("aws.codebuild.source-no-credentials", "aws.codebuild.no-secrets-in-environment"):
        assert judge(check, project) == ["FAIL"]


def test_secrets_and_delegated_admins() -> None:
    (raw,) = load("secretsmanager_list_secrets")["SecretList"]
    secret = transform_secret(raw, ACCT, REGION)
    assert "secretVersionsToStages" not in secret.configuration
    assert judge("aws.secretsmanager.rotation-enabled", secret) == ["FAIL"]
    admins = load("organizations_list_delegated_administrators")["DelegatedAdministrators"]
    services = {
        admins[0]["Id"]: load("organizations_list_delegated_services_for_account")["DelegatedServices"]
    }
    out = transform_delegated_admins(admins, services)
    assert out[0]["services"] == ["guardduty.amazonaws.com"]
    assert "services" not in transform_delegated_admins(admins, {})[0]


def test_looks_secret() -> None:
    assert looks_secret("DB_PASSWORD", "correct-horse-battery")
    assert looks_secret("CONFIG", "AKIAABCDEFGHIJKLMNOP")
    assert looks_secret("URL", "postgres://app:pw123@db:5432/x")
    assert not looks_secret("DB_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:1:secret:db-x")
    assert not looks_secret("API_KEY", "")
    assert not looks_secret("TABLE", "orders")
