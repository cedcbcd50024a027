"""``secpillar.lake.ingest``: every input format, idempotence, de-duplication, quarantine."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
from tests.functional.lake.helpers import delivery_file, envelope, many_files, record
from tests.unit.lake.test_flowlogs_store import SAMPLE

from secpillar.lake import manifest
from secpillar.lake.ingest import ingest
from secpillar.lake.sources import local_objects
from secpillar.lake.store import connect
from secpillar.lake.writer import publish, stage_table


def _run(src: Path, lake: Path, workers: int = 1):  # type: ignore[no-untyped-def]
    return ingest(list(local_objects(src)), lake, workers=workers)


def _count(
    lake: Path, sql: str = "SELECT count(*), count(DISTINCT eventid) FROM cloudtrail"
) -> tuple[int, ...]:
    row = connect(lake).execute(sql).fetchone()
    assert row is not None
    return tuple(row)


def test_idempotent_and_incremental(tmp_path: Path) -> None:
    src, lake = tmp_path / "src", tmp_path / "lake"
    total = many_files(src, files=6, per_file=50)
    first = _run(src, lake, workers=2)
    assert (first.files_ingested, first.events, first.duplicates) == (6, total, 0)
    again = _run(src, lake)
    assert (again.files_skipped, again.files_ingested, again.events) == (6, 0, 0)
    many_files(src / "later", files=1, per_file=20, start=10_000)
    more = _run(src, lake)
    assert (more.files_skipped, more.files_ingested, more.events) == (6, 1, 20)
    assert _count(lake) == (total + 20, total + 20)
    # partitions: account=/region=/date= as text
    parts = connect(lake).execute("SELECT DISTINCT account, region, date FROM cloudtrail").fetchall()
    assert parts == [("111111111111", "us-east-1", "2024-05-01")]


def test_duplicate_events_across_files_and_runs(tmp_path: Path) -> None:
    """The same event delivered twice (an organization trail and a local trail) is stored once."""
    src, lake = tmp_path / "src", tmp_path / "lake"
    recs = [record(i) for i in range(30)]
    delivery_file(src, recs[:20], "org.json.gz")
    delivery_file(src, recs[10:], "local.json.gz")
    summary = _run(src, lake)
    assert (summary.events, summary.duplicates) == (30, 10)
    # the staged file rewritten without the duplicates keeps the lake's encodings
    for f in (lake / "cloudtrail").rglob("*.parquet"):
        meta = pq.ParquetFile(f).metadata.row_group(0)
        codecs = {meta.column(i).path_in_schema: meta.column(i).compression for i in range(meta.num_columns)}
        assert (codecs["eventid"], codecs["eventname"]) == ("UNCOMPRESSED", "SNAPPY")
    (src / "eb").mkdir()
    (src / "eb" / "event.json").write_text(json.dumps(envelope(recs[5])))
    summary = _run(src, lake)
    assert (summary.events, summary.duplicates) == (0, 1)
    assert _count(lake) == (30, 30)


def test_duplicates_across_batches_of_a_new_partition(tmp_path: Path) -> None:
    """One file a batch: the second batch's events are checked against the first's, which are
    still held as the array the worker returned, and against the lake's in a later run."""
    src, lake = tmp_path / "src", tmp_path / "lake"
    recs = [record(i) for i in range(30)]
    delivery_file(src, recs[:20], "a.json.gz")
    delivery_file(src, recs[15:25], "b.json.gz")
    delivery_file(src, recs[24:], "c.json.gz")
    summary = ingest(list(local_objects(src)), lake, batch_files=1)
    assert (summary.events, summary.duplicates) == (30, 6)
    delivery_file(src, [*recs[:3], record(30)], "d.json.gz")
    summary = ingest(list(local_objects(src)), lake, batch_files=1)
    assert (summary.files_ingested, summary.events, summary.duplicates) == (1, 1, 3)
    assert _count(lake) == (31, 31)


def test_every_input_format(tmp_path: Path) -> None:
    src, lake = tmp_path / "src", tmp_path / "lake"
    src.mkdir()
    delivery_file(src, [record(1)], "plain.json.gz")
    (src / "uncompressed.json").write_text(json.dumps({"Records": [record(2)]}))
    (src / "eventbridge.json").write_text(json.dumps(envelope(record(3))))
    (src / "single.json").write_text(json.dumps(record(4)))
    (src / "mixed.ndjson").write_text(json.dumps(record(5)) + "\n" + json.dumps(envelope(record(6))) + "\n")
    (src / "flows.log").write_bytes(SAMPLE)
    (src / "flows.log.gz").write_bytes(gzip.compress(SAMPLE.replace(b"20641", b"20642")))
    summary = _run(src, lake)
    assert (summary.files_ingested, summary.files_quarantined) == (7, 0)
    assert (summary.events, summary.flow_records) == (6, 6)
    assert _count(lake, "SELECT count(*) FROM flowlogs WHERE dstport = 22") == (2,)
    names = {r[0] for r in connect(lake).execute("SELECT requestparameters FROM cloudtrail").fetchall()}
    assert '{"filterSet":{"items":[{"name":"n","valueSet":{"items":[{"value":"6"}]}}]}}' in names


def test_quarantine_keeps_the_rest(tmp_path: Path) -> None:
    src, lake = tmp_path / "src", tmp_path / "lake"
    good = [record(i) for i in range(5)]
    broken = dict(record(99))
    del broken["eventID"]
    delivery_file(src, [*good, broken], "with-a-bad-record.json.gz")
    (src / "truncated.json.gz").write_bytes(gzip.compress(b'{"Records":[{"eventID":"x"}]}')[:-6])
    (src / "notes.txt").write_text("these are not logs\nat all\n")
    (src / "lines.ndjson").write_text(json.dumps(record(7)) + "\n{oops\n")
    summary = _run(src, lake)
    assert summary.events == 6
    assert summary.files_quarantined == 2
    assert summary.records_quarantined == 2
    qdir = lake / "quarantine" / summary.run
    reasons = {json.loads(p.read_text())["reason"] for p in qdir.glob("*.reason.json")}
    assert any(r.startswith("not valid gzip") for r in reasons)
    assert any("not JSON, NDJSON or a VPC flow log" in r for r in reasons)
    bad = [json.loads(line) for p in qdir.glob("records-*.jsonl") for line in p.read_text().splitlines()]
    assert {b["reason"].split(":")[0] for b in bad} == {
        "missing or malformed eventID/eventTime/eventName",
        "line 2",
    }
    # quarantined objects are remembered: a rerun does not retry them
    assert _run(src, lake).files_skipped == 4


def test_recovery_removes_a_half_published_batch(tmp_path: Path) -> None:
    """A run killed after renaming a batch's files but before its manifest lines: the next run
    removes those files and ingests the sources again (nothing lost, nothing twice)."""
    src, lake = tmp_path / "src", tmp_path / "lake"
    many_files(src, files=2, per_file=10)
    _run(src, lake)
    from secpillar.lake.testing import cloudtrail_table

    staged = lake / ".staging" / "killed" / "b"
    stage_table(staged, "cloudtrail", cloudtrail_table([record(500), record(501)]), "killed")
    finals = [lake / p.relative_to(staged) for p in staged.rglob("*.parquet")]
    manifest.journal(lake, "killed-b", finals)
    publish(staged, lake)
    assert _count(lake) == (22, 22)
    summary = _run(src, lake)
    assert summary.recovered_files == 1
    assert _count(lake) == (20, 20)
    assert not (lake / manifest.JOURNAL / "killed-b.json").exists()


def _insight(n: int, state: str) -> dict[str, object]:
    """A CloudTrail Insights event as the User Guide documents it: no eventName or eventSource
    at the top (they are in insightDetails)."""
    return {
        "eventVersion": "1.08",
        "eventTime": f"2024-05-01T11:0{n}:00Z",
        "awsRegion": "us-east-1",
        "eventID": f"0000000{n}-1111-2222-3333-444444444444",
        "eventType": "AwsCloudTrailInsight",
        "recipientAccountId": "111111111111",
        "sharedEventID": "aaaaaaaa-1111-2222-3333-444444444444",
        "insightDetails": {
            "state": state,
            "eventSource": "iam.amazonaws.com",
            "eventName": "CreateUser",
            "insightType": "ApiCallRateInsight",
            "insightContext": {"statistics": {"baseline": {"average": 0.01}, "insight": {"average": 5.0}}},
        },
        "eventCategory": "Insight",
    }


def test_digest_files_and_insights_events_are_recognised_not_quarantined(tmp_path: Path) -> None:
    """A trail bucket holds more than events: digest files (log file validation) and, with Insights
    on, Insights events. Neither is an API call; both are counted, none is quarantined, and no
    Insights event reaches the cloudtrail table (where a detection of CreateUser could see it)."""
    src, lake = tmp_path / "src", tmp_path / "lake"
    delivery_file(src, [record(i) for i in range(5)], "events.json.gz")
    delivery_file(src, [_insight(1, "Start"), _insight(2, "End")], "insight.json.gz")
    digest = {
        "awsAccountId": "111111111111",
        "digestStartTime": "2024-05-01T10:00:00Z",
        "digestEndTime": "2024-05-01T11:00:00Z",
        "digestS3Bucket": "trail-bucket",
        "digestS3Object": "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2024/05/01/d.json.gz",
        "digestPublicKeyFingerprint": "31e8b5433410dfb61a9dc45cc65b22ff",
        "digestSignatureAlgorithm": "SHA256withRSA",
        "newestEventTime": "2024-05-01T10:52:27Z",
        "oldestEventTime": "2024-05-01T10:42:27Z",
        "previousDigestS3Bucket": None,
        "previousDigestS3Object": None,
        "previousDigestHashValue": None,
        "previousDigestHashAlgorithm": None,
        "previousDigestSignature": None,
        "logFiles": [
            {
                "s3Bucket": "trail-bucket",
                "s3Object": "AWSLogs/111111111111/CloudTrail/us-east-1/2024/05/01/events.json.gz",
                "hashValue": "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6",
                "hashAlgorithm": "SHA-256",
                "newestEventTime": "2024-05-01T10:52:27Z",
                "oldestEventTime": "2024-05-01T10:42:27Z",
            }
        ],
    }
    dpath = src / "AWSLogs" / "111111111111" / "CloudTrail-Digest" / "us-east-1" / "d.json.gz"
    dpath.parent.mkdir(parents=True)
    dpath.write_bytes(gzip.compress(json.dumps(digest).encode()))
    # one record per line (the record-by-record path), an Insights event among API calls
    (src / "mixed.jsonl").write_text("\n".join(json.dumps(r) for r in (record(10), _insight(3, "Start"))))
    summary = _run(src, lake)
    assert (summary.files_ingested, summary.files_quarantined, summary.digest_files) == (3, 0, 1)
    assert (summary.events, summary.insight_events, summary.records_quarantined) == (6, 3, 0)
    assert not (lake / "quarantine").exists()
    assert _count(lake, "SELECT count(*) FROM cloudtrail WHERE eventtype = 'AwsCloudTrailInsight'") == (0,)
    assert _count(lake) == (6, 6)
    again = _run(src, lake)
    assert (again.files_skipped, again.digest_files, again.events) == (4, 0, 0)
