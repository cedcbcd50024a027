"""The vectorized CloudTrail path: delivery files -> an Arrow table of the lake's columns, no
per-record Python.

A CloudTrail delivery file is one JSON object ``{"Records":[{…},{…}]}``. After gunzip, the bytes
between the first ``[`` and the last ``]`` are a JSON array of the records; DuckDB's JSON reader
(``read_json(format='array')``) parses such arrays in one pass straight into typed columns — the
record's camelCase keys, free-form objects kept as JSON text — and one SELECT renames them to the
Athena table's lowercase columns (:data:`secpillar.lake.schema.CLOUDTRAIL_FIELDS`) and adds the
partition columns. A file the reader rejects falls back to the pure path
(:func:`secpillar.lake.schema.record_to_row`), record by record, so that one bad record is
quarantined instead of the file.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from secpillar.lake.schema import CLOUDTRAIL_FIELDS, CLOUDTRAIL_SCHEMA, UNKNOWN, Field

_PREFIX = re.compile(rb'\A\s*\{\s*"Records"\s*:\s*\[')
_SUFFIX = re.compile(rb"\]\s*\}\s*\Z")
MAX_OBJECT = 1 << 30
VALID = "_secpillar_valid"
"""Extra column of :func:`read_arrays`: the row has eventID, eventName and an ISO-8601 eventTime."""


def records_array(data: bytes) -> memoryview | None:
    """The ``[...]`` of a ``{"Records": [...]}`` document, without parsing (``None`` when the
    bytes do not have that shape)."""
    head = _PREFIX.match(data[:64])
    if head is None or _SUFFIX.search(data[-64:]) is None:
        return None
    start = head.end() - 1
    end = data.rindex(b"]") + 1
    return memoryview(data)[start:end]


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _read_type(f: Field) -> str:
    """The DuckDB type the JSON reader parses a field into (camelCase keys)."""
    if f.kind == "struct":
        return "STRUCT(" + ", ".join(f"{_q(c.key)} {_read_type(c)}" for c in f.children) + ")"
    if f.kind == "list":
        return "STRUCT(" + ", ".join(f"{_q(c.key)} {_read_type(c)}" for c in f.children) + ")[]"
    if f.kind == "map":
        return "MAP(VARCHAR, VARCHAR)"
    if f.kind == "json":
        return "JSON"
    return "VARCHAR"


def _rename(f: Field, expr: str) -> str:
    """An expression turning the parsed camelCase value into the lake's lowercase shape."""
    if f.kind == "struct":
        inner = ", ".join(f"{_q(c.name)}: {_rename(c, f'{expr}.{_q(c.key)}')}" for c in f.children)
        return f"CASE WHEN {expr} IS NULL THEN NULL ELSE {{{inner}}} END"
    if f.kind == "list":
        inner = ", ".join(f"{_q(c.name)}: {_rename(c, f'e.{_q(c.key)}')}" for c in f.children)
        return f"list_transform({expr}, lambda e: {{{inner}}})"
    if f.kind == "json":
        return f"CAST({expr} AS VARCHAR)"
    return expr


def columns_spec() -> str:
    """``read_json``'s ``columns`` argument for CloudTrail records."""
    items = ", ".join(f"'{f.key}': '{_read_type(f)}'" for f in CLOUDTRAIL_FIELDS)
    return "{" + items + "}"


def select_sql(source: str) -> str:
    """SELECT of the lake's columns from ``source`` (a relation of parsed records)."""
    cols = [f"{_rename(f, _q(f.key))} AS {_q(f.name)}" for f in CLOUDTRAIL_FIELDS]
    account = f"COALESCE({_q('recipientAccountId')}, {_q('userIdentity')}.{_q('accountId')}, '{UNKNOWN}')"
    region = f"COALESCE({_q('awsRegion')}, '{UNKNOWN}')"
    day = f"COALESCE(substr({_q('eventTime')}, 1, 10), '{UNKNOWN}')"
    cols += [f"{account} AS account", f"{region} AS region", f"{day} AS date"]
    t = _q("eventTime")
    valid = (
        f"({_q('eventID')} IS NOT NULL AND {_q('eventName')} IS NOT NULL AND length({t}) >= 19 "
        f"AND substr({t}, 5, 1) = '-' AND substr({t}, 8, 1) = '-' AND substr({t}, 11, 1) = 'T') AS {VALID}"
    )
    return f"SELECT {', '.join(cols)}, {valid} FROM {source}"


_COLUMNS = columns_spec()
_SELECT_CACHE: dict[str, str] = {}


def read_arrays(con: duckdb.DuckDBPyConnection, paths: Sequence[Path]) -> pa.Table:
    """Parse files that each hold one JSON array of CloudTrail records; returns the lake's
    columns (:data:`CLOUDTRAIL_SCHEMA`) plus the boolean :data:`VALID`. Raises ``duckdb.Error``
    on a malformed file."""
    files = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
    source = (
        f"read_json({files}, format = 'array', columns = {_COLUMNS}, "
        f"maximum_object_size = {MAX_OBJECT}, convert_strings_to_integers = false)"
    )
    table: pa.Table = con.sql(select_sql(source)).to_arrow_table()
    return table.cast(CLOUDTRAIL_SCHEMA.append(pa.field(VALID, pa.bool_())))
