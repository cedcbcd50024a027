"""The attacked account's new CloudTrail files: flushed (sandbox), fetched, kept, ingested.

Each :meth:`TrailFeed.poll` asks a sandbox to deliver what it recorded, lists the trail's
day folders of the accounts and regions in play (``<base><account>/CloudTrail/<region>/YYYY/MM/DD/``),
downloads every file it has not seen, keeps it under ``<work>/trail/`` (the evidence, exactly as
delivered), ingests it into the game day's lake with :func:`secpillar.lake.ingest.ingest`, and
returns the records. Files that were there before the game day started are never ingested.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from secpillar.gameday.target import TrailLogs
from secpillar.lake.ingest import ingest
from secpillar.lake.sources import SourceObject


def days(start: datetime, end: datetime) -> list[date]:
    """Every UTC day from ``start`` to ``end`` (both included)."""
    first, last = start.astimezone(UTC).date(), end.astimezone(UTC).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


class TrailFeed:
    def __init__(
        self,
        trail: TrailLogs,
        work: Path,
        lake: Path,
        regions: Iterable[str],
        flush: Callable[[], None] | None = None,
        started: datetime | None = None,
    ) -> None:
        self.trail = trail
        self.folder = work / "trail"
        self.lake = lake
        self.regions = sorted(set(regions))
        self.flush = flush
        self.started = started or datetime.now(UTC)
        self.seen: set[str] = set()
        self.records = 0

    def _prefixes(self, now: datetime) -> list[str]:
        out = []
        for account in self.trail.accounts:
            for region in self.regions:
                for day in days(self.started - timedelta(minutes=5), now):
                    out.append(f"{self.trail.base}{account}/CloudTrail/{region}/{day:%Y/%m/%d}/")
        return out

    def _listing(self) -> list[dict[str, Any]]:
        s3 = self.trail.reader.client("s3")
        found = []
        for prefix in self._prefixes(datetime.now(UTC)):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=self.trail.bucket, Prefix=prefix):
                found += [o for o in page.get("Contents", []) if not str(o["Key"]).endswith("/")]
        return found

    def mark_existing(self) -> int:
        """Remember the files already there (delivered before the game day): never ingested."""
        if self.flush is not None:
            self.flush()
        listing = self._listing()
        self.seen.update(str(o["Key"]) for o in listing)
        return len(listing)

    def poll(self) -> list[dict[str, Any]]:
        """The records of every file delivered since the last poll (ingested into the lake)."""
        if self.flush is not None:
            self.flush()
        new = [o for o in self._listing() if str(o["Key"]) not in self.seen]
        if not new:
            return []
        s3 = self.trail.reader.client("s3")
        objects: list[SourceObject] = []
        records: list[dict[str, Any]] = []
        for obj in sorted(new, key=lambda o: str(o["Key"])):
            key = str(obj["Key"])
            body = s3.get_object(Bucket=self.trail.bucket, Key=key)["Body"].read()
            path = self.folder / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
            records += parse(body)
            objects.append(
                SourceObject(
                    id=f"s3://{self.trail.bucket}/{key}",
                    version=str(obj.get("ETag", "")).strip('"'),
                    name=key,
                    size=len(body),
                    local=path,
                )
            )
            self.seen.add(key)
        ingest(objects, self.lake, workers=1)
        self.records += len(records)
        return records


def parse(body: bytes) -> list[dict[str, Any]]:
    """The records of one delivered file (gzip JSON ``{"Records": [...]}``)."""
    data = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
    doc = json.loads(data)
    recs = doc.get("Records") if isinstance(doc, dict) else None
    return [r for r in recs or [] if isinstance(r, dict)]
