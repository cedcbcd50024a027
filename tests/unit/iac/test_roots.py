"""Reading many roots at once, one bad file not aborting the folder, and the mute list on iac."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from secpillar.checks.mutelist import parse_mutelist
from secpillar.cli.iac import app
from secpillar.iac import IacOptions, find_roots, run_iac

PUBLIC_SG = """resource "aws_security_group" "example" {
  name = "%s"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
PRIVATE_SG = PUBLIC_SG.replace("0.0.0.0/0", "10.0.0.0/8")
CHECK = "aws.ec2.sg-admin-ports-ipv4"


def statuses(path: Path, **kw: object) -> dict[str, str]:
    result = run_iac(IacOptions(path=str(path), checks=[CHECK], **kw))  # type: ignore[arg-type]
    return {Path(str((f.location or {})["file"])).parent.name: f.status.value for f in result.findings}


def test_every_folder_is_its_own_root_and_addresses_do_not_collide(tmp_path: Path) -> None:
    """Two samples both declare aws_security_group.example: each is judged on its own."""
    for name, body in (("insecure", PUBLIC_SG % "a"), ("secure", PRIVATE_SG % "a")):
        (tmp_path / "samples" / name).mkdir(parents=True)
        (tmp_path / "samples" / name / "main.tf").write_text(body)
    (tmp_path / "samples" / ".terraform").mkdir()
    (tmp_path / "samples" / ".terraform" / "x.tf").write_text(PUBLIC_SG % "cached")
    assert statuses(tmp_path) == {"insecure": "FAIL", "secure": "PASS"}


def test_called_modules_are_not_roots(tmp_path: Path) -> None:
    (tmp_path / "modules" / "sg").mkdir(parents=True)
    (tmp_path / "modules" / "sg" / "main.tf").write_text('variable "cidr" {}\n' + PUBLIC_SG % "m")
    (tmp_path / "main.tf").write_text('module "sg" {\n  source = "./modules/sg"\n  cidr = "x"\n}\n')
    assert find_roots(tmp_path) == [tmp_path]


def test_one_bad_file_never_aborts_the_folder(tmp_path: Path) -> None:
    (tmp_path / "good.tf").write_text(PUBLIC_SG % "good")
    (tmp_path / "broken.tf").write_text('resource "aws_s3_bucket" "b" {')
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "broken.tf").write_text("resource {{{")
    result = run_iac(IacOptions(path=str(tmp_path), checks=[CHECK]))
    assert [f.status.value for f in result.findings] == ["FAIL"]
    assert any("broken.tf" in w and "file skipped" in w for w in result.warnings)
    assert any("other" in w and "root module skipped" in w for w in result.warnings)
    res = CliRunner().invoke(app, [str(tmp_path), "--checks", CHECK, "--format", "json"])
    assert res.exit_code == 0
    assert len(json.loads(res.stdout[: res.stdout.rindex("}") + 1])["warnings"]) >= 2


def test_a_single_tf_file(tmp_path: Path) -> None:
    (tmp_path / "positive1.tf").write_text(PUBLIC_SG % "p")
    (tmp_path / "negative1.tf").write_text(PRIVATE_SG % "n")
    pos = run_iac(IacOptions(path=str(tmp_path / "positive1.tf"), checks=[CHECK]))
    neg = run_iac(IacOptions(path=str(tmp_path / "negative1.tf"), checks=[CHECK]))
    assert [f.status.value for f in pos.findings] == ["FAIL"]
    assert [f.status.value for f in neg.findings] == ["PASS"]
    loc = pos.findings[0].location or {}
    assert loc["address"] == "aws_security_group.example" and loc["line"] == 1


def test_mutelist_on_terraform_addresses(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(PUBLIC_SG % "bastion")
    ml = parse_mutelist(
        [
            {
                "check": "aws.ec2.sg-*",
                "resources": ["aws_security_group.example"],
                "reason": "bastion, IP-restricted upstream",
                "owner": "netops",
                "expires": "2999-01-01",
            }
        ]
    )
    result = run_iac(IacOptions(path=str(tmp_path), checks=[CHECK], mutelist=ml))
    (f,) = result.findings
    assert f.status.value == "MUTED" and f.evidence["mute"]["owner"] == "netops"
    (tmp_path / "mutelist.yaml").write_text(
        "- check: aws.ec2.*\n  resources: ['aws_security_group.*']\n  reason: r\n  owner: o\n"
        "  expires: 2001-01-01\n"
    )
    res = CliRunner().invoke(app, [str(tmp_path), "--mutelist", str(tmp_path / "mutelist.yaml")])
    assert res.exit_code == 0
    args = [str(tmp_path), "--checks", CHECK, "--mutelist", str(tmp_path / "mutelist.yaml")]
    res = CliRunner().invoke(app, [*args, "--fail-on", "high", "--format", "json"])
    assert res.exit_code == 3 and "mute expired on 2001-01-01" in res.stdout
