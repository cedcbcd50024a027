"""One `secpillar demo` run for the whole session: the demo's own tests, the IAM analyses and the
network analyses all read what it wrote (seeding and scanning the five-account sandbox is the costly
part, ~25 s); nothing reads the sandbox after the demo has stopped it."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from tests.cli_process import run_cli


@pytest.fixture(scope="session")
def demo_out(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """rc, stdout, stderr, seconds and the output folder of one `secpillar demo --out DIR`."""
    out: Path = tmp_path_factory.mktemp("demo")
    t0 = time.monotonic()
    proc = run_cli("demo", "--out", str(out), timeout=600)
    return {
        "rc": proc.returncode,
        "stdout": proc.stdout,
        "stderr": proc.stderr,
        "seconds": time.monotonic() - t0,
        "out": out,
    }
