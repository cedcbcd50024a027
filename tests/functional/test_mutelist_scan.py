"""`secpillar scan --mutelist` against a moto server: muted FAILs stay in the output as MUTED,
an expired mute FAILs again and says so, and `--fail-on` ignores MUTED findings."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from secpillar.cli.main import app

CHECK = "aws.s3.bucket-acl-not-public"  # critical: a canned public-read ACL grants AllUsers READ


def scan(url: str, out: Path, mutelist: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    args = ["scan", "--endpoint-url", url, "--no-org", "--regions", "us-east-1", "--checks", CHECK]
    args += ["--mutelist", str(mutelist), "--format", "json", "--out", str(out), "--fail-on", "high"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code in (0, 3), res.output
    findings = json.loads((out / "findings.json").read_text())
    return res.exit_code, {f["resource"]["name"]: f for f in findings}


def test_scan_with_mutelist(
    aws_client: Any, moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k, v in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(k, v)
    s3 = aws_client("s3")
    for name in ("website-public", "old-exception", "unmuted-public"):
        s3.create_bucket(Bucket=name)
        s3.put_bucket_acl(Bucket=name, ACL="public-read")
    ml = tmp_path / "mutelist.yaml"
    ml.write_text(
        "mutes:\n"
        f"  - check: aws.s3.*\n    resources: ['arn:aws:s3:::website-*']\n    accounts: ['123456789012']\n"
        "    reason: static website, public by design\n    owner: web-team\n    expires: 2999-12-31\n"
        f"  - check: {CHECK}\n    resources: ['arn:aws:s3:::old-*']\n"
        "    reason: migration\n    owner: data-team\n    expires: 2020-01-31\n"
    )
    code, by_name = scan(moto_endpoint, tmp_path / "a", ml)
    assert by_name["website-public"]["status"] == "MUTED"
    assert by_name["website-public"]["evidence"]["mute"]["owner"] == "web-team"
    assert by_name["old-exception"]["status"] == "FAIL"
    assert "mute expired on 2020-01-31" in by_name["old-exception"]["message"]
    assert by_name["unmuted-public"]["status"] == "FAIL"
    assert code == 3
    # Only MUTED findings left at or above the threshold: --fail-on passes.
    ml.write_text(f"- check: {CHECK}\n  reason: all accepted\n  owner: ciso\n  expires: 2999-01-01\n")
    code, by_name = scan(moto_endpoint, tmp_path / "b", ml)
    assert {f["status"] for f in by_name.values()} == {"MUTED"} and code == 0
    ml.write_text(f"- check: {CHECK}\n  reason: r\n  expires: 2999-01-01\n")
    res = CliRunner().invoke(app, ["scan", "--endpoint-url", moto_endpoint, "--mutelist", str(ml)])
    assert res.exit_code == 2 and "entry 1" in res.output and "missing owner" in res.output
