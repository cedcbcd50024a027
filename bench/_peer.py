"""The peer tool a bench compares secpillar with, installed into a virtual environment of its own
under ``bench/`` (once; later runs reuse it)."""

from __future__ import annotations

import subprocess
import time
import venv
from pathlib import Path


def peer_tool(venv_dir: Path, package: str, command: str, how_long: str = "") -> Path:
    """The path of ``command`` in ``venv_dir``, after ``pip install package`` there when missing."""
    exe = venv_dir / "bin" / command
    if exe.exists():
        return exe
    note = f"once, {how_long}" if how_long else "once"
    print(f"installing {package} into {venv_dir} ({note}) …", flush=True)
    started = time.perf_counter()
    venv.EnvBuilder(with_pip=True, clear=True).create(venv_dir)
    subprocess.run([str(venv_dir / "bin" / "pip"), "install", "-q", package], check=True)
    print(f"  installed in {time.perf_counter() - started:.0f}s", flush=True)
    return exe
