"""Where the lake lives, how it is laid out, and a DuckDB connection with its views.

Layout (every ``logs`` and ``detect`` command resolves the directory with :func:`resolve_lake`)::

    <lake>/cloudtrail/account=<id>/region=<region>/date=<YYYY-MM-DD>/part-*.parquet
    <lake>/flowlogs/account=<id>/region=<region>/date=<YYYY-MM-DD>/part-*.parquet
    <lake>/findings/*.parquet        detection findings: written by secpillar.detect.findings
                                     (``write_findings``), and scans' posture findings
                                     (``scan --lake``, secpillar.lake.posture); only read here
    <lake>/quarantine/<run>/…        malformed files and records, each with its reason
    <lake>/_manifest.jsonl           the objects already ingested (see secpillar.lake.manifest)
    <lake>/.staging/<run>/           a run's files before they are renamed into place

Parquet files are only ever created under ``.staging`` and renamed into place, so a reader (or a
run killed with ``kill -9``) never sees half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pyarrow as pa

from secpillar.lake.schema import CLOUDTRAIL_SCHEMA, FLOWLOG_SCHEMA, PARTITION_COLUMNS

LAKE_ENV = "SECPILLAR_LAKE"
DEFAULT_LAKE = Path(".secpillar") / "lake"
TABLES = ("cloudtrail", "flowlogs")
HIVE_TYPES = "{'account': 'VARCHAR', 'region': 'VARCHAR', 'date': 'VARCHAR'}"
"""Partition values stay text (an account id such as ``012345678901`` keeps its leading zero)."""


def resolve_lake(lake: str | Path | None = None) -> Path:
    """The lake directory: ``--lake DIR`` if given, else ``$SECPILLAR_LAKE``, else
    ``.secpillar/lake`` under the working directory. Not created here."""
    if lake:
        return Path(lake).expanduser().resolve()
    env = os.environ.get(LAKE_ENV)
    if env:
        return Path(env).expanduser().resolve()
    return (Path.cwd() / DEFAULT_LAKE).resolve()


def table_dir(lake: Path, table: str) -> Path:
    return lake / table


def partition_dir(lake: Path, table: str, account: str, region: str, date: str) -> Path:
    return lake / table / f"account={account}" / f"region={region}" / f"date={date}"


def duckdb_type(t: pa.DataType) -> str:
    """The DuckDB type of an Arrow type (the subset the lake uses)."""
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "VARCHAR"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_float64(t):
        return "DOUBLE"
    if pa.types.is_timestamp(t):
        return "TIMESTAMPTZ" if t.tz else "TIMESTAMP"
    if pa.types.is_map(t):
        return f"MAP({duckdb_type(t.key_type)}, {duckdb_type(t.item_type)})"
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return f"{duckdb_type(t.value_type)}[]"
    if pa.types.is_struct(t):
        inner = ", ".join(f'"{t.field(i).name}" {duckdb_type(t.field(i).type)}' for i in range(t.num_fields))
        return f"STRUCT({inner})"
    raise ValueError(f"no DuckDB type for {t}")


def empty_select(schema: pa.Schema) -> str:
    """A query with ``schema``'s columns and no rows."""
    cols = ", ".join(f'CAST(NULL AS {duckdb_type(f.type)}) AS "{f.name}"' for f in schema)
    return f"SELECT {cols} WHERE false"


def _sql_str(value: str | Path) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _has_parquet(root: Path) -> bool:
    return root.is_dir() and any(root.rglob("*.parquet"))


def partitioned_select(root: Path, schema: pa.Schema) -> str:
    """The query over a Hive-partitioned table at ``root`` with ``schema``'s columns in order
    (an empty query while the table has no files)."""
    if not _has_parquet(root):
        return empty_select(schema)
    glob = root / "*" / "*" / "*" / "*.parquet"
    cols = ", ".join(f'"{f.name}"' for f in schema)
    return (
        f"SELECT {cols} FROM read_parquet({_sql_str(glob)}, hive_partitioning = true, "
        f"hive_types = {HIVE_TYPES}, union_by_name = true)"
    )


def findings_select(lake: Path) -> str:
    """Detection findings (class 2004) and scans' posture findings (class 2003, ``scan --lake``):
    every column of both always present (``lake.posture.POSTURE_SCHEMA``)."""
    from secpillar.lake.posture import POSTURE_SCHEMA

    root = lake / "findings"
    empty = empty_select(POSTURE_SCHEMA)
    if root.is_dir() and any(root.glob("*.parquet")):
        files = f"SELECT * FROM read_parquet({_sql_str(root / '*.parquet')}, union_by_name = true)"
        return f"{files} UNION ALL BY NAME {empty}"
    return empty


def create_views(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """(Re)create the views ``cloudtrail``, ``flowlogs`` and ``findings`` over the lake."""
    con.execute(
        f"CREATE OR REPLACE VIEW cloudtrail AS {partitioned_select(lake / 'cloudtrail', CLOUDTRAIL_SCHEMA)}"
    )
    con.execute(f"CREATE OR REPLACE VIEW flowlogs AS {partitioned_select(lake / 'flowlogs', FLOWLOG_SCHEMA)}")
    con.execute(f"CREATE OR REPLACE VIEW findings AS {findings_select(lake)}")


def connect(lake: str | Path | None = None, database: str = ":memory:") -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the views ``cloudtrail``, ``flowlogs`` and ``findings`` (empty views
    with the right columns while the lake has no data). ``lake`` goes through :func:`resolve_lake`."""
    root = resolve_lake(lake)
    con = duckdb.connect(database)
    con.execute("SET enable_progress_bar = false")
    create_views(con, root)
    return con


__all__ = [
    "DEFAULT_LAKE",
    "LAKE_ENV",
    "PARTITION_COLUMNS",
    "TABLES",
    "connect",
    "create_views",
    "duckdb_type",
    "partition_dir",
    "resolve_lake",
]
