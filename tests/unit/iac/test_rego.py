"""`secpillar iac --rego DIR`: conftest-style Rego (v1 and pre-1.0 syntax) on a real plan, and the
SARIF of users' rules and muted findings."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from secpillar.checks import load_all
from secpillar.checks.mutelist import parse_mutelist
from secpillar.cli.iac import app
from secpillar.iac import IacOptions, run_iac
from secpillar.report.sarif import sarif_log

TF = Path(__file__).parents[2] / "fixtures" / "terraform"
POLICY, BROKEN = TF / "rego" / "policy", TF / "rego" / "broken"
PLAN = TF / "insecure" / "plan.json"
SCHEMA = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "sarif" / "sarif-2.1.0-subset.schema.json").read_text()
)


def rego_findings(*dirs: Path) -> tuple[dict[tuple[str, str], object], list[str]]:
    result = run_iac(IacOptions(path=str(PLAN), checks=["aws.rds.*"], rego_dirs=[str(d) for d in dirs]))
    found = {(f.check_id, result.address_of(f)): f for f in result.findings if f.check_id.startswith("rego.")}
    return found, result.warnings


def test_rules_of_both_syntaxes_become_findings_with_locations() -> None:
    found, warnings = rego_findings(POLICY)
    # deny (Rego v1, `contains … if`): the 8 resources of the plan have no Owner tag.
    owners = {addr for (check, addr) in found if check == "rego.main.deny"}
    assert len(owners) == 8 and "aws_db_instance.db" in owners
    # violation (pre-1.0 `violation[{...}] { … }`), attributed through its `resource` key.
    v = found[("rego.terraform.rds.violation", "aws_db_instance.db")]
    assert v.severity.value == "high" and v.message == "RDS instance is publicly accessible"  # type: ignore[attr-defined]
    assert v.location["file"].endswith("insecure/main.tf") and v.location["line"] == 27  # type: ignore[attr-defined]
    # warn_* with its own severity; deny over 100 changes did not fire.
    w = found[("rego.main.warn_public_acl", "aws_s3_bucket.data")]
    assert w.severity.value == "medium" and w.status.value == "FAIL"  # type: ignore[attr-defined]
    assert not [k for k in found if k[0] == "rego.terraform.rds.deny"]
    assert warnings == []


def test_a_broken_policy_is_reported_and_the_others_still_run() -> None:
    found, warnings = rego_findings(POLICY, BROKEN)
    assert ("rego.terraform.rds.violation", "aws_db_instance.db") in found
    assert warnings == [
        f"{BROKEN / 'bad.rego'}: Rego does not compile (Invalid assignment operator); skipped"
    ]


def test_cli_rego_sarif_and_muted_suppressions(tmp_path: Path) -> None:
    (tmp_path / "mutelist.yaml").write_text(
        "- check: aws.rds.storage-encrypted\n  reason: test database\n  owner: dba\n  expires: 2999-01-01\n"
    )
    args = [str(PLAN), "--rego", str(POLICY), "--format", "sarif,json", "--out", str(tmp_path)]
    res = CliRunner().invoke(app, [*args, "--mutelist", str(tmp_path / "mutelist.yaml")])
    assert res.exit_code == 0, res.output
    log = json.loads((tmp_path / "secpillar.sarif").read_text())
    jsonschema.validate(log, SCHEMA)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert {"rego.main.deny", "rego.terraform.rds.violation"} <= {r["id"] for r in rules}
    for r in run["results"]:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    muted = [r for r in run["results"] if r.get("suppressions")]
    assert [r["ruleId"] for r in muted] == ["aws.rds.storage-encrypted"]
    assert muted[0]["suppressions"][0]["justification"].startswith("test database (owner dba")
    data = json.loads((tmp_path / "iac-findings.json").read_text())
    assert data["summary"]["MUTED"] == 1


def test_sarif_without_rego_keeps_one_rule_per_check() -> None:
    result = run_iac(IacOptions(path=str(TF / "insecure"), mutelist=parse_mutelist([])))
    log = sarif_log(result.findings, list(load_all()), None, result.addresses)
    assert len(log["runs"][0]["tool"]["driver"]["rules"]) == len(list(load_all()))
