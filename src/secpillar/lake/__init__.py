"""The log lake: CloudTrail and VPC flow logs as Hive-partitioned Parquet, read with DuckDB.

- :mod:`~secpillar.lake.schema` — the tables' columns (Athena's names and types), ``record_to_row``
- :mod:`~secpillar.lake.store` — where the lake is (``resolve_lake``), its layout, ``connect``
- :mod:`~secpillar.lake.ingest` — ``ingest(sources, lake)``: idempotent, incremental, crash-safe
- :mod:`~secpillar.lake.query` / :mod:`~secpillar.lake.ddl` — SQL, dialects, CREATE TABLE for
  Athena, Trino and Spark
- :mod:`~secpillar.lake.testing` — build a lake from records in tests
"""
