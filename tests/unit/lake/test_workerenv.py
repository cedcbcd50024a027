"""The ingest's fork server sets DuckDB's allocator up before DuckDB loads: checked in a fresh
interpreter that imports the modules in the fork server's order, then asks DuckDB's jemalloc."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from secpillar.lake.workerenv import DUCKDB_ALLOCATOR

PROBE = """
import ctypes, sys
import secpillar.lake.workerenv, secpillar.lake.worker  # the fork server's preload, in order
import duckdb
duckdb.connect().sql("SELECT 1").fetchall()
lib = ctypes.CDLL(sys.modules["_duckdb"].__file__ if "_duckdb" in sys.modules else duckdb.duckdb.__file__)
try:
    mallctl = lib.duckdb_je_mallctl
except AttributeError:
    print("no-jemalloc")
    raise SystemExit(0)
mallctl.argtypes = [ctypes.c_char_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
value, size = ctypes.c_ssize_t(0), ctypes.c_size_t(ctypes.sizeof(ctypes.c_ssize_t))
assert mallctl(b"opt.dirty_decay_ms", ctypes.byref(value), ctypes.byref(size), None, 0) == 0
print(value.value)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="DuckDB bundles jemalloc on Linux only")
def test_worker_processes_keep_duckdb_pages() -> None:
    env = {k: v for k, v in os.environ.items() if k != DUCKDB_ALLOCATOR[0]}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=120, check=True
    ).stdout.strip()
    if out == "no-jemalloc":
        pytest.skip("this DuckDB build has no jemalloc")
    assert out == "-1"  # no decay: freed pages stay with the worker (DuckDB's default is 1000 ms)
