"""`secpillar sandbox up` serves and seeds in the foreground until Ctrl-C; `sandbox seed` seeds a
server someone else runs."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest

from secpillar.sandbox.server import SandboxProcess

pytestmark = pytest.mark.e2e

KW = {"region_name": "us-east-1", "aws_access_key_id": "x", "aws_secret_access_key": "x"}


def _accounts(url: str) -> set[str]:
    org = boto3.client("organizations", endpoint_url=url, **KW)
    return {a["Name"] for a in org.list_accounts()["Accounts"]}


def test_sandbox_up_serves_seeds_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.json"
    cmd = [sys.executable, "-m", "secpillar", "sandbox", "up", "--port", "0", "--manifest", str(manifest)]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as proc:
        _drive(proc, manifest)


def _drive(proc: subprocess.Popen[str], manifest: Path) -> None:
    try:
        url = ""
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline and not url:
            line = proc.stdout.readline()
            if not line:
                break
            m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            url = m.group(1) if m else ""
        assert url, "sandbox up never said where it listens"
        assert {"LOGS", "TEST", "STG", "PROD"} <= _accounts(url)
        assert len(json.loads(manifest.read_text())["flaws"]) >= 25
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_sandbox_seed_against_a_running_server(tmp_path: Path) -> None:
    manifest = tmp_path / "m.json"
    with SandboxProcess() as server:
        cmd = [sys.executable, "-m", "secpillar", "sandbox", "seed", "--endpoint-url", server.url]
        run = subprocess.run(
            [*cmd, "--manifest", str(manifest)], capture_output=True, text=True, timeout=120, check=False
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert {"LOGS", "TEST", "STG", "PROD"} <= _accounts(server.url)
        data = json.loads(manifest.read_text())
        assert set(data["accounts"]) == {"MGMT", "LOGS", "TEST", "STG", "PROD"}


def test_sandbox_seed_without_a_server_is_a_clear_error() -> None:
    cmd = [sys.executable, "-m", "secpillar", "sandbox", "seed", "--endpoint-url", "http://127.0.0.1:9"]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    assert run.returncode == 5
    assert "no sandbox answers" in run.stderr
