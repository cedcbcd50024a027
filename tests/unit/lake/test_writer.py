"""The CloudTrail Parquet the lake writes: layout, and the per-column encodings it chooses."""

from __future__ import annotations

import uuid
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from secpillar.lake.schema import CLOUDTRAIL_SCHEMA, record_to_row
from secpillar.lake.writer import PartitionedWriter


def _record(n: int, region: str) -> dict[str, object]:
    return {
        "eventVersion": "1.09",
        "userIdentity": {
            "type": "IAMUser",
            "arn": "arn:aws:iam::111111111111:user/alice",
            "accountId": "111111111111",
        },
        "eventTime": f"2024-05-01T10:00:{n % 60:02d}Z",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "DescribeInstances",
        "awsRegion": region,
        "requestID": str(uuid.UUID(int=n + 10**6)),
        "eventID": str(uuid.UUID(int=n)),
        "recipientAccountId": "111111111111",
    }


def _write(tmp_path: Path, rows: int) -> tuple[dict[str, pa.Array] | None, list[Path]]:
    table = pa.Table.from_pylist(
        [record_to_row(_record(n, "us-east-1" if n % 2 else "eu-west-1")) for n in range(rows)],
        schema=CLOUDTRAIL_SCHEMA,
    )
    writer = PartitionedWriter(tmp_path, "cloudtrail", "b0", keep_ids=True)
    writer.add(table)
    ids = writer.close()
    return ids, sorted(tmp_path.rglob("*.parquet"))


def test_one_file_per_partition_and_the_ids_of_each(tmp_path: Path) -> None:
    ids, files = _write(tmp_path, 40)
    rel = [str(f.relative_to(tmp_path)) for f in files]
    assert rel == [
        "cloudtrail/account=111111111111/region=eu-west-1/date=2024-05-01/part-b0-0.parquet",
        "cloudtrail/account=111111111111/region=us-east-1/date=2024-05-01/part-b0-0.parquet",
    ]
    assert ids is not None and sorted(ids) == sorted(rel)
    for f in files:
        kept = pq.read_table(f, columns=["eventid"]).column("eventid").to_pylist()
        assert kept == ids[str(f.relative_to(tmp_path))].to_pylist()
        assert len(kept) == 20


def test_ids_are_stored_plain_and_uncompressed_the_rest_snappy_with_dictionaries(tmp_path: Path) -> None:
    _ids, files = _write(tmp_path, 40)
    meta = pq.ParquetFile(files[0]).metadata.row_group(0)
    chunks = {meta.column(i).path_in_schema: meta.column(i) for i in range(meta.num_columns)}
    for unique in ("eventid", "requestid"):
        assert chunks[unique].compression == "UNCOMPRESSED"
        assert not any("DICTIONARY" in e for e in chunks[unique].encodings)
    for name in ("eventname", "useridentity.arn", "awsregion"):
        assert chunks[name].compression == "SNAPPY"
        assert any("DICTIONARY" in e for e in chunks[name].encodings)
    # min/max statistics only where they prune
    assert chunks["eventtime"].statistics.has_min_max
    assert not chunks["eventid"].is_stats_set or not chunks["eventid"].statistics.has_min_max
