"""Read AWS Config configuration snapshots as AWS delivers them (pure: bytes in, items out).

A snapshot is one JSON document, gzip-compressed in S3 under
``AWSLogs/<account>/Config/<region>/<YYYY>/<M>/<D>/ConfigSnapshot/<account>_Config_<region>_ConfigSnapshot_<time>_<id>.json.gz``::

    {"fileVersion": "1.0", "configSnapshotId": "…",
     "configurationItems": [{"configurationItemVersion": "1.3", "resourceType": "AWS::S3::Bucket",
        "resourceId": "…", "resourceName": "…", "ARN": "…", "awsAccountId": "…", "awsRegion": "…",
        "configurationItemStatus": "OK", "configurationItemCaptureTime": "…",
        "configuration": {…}, "supplementaryConfiguration": {…}, "tags": {…},
        "relationships": [{"resourceType": "…", "resourceId": "…", "name": "…"}]}, …]}

The developer guide's example spells ``arn``/``accountId``; delivered files spell ``ARN`` and
``awsAccountId``: both are read. ``configuration`` may come as JSON text (the API's
``GetResourceConfigHistory`` form) and is decoded. Nothing here raises on bad input: a truncated
gzip, invalid JSON, a document without ``configurationItems`` or an item without a type or id
becomes a :class:`Problem` (the caller turns it into a gap) and the other items go on.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DELETED = frozenset({"ResourceDeleted", "ResourceDeletedNotRecorded", "ResourceNotRecorded"})
"""``configurationItemStatus`` values of items that describe no existing resource."""

_KEY = re.compile(r"AWSLogs/(?:o-[a-z0-9]+/)?(\d{12})/Config/([a-z0-9-]+)/")


@dataclass(frozen=True)
class Problem:
    """Input that could not be read: where, and why."""

    source: str
    message: str
    account: str = ""
    region: str = ""


@dataclass(frozen=True)
class ConfigItem:
    resource_type: str
    resource_id: str
    account_id: str
    region: str
    arn: str = ""
    name: str = ""
    status: str = "OK"
    capture_time: str = ""
    configuration: Mapping[str, Any] = field(default_factory=dict)
    supplementary: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    relationships: tuple[Mapping[str, Any], ...] = ()
    source: str = ""

    @property
    def partition(self) -> str:
        parts = self.arn.split(":")
        return parts[1] if len(parts) > 2 and parts[0] == "arn" and parts[1] else "aws"


@dataclass
class ReadResult:
    items: list[ConfigItem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    snapshot_ids: list[str] = field(default_factory=list)


def where(source: str) -> tuple[str, str]:
    """(account, region) from a delivery key ``AWSLogs/<account>/Config/<region>/…``."""
    m = _KEY.search(source.replace("\\", "/"))
    return (m.group(1), m.group(2)) if m else ("", "")


def decode(data: bytes) -> bytes:
    """The JSON bytes of a snapshot file, gunzipped when it is gzip (magic bytes, not the name)."""
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    return data


def _tags(raw: Any) -> dict[str, str]:
    if isinstance(raw, Mapping):
        return {str(k): "" if v is None else str(v) for k, v in raw.items()}
    out: dict[str, str] = {}
    for t in raw or ():
        if isinstance(t, Mapping):
            k = t.get("key", t.get("Key", t.get("tagName")))
            v = t.get("value", t.get("Value", t.get("tagValue", "")))
            if k is not None:
                out[str(k)] = "" if v is None else str(v)
    return out


def _object(raw: Any, what: str) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"{what} is text but not valid JSON: {exc}") from None
    if not isinstance(raw, Mapping):
        raise ValueError(f"{what} is a {type(raw).__name__}, not an object")
    return dict(raw)


def parse_item(raw: Any, source: str) -> ConfigItem:
    """One configuration item; ``ValueError`` says what is wrong with it."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"a configuration item is a {type(raw).__name__}, not an object")
    rtype = raw.get("resourceType")
    rid = raw.get("resourceId")
    if not rtype or not rid:
        raise ValueError("a configuration item has no resourceType or resourceId")
    arn = str(raw.get("ARN") or raw.get("arn") or "")
    account = str(raw.get("awsAccountId") or raw.get("accountId") or "")
    if not account:
        parts = arn.split(":")
        account = parts[4] if len(parts) > 4 else ""
    if not account:
        raise ValueError(f"{rtype} {rid} has no awsAccountId")
    return ConfigItem(
        resource_type=str(rtype),
        resource_id=str(rid),
        account_id=account,
        region=str(raw.get("awsRegion") or "global"),
        arn=arn,
        name=str(raw.get("resourceName") or ""),
        status=str(raw.get("configurationItemStatus") or "OK"),
        capture_time=str(raw.get("configurationItemCaptureTime") or ""),
        configuration=_object(raw.get("configuration"), "configuration"),
        supplementary=dict(raw.get("supplementaryConfiguration") or {}),
        tags=_tags(raw.get("tags")),
        relationships=tuple(r for r in raw.get("relationships") or () if isinstance(r, Mapping)),
        source=source,
    )


def read_document(data: bytes, source: str, out: ReadResult) -> None:
    """Add the items of one snapshot file (bytes as stored: gzip or plain JSON) to ``out``."""
    out.files += 1
    account, region = where(source)
    try:
        doc = json.loads(decode(data))
    except (OSError, EOFError, zlib.error) as exc:
        out.problems.append(Problem(source, f"not a readable gzip file: {exc}", account, region))
        return
    except (UnicodeDecodeError, ValueError) as exc:
        out.problems.append(Problem(source, f"not valid JSON: {exc}", account, region))
        return
    items = doc.get("configurationItems") if isinstance(doc, Mapping) else None
    if not isinstance(items, list):
        out.problems.append(
            Problem(source, "not an AWS Config snapshot (no configurationItems list)", account, region)
        )
        return
    if doc.get("configSnapshotId"):
        out.snapshot_ids.append(str(doc["configSnapshotId"]))
    for i, raw in enumerate(items):
        try:
            out.items.append(parse_item(raw, source))
        except ValueError as exc:  # json.JSONDecodeError is a ValueError
            out.problems.append(Problem(f"{source} item {i}", str(exc), account, region))


NOT_SNAPSHOTS = ("ConfigHistory", "ConfigWritabilityCheckFile")
"""Files AWS Config delivers beside its snapshots (change history, the delivery test file)."""


def snapshot_files(root: Path) -> list[Path]:
    """A file, or every ``*.json`` / ``*.json.gz`` under a folder (sorted), except the history and
    writability-check files a synced ``AWSLogs/`` tree also holds."""
    if root.is_file():
        return [root]
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.name.endswith((".json", ".json.gz"))
        and not any(n in str(p) for n in NOT_SNAPSHOTS)
    )


def read_files(paths: Iterable[Path]) -> ReadResult:
    out = ReadResult()
    for path in paths:
        try:
            data = path.read_bytes()
        except OSError as exc:
            out.problems.append(Problem(str(path), f"cannot read: {exc.strerror or exc}", *where(str(path))))
            continue
        read_document(data, str(path), out)
    return out


def read_objects(objects: Iterable[tuple[str, bytes]]) -> ReadResult:
    """Snapshot files fetched from S3: ``(s3://bucket/key, bytes)`` pairs."""
    out = ReadResult()
    for name, data in objects:
        read_document(data, name, out)
    return out


def iter_latest(items: Iterable[ConfigItem]) -> Iterator[ConfigItem]:
    """One item per resource (type + ARN, or account/region/id): the latest capture; deleted
    resources left out. Global resources (IAM) appear in the snapshot of every region that
    records them."""
    latest: dict[tuple[str, str], ConfigItem] = {}
    for item in items:
        key = (item.resource_type, item.arn or f"{item.account_id}/{item.region}/{item.resource_id}")
        prev = latest.get(key)
        if prev is None or item.capture_time >= prev.capture_time:
            latest[key] = item
    return (i for i in latest.values() if i.status not in DELETED)
