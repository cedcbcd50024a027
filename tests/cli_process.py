"""The ``secpillar`` command run as a process, the way a shell or CI job runs it (the console
script's path: lazy subcommand import, the quick exit of ``iac``), for tests that read its exit
code, stdout and stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping


def sandbox_env(**extra: str) -> dict[str, str]:
    """This environment with the sandbox's credentials in place of any profile or session the
    machine has, plus ``extra``."""
    env = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", **extra)
    env.pop("AWS_PROFILE", None)
    env.pop("AWS_SESSION_TOKEN", None)
    return env


def run_cli(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """``secpillar ARGS…`` (``python -m secpillar.cli.main``), its output captured as text; a
    non-zero exit is returned, not raised."""
    return subprocess.run(
        [sys.executable, "-m", "secpillar.cli.main", *args],
        capture_output=True,
        text=True,
        env=None if env is None else dict(env),
        timeout=timeout,
        check=False,
    )
