"""Write Arrow tables into the lake: Hive partitions, staged then renamed into place."""

from __future__ import annotations

import io
import os
import shutil
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from secpillar.lake.schema import PARTITION_COLUMNS

STAGING = ".staging"
COMPRESSION = "snappy"
"""Parquet codec: every engine reads it, and it is the cheapest to write."""
ROW_GROUP = 128 * 1024
MIN_ROW_GROUP = 64 * 1024
"""A partition's rows are held until there are this many (or the file ends), then written as
one row group."""
STATISTICS = ("eventtime", "eventname", "eventsource")
"""CloudTrail columns whose row-group min/max statistics are written: ``eventtime`` prunes time
windows; the others are cheap. Statistics of the other columns (IDs, ARNs, JSON text) prune
nothing and cost about a tenth of the writing."""
NO_DICTIONARY = ("eventid", "requestid", "sharedeventid")
"""CloudTrail columns never dictionary-encoded, nor compressed: unique by definition, random
UUIDs in practice, which Snappy shrinks by a tenth at a sixth of the cost of writing a file."""
MAX_RUNS = 256
"""More runs of partition values than this in one table: sort the rows first."""


def new_run_id() -> str:
    return uuid.uuid4().hex[:12]


def staging_dir(lake: Path, run_id: str) -> Path:
    return lake / STAGING / run_id


def publish(staged: Path, lake: Path) -> list[Path]:
    """Rename every Parquet file under ``staged`` (``<table>/account=…/…/x.parquet``) to the same
    relative path in the lake; returns the final paths. Renames are atomic on one filesystem."""
    out = []
    for src in sorted(staged.rglob("*.parquet")):
        dest = lake / src.relative_to(staged)
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(src, dest)
        out.append(dest)
    return out


def stage_table(
    staged: Path, table_name: str, table: pa.Table, prefix: str, use_threads: bool = True
) -> None:
    """Write ``table`` (data columns + partition columns) Hive-partitioned under ``staged/table_name``."""
    if table.num_rows == 0:
        return
    part_schema = pa.schema([(p, pa.string()) for p in PARTITION_COLUMNS])
    ds.write_dataset(
        table,
        staged / table_name,
        format="parquet",
        partitioning=ds.partitioning(part_schema, flavor="hive"),
        basename_template=f"part-{prefix}-{{i}}.parquet",
        existing_data_behavior="overwrite_or_ignore",
        file_options=ds.ParquetFileFormat().make_write_options(compression=COMPRESSION),
        max_rows_per_group=ROW_GROUP,
        max_partitions=100_000,
        use_threads=use_threads,
    )


def _runs(table: pa.Table) -> list[tuple[tuple[str, ...], int, int]] | None:
    """(partition values, start, stop) of each run of rows with the same partition values, or
    ``None`` when some value is null or empty (Arrow's writer has a rule for those) or there are
    more than :data:`MAX_RUNS` runs."""
    keys = [table.column(p).combine_chunks() for p in PARTITION_COLUMNS]
    n = table.num_rows
    for k in keys:
        if k.null_count or pc.min(pc.utf8_length(k)).as_py() == 0:
            return None
    changed = None
    for k in keys:
        diff = pc.not_equal(k.slice(1), k.slice(0, n - 1))
        changed = diff if changed is None else pc.or_(changed, diff)
    assert changed is not None
    starts = [0, *(i + 1 for i in pc.indices_nonzero(changed).to_pylist())]
    if len(starts) > MAX_RUNS:
        return None
    stops = [*starts[1:], n]
    return [(tuple(str(k[s].as_py()) for k in keys), s, e) for s, e in zip(starts, stops, strict=True)]


def _leaves(schema: pa.Schema) -> list[str]:
    """Parquet's leaf column paths of ``schema`` (``useridentity.arn``,
    ``resources.list.element.arn``…)."""
    key = schema.to_string()
    if key not in _LEAVES:
        buf = io.BytesIO()
        pq.write_table(schema.empty_table(), buf)
        parquet_schema = pq.ParquetFile(pa.BufferReader(buf.getvalue())).schema
        _LEAVES[key] = [parquet_schema.column(i).path for i in range(len(parquet_schema))]
    return _LEAVES[key]


def _dictionary_columns(schema: pa.Schema) -> list[str]:
    """The leaf columns of ``schema`` less :data:`NO_DICTIONARY`."""
    return [p for p in _leaves(schema) if p not in NO_DICTIONARY]


def _compression(schema: pa.Schema) -> dict[str, str]:
    """Each leaf column's codec: :data:`COMPRESSION`, none for :data:`NO_DICTIONARY`."""
    return {p: "none" if p in NO_DICTIONARY else COMPRESSION for p in _leaves(schema)}


_LEAVES: dict[str, list[str]] = {}


def parquet_options(table_name: str, schema: pa.Schema) -> dict[str, Any]:
    """The Parquet writer options of a lake table's files (for ``pq.ParquetWriter`` or
    ``pq.write_table``): CloudTrail's per-column codec, dictionary and statistics choices, snappy
    with pyarrow's defaults for the other tables."""
    if table_name != "cloudtrail":
        return {"compression": COMPRESSION}
    return {
        "compression": _compression(schema),
        "write_statistics": list(STATISTICS),
        "use_dictionary": _dictionary_columns(schema),
    }


class PartitionedWriter:
    """Tables appended to Hive-partitioned Parquet under ``staged/table_name``, as :func:`stage_table`
    lays it out, one file per partition, each file written by this thread as the rows come, in
    row groups of at least :data:`MIN_ROW_GROUP` rows (but the last).

    Rows come in runs of the same partition values (a delivery file holds one account, Region
    and, mostly, day): each run is a zero-copy slice, with no sort or copy. Rows too mixed are
    sorted first; a null or empty partition value goes to Arrow's dataset writer, which has its
    own name for it."""

    def __init__(self, staged: Path, table_name: str, prefix: str, keep_ids: bool = False) -> None:
        self.staged, self.table_name, self.prefix = staged, table_name, prefix
        self.rows = 0
        self._writers: dict[tuple[str, ...], tuple[str, pq.ParquetWriter]] = {}
        self._held: dict[tuple[str, ...], tuple[list[pa.Table], int]] = {}
        self._ids: dict[str, list[pa.ChunkedArray]] | None = {} if keep_ids else None
        self._others = 0

    def add(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        self.rows += table.num_rows
        runs = _runs(table)
        if runs is None:
            table = table.sort_by([(c, "ascending") for c in PARTITION_COLUMNS])
            runs = _runs(table)
        if runs is None:
            self._others += 1
            stage_table(
                self.staged, self.table_name, table, f"{self.prefix}-{self._others}", use_threads=False
            )
            return
        data = table.drop_columns(list(PARTITION_COLUMNS))
        for values, start, stop in runs:
            held, rows = self._held.get(values, ([], 0))
            held.append(data.slice(start, stop - start))
            self._held[values] = (held, rows + stop - start)
            if rows + stop - start >= MIN_ROW_GROUP:
                self._flush(values)

    def _flush(self, values: tuple[str, ...]) -> None:
        held, _rows = self._held.pop(values)
        part = pa.concat_tables(held)
        rel, writer = self._writer(values, part.schema)
        writer.write_table(part, row_group_size=ROW_GROUP)
        if self._ids is not None:
            self._ids.setdefault(rel, []).append(part.column("eventid"))

    def _writer(self, values: tuple[str, ...], schema: pa.Schema) -> tuple[str, pq.ParquetWriter]:
        if values not in self._writers:
            folder = self.staged / self.table_name
            for col, value in zip(PARTITION_COLUMNS, values, strict=True):
                folder = folder / f"{col}={quote(value, safe='')}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"part-{self.prefix}-0.parquet"
            writer = pq.ParquetWriter(path, schema, **parquet_options(self.table_name, schema))
            self._writers[values] = (str(path.relative_to(self.staged)), writer)
        return self._writers[values]

    def close(self) -> dict[str, pa.Array] | None:
        """Finish the files; returns the ``eventid`` column of each file written here (its path
        relative to ``staged``) when asked to keep them, else ``None``."""
        for values in list(self._held):
            self._flush(values)
        for _rel, writer in self._writers.values():
            writer.close()
        self._writers.clear()
        if self._ids is None:
            return None
        return {
            rel: pa.chunked_array([c for col in cols for c in col.chunks]).combine_chunks()
            for rel, cols in self._ids.items()
        }


def stage_partitioned(staged: Path, table_name: str, table: pa.Table, prefix: str) -> None:
    """:func:`stage_table` through a :class:`PartitionedWriter`."""
    writer = PartitionedWriter(staged, table_name, prefix)
    try:
        writer.add(table)
    finally:
        writer.close()


def write_table(lake: Path, table_name: str, table: pa.Table) -> list[Path]:
    """Write ``table`` into ``<lake>/<table_name>/`` (staged, then renamed); returns the files."""
    run_id = new_run_id()
    staged = staging_dir(lake, run_id)
    try:
        stage_table(staged, table_name, table, run_id)
        return publish(staged, lake)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
