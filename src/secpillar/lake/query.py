"""SQL over the lake: run in DuckDB, or transpile to Athena/Trino/Spark SQL (sqlglot).

The views ``cloudtrail``, ``flowlogs`` and ``findings`` have the same names and columns as the
tables :mod:`secpillar.lake.ddl` creates in the other engines, so a transpiled query runs there
unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import sqlglot
from sqlglot.errors import ParseError

from secpillar.errors import UsageError
from secpillar.lake.store import connect

DIALECTS = {"athena": "athena", "trino": "trino", "spark": "spark", "duckdb": "duckdb"}


class QueryError(UsageError):
    """The SQL does not parse or does not run."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]


def transpile(sql: str, dialect: str) -> str:
    """``sql`` (DuckDB's dialect) in ``dialect``'s."""
    target = DIALECTS.get(dialect)
    if target is None:
        raise QueryError(f"unknown dialect {dialect!r}; choose from {', '.join(sorted(DIALECTS))}")
    try:
        out = sqlglot.transpile(sql, read="duckdb", write=target, pretty=True)
    except ParseError as exc:
        raise QueryError(f"the query does not parse: {str(exc).splitlines()[0]}") from None
    return ";\n".join(out)


def run_query(sql: str, lake: Path | str | None = None, limit: int | None = None) -> QueryResult:
    """Run ``sql`` over the lake's views in DuckDB."""
    con = connect(lake)
    try:
        rel = con.sql(sql)
        if rel is None:
            return QueryResult([], [])
        if limit is not None:
            rel = rel.limit(limit)
        return QueryResult(list(rel.columns), rel.fetchall())
    except duckdb.Error as exc:
        raise QueryError(str(exc).splitlines()[0]) from None
    finally:
        con.close()
