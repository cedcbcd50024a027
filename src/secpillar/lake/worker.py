"""One ingest batch, run in a worker process: source files -> staged Parquet + quarantine.

Each file is read, gunzipped when it is gzip, and recognised: a CloudTrail delivery file
(``{"Records": [...]}``; the vectorized path of :mod:`secpillar.lake.fastpath`), a VPC flow log
(version 2 text), one EventBridge event whose ``detail`` is a CloudTrail record, one record,
a JSON array of records, or NDJSON of records or events. Anything else, and every record
without ``eventID``/``eventTime``/``eventName``, goes to ``<lake>/quarantine/<run>/`` with its
reason; the rest of the file and the batch go on.
"""

from __future__ import annotations

import ctypes
import gzip
import hashlib
import json
import os
import resource
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from isal import isal_zlib

from secpillar.lake import fastpath, flowlogs
from secpillar.lake.schema import (
    CLOUDTRAIL_SCHEMA,
    INSIGHT_EVENT,
    is_digest,
    is_insight,
    record_to_row,
    validate_record,
)
from secpillar.lake.writer import PartitionedWriter, stage_partitioned


@dataclass
class FileTask:
    source_id: str
    version: str
    path: str
    """Local path of the bytes (an S3 object is downloaded first)."""
    name: str


@dataclass
class FileOutcome:
    source_id: str
    version: str
    kind: str = ""
    error: str | None = None


@dataclass
class BatchResult:
    batch: str
    staged: str
    outcomes: list[FileOutcome] = field(default_factory=list)
    events: int = 0
    """CloudTrail rows staged (before de-duplication)."""
    flows: int = 0
    quarantined_records: int = 0
    insight_events: int = 0
    """CloudTrail Insights events left out (:data:`secpillar.lake.schema.INSIGHT_EVENT`)."""
    event_ids: dict[str, pa.Array] | None = None
    """The ``eventid`` column of each staged CloudTrail file (path relative to ``staged``), so
    that de-duplication need not read the files back (``None``: read them)."""
    pid: int = 0
    """The process that did the work."""
    cpu_seconds: float = 0.0
    """CPU time (user + system) the batch took in that process."""


def _quarantine_dir(lake: Path, run: str) -> Path:
    path = lake / "quarantine" / run
    path.mkdir(parents=True, exist_ok=True)
    return path


def quarantine_file(lake: Path, run: str, task: FileTask, reason: str) -> None:
    qdir = _quarantine_dir(lake, run)
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in task.name)[-120:]
    dest = qdir / f"{safe}"
    shutil.copyfile(task.path, dest)
    (qdir / f"{safe}.reason.json").write_text(
        json.dumps({"source": task.source_id, "reason": reason}, indent=2)
    )


class _RecordQuarantine:
    def __init__(self, lake: Path, run: str, batch: str) -> None:
        self.lake, self.run, self.batch = lake, run, batch
        self.lines: list[str] = []

    def add(self, source: str, reason: str, record: Any) -> None:
        self.lines.append(json.dumps({"source": source, "reason": reason, "record": record}, default=str))

    def close(self) -> None:
        if self.lines:
            path = _quarantine_dir(self.lake, self.run) / f"records-{self.batch}.jsonl"
            path.write_text("\n".join(self.lines) + "\n")


def tune_allocator() -> None:
    """Worker processes only (glibc): keep freed heap memory for the next file instead of
    handing it back to the kernel, and serve Arrow from the same heap. Every batch allocates
    and frees hundreds of MB (gunzipped text, parsed columns, Parquet pages); returned memory
    comes back as fresh pages whose faults cost as much as the parse on a VM."""
    if not sys.platform.startswith("linux"):
        return
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(-1, 1 << 30)  # M_TRIM_THRESHOLD
    mallopt(-2, 64 << 20)  # M_TOP_PAD
    mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD (its maximum: larger blocks are mapped anyway)
    pa.set_memory_pool(pa.system_memory_pool())


_GZIP_ERRORS = (OSError, EOFError, cast(type[Exception], isal_zlib.error))


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as fh:
        data = fh.read()
    if data[:2] == b"\x1f\x8b":
        try:
            # ISA-L's inflate (about twice zlib's speed); one gzip member, CRC checked in C
            dec = isal_zlib.decompressobj(wbits=31)
            out = dec.decompress(data)
            if dec.unused_data or not dec.eof:
                return gzip.decompress(data)  # several members (or truncated: raises)
            return out
        except _GZIP_ERRORS as exc:
            raise ValueError(f"not valid gzip: {exc}") from exc
    return data


def _records_of(value: Any) -> list[Any] | None:
    """The CloudTrail records in one JSON value (delivery file, event, record, list)."""
    if isinstance(value, list):
        return value
    if not isinstance(value, dict):
        return None
    if isinstance(value.get("Records"), list):
        return list(value["Records"])
    if "detail-type" in value and "detail" in value:
        return [value["detail"]]
    if "eventID" in value or "eventName" in value:
        return [value]
    return None


def parse_json_records(data: bytes) -> tuple[str, list[Any], list[tuple[str, Any]]]:
    """(kind, records, [(reason, bad item)]) of a JSON or NDJSON document; raises ValueError
    when it is neither."""
    try:
        value = json.loads(data)
    except ValueError:
        value = None
        lines = [ln for ln in data.splitlines() if ln.strip()]
        if len(lines) < 2:
            raise ValueError("not JSON, NDJSON or a VPC flow log") from None
    else:
        if is_digest(value):
            return "digest", [], []
        records = _records_of(value)
        if records is None:
            raise ValueError("JSON that is neither CloudTrail records nor an EventBridge event")
        kind = "eventbridge" if isinstance(value, dict) and "detail-type" in value else "json"
        return kind, records, []
    records, bad = [], []
    for n, line in enumerate(lines, 1):
        try:
            item = json.loads(line)
        except ValueError as exc:
            bad.append((f"line {n}: not JSON ({exc})", line[:2000].decode("utf-8", "replace")))
            continue
        found = _records_of(item)
        if found is None:
            bad.append((f"line {n}: not a CloudTrail record or EventBridge event", item))
        else:
            records.extend(found)
    if not records and bad:
        raise ValueError("not JSON, NDJSON or a VPC flow log: no line is a CloudTrail record or event")
    return "ndjson", records, bad


def _python_rows(
    task: FileTask, records: list[Any], quarantine: _RecordQuarantine, result: BatchResult
) -> list[dict[str, Any]]:
    """The lake rows of ``records``; Insights events are counted and left out, invalid records
    quarantined."""
    rows = []
    for record in records:
        if is_insight(record):
            result.insight_events += 1
            continue
        reason = validate_record(record)
        if reason is not None:
            quarantine.add(task.source_id, reason, record)
            result.quarantined_records += 1
            continue
        rows.append(record_to_row(record))
    return rows


def _drop_insights(table: pa.Table, result: BatchResult) -> pa.Table:
    """``table`` without its Insights events (counted in ``result``)."""
    insight = pc.fill_null(pc.equal(table.column("eventtype"), INSIGHT_EVENT), False)
    count = pc.sum(insight).as_py() or 0
    if not count:
        return table
    result.insight_events += count
    return table.filter(pc.invert(insight))


def _split_invalid(table: pa.Table) -> tuple[pa.Table, pa.Table]:
    ok = table.column(fastpath.VALID)
    table = table.drop_columns([fastpath.VALID])
    if pc.all(ok).as_py():
        return table, table.slice(0, 0)
    return table.filter(ok), table.filter(pc.invert(ok))


def scratch_dir(lake: Path) -> str:
    """A new folder for the record files DuckDB reads, in memory (``/dev/shm``) where there is
    one, else under the lake's ``.staging``; whoever asks for it removes it. Folders a killed run
    of the same lake left behind are removed first (call it under the lake's lock)."""
    shm = Path("/dev/shm")
    base = shm if shm.is_dir() and os.access(shm, os.W_OK) else lake / ".staging"
    base.mkdir(parents=True, exist_ok=True)
    prefix = "secpillar-ingest-" + hashlib.sha256(str(lake.resolve()).encode()).hexdigest()[:12] + "-"
    for stale in base.glob(prefix + "*"):
        shutil.rmtree(stale, ignore_errors=True)
    return tempfile.mkdtemp(prefix=prefix, dir=base)


def _write_all(fd: int, data: memoryview) -> int:
    done = 0
    while done < len(data):
        done += os.write(fd, data[done:])
    return done


def _overwrite(path: Path, data: memoryview) -> None:
    """Write ``data`` over the file at ``path`` in place: the pages an earlier batch left there are
    reused, where a new file would be allocated (and zeroed) page by page."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        os.ftruncate(fd, _write_all(fd, data))
    finally:
        os.close(fd)


class _Scratch:
    """The record files DuckDB reads for one batch: the NDJSON of every one-line delivery file
    in one file (one file to open and bind, its pages reused batch after batch), the records
    array of any other delivery file in a file of its own."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.lines_path = folder / "batch.ndjson"
        self.lines: list[FileTask] = []
        self.arrays: list[tuple[FileTask, Path]] = []
        self._fd = -1
        self.size = 0

    def add(self, task: FileTask, data: bytes) -> bool:
        """Stage a delivery file's records; ``False`` when ``data`` is not a delivery file."""
        lines = fastpath.records_lines(data)
        if lines is not None:
            if self._fd < 0:
                self._fd = os.open(self.lines_path, os.O_WRONLY | os.O_CREAT, 0o600)
            if self.size:
                self.size += _write_all(self._fd, memoryview(b"\n"))
            self.size += _write_all(self._fd, lines)
            self.lines.append(task)
            return True
        array = fastpath.records_array(data)
        if array is None:
            return False
        path = self.folder / f"array-{len(self.arrays)}.json"
        _overwrite(path, array)
        self.arrays.append((task, path))
        return True

    def close(self) -> None:
        if self._fd >= 0:
            os.ftruncate(self._fd, self.size)
            os.close(self._fd)
            self._fd = -1

    def read_all(self, con: duckdb.DuckDBPyConnection) -> pa.Table:
        self.close()
        lines = [self.lines_path] if self.lines else []
        return fastpath.read_records(con, lines=lines, arrays=[p for _t, p in self.arrays])

    def read_each(
        self, con: duckdb.DuckDBPyConnection
    ) -> Iterator[tuple[FileTask, pa.Table | None, str | None]]:
        """File by file (after :meth:`read_all` failed): a file DuckDB rejects yields its error."""
        one = self.folder / "one.json"
        for task in self.lines:
            data = read_bytes(task.path)
            lines = fastpath.records_lines(data)
            assert lines is not None
            _overwrite(one, lines)
            got = self._read(con, task, lines=[one])
            array = fastpath.records_array(data)
            if got[1] is None and array is not None:  # not one record a line after all
                _overwrite(one, array)
                got = self._read(con, task, arrays=[one])
            yield got
        for task, path in self.arrays:
            yield self._read(con, task, arrays=[path])

    @staticmethod
    def _read(
        con: duckdb.DuckDBPyConnection,
        task: FileTask,
        lines: Sequence[Path] = (),
        arrays: Sequence[Path] = (),
    ) -> tuple[FileTask, pa.Table | None, str | None]:
        try:
            return task, fastpath.read_records(con, lines=lines, arrays=arrays), None
        except duckdb.Error as exc:
            return task, None, str(exc).splitlines()[0]


def _iter_fast(
    con: duckdb.DuckDBPyConnection, scratch: _Scratch
) -> Iterator[tuple[FileTask | None, pa.Table | None, str | None]]:
    """Tables from the staged records: all at once, else file by file (a file DuckDB rejects
    yields its error instead)."""
    if not scratch.lines and not scratch.arrays:
        return
    try:
        yield None, scratch.read_all(con), None
        return
    except duckdb.Error:
        pass
    yield from scratch.read_each(con)


def _read_one(
    task: FileTask,
    out: FileOutcome,
    result: BatchResult,
    quarantine: _RecordQuarantine,
    tables: list[pa.Table],
    flow_tables: list[pa.Table],
    scratch: _Scratch,
) -> None:
    """Recognise one file; CloudTrail delivery files are left for the vectorized read."""
    data = read_bytes(task.path)
    if scratch.add(task, data):
        out.kind = "cloudtrail"
        return
    if flowlogs.looks_like_flowlog(data[:512]):
        flow_tables.append(flowlogs.parse(data, task.name))
        out.kind = "flowlogs"
        return
    out.kind, parsed, bad = parse_json_records(data)
    for reason, item in bad:
        quarantine.add(task.source_id, reason, item)
    result.quarantined_records += len(bad)
    rows = _python_rows(task, parsed, quarantine, result)
    if rows:
        tables.append(pa.Table.from_pylist(rows, schema=CLOUDTRAIL_SCHEMA))


_CONNECTIONS: dict[int, duckdb.DuckDBPyConnection] = {}
"""This process's DuckDB connection, by process id (a forked child never uses its parent's)."""


def _connection() -> duckdb.DuckDBPyConnection:
    """This process's DuckDB connection (one thread), kept from batch to batch."""
    con = _CONNECTIONS.get(os.getpid())
    if con is None:
        con = duckdb.connect(config={"threads": 1})
        con.execute("SET enable_progress_bar = false")
        _CONNECTIONS.clear()
        _CONNECTIONS[os.getpid()] = con
    return con


def release_connection() -> None:
    """Close the connection :func:`process_batch` keeps (when batches ran in this process)."""
    con = _CONNECTIONS.pop(os.getpid(), None)
    if con is not None:
        con.close()


CHUNK_BYTES = 64 << 20
"""Records text DuckDB reads at a time (~50,000 events): each chunk's rows are written out before
the next is read, so a worker's memory stays small and is reused from chunk to chunk."""


def _read_chunk(
    con: duckdb.DuckDBPyConnection,
    scratch: _Scratch,
    ctx: _BatchContext,
) -> None:
    for failed, table, _error in _iter_fast(con, scratch):
        if table is None:
            if failed is not None:
                _fallback(ctx, failed)
            continue
        good, bad_rows = _split_invalid(_drop_insights(table, ctx.result))
        source = failed.source_id if failed is not None else "(one of the batch's files)"
        for row in bad_rows.to_pylist():
            ctx.quarantine.add(source, "missing or malformed eventID/eventTime/eventName", row)
        ctx.result.quarantined_records += bad_rows.num_rows
        ctx.cloudtrail.add(good)


@dataclass
class _BatchContext:
    lake: Path
    run: str
    result: BatchResult
    quarantine: _RecordQuarantine
    outcomes: dict[str, FileOutcome]
    cloudtrail: PartitionedWriter
    tables: list[pa.Table] = field(default_factory=list)
    """CloudTrail rows read record by record (events, NDJSON, fallbacks)."""
    flow_tables: list[pa.Table] = field(default_factory=list)


def process_batch(
    lake_str: str, run: str, batch: str, tasks: list[FileTask], scratch: str | None = None
) -> BatchResult:
    """Stage a batch's Parquet under ``<lake>/.staging/<run>/<batch>/``; never raises for bad data.

    ``scratch`` (:func:`scratch_dir`) is where the process keeps its record files from batch to
    batch (removed by the caller); without it a folder is made and removed for this batch."""
    started = _cpu_seconds()
    lake = Path(lake_str)
    staged = lake / ".staging" / run / batch
    result = BatchResult(batch, str(staged), pid=os.getpid())
    ctx = _BatchContext(
        lake,
        run,
        result,
        _RecordQuarantine(lake, run, batch),
        {t.source_id: FileOutcome(t.source_id, t.version) for t in tasks},
        PartitionedWriter(staged, "cloudtrail", batch, keep_ids=True),
    )
    con = _connection()
    own_tmp = scratch is None
    tmp = Path(scratch_dir(lake) if scratch is None else os.path.join(scratch, f"p{os.getpid()}"))
    tmp.mkdir(parents=True, exist_ok=True)
    records = _Scratch(tmp)
    try:
        for task in tasks:
            out = ctx.outcomes[task.source_id]
            try:
                _read_one(task, out, result, ctx.quarantine, ctx.tables, ctx.flow_tables, records)
            except (ValueError, OSError, flowlogs.FlowLogError, UnicodeDecodeError) as exc:
                out.error = str(exc)[:500]
                quarantine_file(lake, run, task, out.error)
            if records.size >= CHUNK_BYTES:
                _read_chunk(con, records, ctx)
                records = _Scratch(tmp)
        _read_chunk(con, records, ctx)
        if ctx.tables:
            ctx.cloudtrail.add(pa.concat_tables(ctx.tables))
        result.events = ctx.cloudtrail.rows
        result.event_ids = ctx.cloudtrail.close()
        if ctx.flow_tables:
            fl = pa.concat_tables(ctx.flow_tables)
            result.flows = fl.num_rows
            stage_partitioned(staged, "flowlogs", fl, batch)
    finally:
        ctx.cloudtrail.close()
        ctx.quarantine.close()
        records.close()
        if own_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    result.outcomes = [ctx.outcomes[t.source_id] for t in tasks]
    result.cpu_seconds = _cpu_seconds() - started
    return result


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _fallback(ctx: _BatchContext, task: FileTask) -> None:
    """A delivery file the vectorized reader rejected: parse it record by record."""
    try:
        _kind, records, _bad = parse_json_records(read_bytes(task.path))
    except ValueError as exc:
        out = ctx.outcomes[task.source_id]
        out.error = str(exc)[:500]
        quarantine_file(ctx.lake, ctx.run, task, out.error)
        return
    rows = _python_rows(task, records, ctx.quarantine, ctx.result)
    if rows:
        ctx.tables.append(pa.Table.from_pylist(rows, schema=CLOUDTRAIL_SCHEMA))
