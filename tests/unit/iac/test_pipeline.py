"""Terraform readers, unknown handling, the plan/HCL agreement, SARIF and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from secpillar.checks import load_all
from secpillar.cli.iac import app
from secpillar.errors import UsageError, ValidationError
from secpillar.iac import IacOptions, run_iac
from secpillar.report.sarif import sarif_log
from secpillar.sources.terraform.expr import UNKNOWN, Scope, evaluate_value
from secpillar.sources.terraform.hcl import load_folder
from secpillar.sources.terraform.plan import load_plan

TF = Path(__file__).parents[2] / "fixtures" / "terraform"
SCHEMA = json.loads(
    (Path(__file__).parents[2] / "fixtures" / "sarif" / "sarif-2.1.0-subset.schema.json").read_text()
)


def statuses(path: str, **kw: object) -> set[tuple[str, str, str]]:
    result = run_iac(IacOptions(path=path, **kw))  # type: ignore[arg-type]
    return {(f.check_id, f.resource.name, f.status.value) for f in result.findings}


@pytest.mark.parametrize("module", ["insecure", "secure", "plans/clusters_templates"])
def test_plan_and_hcl_agree_where_the_plan_knows(module: str) -> None:
    """Real plans (terraform 1.11.4, aws 5.100.0): whatever the plan decides, HCL decides alike."""
    hcl = statuses(str(TF / module))
    plan = statuses(str(TF / module / "plan.json"))
    assert plan and plan <= hcl


def test_plan_of_clusters_and_launch_templates() -> None:
    """DB clusters, an Aurora instance (its cluster's encryption) and launch templates, from a real plan."""
    got = statuses(
        str(TF / "plans" / "clusters_templates" / "plan.json"),
        checks=["aws.rds.storage-encrypted", "aws.rds.not-publicly-accessible", "aws.ec2.imdsv2-required"],
    )
    assert got == {
        ("aws.rds.storage-encrypted", "orders", "FAIL"),
        ("aws.rds.storage-encrypted", "orders-1", "FAIL"),
        ("aws.rds.storage-encrypted", "billing", "PASS"),
        ("aws.rds.not-publicly-accessible", "orders-1", "FAIL"),
        ("aws.ec2.imdsv2-required", "legacy", "FAIL"),
        ("aws.ec2.imdsv2-required", "web", "PASS"),
    }


def test_insecure_module_fails_each_family_with_locations() -> None:
    result = run_iac(IacOptions(path=str(TF / "insecure")))
    failed = {f.check_id for f in result.findings if f.failed}
    for check in (
        "aws.s3.bucket-acl-not-public",
        "aws.ec2.sg-admin-ports-ipv4",
        "aws.rds.storage-encrypted",
        "aws.rds.not-publicly-accessible",
        "aws.kms.key-rotation-enabled",
        "aws.cloudtrail.multi-region",
        "aws.ec2.imdsv2-required",
        "aws.ecr.scan-on-push",
        "aws.ec2.ebs-volume-encrypted",
    ):
        assert check in failed
    sg = next(f for f in result.findings if f.check_id == "aws.ec2.sg-admin-ports-ipv4")
    assert sg.source == "iac"
    assert sg.location is not None and sg.location["file"].endswith("main.tf") and sg.location["line"] == 17
    assert result.address_of(sg) == "aws_security_group.ssh"


def test_secure_module_has_no_fail() -> None:
    result = run_iac(IacOptions(path=str(TF / "secure")))
    assert [f.check_id for f in result.findings if f.failed] == []
    assert len([f for f in result.findings if f.status.value == "PASS"]) >= 30


def test_modules_for_each_count_and_locals_resolve() -> None:
    config = load_folder(TF / "secure")
    addresses = {r.address for r in config.resources}
    assert 'module.bucket["orders"].aws_s3_bucket.this' in addresses
    assert "aws_subnet.db[1]" in addresses
    assert config.region == "eu-west-1"
    bucket = next(r for r in config.resources if r.address == 'module.bucket["orders"].aws_s3_bucket.this')
    assert bucket.values["bucket"] == "acme-orders"
    assert bucket.values["tags"] == {"DataClassification": "Internal"}


def test_unknown_value_gives_no_fail_and_no_pass(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'variable "encrypted" {}\n'
        'resource "aws_db_instance" "d" {\n'
        '  identifier = "orders"\n'
        "  storage_encrypted = var.encrypted\n"
        "}\n"
    )
    result = run_iac(IacOptions(path=str(tmp_path), checks=["aws.rds.storage-encrypted"]))
    assert result.findings == []
    assert [(u.check_id, u.address) for u in result.unknown] == [
        ("aws.rds.storage-encrypted", "aws_db_instance.d")
    ]
    assert "configuration.storageEncrypted" in result.unknown[0].attributes
    (tmp_path / "terraform.tfvars").write_text("encrypted = false\n")
    assert statuses(str(tmp_path), checks=["aws.rds.storage-encrypted"]) == {
        ("aws.rds.storage-encrypted", "orders", "FAIL")
    }


def test_unknown_cidr_leaves_the_group_undecided(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(
        'resource "aws_security_group" "g" {\n'
        '  name = "g"\n'
        "  ingress {\n"
        '    from_port = 22\n    to_port = 22\n    protocol = "tcp"\n'
        "    cidr_blocks = [aws_vpc.v.cidr_block]\n"
        "  }\n}\n"
    )
    result = run_iac(IacOptions(path=str(tmp_path), checks=["aws.ec2.sg-admin-ports-ipv4"]))
    assert result.findings == [] and len(result.unknown) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"a-${1 + 2}"', "a-3"),
        ('${true ? "x" : "y"}', "x"),
        ('${jsonencode({A = [1, "b"]})}', '{"A":[1,"b"]}'),
        ("${merge({a = 1}, {b = 2})}", {"a": 1, "b": 2}),
        ('${[for s in ["a", "b"] : upper(s)]}', ["A", "B"]),
        ("${{for k, v in {a = 1} : k => v * 2}}", {"a": 2}),
        ('${lookup({a = 1}, "b", 5)}', 5),
        ("${var.x}", UNKNOWN),
        ("${var.x == null ? 1 : 1}", 1),
        ('${format("%s-%d", "a", 3)}', "a-3"),
        ("${length(concat([1], [2, 3]))}", 3),
    ],
)
def test_expressions(text: str, expected: object) -> None:
    scope = Scope(lambda name: {"x": UNKNOWN} if name == "var" else UNKNOWN)
    value = evaluate_value(text, scope)
    assert value is UNKNOWN if expected is UNKNOWN else value == expected


def test_bad_inputs(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        run_iac(IacOptions(path=str(tmp_path / "missing")))
    with pytest.raises(UsageError):
        run_iac(IacOptions(path=str(tmp_path)))
    (tmp_path / "x.json").write_text("{}")
    with pytest.raises(ValidationError):
        load_plan(tmp_path / "x.json")
    (tmp_path / "main.tf").write_text('resource "aws_s3_bucket" "b" {')
    with pytest.raises(ValidationError):
        load_folder(tmp_path)


def test_sarif_is_valid_and_has_rules_and_locations() -> None:
    result = run_iac(IacOptions(path=str(TF / "insecure")))
    checks = list(load_all())
    log = sarif_log(result.findings, checks, str(TF.parent.parent.parent), result.addresses)
    jsonschema.validate(log, SCHEMA)
    run = log["runs"][0]
    assert len(run["tool"]["driver"]["rules"]) == len(checks)
    assert len(run["results"]) == sum(1 for f in result.findings if f.failed)
    first = run["results"][0]
    assert run["tool"]["driver"]["rules"][first["ruleIndex"]]["id"] == first["ruleId"]
    loc = first["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"].startswith("tests/fixtures/terraform/insecure/")
    assert loc["region"]["startLine"] >= 1
    assert first["level"] in ("error", "warning", "note")
    rule = run["tool"]["driver"]["rules"][0]
    assert rule["help"]["text"] and "security-severity" in rule["properties"]


def test_cli_formats_and_fail_on(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(
        app, [str(TF / "insecure"), "--format", "json,sarif", "--out", str(tmp_path), "--fail-on", "high"]
    )
    assert res.exit_code == 3, res.output
    data = json.loads((tmp_path / "iac-findings.json").read_text())
    assert data["findings"] and data["findings"][0]["status"] == "FAIL" and data["findings"][0]["address"]
    jsonschema.validate(json.loads((tmp_path / "secpillar.sarif").read_text()), SCHEMA)
    res = runner.invoke(app, [str(TF / "secure"), "--fail-on", "low"])
    assert res.exit_code == 0, res.output
    assert "0 FAIL" in res.output
    res = runner.invoke(app, [str(TF / "insecure" / "plan.json"), "--checks", "rds", "--format", "console"])
    assert res.exit_code == 0 and "2 FAIL" in res.output
    res = runner.invoke(app, [str(TF / "insecure"), "--format", "xml"])
    assert res.exit_code == 2
