"""kill -9 in the middle of ``secpillar logs ingest``: the next run loses and duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.functional.lake.helpers import many_files

from secpillar.lake import manifest
from secpillar.lake.store import connect


def _start(src: Path, lake: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, SECPILLAR_INGEST_WORKERS="1")
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "secpillar",
            "logs",
            "ingest",
            str(src),
            "--lake",
            str(lake),
            "--format",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _committed_lines(lake: Path) -> int:
    path = lake / manifest.MANIFEST
    return len(path.read_bytes().splitlines()) if path.exists() else 0


def test_kill_9_mid_ingest_then_rerun(tmp_path: Path) -> None:
    src, lake = tmp_path / "src", tmp_path / "lake"
    total = many_files(src, files=45, per_file=800)
    proc = _start(src, lake)
    deadline = time.monotonic() + 60
    while _committed_lines(lake) == 0 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)  # at least one batch committed, others in flight
    proc.communicate()
    partial = _committed_lines(lake)
    assert 0 < partial < 45, "the kill must land mid-run for this test to mean anything"

    second = _start(src, lake)
    time.sleep(0.8)
    second.kill()
    second.communicate()

    final = _start(src, lake)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    summary = json.loads(out)
    assert summary["files_seen"] == 45
    assert summary["files_skipped"] + summary["files_ingested"] == 45
    row = connect(lake).execute("SELECT count(*), count(DISTINCT eventid) FROM cloudtrail").fetchone()
    assert row == (total, total)
    assert not list((lake / manifest.JOURNAL).glob("*.json"))
    assert not (lake / ".staging").exists() or not any((lake / ".staging").iterdir())
