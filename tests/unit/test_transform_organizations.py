"""Organizations transforms on responses recorded from moto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.organizations import transform_ou, transform_policy
from secpillar.model import GLOBAL

RESP = Path(__file__).parent.parent / "fixtures" / "responses" / "organizations"
MGMT = "123456789012"


def load(name: str) -> Any:
    return json.loads((RESP / f"{name}.json").read_text())


def test_scp_with_content_and_targets() -> None:
    desc = load("describe_policy_guardrails")["Policy"]
    targets = load("list_targets_for_policy_guardrails")["Targets"]
    r = transform_policy(desc["PolicySummary"], desc["Content"], targets, MGMT)
    assert r.resource_type == "AWS::Organizations::Policy" and r.region == GLOBAL and r.account_id == MGMT
    assert r.arn == desc["PolicySummary"]["Arn"] and r.name == "Guardrails"
    cfg = r.configuration
    assert cfg["type"] == "SERVICE_CONTROL_POLICY"
    assert cfg["policySummary"]["awsManaged"] is False and cfg["policySummary"]["name"] == "Guardrails"
    assert [s["Sid"] for s in cfg["content"]["Statement"]] == ["DenyLeave", "ProtectAudit"]
    assert sorted(t["name"] for t in cfg["targets"]) == ["Prod", "Security"]
    assert all(t["type"] == "ORGANIZATIONAL_UNIT" for t in cfg["targets"])


def test_full_aws_access_targets_everything() -> None:
    desc = load("describe_policy_fullawsaccess")["Policy"]
    r = transform_policy(
        desc["PolicySummary"], desc["Content"], load("list_targets_for_policy_fullawsaccess")["Targets"], MGMT
    )
    assert r.configuration["policySummary"]["awsManaged"] is True
    assert {t["type"] for t in r.configuration["targets"]} == {"ROOT", "ORGANIZATIONAL_UNIT", "ACCOUNT"}


def test_unreadable_content_and_targets() -> None:
    summary = load("list_policies_scp")["Policies"][0]
    r = transform_policy(summary, None, None, MGMT)
    assert r.configuration["content"] is None and r.configuration["contentError"]
    assert "targets" not in r.configuration
    bad = transform_policy(summary, "{not json", [], MGMT)
    assert bad.configuration["content"] is None and "not valid JSON" in bad.configuration["contentError"]


def test_tag_policies_none_listed() -> None:
    assert load("list_policies_tag")["Policies"] == []


def test_ous_with_paths() -> None:
    root = load("list_roots")["Roots"][0]["Id"]
    top = load("list_organizational_units_for_parent_root")["OrganizationalUnits"]
    workloads = next(o for o in top if o["Name"] == "Workloads")
    r = transform_ou(workloads, [root], MGMT)
    assert r.resource_type == "AWS::Organizations::OrganizationalUnit" and r.name == "Workloads"
    assert r.configuration["parentId"] == root
    child = load("list_organizational_units_for_parent_workloads")["OrganizationalUnits"][0]
    c = transform_ou(child, [root, workloads["Id"]], MGMT)
    assert c.configuration["parentIds"] == [root, workloads["Id"]]
