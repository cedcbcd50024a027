"""``secpillar iam exposure`` on a small inventory file: JSON and console output, --prove, --action,
and clear errors for a file that is not an inventory."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.iam.orgfix import DEV, ORG_ID, PROD, bucket, doc, org_inventory
from typer.testing import CliRunner

from secpillar.cli.iam import app

runner = CliRunner()
OUT = "999988887777"


def _inventory(tmp_path: Path) -> Path:
    grant = {
        "Effect": "Allow",
        "Principal": {"AWS": OUT},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::shared/*",
    }
    org_only = {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}
    everyone = {"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*", "Condition": org_only}
    shared, closed = bucket(DEV, "shared", doc(grant)), bucket(PROD, "closed", doc(everyone))
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(org_inventory(shared, closed).to_dict()))
    return path


def test_json_with_proofs(tmp_path: Path) -> None:
    inv = _inventory(tmp_path)
    result = runner.invoke(app, ["exposure", "--inventory", str(inv), "--prove", "--format", "json",
                                 "--action", "s3:PutObject", "--action", "s3:GetObject"])  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.output[result.output.index("{") :])
    assert (data["examined"], data["exposed"]) == (2, 1)
    (e,) = data["exposures"]
    assert e["arn"] == "arn:aws:s3:::shared" and e["grants"][0]["who"] == "account"
    verdicts = {(v["action"], v["verdict"]) for v in data["proofs"]["arn:aws:s3:::shared"]}
    assert verdicts == {("s3:PutObject", "proved"), ("s3:GetObject", "refuted")}
    assert {v["verdict"] for v in data["proofs"]["arn:aws:s3:::closed"]} == {"proved"}


def test_console_explains(tmp_path: Path) -> None:
    result = runner.invoke(app, ["exposure", "--inventory", str(_inventory(tmp_path)), "--prove"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "1 of 2 resource policies let principals outside the organization in" in text
    assert f"account {OUT} can Read: s3:GetObject through statement #0, with no condition" in text
    assert "proof: refuted:" in text and "proved for 1 resource(s)" in text


def test_not_an_inventory_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text("[1, 2]")
    result = runner.invoke(app, ["exposure", "--inventory", str(bad)])
    assert result.exit_code != 0
    assert "not an inventory.json" in result.output
    missing = runner.invoke(app, ["exposure", "--inventory", str(tmp_path / "none.json")])
    assert missing.exit_code != 0 and "cannot read" in missing.output
