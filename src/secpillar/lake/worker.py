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
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from isal import isal_zlib

from secpillar.lake import fastpath, flowlogs
from secpillar.lake.schema import CLOUDTRAIL_SCHEMA, record_to_row, validate_record
from secpillar.lake.writer import stage_partitioned


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
    event_ids: dict[str, pa.Array] | None = None
    """The ``eventid`` column of each staged CloudTrail file (path relative to ``staged``), so
    that de-duplication need not read the files back (``None``: read them)."""


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
    task: FileTask, records: list[Any], quarantine: _RecordQuarantine
) -> tuple[list[dict[str, Any]], int]:
    rows, bad = [], 0
    for record in records:
        reason = validate_record(record)
        if reason is not None:
            quarantine.add(task.source_id, reason, record)
            bad += 1
            continue
        rows.append(record_to_row(record))
    return rows, bad


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


def _overwrite(path: Path, data: memoryview) -> None:
    """Write ``data`` over the file at ``path`` in place: the pages an earlier batch left there are
    reused, where a new file would be allocated (and zeroed) page by page."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        done = 0
        while done < len(data):
            done += os.write(fd, data[done:])
        os.ftruncate(fd, len(data))
    finally:
        os.close(fd)


_Staged = tuple[FileTask, Path, bool]
"""A delivery file's records staged for DuckDB: (task, path, NDJSON rather than an array)."""


def _read_staged(con: duckdb.DuckDBPyConnection, files: list[_Staged]) -> pa.Table:
    return fastpath.read_records(
        con, lines=[p for _t, p, nd in files if nd], arrays=[p for _t, p, nd in files if not nd]
    )


def _iter_fast(
    con: duckdb.DuckDBPyConnection, staged: list[_Staged]
) -> Iterator[tuple[FileTask | None, pa.Table | None, str | None]]:
    """Tables from the staged record files: all at once, else file by file (a file DuckDB
    rejects yields its error instead)."""
    if not staged:
        return
    try:
        yield None, _read_staged(con, staged), None
        return
    except duckdb.Error:
        pass
    for item in staged:
        try:
            yield item[0], _read_staged(con, [item]), None
        except duckdb.Error as exc:
            yield item[0], None, str(exc).splitlines()[0]


def _read_one(
    task: FileTask,
    tmp_path: Path,
    out: FileOutcome,
    result: BatchResult,
    quarantine: _RecordQuarantine,
    tables: list[pa.Table],
    flow_tables: list[pa.Table],
    staged: list[_Staged],
) -> None:
    """Recognise one file; CloudTrail delivery files are left for the vectorized read."""
    data = read_bytes(task.path)
    lines = fastpath.records_lines(data)
    records = lines if lines is not None else fastpath.records_array(data)
    if records is not None:
        _overwrite(tmp_path, records)
        staged.append((task, tmp_path, lines is not None))
        out.kind = "cloudtrail"
        return
    if flowlogs.looks_like_flowlog(data[:512]):
        flow_tables.append(flowlogs.parse(data, task.name))
        out.kind = "flowlogs"
        return
    out.kind, parsed, bad = parse_json_records(data)
    for reason, item in bad:
        quarantine.add(task.source_id, reason, item)
    rows, nbad = _python_rows(task, parsed, quarantine)
    result.quarantined_records += nbad + len(bad)
    if rows:
        tables.append(pa.Table.from_pylist(rows, schema=CLOUDTRAIL_SCHEMA))


def process_batch(
    lake_str: str, run: str, batch: str, tasks: list[FileTask], scratch: str | None = None
) -> BatchResult:
    """Stage a batch's Parquet under ``<lake>/.staging/<run>/<batch>/``; never raises for bad data.

    ``scratch`` (:func:`scratch_dir`) is where the process keeps its record files from batch to
    batch (removed by the caller); without it a folder is made and removed for this batch."""
    lake = Path(lake_str)
    staged = lake / ".staging" / run / batch
    result = BatchResult(batch, str(staged))
    quarantine = _RecordQuarantine(lake, run, batch)
    con = duckdb.connect(config={"threads": 1})
    con.execute("SET enable_progress_bar = false")
    own_tmp = scratch is None
    tmp = scratch_dir(lake) if scratch is None else os.path.join(scratch, f"p{os.getpid()}")
    os.makedirs(tmp, exist_ok=True)
    tables: list[pa.Table] = []
    flow_tables: list[pa.Table] = []
    staged_records: list[_Staged] = []
    outcomes = {t.source_id: FileOutcome(t.source_id, t.version) for t in tasks}
    try:
        for i, task in enumerate(tasks):
            out = outcomes[task.source_id]
            try:
                scratch_file = Path(tmp) / f"{i}.json"
                _read_one(task, scratch_file, out, result, quarantine, tables, flow_tables, staged_records)
            except (ValueError, OSError, flowlogs.FlowLogError, UnicodeDecodeError) as exc:
                out.error = str(exc)[:500]
                quarantine_file(lake, run, task, out.error)
        for failed, table, _error in _iter_fast(con, staged_records):
            if table is None:
                if failed is not None:
                    result.quarantined_records += _fallback(
                        lake, run, failed, outcomes[failed.source_id], quarantine, tables
                    )
                continue
            good, bad_rows = _split_invalid(table)
            source = failed.source_id if failed is not None else "(one of the batch's files)"
            for row in bad_rows.to_pylist():
                quarantine.add(source, "missing or malformed eventID/eventTime/eventName", row)
            result.quarantined_records += bad_rows.num_rows
            tables.append(good)
        if tables:
            ct = pa.concat_tables(tables)
            result.events = ct.num_rows
            written = stage_partitioned(staged, "cloudtrail", ct, batch)
            if written is not None:
                result.event_ids = {
                    path: part.column("eventid").combine_chunks() for path, part in written.items()
                }
        if flow_tables:
            fl = pa.concat_tables(flow_tables)
            result.flows = fl.num_rows
            stage_partitioned(staged, "flowlogs", fl, batch)
    finally:
        quarantine.close()
        con.close()
        if own_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    result.outcomes = [outcomes[t.source_id] for t in tasks]
    return result


def _fallback(
    lake: Path,
    run: str,
    task: FileTask,
    out: FileOutcome,
    quarantine: _RecordQuarantine,
    tables: list[pa.Table],
) -> int:
    """A delivery file the vectorized reader rejected: parse it record by record; returns the
    number of records quarantined."""
    try:
        _kind, records, _bad = parse_json_records(read_bytes(task.path))
    except ValueError as exc:
        out.error = str(exc)[:500]
        quarantine_file(lake, run, task, out.error)
        return 0
    rows, nbad = _python_rows(task, records, quarantine)
    if rows:
        tables.append(pa.Table.from_pylist(rows, schema=CLOUDTRAIL_SCHEMA))
    return nbad
