"""Write Arrow tables into the lake: Hive partitions, staged then renamed into place."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from secpillar.lake.schema import PARTITION_COLUMNS

STAGING = ".staging"
COMPRESSION = "snappy"
"""Parquet codec: every engine reads it, and it is the cheapest to write."""


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
        max_rows_per_group=128 * 1024,
        max_partitions=100_000,
        use_threads=use_threads,
    )


def write_table(lake: Path, table_name: str, table: pa.Table) -> list[Path]:
    """Write ``table`` into ``<lake>/<table_name>/`` (staged, then renamed); returns the files."""
    run_id = new_run_id()
    staged = staging_dir(lake, run_id)
    try:
        stage_table(staged, table_name, table, run_id)
        return publish(staged, lake)
    finally:
        shutil.rmtree(staged, ignore_errors=True)
