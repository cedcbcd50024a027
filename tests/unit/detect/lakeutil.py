"""Build a lake for detection tests from CloudTrail records (as delivered, camelCase) and flow log
rows, with the lake package's own converter and writer, so detections are tested on exactly the
Parquet the ingest writes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from secpillar.lake import testing


def write_lake(
    root: Path, records: Iterable[Mapping[str, Any]], flows: Iterable[Mapping[str, Any]] = ()
) -> Path:
    """Write ``records`` and ``flows`` as the lake's Parquet under ``root``."""
    return testing.write_lake(root, records, flows)


def connect(root: Path) -> duckdb.DuckDBPyConnection:
    """The lake's DuckDB connection (views ``cloudtrail``, ``flowlogs``, ``findings``)."""
    return testing.connect(root)
