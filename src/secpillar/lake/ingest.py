"""``ingest(sources, lake)``: CloudTrail and VPC flow logs into the lake, idempotent,
incremental and crash-safe.

1. Under the lake's lock, :func:`secpillar.lake.manifest.recover` undoes a batch a killed run
   left half-published, and the manifest says which objects are done (same id and version).
2. The remaining objects are cut into batches (a few dozen files / ~64 MB) that worker processes
   turn into staged Parquet (:func:`secpillar.lake.worker.process_batch`).
3. For each staged batch, in order: CloudTrail rows whose ``eventID`` is already in the lake or
   earlier in this run are dropped (the staged files are rewritten without them), the journal
   entry is written, the files are renamed into ``<lake>/cloudtrail|flowlogs/account=/region=/date=/``,
   the manifest lines are committed, the journal entry is removed.

A run killed at any point loses nothing (what was not committed is read again next time) and
duplicates nothing (a half-published batch is removed; ``eventID`` de-duplication covers the
rest).
"""

from __future__ import annotations

import os
import resource
import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from secpillar.lake import manifest
from secpillar.lake.sources import SourceObject, download
from secpillar.lake.worker import (
    BatchResult,
    FileTask,
    process_batch,
    release_connection,
    scratch_dir,
    tune_allocator,
)
from secpillar.lake.writer import ROW_GROUP, new_run_id, parquet_options, publish

BATCH_FILES = 32
BATCH_BYTES = 24 << 20
Progress = Callable[[int, int], None]
"""``progress(files_done, events_done)``."""


@dataclass
class IngestSummary:
    run: str = ""
    files_seen: int = 0
    files_skipped: int = 0
    """Already in the manifest with the same version."""
    files_ingested: int = 0
    files_quarantined: int = 0
    events: int = 0
    """CloudTrail events written."""
    duplicates: int = 0
    """CloudTrail events dropped because their eventID was already in the lake or the run."""
    flow_records: int = 0
    records_quarantined: int = 0
    insight_events: int = 0
    """CloudTrail Insights events left out: statistics about API activity, not calls."""
    digest_files: int = 0
    """CloudTrail digest files (log file validation) recognised: they hold no events."""
    parquet_files: int = 0
    recovered_files: int = 0
    """Files of a killed run's half-published batch that were removed before starting."""
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    """CPU time (user + system) of this process and of the worker processes' batches."""
    quarantine: list[str] = field(default_factory=list)
    """``source: reason`` of every quarantined file."""

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def batches(
    objects: Sequence[SourceObject], max_files: int = BATCH_FILES, max_bytes: int = BATCH_BYTES
) -> Iterator[list[SourceObject]]:
    batch: list[SourceObject] = []
    size = 0
    for obj in objects:
        if batch and (len(batch) >= max_files or size + obj.size > max_bytes):
            yield batch
            batch, size = [], 0
        batch.append(obj)
        size += obj.size
    if batch:
        yield batch


def _files_per_batch(files: int, workers: int, batch_files: int) -> int:
    """Files per batch: at most ``batch_files``, at least three rounds of batches, and as many
    batches as fill whole rounds of the pool, so that every worker gets the same share and none
    is left finishing a batch alone at the end."""
    rounds = max(3, -(-files // (workers * batch_files)))
    return max(1, -(-files // (workers * rounds)))


def default_workers() -> int:
    """Worker processes: one per CPU (``$SECPILLAR_INGEST_WORKERS`` overrides)."""
    env = os.environ.get("SECPILLAR_INGEST_WORKERS")
    if env and env.isdigit() and int(env) > 0:
        return int(env)
    return os.cpu_count() or 1


RUN_IDS_LIMIT = 1 << 20
"""EventIDs of one partition kept as Arrow arrays at most; past that, a Python set."""


class _Dedup:
    """De-duplication by eventID, partition by partition: an event always lands in the partition
    its own fields name, so only the lake's partitions this run touches are read (their eventIDs
    are cached for the run). A partition new to the lake keeps this run's IDs as Arrow arrays,
    checked for repeats in C (``unique``, ``is_in``), until one repeats or there are too many;
    then, as for a partition already in the lake, a Python set decides event by event."""

    def __init__(self, lake: Path) -> None:
        self.lake = lake
        self.seen: dict[str, set[str]] = {}
        self.run_ids: dict[str, list[pa.Array]] = {}

    def _known(self, key: str) -> set[str]:
        if key not in self.seen:
            ids: set[str] = set()
            run_ids = self.run_ids.pop(key, None)
            if run_ids is not None:  # the partition holds only what this run put there
                for arr in run_ids:
                    ids.update(arr.to_pylist())
            elif (self.lake / key).is_dir():
                for f in (self.lake / key).glob("*.parquet"):
                    ids.update(pq.read_table(f, columns=["eventid"]).column("eventid").to_pylist())
            self.seen[key] = ids
        return self.seen[key]

    def _all_new(self, key: str, ids: pa.Array) -> bool:
        """Whether ``ids``, bound for a partition new to the lake, repeat neither each other nor
        this run's IDs there (then they join those)."""
        if key in self.seen or (key not in self.run_ids and (self.lake / key).is_dir()):
            return False
        known = self.run_ids.get(key, [])
        if ids.null_count or sum(len(a) for a in known) + len(ids) > RUN_IDS_LIMIT:
            return False
        if len(pc.unique(ids)) != len(ids):
            return False
        # the earlier IDs probe a set of the new ones: a set of the (many) earlier ones would be
        # built again for every batch
        if known and pc.any(pc.is_in(pa.concat_arrays(known), value_set=ids)).as_py():
            return False
        self.run_ids[key] = [*known, ids]
        return True

    def apply(self, staged: Path, event_ids: dict[str, pa.Array] | None = None) -> tuple[int, int]:
        """Drop duplicate events from the staged CloudTrail files (their eventIDs are read from
        ``event_ids`` when it has the file, else from the file); returns (kept, dropped)."""
        kept = dropped = 0
        given = event_ids or {}
        for f in sorted((staged / "cloudtrail").rglob("*.parquet")):
            key = str(f.parent.relative_to(staged))
            column = given.get(str(f.relative_to(staged)))
            if column is None:
                column = pq.read_table(f, columns=["eventid"]).column("eventid").combine_chunks()
            if self._all_new(key, column):
                kept += len(column)
                continue
            known = self._known(key)
            ids = column.to_pylist()
            fresh = set(ids)
            if len(fresh) == len(ids) and known.isdisjoint(fresh):  # the usual case, in C
                known |= fresh
                kept += len(ids)
                continue
            mask = []
            for eid in ids:
                new = eid not in known
                mask.append(new)
                if new:
                    known.add(eid)
            n_new = sum(mask)
            kept += n_new
            dropped += len(ids) - n_new
            if n_new == 0:
                f.unlink()
                continue
            table = pq.read_table(f).filter(pa.array(mask, pa.bool_()))
            tmp = f.with_suffix(".dedup")
            options = parquet_options("cloudtrail", table.schema)  # as written the first time
            pq.write_table(table, tmp, row_group_size=ROW_GROUP, **options)
            os.replace(tmp, f)
        return kept, dropped

    def close(self) -> None:
        self.seen.clear()
        self.run_ids.clear()


def _tasks(
    objects: list[SourceObject], fetch: Callable[[SourceObject, Path], Path] | None, dl_dir: Path
) -> list[FileTask]:
    tasks = []
    for i, obj in enumerate(objects):
        if obj.local is not None:
            path = obj.local
        else:
            if fetch is None:
                raise ValueError(f"no way to fetch {obj.id}")
            path = fetch(obj, dl_dir / f"{i}-{Path(obj.name).name}")
        tasks.append(FileTask(obj.id, obj.version, str(path), obj.name))
    return tasks


def ingest(
    objects: Iterable[SourceObject],
    lake: Path,
    *,
    s3_client: Any = None,
    workers: int | None = None,
    progress: Progress | None = None,
    batch_files: int = BATCH_FILES,
) -> IngestSummary:
    """Ingest ``objects`` into ``lake``; see the module docstring for the guarantees.

    ``workers`` > 1 runs batches in that many worker processes (the CLI passes
    :func:`default_workers`); the default, 1, works in this process."""
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    lake.mkdir(parents=True, exist_ok=True)
    summary = IngestSummary(run=new_run_id())
    fetch = None if s3_client is None else (lambda obj, dest: download(s3_client, obj, dest))
    with manifest.locked(lake):
        summary.recovered_files = manifest.recover(lake)
        done = manifest.load(lake)
        todo = []
        for obj in objects:
            summary.files_seen += 1
            if done.get(obj.id) == obj.version:
                summary.files_skipped += 1
            else:
                todo.append(obj)
        workers = max(1, workers or 1)
        per_batch = _files_per_batch(len(todo), workers, batch_files)
        plan = list(batches(todo, max_files=per_batch))
        workers = max(1, min(workers, len(plan)))
        dedup = _Dedup(lake)
        run_dir = lake / ".staging" / summary.run
        files_done = 0
        try:
            results = _run_batches(plan, lake, summary.run, run_dir, fetch, workers)
            for result in results:
                _commit(result, lake, dedup, summary)
                files_done += len(result.outcomes)
                if progress is not None:
                    progress(files_done, summary.events)
        finally:
            dedup.close()
            shutil.rmtree(run_dir, ignore_errors=True)
    summary.seconds = time.perf_counter() - started
    summary.cpu_seconds += _cpu_seconds() - cpu_started
    return summary


def _run_batches(
    plan: list[list[SourceObject]],
    lake: Path,
    run: str,
    run_dir: Path,
    fetch: Callable[[SourceObject, Path], Path] | None,
    workers: int,
) -> Iterator[BatchResult]:
    """Batch results in plan order (processed in a pool when there is more than one worker)."""
    jobs = []
    for n, objs in enumerate(plan):
        batch = f"{run}-{n:05d}"
        jobs.append((batch, _tasks(objs, fetch, run_dir / "download" / batch)))
    scratch = scratch_dir(lake)
    try:
        yield from _results(jobs, lake, run, scratch, workers)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _results(
    jobs: list[tuple[str, list[FileTask]]], lake: Path, run: str, scratch: str, workers: int
) -> Iterator[BatchResult]:
    if workers <= 1:
        try:
            for batch, tasks in jobs:
                yield process_batch(str(lake), run, batch, tasks, scratch)
        finally:
            release_connection()
        return
    done = 0
    try:
        ctx = get_context("forkserver")
        # workers start with the worker module imported, DuckDB's allocator set up for them first
        ctx.set_forkserver_preload(["secpillar.lake.workerenv", "secpillar.lake.worker"])
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=tune_allocator) as pool:
            futures: list[Future[BatchResult]] = [
                pool.submit(process_batch, str(lake), run, batch, tasks, scratch) for batch, tasks in jobs
            ]
            for fut in futures:
                result = fut.result()
                done += 1
                yield result
    except BrokenProcessPool:
        # worker processes could not start (e.g. a calling script without a __main__ guard):
        # finish in this process
        try:
            for batch, tasks in jobs[done:]:
                yield process_batch(str(lake), run, batch, tasks, scratch)
        finally:
            release_connection()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _commit(result: BatchResult, lake: Path, dedup: _Dedup, summary: IngestSummary) -> None:
    if result.pid != os.getpid():  # a worker process's time (this process's own is counted at the end)
        summary.cpu_seconds += result.cpu_seconds
    staged = Path(result.staged)
    kept, dropped = dedup.apply(staged, result.event_ids)
    summary.events += kept
    summary.duplicates += dropped
    summary.flow_records += result.flows
    summary.records_quarantined += result.quarantined_records
    summary.insight_events += result.insight_events
    finals = (
        [lake / p.relative_to(staged) for p in sorted(staged.rglob("*.parquet"))] if staged.is_dir() else []
    )
    jpath = manifest.journal(lake, result.batch, finals) if finals else None
    written = publish(staged, lake) if staged.is_dir() else []
    summary.parquet_files += len(written)
    entries = []
    for out in result.outcomes:
        status = "quarantined" if out.error else "ingested"
        if out.error:
            summary.files_quarantined += 1
            summary.quarantine.append(f"{out.source_id}: {out.error}")
        elif out.kind == "digest":
            summary.digest_files += 1
        else:
            summary.files_ingested += 1
        entry = {"id": out.source_id, "version": out.version, "batch": result.batch, "kind": out.kind}
        entry["status"] = status
        entries.append(entry)
    manifest.commit(lake, entries)
    if jpath is not None:
        manifest.clear(jpath)
    shutil.rmtree(staged, ignore_errors=True)
