"""The vectorized ingest path: delivery files as NDJSON, the zero-copy renames, the partitioned
writer, and the fallbacks that keep odd files correct."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.dataset as ds
import pytest
import yaml

from secpillar.lake import fastpath
from secpillar.lake.ingest import ingest
from secpillar.lake.schema import CLOUDTRAIL_SCHEMA, record_to_row
from secpillar.lake.sources import local_objects
from secpillar.lake.store import connect
from secpillar.lake.writer import stage_partitioned, stage_table

CASES = yaml.safe_load((Path(__file__).parents[2] / "fixtures" / "lake" / "records.yaml").read_text())
RECORDS = [c["record"] for c in CASES]


def _doc(records: list[Any]) -> bytes:
    return json.dumps({"Records": records}, separators=(",", ":")).encode()


def _pure(records: list[Any]) -> list[dict[str, Any]]:
    return pa.Table.from_pylist([record_to_row(r) for r in records], schema=CLOUDTRAIL_SCHEMA).to_pylist()


def test_ndjson_path_gives_the_same_rows(tmp_path: Path) -> None:
    lines = fastpath.records_lines(_doc(RECORDS))
    assert lines is not None
    assert bytes(lines).count(b"\n") == len(RECORDS) - 1
    path = tmp_path / "r.ndjson"
    path.write_bytes(lines)
    fast = fastpath.read_records(duckdb.connect(), lines=[path])
    assert fast.schema == fastpath.RESULT_SCHEMA
    assert fast.column(fastpath.VALID).to_pylist() == [True] * len(RECORDS)
    assert fast.drop_columns([fastpath.VALID]).to_pylist() == _pure(RECORDS)


@pytest.mark.parametrize(
    "data",
    [
        json.dumps({"Records": RECORDS[:2]}, indent=1).encode(),  # pretty-printed
        b'{"Records":[]}',
        b'{"Records":[{ "eventVersion":"1.08"}]}',  # first key not right after the brace
        b'{"Records":[["not", "an object"]]}',
        b'{"detail-type":"AWS API Call via CloudTrail","detail":{}}',
    ],
)
def test_records_lines_only_for_delivery_files_with_a_simple_first_key(data: bytes) -> None:
    assert fastpath.records_lines(data) is None


def _ingest_rows(tmp_path: Path, records: list[Any]) -> list[dict[str, Any]]:
    src, lake = tmp_path / "src", tmp_path / "lake"
    src.mkdir()
    (src / "d.json").write_bytes(_doc(records))
    summary = ingest(list(local_objects(src)), lake)
    assert (summary.events, summary.files_quarantined, summary.records_quarantined) == (len(records), 0, 0)
    cols = ", ".join(CLOUDTRAIL_SCHEMA.names)
    table = connect(lake).sql(f"SELECT {cols} FROM cloudtrail ORDER BY eventid").to_arrow_table()
    return table.to_pylist()


def test_a_split_inside_a_record_is_caught(tmp_path: Path) -> None:
    """A nested array whose objects start with the records' first key: the text replacement
    splits inside the record, DuckDB rejects the lines, and the file is read record by record."""
    first = dict(RECORDS[0])
    first["eventID"] = "00000000-0000-0000-0000-000000000001"
    first["requestParameters"] = {"items": [{"eventVersion": "x"}, {"eventVersion": "y", "n": [1]}]}
    records = [{"eventVersion": first.pop("eventVersion"), **first}, RECORDS[1]]
    lines = fastpath.records_lines(_doc(records))
    assert lines is not None and bytes(lines).count(b"\n") == 2  # one split too many
    path = tmp_path / "r.ndjson"
    path.write_bytes(lines)
    with pytest.raises(duckdb.Error):
        fastpath.read_records(duckdb.connect(), lines=[path])
    assert _ingest_rows(tmp_path, records) == sorted(_pure(records), key=lambda r: r["eventid"])


def test_records_that_start_with_another_key_are_not_merged(tmp_path: Path) -> None:
    """Records whose keys come in another order stay on one line with their neighbour, which
    DuckDB rejects: nothing is silently dropped."""
    reordered = {"eventID": RECORDS[1]["eventID"], **RECORDS[1]}
    records = [RECORDS[0], reordered, RECORDS[2]]
    assert _ingest_rows(tmp_path, records) == sorted(_pure(records), key=lambda r: r["eventid"])


@pytest.mark.parametrize("missing", ["eventTime", "eventID", "eventName"])
def test_records_without_the_required_fields_are_quarantined(tmp_path: Path, missing: str) -> None:
    bad = {k: v for k, v in RECORDS[1].items() if k != missing}
    lines = fastpath.records_lines(_doc([RECORDS[0], bad]))
    assert lines is not None
    path = tmp_path / "r.ndjson"
    path.write_bytes(lines)
    valid = fastpath.read_records(duckdb.connect(), lines=[path]).column(fastpath.VALID).to_pylist()
    assert valid == [True, False]


def test_whitespace_between_records_is_caught(tmp_path: Path) -> None:
    """A newline between records (the file is not one line): the lines DuckDB gets end in a
    comma, it rejects them, and the file is read as an array instead."""
    data = _doc(RECORDS[:3]).replace(b'},{"eventVersion"', b'},\n {"eventVersion"')
    lines = fastpath.records_lines(data)
    assert lines is not None
    path = tmp_path / "r.ndjson"
    path.write_bytes(lines)
    with pytest.raises(duckdb.Error):
        fastpath.read_records(duckdb.connect(), lines=[path])
    src, lake = tmp_path / "src", tmp_path / "lake"
    src.mkdir()
    (src / "d.json").write_bytes(data)
    summary = ingest(list(local_objects(src)), lake)
    assert (summary.events, summary.records_quarantined) == (3, 0)


def _partitioned(rows: list[tuple[str, str, str]]) -> pa.Table:
    records = [
        {
            "eventID": f"e{i}",
            "eventName": "X",
            "eventTime": f"{d}T00:00:00Z",
            "recipientAccountId": a,
            "awsRegion": r,
        }
        for i, (a, r, d) in enumerate(rows)
    ]
    return pa.Table.from_pylist([record_to_row(r) for r in records], schema=CLOUDTRAIL_SCHEMA)


@pytest.mark.parametrize(
    "rows",
    [
        [("111111111111", "us-east-1", "2024-05-01")] * 3 + [("222222222222", "eu-west-1", "2024-05-02")] * 2,
        [("1", "a", "2024-05-01"), ("2", "a", "2024-05-01"), ("1", "a", "2024-05-01")],  # runs interleave
        [("a b/c%d", "x:y=z", "2024-05-01"), ("", "r", "2024-05-01")],  # escaped and empty values
        [(str(i % 2), "r", "2024-05-01") for i in range(600)],  # too many runs: Arrow's writer
    ],
)
def test_partitioned_writer_matches_the_dataset_writer(
    tmp_path: Path, rows: list[tuple[str, str, str]]
) -> None:
    table = _partitioned(rows)
    stage_partitioned(tmp_path / "fast", "cloudtrail", table, "b")
    stage_table(tmp_path / "ref", "cloudtrail", table, "b")

    def folders(root: Path) -> set[str]:
        return {str(p.parent.relative_to(root)) for p in root.rglob("*.parquet")}

    assert folders(tmp_path / "fast") == folders(tmp_path / "ref")

    def read(root: Path) -> list[dict[str, Any]]:
        part = ds.partitioning(
            flavor="hive", schema=CLOUDTRAIL_SCHEMA.empty_table().select(["account", "region", "date"]).schema
        )
        got = ds.dataset(root / "cloudtrail", format="parquet", partitioning=part).to_table()
        return sorted(got.to_pylist(), key=lambda r: r["eventid"])

    assert read(tmp_path / "fast") == read(tmp_path / "ref")
