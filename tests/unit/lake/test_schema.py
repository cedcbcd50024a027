"""The lake's CloudTrail columns: Athena's names and types, and the pure record converter on
real-format records (tests/fixtures/lake/records.yaml, each modelled on an AWS documentation
example)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import yaml

from secpillar.lake import fastpath
from secpillar.lake.schema import (
    CLOUDTRAIL_SCHEMA,
    FLOWLOG_SCHEMA,
    partition_values,
    record_to_row,
    validate_record,
)

CASES = yaml.safe_load((Path(__file__).parents[2] / "fixtures" / "lake" / "records.yaml").read_text())

# Athena's cloudtrail_logs columns, in order ("Create a table for CloudTrail logs in Athena using
# manual partitioning", Amazon Athena User Guide).
ATHENA_COLUMNS = [
    "eventversion",
    "useridentity",
    "eventtime",
    "eventsource",
    "eventname",
    "awsregion",
    "sourceipaddress",
    "useragent",
    "errorcode",
    "errormessage",
    "requestparameters",
    "responseelements",
    "additionaleventdata",
    "requestid",
    "eventid",
    "resources",
    "eventtype",
    "apiversion",
    "readonly",
    "recipientaccountid",
    "serviceeventdetails",
    "sharedeventid",
    "vpcendpointid",
    "vpcendpointaccountid",
    "eventcategory",
    "addendum",
    "sessioncredentialfromconsole",
    "edgedevicedetails",
    "tlsdetails",
]


def _get(row: dict[str, Any], dotted: str) -> Any:
    value: Any = row
    for part in dotted.split("."):
        value = None if value is None else value.get(part)
    return value


def test_columns_are_athenas_then_partitions() -> None:
    assert CLOUDTRAIL_SCHEMA.names == [*ATHENA_COLUMNS, "account", "region", "date"]
    ident = CLOUDTRAIL_SCHEMA.field("useridentity").type
    assert [ident.field(i).name for i in range(ident.num_fields)] == [
        "type", "principalid", "arn", "accountid", "invokedby", "accesskeyid", "username",
        "onbehalfof", "sessioncontext",
    ]  # fmt: skip
    session = ident.field("sessioncontext").type
    assert [session.field(i).name for i in range(session.num_fields)] == [
        "attributes", "sessionissuer", "ec2roledelivery", "webidfederationdata",
    ]  # fmt: skip
    assert CLOUDTRAIL_SCHEMA.field("resources").type == pa.list_(
        pa.struct([("arn", pa.string()), ("accountid", pa.string()), ("type", pa.string())])
    )
    for name in ("requestparameters", "responseelements", "additionaleventdata", "readonly"):
        assert CLOUDTRAIL_SCHEMA.field(name).type == pa.string()


def test_flow_log_columns_are_athenas() -> None:
    assert FLOWLOG_SCHEMA.names[:14] == [
        "version", "account_id", "interface_id", "srcaddr", "dstaddr", "srcport", "dstport",
        "protocol", "packets", "bytes", "start", "end", "action", "log_status",
    ]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_record_to_row(case: dict[str, Any]) -> None:
    row = record_to_row(case["record"])
    for column, expected in case["expect"].items():
        assert _get(row, column) == expected, column
    pa.Table.from_pylist([row], schema=CLOUDTRAIL_SCHEMA)  # the row fits the schema


def test_fast_path_gives_the_same_rows(tmp_path: Path) -> None:
    """The vectorized reader and the pure converter agree column for column."""
    records = [c["record"] for c in CASES]
    data = json.dumps({"Records": records}, separators=(",", ":")).encode()
    array = fastpath.records_array(data)
    assert array is not None
    path = tmp_path / "a.json"
    path.write_bytes(array)
    fast = fastpath.read_arrays(duckdb.connect(), [path])
    assert fast.column(fastpath.VALID).to_pylist() == [True] * len(records)
    fast = fast.drop_columns([fastpath.VALID])
    pure = pa.Table.from_pylist([record_to_row(r) for r in records], schema=CLOUDTRAIL_SCHEMA)
    assert fast.to_pylist() == pure.to_pylist()


@pytest.mark.parametrize(
    ("data", "is_delivery"),
    [
        (b'{"Records":[{"eventID":"a"}]}', True),
        (b' {\n "Records" : [ ]\n}\n', True),
        (b'{"detail-type":"AWS API Call via CloudTrail","detail":{}}', False),
        (b'{"eventID":"a"}\n{"eventID":"b"}', False),
    ],
)
def test_records_array_only_for_delivery_files(data: bytes, is_delivery: bool) -> None:
    assert (fastpath.records_array(data) is not None) is is_delivery


def test_partitions_fall_back_to_the_callers_account() -> None:
    rec = {
        "userIdentity": {"accountId": "210987654321"},
        "awsRegion": "ap-south-1",
        "eventTime": "2024-02-29T23:59:59Z",
    }
    assert partition_values(rec) == ("210987654321", "ap-south-1", "2024-02-29")
    assert partition_values({}) == ("unknown", "unknown", "unknown")


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"eventID": "a", "eventTime": "2024-01-01T00:00:00Z", "eventName": "X"}, None),
        ({"eventTime": "2024-01-01T00:00:00Z", "eventName": "X"}, "missing or non-text eventID"),
        ({"eventID": "a", "eventTime": "yesterday at noon", "eventName": "X"}, "eventTime is not ISO-8601"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_validate_record(record: Any, reason: str | None) -> None:
    got = validate_record(record)
    assert (got is None) if reason is None else (got is not None and got.startswith(reason))
