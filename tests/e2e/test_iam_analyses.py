"""The IAM analyses end to end: seed the sandbox and scan it (`secpillar demo`), then run `secpillar iam
escalation`, `who-can`, `simulate --inventory` and `least-privilege` on the scan's inventory.json; every
escalation path planted by the escalation seeder is found on its principal and explained."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.cli_process import run_cli

pytestmark = pytest.mark.e2e
CHECK = "aws.iam.privilege-escalation-path"


@pytest.fixture(scope="module")
def scanned(demo_out: dict[str, Any]) -> dict[str, Any]:
    out = demo_out["out"]
    assert demo_out["rc"] == 0, demo_out["stderr"][-3000:]
    manifest = json.loads((out / "sandbox-manifest.json").read_text())
    return {"inventory": str(out / "inventory.json"), "manifest": manifest, "accounts": manifest["accounts"]}


def test_escalation_finds_every_planted_path(scanned: dict[str, Any]) -> None:
    proc = run_cli("iam", "escalation", "--inventory", scanned["inventory"], "--format", "json")
    assert proc.returncode == 0, proc.stderr
    graph = json.loads(proc.stdout)
    paths = {p["principal"]: p for p in graph["paths"]}
    planted = [f for f in scanned["manifest"]["flaws"] if f["check_id"] == CHECK]
    assert len(planted) >= 3
    for flaw in planted:
        assert flaw["arn"] in paths, f"no path for {flaw['arn']}"
        assert "can become an administrator" in paths[flaw["arn"]]["explanation"]
    methods = {m for p in paths.values() for m in p["methods"]}
    assert {"iam:CreatePolicyVersion", "iam:AttachUserPolicy", "passrole-lambda", "sts:AssumeRole"} <= methods
    clean = {c["arn"] for c in scanned["manifest"]["clean"]}
    assert not clean & set(paths), "a clean principal has an escalation path"
    ids = {n["id"] for n in graph["nodes"]}
    assert all(e["from"] in ids and e["to"] in ids for e in graph["edges"])


def test_escalation_console_explains(scanned: dict[str, Any]) -> None:
    proc = run_cli("iam", "escalation", "--inventory", scanned["inventory"])
    assert proc.returncode == 0, proc.stderr
    text = " ".join(proc.stdout.split())
    assert "can escalate to administrator" in text
    assert "mallory" in text and "iam:AttachUserPolicy" in text


def test_who_can_shows_the_cross_account_chain(scanned: dict[str, Any]) -> None:
    prod = scanned["accounts"]["PROD"]
    test = scanned["accounts"]["TEST"]
    obj = f"arn:aws:s3:::prod-app-data-{prod}/report.csv"
    proc = run_cli(
        "iam", "who-can", "s3:GetObject", obj, "--inventory", scanned["inventory"], "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr
    by = {p["principal"]: p for p in json.loads(proc.stdout)["principals"]}
    low = by[f"arn:aws:iam::{test}:role/support-low"]
    assert [s["to"] for s in low["path"]] == [f"arn:aws:iam::{prod}:role/ops-admin"]
    assert "role assumption" in low["explanation"]
    assert by[f"arn:aws:iam::{prod}:role/ops-admin"]["direct"] is True
    assert f"arn:aws:iam::{prod}:role/reporting" not in by


def test_simulate_with_the_inventory_explains(scanned: dict[str, Any]) -> None:
    prod = scanned["accounts"]["PROD"]
    proc = run_cli(
        "iam",
        "simulate",
        "--inventory",
        scanned["inventory"],
        "--principal",
        f"arn:aws:iam::{prod}:role/CrossAccountAdmin",
        "--action",
        "cloudtrail:StopLogging",
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)
    assert answer["decision"] == "explicitDeny"
    assert "Guardrails" in answer["explanation"]


def test_least_privilege_of_a_planted_principal(scanned: dict[str, Any]) -> None:
    mgmt = scanned["accounts"]["MGMT"]
    proc = run_cli(
        "iam",
        "least-privilege",
        f"arn:aws:iam::{mgmt}:user/erin",
        "--inventory",
        scanned["inventory"],
        "--format",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    lp = json.loads(proc.stdout)
    assert "iam:CreatePolicyVersion" in lp["permissionsManagement"]
    assert lp["credentialExposure"] == ["ec2:GetPasswordData"]
    assert any("ec2:*" in w["actions"] for w in lp["wildcardGrants"])


def test_unknown_principal_is_a_clear_error(scanned: dict[str, Any]) -> None:
    proc = run_cli(
        "iam", "least-privilege", "arn:aws:iam::000000000000:user/ghost", "--inventory", scanned["inventory"]
    )
    assert proc.returncode == 2
    assert "not a user or role" in proc.stderr
    missing = Path(scanned["inventory"]).with_name("nope.json")
    proc = run_cli("iam", "escalation", "--inventory", str(missing))
    assert proc.returncode == 2 and "cannot read" in proc.stderr
