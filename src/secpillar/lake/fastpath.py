"""The vectorized CloudTrail path: delivery files -> an Arrow table of the lake's columns, no
per-record Python.

A CloudTrail delivery file is one JSON object ``{"Records":[{…},{…}]}``. After gunzip, the bytes
between the first ``[`` and the last ``]`` are a JSON array of the records. :func:`records_lines`
turns that array into NDJSON, one record a line, by replacing each ``},{"<first key>":`` between
records with ``}\n{"<first key>":`` (no parse: a ``{"`` cannot occur inside a JSON string, and a
file where the replacement goes wrong leaves lines that are not JSON, which the reader rejects).
DuckDB's JSON reader parses NDJSON about a quarter faster than the same records as an array, and
parses either in one pass straight into typed columns: the record's camelCase keys, free-form
objects kept as JSON text. The Arrow result gets the Athena table's lowercase names
(:data:`secpillar.lake.schema.CLOUDTRAIL_FIELDS`) by a zero-copy type view, and the partition
columns come from the same SELECT. A file the reader rejects is read again as an array, then
falls back to the pure path (:func:`secpillar.lake.schema.record_to_row`), record by record, so
that one bad record is quarantined instead of the file.
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
_FIRST_KEY = re.compile(rb'\A\s*\{\s*"Records"\s*:\s*\[\s*(\{"([A-Za-z0-9_]{1,64})":)')
MAX_OBJECT = 16 << 20
"""Largest record (NDJSON line or array element) DuckDB reads, its default; a larger one makes
the file fall back to the pure path. (A larger limit costs: DuckDB sizes its read buffers by it.)"""
NDJSON = "newline_delimited"
ARRAY = "array"
VALID = "_secpillar_valid"
"""Extra column of :func:`read_records`: the row has eventID, eventName and an ISO-8601 eventTime."""


def records_array(data: bytes) -> memoryview | None:
    """The ``[...]`` of a ``{"Records": [...]}`` document, without parsing (``None`` when the
    bytes do not have that shape)."""
    head = _PREFIX.match(data[:64])
    if head is None or _SUFFIX.search(data[-64:]) is None:
        return None
    start = head.end() - 1
    end = data.rindex(b"]") + 1
    return memoryview(data)[start:end]


def records_lines(data: bytes) -> memoryview | None:
    """The records of a ``{"Records": [...]}`` document as NDJSON, one record a line, when its
    first record starts ``{"K":`` (``None`` otherwise; :func:`records_array` then serves).

    Each ``},{"K":`` (``K`` the first record's first key, ``eventVersion`` in CloudTrail's files)
    becomes ``}\\n{"K":``. Outside strings that sequence only occurs between two objects of an
    array (``"`` cannot occur unescaped inside a string); between records it is the split wanted,
    inside a nested array it leaves a line whose brackets do not balance, which DuckDB rejects.
    Records that start with another key, or whitespace between records, leave two records or a
    trailing comma on a line, and a newline inside a record (pretty-printed JSON) leaves half
    records: DuckDB rejects all of these as well, so a file is never silently misread; it is read
    again as an array, then record by record."""
    head = _FIRST_KEY.match(data[:160])
    if head is None or _SUFFIX.search(data[-64:]) is None:
        return None
    key = head.group(2)
    lines = data.replace(b'},{"' + key + b'":', b'}\n{"' + key + b'":')
    return memoryview(lines)[head.start(1) : lines.rindex(b"]")]


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


def columns_spec() -> str:
    """``read_json``'s ``columns`` argument for CloudTrail records."""
    items = ", ".join(f"'{f.key}': '{_read_type(f)}'" for f in CLOUDTRAIL_FIELDS)
    return "{" + items + "}"


def select_sql(source: str) -> str:
    """SELECT from ``source`` (a relation of parsed records) of the lake's columns in order, still
    under the record's camelCase names (:func:`to_lake` renames them), then the partition columns
    and :data:`VALID`."""
    cols = [f"CAST({_q(f.key)} AS VARCHAR)" if f.kind == "json" else _q(f.key) for f in CLOUDTRAIL_FIELDS]
    account = f"COALESCE({_q('recipientAccountId')}, {_q('userIdentity')}.{_q('accountId')}, '{UNKNOWN}')"
    region = f"COALESCE({_q('awsRegion')}, '{UNKNOWN}')"
    day = f"COALESCE(left({_q('eventTime')}, 10), '{UNKNOWN}')"
    cols += [f"{account} AS account", f"{region} AS region", f"{day} AS date"]
    t = _q("eventTime")
    # 19 characters or more, '-' 5th and 8th, 'T' 11th (validate_record's rule)
    valid = (
        f"COALESCE({_q('eventID')} IS NOT NULL AND {_q('eventName')} IS NOT NULL "
        f"AND {t} LIKE '____-__-__T________%', false) AS {VALID}"
    )
    return f"SELECT {', '.join(cols)}, {valid} FROM {source}"


_COLUMNS = columns_spec()
RESULT_SCHEMA = CLOUDTRAIL_SCHEMA.append(pa.field(VALID, pa.bool_()))


def to_lake(table: pa.Table) -> pa.Table:
    """The result of :func:`select_sql` with the lake's names and types: every nested type has the
    same layout under other field names, so each column is a zero-copy view."""
    columns = [_view(col, field.type) for col, field in zip(table.columns, RESULT_SCHEMA, strict=True)]
    return pa.Table.from_arrays(columns, schema=RESULT_SCHEMA)


def _view(column: pa.ChunkedArray, target: pa.DataType) -> pa.ChunkedArray:
    if column.type == target:
        return column
    return pa.chunked_array([chunk.view(target) for chunk in column.chunks], target)


def _source(paths: Sequence[Path], fmt: str) -> str:
    files = "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"
    return (
        f"read_json({files}, format = '{fmt}', columns = {_COLUMNS}, "
        f"maximum_object_size = {MAX_OBJECT}, convert_strings_to_integers = false)"
    )


def read_records(
    con: duckdb.DuckDBPyConnection, lines: Sequence[Path] = (), arrays: Sequence[Path] = ()
) -> pa.Table:
    """Parse files of CloudTrail records, NDJSON (``lines``, from :func:`records_lines`) or one
    JSON array each (``arrays``, from :func:`records_array`); returns the lake's columns
    (:data:`CLOUDTRAIL_SCHEMA`) plus the boolean :data:`VALID`. Raises ``duckdb.Error`` on a
    malformed file."""
    parts = [select_sql(_source(p, fmt)) for p, fmt in ((lines, NDJSON), (arrays, ARRAY)) if p]
    if not parts:
        return RESULT_SCHEMA.empty_table()
    return to_lake(con.sql(" UNION ALL ".join(parts)).to_arrow_table())


def read_arrays(con: duckdb.DuckDBPyConnection, paths: Sequence[Path]) -> pa.Table:
    """:func:`read_records` of files that each hold one JSON array of records."""
    return read_records(con, arrays=paths)
