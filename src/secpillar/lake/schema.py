"""The lake's tables: CloudTrail and VPC flow logs, with the columns Athena's tables give them.

The CloudTrail table has the columns of the ``cloudtrail_logs`` table that AWS documents for Athena
("Create a table for CloudTrail logs in Athena using manual partitioning"): lowercase names, every
scalar a STRING (``readonly`` too: ``"true"``/``"false"``), ``useridentity`` and ``tlsdetails`` as
STRUCTs, ``resources`` as ARRAY<STRUCT<arn, accountid, type>>, and the free-form fields
(``requestparameters``, ``responseelements``, ``additionaleventdata``, ``serviceeventdetails``,
``edgedevicedetails``) as JSON text. The partition columns ``account``, ``region`` and ``date``
(``YYYY-MM-DD``) follow; they are Hive directory names in the lake (``account=…/region=…/date=…``).

The flow log table has the columns of Athena's ``vpc_flow_logs`` table for the default (version 2)
format: version, account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, packets,
bytes, start, end, action, log_status.

One declaration (:data:`CLOUDTRAIL_FIELDS`) maps each column to the record's camelCase key, so the
pure converter (:func:`record_to_row`) and the vectorized ingest (DuckDB types in
:mod:`secpillar.lake.fastpath`) cannot drift apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class Field:
    """One column: its lowercase name, the record's JSON key, and its kind.

    ``kind`` is ``str`` (a scalar kept as text), ``json`` (any JSON value kept as JSON text),
    ``struct`` (``children``), ``list`` (a list of ``children`` structs) or ``map`` (string map)."""

    name: str
    key: str
    kind: str = "str"
    children: tuple[Field, ...] = ()


def _s(name: str, key: str) -> Field:
    return Field(name, key)


SESSION_ISSUER = (
    _s("type", "type"),
    _s("principalid", "principalId"),
    _s("arn", "arn"),
    _s("accountid", "accountId"),
    _s("username", "userName"),
)
USER_IDENTITY = (
    _s("type", "type"),
    _s("principalid", "principalId"),
    _s("arn", "arn"),
    _s("accountid", "accountId"),
    _s("invokedby", "invokedBy"),
    _s("accesskeyid", "accessKeyId"),
    _s("username", "userName"),
    Field(
        "onbehalfof",
        "onBehalfOf",
        "struct",
        (_s("userid", "userId"), _s("identitystorearn", "identityStoreArn")),
    ),
    Field(
        "sessioncontext",
        "sessionContext",
        "struct",
        (
            Field(
                "attributes",
                "attributes",
                "struct",
                (_s("mfaauthenticated", "mfaAuthenticated"), _s("creationdate", "creationDate")),
            ),
            Field("sessionissuer", "sessionIssuer", "struct", SESSION_ISSUER),
            _s("ec2roledelivery", "ec2RoleDelivery"),
            Field(
                "webidfederationdata",
                "webIdFederationData",
                "struct",
                (_s("federatedprovider", "federatedProvider"), Field("attributes", "attributes", "map")),
            ),
        ),
    ),
)
RESOURCE = (_s("arn", "ARN"), _s("accountid", "accountId"), _s("type", "type"))
ADDENDUM = (
    _s("reason", "reason"),
    _s("updatedfields", "updatedFields"),
    _s("originalrequestid", "originalRequestID"),
    _s("originaleventid", "originalEventID"),
)
TLS_DETAILS = (
    _s("tlsversion", "tlsVersion"),
    _s("ciphersuite", "cipherSuite"),
    _s("clientprovidedhostheader", "clientProvidedHostHeader"),
)

CLOUDTRAIL_FIELDS: tuple[Field, ...] = (
    _s("eventversion", "eventVersion"),
    Field("useridentity", "userIdentity", "struct", USER_IDENTITY),
    _s("eventtime", "eventTime"),
    _s("eventsource", "eventSource"),
    _s("eventname", "eventName"),
    _s("awsregion", "awsRegion"),
    _s("sourceipaddress", "sourceIPAddress"),
    _s("useragent", "userAgent"),
    _s("errorcode", "errorCode"),
    _s("errormessage", "errorMessage"),
    Field("requestparameters", "requestParameters", "json"),
    Field("responseelements", "responseElements", "json"),
    Field("additionaleventdata", "additionalEventData", "json"),
    _s("requestid", "requestID"),
    _s("eventid", "eventID"),
    Field("resources", "resources", "list", RESOURCE),
    _s("eventtype", "eventType"),
    _s("apiversion", "apiVersion"),
    _s("readonly", "readOnly"),
    _s("recipientaccountid", "recipientAccountId"),
    Field("serviceeventdetails", "serviceEventDetails", "json"),
    _s("sharedeventid", "sharedEventID"),
    _s("vpcendpointid", "vpcEndpointId"),
    _s("vpcendpointaccountid", "vpcEndpointAccountId"),
    _s("eventcategory", "eventCategory"),
    Field("addendum", "addendum", "struct", ADDENDUM),
    _s("sessioncredentialfromconsole", "sessionCredentialFromConsole"),
    Field("edgedevicedetails", "edgeDeviceDetails", "json"),
    Field("tlsdetails", "tlsDetails", "struct", TLS_DETAILS),
)
"""The Athena CloudTrail table's columns, in its order."""

PARTITION_COLUMNS: tuple[str, ...] = ("account", "region", "date")
"""Hive partition columns of both tables (``date`` is ``YYYY-MM-DD``)."""

UNKNOWN = "unknown"
"""Partition value used when a record lacks the field a partition comes from."""


def _arrow_type(f: Field) -> pa.DataType:
    if f.kind == "struct":
        return pa.struct([(c.name, _arrow_type(c)) for c in f.children])
    if f.kind == "list":
        return pa.list_(pa.struct([(c.name, _arrow_type(c)) for c in f.children]))
    if f.kind == "map":
        return pa.map_(pa.string(), pa.string())
    return pa.string()


CLOUDTRAIL_DATA_SCHEMA = pa.schema([(f.name, _arrow_type(f)) for f in CLOUDTRAIL_FIELDS])
"""The columns stored in the Parquet files (partition values live in the directory names)."""

CLOUDTRAIL_SCHEMA = pa.schema(list(CLOUDTRAIL_DATA_SCHEMA) + [(p, pa.string()) for p in PARTITION_COLUMNS])
"""The ``cloudtrail`` view: data columns plus the partition columns."""

FLOWLOG_FIELDS: tuple[tuple[str, str, pa.DataType], ...] = (
    ("version", "version", pa.int32()),
    ("account_id", "account-id", pa.string()),
    ("interface_id", "interface-id", pa.string()),
    ("srcaddr", "srcaddr", pa.string()),
    ("dstaddr", "dstaddr", pa.string()),
    ("srcport", "srcport", pa.int32()),
    ("dstport", "dstport", pa.int32()),
    ("protocol", "protocol", pa.int64()),
    ("packets", "packets", pa.int64()),
    ("bytes", "bytes", pa.int64()),
    ("start", "start", pa.int64()),
    ("end", "end", pa.int64()),
    ("action", "action", pa.string()),
    ("log_status", "log-status", pa.string()),
)
"""(column, field name in the flow log format, type) for the default version-2 format."""

FLOWLOG_DATA_SCHEMA = pa.schema([(name, typ) for name, _key, typ in FLOWLOG_FIELDS])
FLOWLOG_SCHEMA = pa.schema(list(FLOWLOG_DATA_SCHEMA) + [(p, pa.string()) for p in PARTITION_COLUMNS])


def _text(value: Any) -> str | None:
    """A scalar as Athena's CloudTrail SerDe shows it: text, booleans as ``true``/``false``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def _json_text(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _convert(f: Field, value: Any) -> Any:
    if f.kind == "str":
        return _text(value)
    if f.kind == "json":
        return _json_text(value)
    if f.kind == "map":
        if not isinstance(value, Mapping):
            return None
        return [(str(k), _text(v)) for k, v in value.items()]
    if f.kind == "struct":
        if not isinstance(value, Mapping):
            return None
        return {c.name: _convert(c, value.get(c.key)) for c in f.children}
    # list of structs
    if not isinstance(value, list):
        return None
    return [
        {c.name: _convert(c, item.get(c.key)) for c in f.children}
        for item in value
        if isinstance(item, Mapping)
    ]


def partition_values(record: Mapping[str, Any]) -> tuple[str, str, str]:
    """(account, region, date) of a record: the recipient account (else the caller's), the
    region, and the UTC day of ``eventTime``."""
    identity = record.get("userIdentity")
    account = record.get("recipientAccountId") or (
        identity.get("accountId") if isinstance(identity, Mapping) else None
    )
    event_time = record.get("eventTime")
    day = event_time[:10] if isinstance(event_time, str) and len(event_time) >= 10 else None
    return (str(account or UNKNOWN), str(record.get("awsRegion") or UNKNOWN), day or UNKNOWN)


def record_to_row(record: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudTrail record as delivered (camelCase JSON) -> a row of :data:`CLOUDTRAIL_SCHEMA`.

    Pure; unknown keys are dropped (as Athena's table does), free-form objects become JSON text."""
    row = {f.name: _convert(f, record.get(f.key)) for f in CLOUDTRAIL_FIELDS}
    row["account"], row["region"], row["date"] = partition_values(record)
    return row


INSIGHT_EVENT = "AwsCloudTrailInsight"
"""``eventType`` of a CloudTrail Insights event: a statistic about API activity (its API is in
``insightDetails``, it has no ``eventName``), not a call; the lake leaves these out and counts them."""


def is_insight(record: Any) -> bool:
    """Whether a record is a CloudTrail Insights event (:data:`INSIGHT_EVENT`)."""
    return isinstance(record, Mapping) and record.get("eventType") == INSIGHT_EVENT


def is_digest(value: Any) -> bool:
    """Whether a JSON value is a CloudTrail digest file (log file validation: the hashes of an
    hour's log files, under ``CloudTrail-Digest/``), which holds no events."""
    return isinstance(value, Mapping) and "digestStartTime" in value and "logFiles" in value


def validate_record(record: Any) -> str | None:
    """Why ``record`` cannot be stored (``None`` when it can): the lake needs a JSON object with
    ``eventID``, ``eventTime`` (ISO-8601) and ``eventName``."""
    if not isinstance(record, Mapping):
        return f"not a JSON object ({type(record).__name__})"
    for key in ("eventID", "eventTime", "eventName"):
        value = record.get(key)
        if not isinstance(value, str) or not value:
            return f"missing or non-text {key}"
    event_time = record["eventTime"]
    if len(event_time) < 19 or event_time[4] != "-" or event_time[10] != "T":
        return f"eventTime is not ISO-8601: {event_time[:40]!r}"
    return None
