"""Open the log lake for detection: the lake directory rule and a DuckDB connection with its views.

The lake package (``secpillar.lake.store``) owns both; this module defers to it. Where that
package is not installed (an older checkout), it reads the same layout itself: Hive-partitioned
Parquet under ``<lake>/cloudtrail/``, ``<lake>/flowlogs/`` and ``<lake>/findings/``.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import duckdb

from secpillar.errors import UsageError

VIEWS = ("cloudtrail", "flowlogs", "findings")


def _store() -> Any:
    try:
        return importlib.import_module("secpillar.lake.store")
    except ImportError:
        return None


def resolve_lake(lake: Path | str | None) -> Path:
    """``--lake DIR``, else ``$SECPILLAR_LAKE``, else ``.secpillar/lake`` under the working directory."""
    store = _store()
    if store is not None and hasattr(store, "resolve_lake"):
        return Path(store.resolve_lake(lake))
    if lake:
        return Path(lake)
    env = os.environ.get("SECPILLAR_LAKE")
    return Path(env) if env else Path.cwd() / ".secpillar" / "lake"


def connect(lake: Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake's views (those whose data exists)."""
    if not lake.is_dir():
        raise UsageError(f"no log lake at {lake}; run `secpillar logs ingest SOURCE` first (or pass --lake)")
    store = _store()
    if store is not None and hasattr(store, "connect"):
        con: duckdb.DuckDBPyConnection = store.connect(lake)
        return con
    con = duckdb.connect()
    for name in VIEWS:
        folder = lake / name
        if folder.is_dir() and any(folder.rglob("*.parquet")):
            glob = str(folder / "**" / "*.parquet").replace("'", "''")
            con.execute(
                f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{glob}', "
                "hive_partitioning = true, union_by_name = true)"
            )
    return con


def available_views(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute(
        "SELECT view_name FROM duckdb_views() WHERE NOT internal UNION SELECT table_name FROM duckdb_tables()"
    ).fetchall()
    return {str(r[0]) for r in rows} & set(VIEWS)
