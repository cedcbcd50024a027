"""The detections give the same rows on Spark SQL (PySpark, local mode) as on DuckDB, over the same
Parquet the lake writes: every detection marked ``parity`` is rendered, transpiled with sqlglot
and run on both engines over all the fixture events. One SparkSession for the module."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from tests.unit.detect.cases import load_cases
from tests.unit.detect.lakeutil import connect, write_lake

from secpillar.detect import ALERT_COLUMNS, Detection, load_all

pytestmark = pytest.mark.spark
PARITY = [d for d in load_all() if d.parity]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("spark-lake")
    records: list[dict[str, Any]] = []
    flows: list[dict[str, Any]] = []
    for n, case in enumerate(load_cases()):
        for r in case["records"]:
            records.append({**r, "eventID": f"c{n}-{r['eventID']}"})
        flows.extend(case["flow_rows"])
    write_lake(root, records, flows)
    return root


@pytest.fixture(scope="module")
def spark(lake: Path) -> Iterator[Any]:
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: PySpark cannot start")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[1]")
        .appName("secpillar-detect-parity")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    for table in ("cloudtrail", "flowlogs"):
        session.read.option("basePath", str(lake / table)).parquet(str(lake / table)).createOrReplaceTempView(
            table
        )
    yield session
    session.stop()


def normalize(rows: Sequence[Sequence[Any]]) -> list[tuple[Any, ...]]:
    out = []
    for row in rows:
        rec = dict(zip(ALERT_COLUMNS, row, strict=True))
        rec["event_ids"] = tuple(sorted(rec["event_ids"] or ()))
        for col in ("first_seen", "last_seen"):
            value = rec[col]
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC).replace(tzinfo=None)
            rec[col] = value
        rec["event_count"] = int(rec["event_count"])
        out.append(tuple(rec[c] for c in ALERT_COLUMNS))
    return sorted(out, key=repr)


def test_parity_set_is_substantial() -> None:
    assert len(PARITY) >= 20, [d.id for d in PARITY]


@pytest.mark.parametrize("det", PARITY, ids=[d.id for d in PARITY])
def test_same_rows_on_spark_and_duckdb(det: Detection, lake: Path, spark: Any) -> None:
    sql = det.render()
    duck = normalize(connect(lake).execute(sql).fetchall())
    spark_sql = sqlglot.transpile(sql, read="duckdb", write="spark")[0]
    got = normalize([tuple(r) for r in spark.sql(spark_sql).collect()])
    assert duck, f"{det.id} fires on no fixture event: the comparison would prove nothing"
    assert got == duck
