"""The ``secpillar iam`` commands (on their own typer app) and the action catalogue."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from secpillar.cli.iam import app
from secpillar.iam import parse_policy
from secpillar.iam.catalogue import action_info, by_access_level, check_action, expand, lint_policy

runner = CliRunner()
FIXTURES = Path(__file__).parents[2] / "fixtures" / "iam"
USER = "arn:aws:iam::111111111111:user/alice"


def test_simulate_cases_writes_one_line_per_case() -> None:
    path = FIXTURES / "organizations.jsonl"
    cases = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    result = runner.invoke(app, ["simulate", "--cases", str(path)])
    assert result.exit_code == 0, result.output
    answers = [json.loads(x) for x in result.output.splitlines()]
    assert len(answers) == len(cases)
    assert [a["decision"] for a in answers] == [c["expect"] for c in cases]
    assert all(set(a) == {"decision", "reasons"} for a in answers)


def test_simulate_single_request(tmp_path: Path) -> None:
    pol = tmp_path / "p.json"
    pol.write_text(
        json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "s3:Get*",
                        "Resource": "*",
                        "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                    }
                ],
            }
        )
    )
    scp = tmp_path / "scp.json"
    scp.write_text(json.dumps({"Statement": {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}}))
    base = [
        "simulate",
        "--principal",
        USER,
        "--action",
        "s3:GetObject",
        "--resource",
        "arn:aws:s3:::b/k",
        "--policy",
        str(pol),
    ]
    ok = runner.invoke(app, [*base, "--context", "aws:SourceIp=10.1.1.1"])
    assert json.loads(ok.output)["decision"] == "allowed"
    no = runner.invoke(app, [*base, "--context", "aws:SourceIp=11.1.1.1"])
    assert json.loads(no.output) == {
        "decision": "implicitDeny",
        "reasons": [{"effect": "ImplicitDeny", "policyType": "identity"}],
    }
    denied = runner.invoke(app, [*base, "--context", "aws:SourceIp=10.1.1.1", "--scp", str(scp)])
    assert json.loads(denied.output)["decision"] == "explicitDeny"
    text = runner.invoke(app, [*base, "--format", "text"])
    assert "implicitDeny" in text.output
    bad = runner.invoke(app, [*base, "--context", "novalue"])
    assert bad.exit_code == 2


def test_validate(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(
        json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]})
    )
    r = runner.invoke(app, ["validate", str(good), "--type", "identity"])
    assert r.exit_code == 0 and "valid" in r.output
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                    {"Effect": "Nope", "Action": "s3:x", "Resource": "*"},
                ]
            }
        )
    )
    r = runner.invoke(app, ["validate", str(bad)])
    assert r.exit_code == 2
    assert "Statement[1].Effect" in r.output
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:Fly", "Resource": "*"}]}))
    r = runner.invoke(app, ["validate", str(unknown)])
    assert r.exit_code == 0 and "unknown-action" in r.output


def test_actions_command() -> None:
    r = runner.invoke(app, ["actions", "iam:*AccessKey*", "--level", "permissions management"])
    assert r.exit_code == 0
    assert "iam:CreateAccessKey\tPermissions management" in r.output
    assert "iam:ListAccessKeys" not in r.output
    assert runner.invoke(app, ["actions", "nosuch:*"]).exit_code == 2


def test_catalogue() -> None:
    info = action_info("S3:getobject")
    assert info is not None and info.action == "s3:GetObject" and info.access_level == "Read"
    assert "object" in info.resource_types
    assert action_info("iam:PutUserPolicy").access_level == "Permissions management"  # type: ignore[union-attr]
    assert "s3:GetObject" in expand("s3:Get*") and "s3:PutObject" not in expand("s3:Get*")
    assert all(a.startswith("ec2:Describe") for a in expand("ec2:describe*"))
    assert by_access_level(["s3:GetObject", "s3:PutObject"], "Write") == ["s3:PutObject"]
    assert check_action("foo:Bar").kind == "unknown-service"  # type: ignore[union-attr]
    assert check_action("s3:Fly").kind == "unknown-action"  # type: ignore[union-attr]
    assert check_action("s3:Zz*").kind == "no-match"  # type: ignore[union-attr]
    assert check_action("*") is None and check_action("s3:*") is None
    issues = lint_policy(
        parse_policy({"Statement": [{"Effect": "Allow", "NotAction": ["s3:Fly"], "Resource": "*"}]})
    )
    assert [i.where for i in issues] == ["Statement[0].NotAction"]
