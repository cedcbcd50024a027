"""What the lake has ingested, and the journal that makes a killed ingest leave nothing behind.

``<lake>/_manifest.jsonl`` holds one JSON line per source object ingested (or quarantined):
its id (``file:///abs/path`` or ``s3://bucket/key``), its version (size and mtime, or the ETag),
the batch that took it and what came of it. Lines are appended and fsynced only after the batch's
Parquet files are in place; a torn last line (a kill mid-write) is ignored on reading.

Before a batch renames its first file into the lake it writes ``<lake>/_journal/<batch>.json``
listing every final path; once the manifest lines are committed the journal entry is removed.
An entry still present when an ingest starts is a batch killed between the two: its files are
deleted (:func:`recover`), so its sources are simply ingested again — nothing lost, nothing twice.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MANIFEST = "_manifest.jsonl"
JOURNAL = "_journal"
LOCK = ".ingest.lock"


def entries(lake: Path) -> Iterator[dict[str, Any]]:
    path = lake / MANIFEST
    if not path.exists():
        return
    with path.open("rb") as fh:
        for line in fh:
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a torn line from a killed run: that batch was never committed
            if isinstance(entry, dict) and "id" in entry:
                yield entry


def load(lake: Path) -> dict[str, str]:
    """Source id -> version of every committed object."""
    return {str(e["id"]): str(e.get("version", "")) for e in entries(lake)}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit(lake: Path, entries: Iterable[dict[str, Any]]) -> None:
    """Append manifest lines durably."""
    data = "".join(json.dumps(e, separators=(",", ":")) + "\n" for e in entries)
    if not data:
        return
    path = lake / MANIFEST
    with path.open("ab") as fh:
        if fh.tell() > 0:
            # a torn last line must not swallow the next entry
            with path.open("rb") as rd:
                rd.seek(-1, os.SEEK_END)
                if rd.read(1) != b"\n":
                    fh.write(b"\n")
        fh.write(data.encode())
        fh.flush()
        os.fsync(fh.fileno())


def journal(lake: Path, batch: str, final_paths: Iterable[Path]) -> Path:
    jdir = lake / JOURNAL
    jdir.mkdir(parents=True, exist_ok=True)
    path = jdir / f"{batch}.json"
    tmp = jdir / f".{batch}.tmp"
    tmp.write_text(json.dumps({"batch": batch, "files": [str(p) for p in final_paths]}))
    with tmp.open("rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_dir(jdir)
    return path


def clear(path: Path) -> None:
    path.unlink(missing_ok=True)


def recover(lake: Path) -> int:
    """Undo the batches a killed ingest left half-published; remove stale staging. Returns the
    number of Parquet files removed."""
    removed = 0
    jdir = lake / JOURNAL
    if jdir.is_dir():
        committed = {str(e.get("batch")) for e in entries(lake)}
        for entry in sorted(jdir.glob("*.json")):
            try:
                files = json.loads(entry.read_text()).get("files", [])
            except ValueError:
                files = []
            if entry.stem in committed:  # killed after its manifest lines: the batch is complete
                files = []
            for name in files:
                p = Path(name)
                if p.exists():
                    p.unlink()
                    removed += 1
            entry.unlink()
        for tmp in jdir.glob(".*.tmp"):
            tmp.unlink()
    shutil.rmtree(lake / ".staging", ignore_errors=True)
    return removed


@contextmanager
def locked(lake: Path) -> Iterator[None]:
    """One ingest at a time per lake (the kernel releases the lock if the process dies)."""
    lake.mkdir(parents=True, exist_ok=True)
    with (lake / LOCK).open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
