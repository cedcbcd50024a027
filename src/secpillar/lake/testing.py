"""Helpers for tests of code that reads the lake (detections, incidents): build a lake from
CloudTrail records as delivered (camelCase JSON) and flow log rows, with exactly the Parquet the
ingest writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from secpillar.lake import store
from secpillar.lake.schema import CLOUDTRAIL_SCHEMA, FLOWLOG_SCHEMA, record_to_row
from secpillar.lake.writer import write_table


def cloudtrail_table(records: Iterable[Mapping[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([record_to_row(r) for r in records], schema=CLOUDTRAIL_SCHEMA)


def flowlog_row(flow: Mapping[str, Any]) -> dict[str, Any]:
    """A flow log row (columns of the ``flowlogs`` table) with its partition values filled in
    when missing: ``account`` from ``account_id``, ``region`` ``unknown``, ``date`` from ``start``."""
    from secpillar.lake.flowlogs import day_of_epoch

    row = {f.name: flow.get(f.name) for f in FLOWLOG_SCHEMA}
    row["account"] = row["account"] or str(flow.get("account_id") or "unknown")
    row["region"] = row["region"] or "unknown"
    row["date"] = row["date"] or day_of_epoch(flow.get("start"))
    return row


def flowlog_table(flows: Iterable[Mapping[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist([flowlog_row(f) for f in flows], schema=FLOWLOG_SCHEMA)


def write_lake(
    root: Path, records: Iterable[Mapping[str, Any]], flows: Iterable[Mapping[str, Any]] = ()
) -> Path:
    """Write ``records`` and ``flows`` into the lake at ``root`` (appending)."""
    write_table(root, "cloudtrail", cloudtrail_table(records))
    write_table(root, "flowlogs", flowlog_table(flows))
    return root


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """The lake's DuckDB connection (views ``cloudtrail``, ``flowlogs``, ``findings``)."""
    return store.connect(root)


def records_connection(
    records: Iterable[Mapping[str, Any]], flows: Iterable[Mapping[str, Any]] = ()
) -> duckdb.DuckDBPyConnection:
    """An in-memory connection whose ``cloudtrail``/``flowlogs`` are tables of the given events
    (same columns and types as the lake's views); ``findings`` is empty."""
    con = duckdb.connect()
    ct, fl = cloudtrail_table(records), flowlog_table(flows)
    con.register("_secpillar_ct", ct)
    con.register("_secpillar_fl", fl)
    con.execute("CREATE TABLE cloudtrail AS SELECT * FROM _secpillar_ct")
    con.execute("CREATE TABLE flowlogs AS SELECT * FROM _secpillar_fl")
    con.unregister("_secpillar_ct")
    con.unregister("_secpillar_fl")
    con.execute(f"CREATE VIEW findings AS {store.findings_select(Path('/nonexistent-secpillar-lake'))}")
    return con
