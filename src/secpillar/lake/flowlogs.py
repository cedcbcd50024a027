"""VPC flow logs in the default (version 2) text format -> rows of the ``flowlogs`` table.

A delivered file starts with the header line ``version account-id interface-id srcaddr dstaddr
srcport dstport protocol packets bytes start end action log-status``; fields are separated by one
space and ``-`` means "no data" (NODATA and SKIPDATA records carry ``-`` for the addresses, ports,
protocol, packets and bytes). The region is not in the record: it comes from the S3 key
(``AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/…``) where there is one.
"""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from secpillar.lake.schema import FLOWLOG_DATA_SCHEMA, FLOWLOG_FIELDS, FLOWLOG_SCHEMA, UNKNOWN

HEADER_FIELDS = tuple(key for _name, key, _t in FLOWLOG_FIELDS)
_KEY_REGION = re.compile(r"/vpcflowlogs/([a-z]{2}(?:-[a-z]+)+-\d)/")


class FlowLogError(ValueError):
    """The text is not a version-2 flow log."""


def day_of_epoch(value: Any) -> str:
    try:
        return datetime.fromtimestamp(int(value), UTC).strftime("%Y-%m-%d")
    except (TypeError, ValueError, OverflowError, OSError):
        return UNKNOWN


def region_from_key(key: str) -> str:
    match = _KEY_REGION.search(key)
    return match.group(1) if match else UNKNOWN


def looks_like_flowlog(head: bytes) -> bool:
    first = head.lstrip().split(b"\n", 1)[0].split()
    return first[:3] == [b"version", b"account-id", b"interface-id"] or (
        len(first) == 14 and first[0] == b"2"
    )


def parse(data: bytes, source_key: str = "") -> pa.Table:
    """Flow log text (header optional) -> a table with :data:`FLOWLOG_SCHEMA`'s columns."""
    text = data.lstrip()
    has_header = text.startswith(b"version")
    if has_header:
        header = text.split(b"\n", 1)[0].decode("ascii", "replace").split()
        if tuple(header) != HEADER_FIELDS:
            raise FlowLogError(f"not the default version-2 format (header: {' '.join(header)[:120]})")
    try:
        table = pacsv.read_csv(
            io.BytesIO(text),
            read_options=pacsv.ReadOptions(
                column_names=list(FLOWLOG_DATA_SCHEMA.names), skip_rows=int(has_header)
            ),
            parse_options=pacsv.ParseOptions(delimiter=" "),
            convert_options=pacsv.ConvertOptions(
                column_types=FLOWLOG_DATA_SCHEMA,
                null_values=["-"],
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise FlowLogError(str(exc).splitlines()[0]) from exc
    n = table.num_rows
    account = table.column("account_id")
    account = pc.fill_null(account, UNKNOWN)
    start = table.column("start")
    days = pc.strftime(
        pc.cast(pc.multiply(pc.fill_null(start, 0), 1_000_000), pa.timestamp("us", tz="UTC")),
        format="%Y-%m-%d",
    )
    days = pc.if_else(pc.is_null(start), UNKNOWN, days)
    region = pa.array([region_from_key(source_key)] * n, pa.string())
    return pa.Table.from_arrays([*table.columns, account, region, days], schema=FLOWLOG_SCHEMA)
