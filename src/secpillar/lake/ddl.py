"""CREATE TABLE statements that let Athena, Trino or Spark read the lake's Parquet where it lies.

Copy the lake to S3 as is (``aws s3 sync <lake>/ s3://bucket/lake/``) and point the statements at
that location: ``cloudtrail`` and ``flowlogs`` are Hive-partitioned by ``account``, ``region`` and
``date`` (``YYYY-MM-DD``); ``findings`` is not partitioned.

- Athena: ``CREATE EXTERNAL TABLE … STORED AS PARQUET`` with partition projection (``date`` as a
  date range, ``region`` as the list of Regions, ``account`` injected — or an enum with
  ``accounts``), so no partition ever has to be added by hand.
- Trino (Hive connector): ``external_location`` + ``partitioned_by``, then
  ``system.sync_partition_metadata``.
- Spark: ``USING parquet PARTITIONED BY``, then ``MSCK REPAIR TABLE``.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from secpillar.errors import UsageError
from secpillar.lake.schema import CLOUDTRAIL_DATA_SCHEMA, FLOWLOG_DATA_SCHEMA, PARTITION_COLUMNS

ENGINES = ("athena", "trino", "spark")
REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "af-south-1", "ap-east-1", "ap-south-1",
    "ap-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ca-central-1", "ca-west-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1",
    "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "sa-east-1",
)  # fmt: skip


def _findings_schema() -> pa.Schema:
    from secpillar.lake.posture import POSTURE_SCHEMA  # detection columns + scans' posture columns

    return POSTURE_SCHEMA


def hive_type(t: pa.DataType, spark: bool = False) -> str:
    """Athena (Hive DDL) / Spark SQL type of an Arrow type."""
    if pa.types.is_string(t):
        return "STRING"
    if pa.types.is_int32(t):
        return "INT"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP"
    if pa.types.is_map(t):
        return f"MAP<{hive_type(t.key_type, spark)},{hive_type(t.item_type, spark)}>"
    if pa.types.is_list(t):
        return f"ARRAY<{hive_type(t.value_type, spark)}>"
    if pa.types.is_struct(t):
        sep = ": " if spark else ":"
        fields = [t.field(i) for i in range(t.num_fields)]
        names = [f"`{f.name}`" if spark else f.name for f in fields]
        inner = ", ".join(f"{n}{sep}{hive_type(f.type, spark)}" for n, f in zip(names, fields, strict=True))
        return f"STRUCT<{inner}>"
    raise UsageError(f"no DDL type for {t}")


def trino_type(t: pa.DataType) -> str:
    if pa.types.is_string(t):
        return "VARCHAR"
    if pa.types.is_int32(t):
        return "INTEGER"
    if pa.types.is_int64(t):
        return "BIGINT"
    if pa.types.is_boolean(t):
        return "BOOLEAN"
    if pa.types.is_timestamp(t):
        return "TIMESTAMP(6)"
    if pa.types.is_map(t):
        return f"MAP({trino_type(t.key_type)}, {trino_type(t.item_type)})"
    if pa.types.is_list(t):
        return f"ARRAY({trino_type(t.value_type)})"
    if pa.types.is_struct(t):
        fields = [t.field(i) for i in range(t.num_fields)]
        return "ROW(" + ", ".join(f'"{f.name}" {trino_type(f.type)}' for f in fields) + ")"
    raise UsageError(f"no DDL type for {t}")


def _loc(location: str, table: str) -> str:
    if not location.startswith("s3://") and not location.startswith("/") and "://" not in location:
        raise UsageError(f"--location must be a URI such as s3://bucket/lake (got {location!r})")
    return location.rstrip("/") + f"/{table}/"


def _athena(name: str, schema: pa.Schema, location: str, partitioned: bool, accounts: Sequence[str]) -> str:
    cols = ",\n".join(f"  `{f.name}` {hive_type(f.type)}" for f in schema)
    sql = f"CREATE EXTERNAL TABLE IF NOT EXISTS {name} (\n{cols}\n)\n"
    if partitioned:
        sql += "PARTITIONED BY (`account` STRING, `region` STRING, `date` STRING)\n"
    sql += f"STORED AS PARQUET\nLOCATION '{location}'"
    if partitioned:
        account = (
            f"'projection.account.type'='enum', 'projection.account.values'='{','.join(accounts)}'"
            if accounts
            else "'projection.account.type'='injected'"
        )
        sql += (
            "\nTBLPROPERTIES (\n  'projection.enabled'='true',\n"
            f"  {account},\n"
            f"  'projection.region.type'='enum', 'projection.region.values'='{','.join(REGIONS)},unknown',\n"
            "  'projection.date.type'='date', 'projection.date.format'='yyyy-MM-dd',\n"
            "  'projection.date.range'='2013-11-01,NOW', 'projection.date.interval'='1',\n"
            "  'projection.date.interval.unit'='DAYS',\n"
            f"  'storage.location.template'='{location}"
            "account=${account}/region=${region}/date=${date}/'\n)"
        )
    return sql + ";"


def _trino(name: str, schema: pa.Schema, location: str, partitioned: bool, catalog: str) -> str:
    cols = [f'  "{f.name}" {trino_type(f.type)}' for f in schema]
    if partitioned:
        cols += [f'  "{p}" VARCHAR' for p in PARTITION_COLUMNS]
    props = ["format = 'PARQUET'", f"external_location = '{location}'"]
    if partitioned:
        props.append("partitioned_by = ARRAY['account', 'region', 'date']")
    schema_name, _, table = f"{catalog}.{name}".rpartition(".")
    sql = (
        f"CREATE TABLE IF NOT EXISTS {catalog}.{name} (\n"
        + ",\n".join(cols)
        + "\n)\nWITH ("
        + ", ".join(props)
        + ");"
    )
    if partitioned:
        sch = schema_name.split(".", 1)[1] if "." in schema_name else "default"
        cat = catalog.split(".", maxsplit=1)[0]
        sql += f"\nCALL {cat}.system.sync_partition_metadata('{sch}', '{table}', 'FULL');"
    return sql


def _spark(name: str, schema: pa.Schema, location: str, partitioned: bool) -> str:
    cols = [f"  `{f.name}` {hive_type(f.type, spark=True)}" for f in schema]
    if partitioned:
        cols += [f"  `{p}` STRING" for p in PARTITION_COLUMNS]
    sql = f"CREATE TABLE IF NOT EXISTS {name} (\n" + ",\n".join(cols) + "\n)\nUSING parquet\n"
    if partitioned:
        sql += "PARTITIONED BY (`account`, `region`, `date`)\n"
    sql += f"LOCATION '{location}';"
    if partitioned:
        sql += f"\nMSCK REPAIR TABLE {name};"
    return sql


def tables() -> list[tuple[str, pa.Schema, bool]]:
    return [
        ("cloudtrail", CLOUDTRAIL_DATA_SCHEMA, True),
        ("flowlogs", FLOWLOG_DATA_SCHEMA, True),
        ("findings", _findings_schema(), False),
    ]


def create_statements(
    engine: str,
    location: str,
    accounts: Sequence[str] = (),
    trino_catalog: str = "hive.default",
    only: Sequence[str] = (),
) -> str:
    """The CREATE TABLE statements of the lake's tables for ``engine`` at ``location``."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    out = []
    for name, schema, partitioned in tables():
        if only and name not in only:
            continue
        loc = _loc(location, name)
        if engine == "athena":
            out.append(_athena(name, schema, loc, partitioned, accounts))
        elif engine == "trino":
            out.append(_trino(name, schema, loc, partitioned, trino_catalog))
        else:
            out.append(_spark(name, schema, loc, partitioned))
    return "\n\n".join(out) + "\n"
