"""Parsing .tf files with python-hcl2, serially or ahead of time on a process pool, with a cache.

The HCL parser (lark) is pure Python and CPU-bound; for a folder of many files :func:`prefetch`
parses them on all cores first and :func:`parse_file` takes the results. A file that does not
parse raises :class:`~secpillar.errors.ValidationError` naming it (the caller reports and skips).

Parsed documents are cached by the SHA-256 of the file's text (and the parser's version), as
mypy and ruff cache theirs: a pre-commit hook or CI job that checks the same repository again
parses only the files that changed. The cache lives in ``$SECPILLAR_CACHE_DIR`` (``off``
disables it), else ``$XDG_CACHE_HOME/secpillar/hcl`` or ``~/.cache/secpillar/hcl``; an entry that
cannot be read is ignored and the file parsed again.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

try:
    from importlib.metadata import version as _version

    _HCL2_VERSION = _version("python-hcl2")
except Exception:  # noqa: BLE001 - no metadata: key the cache on the module file instead
    _HCL2_VERSION = str(Path(hcl2.__file__).stat().st_mtime)

from secpillar.errors import ValidationError

_OPTS = SerializationOptions(with_comments=False, preserve_heredocs=False)

CACHE_FORMAT = "1"


def cache_dir() -> Path | None:
    """Where parsed documents are cached, or None when caching is off."""
    env = os.environ.get("SECPILLAR_CACHE_DIR")
    if env is not None:
        return None if env.strip().lower() in ("", "off", "0", "none", "false") else Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "secpillar" / "hcl"


def _cache_path(text: str) -> Path | None:
    root = cache_dir()
    if root is None:
        return None
    key = hashlib.sha256(f"{_HCL2_VERSION}\0{CACHE_FORMAT}\0{text}".encode()).hexdigest()
    return root / key[:2] / f"{key}.json"


def _cached(text: str) -> dict[str, Any] | None:
    path = _cache_path(text)
    if path is None or not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _store(text: str, doc: dict[str, Any]) -> None:
    path = _cache_path(text)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f)
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        return  # a read-only or full disk only costs the next run a parse


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
    todo = []
    for path in sorted({str(p.resolve()) for p in paths} - set(_PARSED)):
        try:
            doc = _cached(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError):
            doc = None
        if doc is not None:
            _PARSED[path] = doc
        else:
            todo.append(path)
    workers = workers or min(os.cpu_count() or 1, 8)
    if len(todo) < PARALLEL_MIN_FILES or workers < 2:
        return
    ctx = multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None
    if ctx is None:
        return
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            chunk = max(1, len(todo) // (workers * 4))
            for path, parsed in zip(todo, pool.map(_parse_text, todo, chunksize=chunk), strict=True):
                _PARSED[path] = parsed
    except (OSError, BrokenProcessPool):
        return  # no pool here (sandboxed, out of processes): the serial path parses them


def parse_file(path: Path) -> dict[str, Any]:
    done = _PARSED.pop(str(path.resolve()), None)
    if isinstance(done, dict):
        return done
    if isinstance(done, str):
        raise ValidationError(done.split(": ", 1)[1] if done.startswith(f"{path}: ") else done, str(path))
    text = path.read_text(encoding="utf-8")
    cached = _cached(text)
    if cached is not None:
        return cached
    try:
        result: dict[str, Any] = hcl2.loads(text, serialization_options=_OPTS)
    except Exception as exc:  # noqa: BLE001 - the parser raises lark's many error types
        raise ValidationError(f"cannot parse HCL: {exc}".splitlines()[0], where=str(path)) from None
    _store(text, result)
    return result
