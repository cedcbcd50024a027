"""`secpillar iam exposure` end to end: seed the sandbox organization with the sharing seeder, scan it
(the collectors write inventory.json), then run the command: every resource the seeder shared outside the
organization is found, explained and refuted by the solver with a counter-example; the queue shared
only inside the organization is not listed, and the solver proves it closed. The posture check fails on
exactly the planted resources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from tests.cli_process import run_cli

from secpillar.cli.common import write_outputs
from secpillar.sandbox.seed import SeedOrg, create_organization, seed_random
from secpillar.sandbox.seeders import sharing
from secpillar.sandbox.server import SandboxProcess
from secpillar.scan import ScanOptions, run_scan

pytestmark = pytest.mark.e2e
CHECK = sharing.CHECK


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    out = tmp_path_factory.mktemp("exposure")
    with SandboxProcess() as sandbox:
        seed_random(sandbox.url)
        org = SeedOrg(sandbox.url)
        create_organization(org)
        sharing.seed(org)
        result = run_scan(
            ScanOptions(endpoint_url=sandbox.url, use_org=True, regions=["us-east-1"], checks=[CHECK])
        )
    write_outputs(out, ["json"], result.findings, result.inventory, {})
    yield {"inventory": str(out / "inventory.json"), "manifest": org.manifest, "findings": result.findings}


def test_exposure_finds_exactly_the_planted_resources(scanned: dict[str, Any]) -> None:
    proc = run_cli("iam", "exposure", "--inventory", scanned["inventory"], "--prove", "--format", "json")
    assert proc.returncode == 0, proc.stderr[-3000:]
    data = json.loads(proc.stdout)
    planted = {f.arn for f in scanned["manifest"].flaws if f.check_id == CHECK}
    clean = {c.arn for c in scanned["manifest"].clean}
    found = {e["arn"]: e for e in data["exposures"]}
    assert len(planted) == 5 and planted <= set(found)
    assert not clean & set(found)
    assert set(found) == planted, "only the planted resources are exposed (the sharing seeder ran alone)"
    for arn in planted:
        e = found[arn]
        assert "lets principals outside the organization in" in e["explanation"]
        granted = {g["actions"][0] for g in e["grants"]}
        refuted = [p for p in e["proofs"] if p["action"] in granted]
        assert refuted and all(p["verdict"] == "refuted" and p["evaluatorAllows"] for p in refuted), e[
            "proofs"
        ]
    queue = next(a for a in planted if "test-partner-intake" in a)
    assert found[queue]["grants"][0]["label"] == "anyone, anonymous users included"
    assert "with no condition" in found[queue]["explanation"]
    key = next(a for a in planted if ":key/" in a)
    assert "account 444455556666 can Write: kms:Decrypt" in found[key]["explanation"]
    for arn in clean:
        verdicts = data["proofs"].get(arn)
        assert verdicts and all(v["verdict"] == "proved" for v in verdicts), (arn, verdicts)


def test_console_output_explains(scanned: dict[str, Any]) -> None:
    proc = run_cli("iam", "exposure", "--inventory", scanned["inventory"])
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = " ".join(proc.stdout.split())
    assert "resource policies let principals outside the organization in" in text
    assert "account 444455556666 can Read: secretsmanager:GetSecretValue" in text


def test_the_check_fails_on_the_planted_resources_only(scanned: dict[str, Any]) -> None:
    planted = {f.arn for f in scanned["manifest"].flaws if f.check_id == CHECK}
    mine = [f for f in scanned["findings"] if f.check_id == CHECK]
    failing = {f.resource.arn for f in mine if f.status.value == "FAIL"}
    assert failing == planted
    passing = {f.resource.arn for f in mine if f.status.value == "PASS"}
    assert {c.arn for c in scanned["manifest"].clean} <= passing
