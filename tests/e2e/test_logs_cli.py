"""``secpillar logs query`` and ``logs ddl``: the lake through DuckDB, the same query transpiled
for Athena/Trino/Spark, and the CREATE TABLE statements run on Spark (local mode) over the same
Parquet, giving DuckDB's rows."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlglot
from tests.functional.lake.helpers import record
from tests.unit.lake.test_flowlogs_store import SAMPLE
from typer.testing import CliRunner

from secpillar.cli.main import app
from secpillar.lake.store import connect
from secpillar.lake.testing import write_lake

runner = CliRunner()
QUERY = (
    "SELECT eventname, useridentity.username AS who, count(*) AS n, "
    "max(json_extract_string(requestparameters, '$.filterSet.items[0].name')) AS f "
    "FROM cloudtrail WHERE date = '2024-05-01' GROUP BY eventname, useridentity.username ORDER BY eventname"
)


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lake")
    from secpillar.lake import flowlogs

    recs = [record(i, name="DescribeInstances" if i % 3 else "RunInstances") for i in range(30)]
    write_lake(root, recs, flowlogs.parse(SAMPLE).to_pylist())
    return root


def _invoke(*args: str) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result


def test_query_formats(lake: Path) -> None:
    rows = json.loads(_invoke("logs", "query", QUERY, "--lake", str(lake), "--format", "json").output)
    assert rows == [
        {"eventname": "DescribeInstances", "who": "alice", "n": 20, "f": "n"},
        {"eventname": "RunInstances", "who": "alice", "n": 10, "f": "n"},
    ]
    out = _invoke(
        "logs", "query", "SELECT count(*) AS n FROM flowlogs", "--lake", str(lake), "--format", "csv"
    )
    assert list(csv.reader(io.StringIO(out.output))) == [["n"], ["3"]]
    table = _invoke("logs", "query", "SELECT count(*) AS n FROM findings", "--lake", str(lake)).output
    assert "1 row(s)" in table


def test_lake_from_environment(lake: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECPILLAR_LAKE", str(lake))
    rows = json.loads(
        _invoke("logs", "query", "SELECT count(*) AS n FROM cloudtrail", "--format", "json").output
    )
    assert rows == [{"n": 30}]


def test_bad_sql_is_a_usage_error(lake: Path) -> None:
    result = runner.invoke(app, ["logs", "query", "SELECT nope FROM cloudtrail", "--lake", str(lake)])
    assert result.exit_code == 2
    assert "nope" in result.output


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        ("athena", "JSON_EXTRACT_SCALAR(requestparameters"),
        ("trino", "JSON_EXTRACT_SCALAR(requestparameters"),
        ("spark", "GET_JSON_OBJECT(requestparameters"),
    ],
)
def test_dialects(dialect: str, expected: str) -> None:
    out = _invoke("logs", "query", QUERY, "--dialect", dialect).output
    assert expected in out
    sqlglot.parse_one(out, read=dialect)  # what we print parses in that dialect


@pytest.mark.parametrize("engine", ["athena", "trino", "spark"])
def test_ddl_statements(engine: str) -> None:
    out = _invoke(
        "logs", "ddl", "--engine", engine, "--location", "s3://logs-bucket/lake", "--accounts", "111111111111"
    )
    text = out.output
    for table in ("cloudtrail", "flowlogs", "findings"):
        assert f"s3://logs-bucket/lake/{table}/" in text
    if engine == "athena":
        assert "STORED AS PARQUET" in text and "'projection.enabled'='true'" in text
        assert "'projection.account.values'='111111111111'" in text
        assert "PARTITIONED BY (`account` STRING, `region` STRING, `date` STRING)" in text
        assert "useridentity` STRUCT<type:STRING, principalid:STRING" in text
    elif engine == "trino":
        assert "partitioned_by = ARRAY['account', 'region', 'date']" in text
        assert "system.sync_partition_metadata('default', 'cloudtrail', 'FULL')" in text
    else:
        assert "USING parquet" in text and "MSCK REPAIR TABLE cloudtrail;" in text


@pytest.fixture(scope="module")
def spark(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    if shutil.which("java") is None:
        pytest.skip("no Java runtime: PySpark cannot start")
    from pyspark.sql import SparkSession

    warehouse = tmp_path_factory.mktemp("warehouse")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("secpillar-lake-ddl")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_reads_the_lake_through_the_ddl(lake: Path, spark: Any) -> None:
    ddl = _invoke("logs", "ddl", "--engine", "spark", "--location", lake.as_uri()).output
    for statement in (s.strip() for s in ddl.split(";")):
        if statement:
            spark.sql(statement)
    con = connect(lake)
    for sql in (
        QUERY,
        "SELECT srcaddr, dstport, action, account FROM flowlogs WHERE log_status = 'OK' ORDER BY dstport",
        "SELECT eventid, useridentity.arn, readonly, region FROM cloudtrail ORDER BY eventid LIMIT 5",
    ):
        duck = [tuple(r) for r in con.execute(sql).fetchall()]
        got = [tuple(r) for r in spark.sql(sqlglot.transpile(sql, read="duckdb", write="spark")[0]).collect()]
        assert duck and got == duck, sql
