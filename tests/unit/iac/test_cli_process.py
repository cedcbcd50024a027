"""`secpillar iac` as a process (the console script's path): the command ends its process as soon as
its output is flushed (cli/main.py's quick exit), so these tests check that nothing is lost on the
way: the exit code a CI gate reads, a complete JSON document on a pipe, files written with --out,
and click's usage errors."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.cli_process import run_cli

TF = Path(__file__).resolve().parents[2] / "fixtures" / "terraform"


def _iac(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("iac", *args, env={**os.environ, "SECPILLAR_CACHE_DIR": "off"}, timeout=120)


def test_fail_on_gates_and_the_piped_json_is_whole() -> None:
    proc = _iac(str(TF / "insecure"), "--format", "json", "--fail-on", "high")
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(proc.stdout)
    failed = {f["check_id"] for f in doc["findings"] if f["status"] == "FAIL"}
    assert "aws.ec2.sg-admin-ports-ipv4" in failed
    assert doc["summary"]["FAIL"] == sum(1 for f in doc["findings"] if f["status"] == "FAIL")


def test_secure_module_exits_zero_and_writes_its_files(tmp_path: Path) -> None:
    proc = _iac(str(TF / "secure"), "--format", "json,sarif", "--out", str(tmp_path), "--fail-on", "low")
    assert proc.returncode == 0, proc.stderr
    assert "wrote" in proc.stderr
    doc = json.loads((tmp_path / "iac-findings.json").read_text())
    assert doc["findings"] and not [f for f in doc["findings"] if f["status"] == "FAIL"]
    sarif = json.loads((tmp_path / "secpillar.sarif").read_text())
    assert sarif["version"] == "2.1.0"


def test_usage_errors_keep_their_exit_code_and_message() -> None:
    proc = _iac(str(TF / "secure"), "--no-such-option")
    assert proc.returncode == 2
    assert "No such option" in proc.stderr
    missing = _iac(str(TF / "does-not-exist"))
    assert missing.returncode != 0 and "does not exist" in missing.stderr
