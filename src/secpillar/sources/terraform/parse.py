"""Parsing .tf files with python-hcl2, serially or ahead of time on a process pool.

The HCL parser (lark) is pure Python and CPU-bound; for a folder of many files :func:`prefetch`
parses them on all cores first and :func:`parse_file` takes the results. A file that does not
parse raises :class:`~secpillar.errors.ValidationError` naming it (the caller reports and skips).
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

from secpillar.errors import ValidationError

_OPTS = SerializationOptions(with_comments=False, preserve_heredocs=False)

_PARSED: dict[str, dict[str, Any] | str] = {}
"""Documents parsed ahead by :func:`prefetch` (or the parse error's text), by resolved path."""
PARALLEL_MIN_FILES = 8


def _parse_text(path: str) -> dict[str, Any] | str:
    try:
        return parse_file(Path(path))
    except ValidationError as exc:
        return str(exc)


def prefetch(paths: list[Path], workers: int | None = None) -> None:
    """Parse many files at once on a process pool (the HCL parser is pure Python and CPU-bound);
    :func:`parse_file` then takes the results. Small inputs are left to the serial path."""
    todo = sorted({str(p.resolve()) for p in paths} - set(_PARSED))
    workers = workers or min(os.cpu_count() or 1, 8)
    if len(todo) < PARALLEL_MIN_FILES or workers < 2:
        return
    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    if ctx is None:
        return
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            chunk = max(1, len(todo) // (workers * 4))
            for path, doc in zip(todo, pool.map(_parse_text, todo, chunksize=chunk), strict=True):
                _PARSED[path] = doc
    except (OSError, BrokenProcessPool):
        return  # no pool here (sandboxed, out of processes): the serial path parses them


def parse_file(path: Path) -> dict[str, Any]:
    done = _PARSED.pop(str(path.resolve()), None)
    if isinstance(done, dict):
        return done
    if isinstance(done, str):
        raise ValidationError(done.split(": ", 1)[1] if done.startswith(f"{path}: ") else done, str(path))
    try:
        result: dict[str, Any] = hcl2.loads(path.read_text(encoding="utf-8"), serialization_options=_OPTS)
    except Exception as exc:  # noqa: BLE001 - the parser raises lark's many error types
        raise ValidationError(f"cannot parse HCL: {exc}".splitlines()[0], where=str(path)) from None
    return result
