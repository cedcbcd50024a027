"""Open the log lake for detection: the lake package's directory rule and DuckDB connection."""

from __future__ import annotations

from pathlib import Path

import duckdb

from secpillar.errors import UsageError
from secpillar.lake import store

VIEWS = ("cloudtrail", "flowlogs", "findings")


def resolve_lake(lake: Path | str | None) -> Path:
    """``--lake DIR``, else ``$SECPILLAR_LAKE``, else ``.secpillar/lake`` under the working directory."""
    return store.resolve_lake(lake)


def connect(lake: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake's views; a clear error when there is no lake."""
    if not lake.is_dir():
        raise UsageError(f"no log lake at {lake}; run `secpillar logs ingest SOURCE` first (or pass --lake)")
    return store.connect(lake)


def available_views(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal UNION SELECT table_name FROM duckdb_tables()"
    ).fetchall()
    return {str(r[0]) for r in rows} & set(VIEWS)
