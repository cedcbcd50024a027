"""Follow the log lake: hand each new CloudTrail row to the :class:`Responder`, as EventBridge would.

``secpillar respond watch --lake DIR --follow`` polls the lake's ``cloudtrail`` view. Each row is
turned back into the CloudTrail record (camelCase keys, JSON fields parsed) and wrapped in the
envelope EventBridge uses for CloudTrail ("AWS API Call via CloudTrail", ``source`` ``aws.<service>``,
``id`` the record's ``eventID``). Files reach the lake late and out of order, so every poll looks
back ``lag`` seconds before the newest time seen; the processed-events store makes a row seen twice
count once. When the rules have ``detection`` triggers, each new alert in the lake's ``findings``
(written by ``secpillar detect``) is handed over too, as a ``secpillar.detect`` event whose detail
is the CloudTrail record that raised it plus the finding (``detail.detection_id``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from secpillar.lake.schema import CLOUDTRAIL_FIELDS, Field
from secpillar.respond.changes import now_iso, write_private
from secpillar.respond.handler import ALERT_DETAIL_TYPE, ALERT_SOURCE, Responder
from secpillar.respond.worker import ProcessedStore

DETAIL_TYPES = {"AwsConsoleSignIn": "AWS Console Sign In via CloudTrail"}


def _value(f: Field, v: Any) -> Any:
    if v is None:
        return None
    if f.kind == "json" and isinstance(v, str):
        try:
            return json.loads(v)
        except json.JSONDecodeError:
            return v
    if f.kind == "struct" and isinstance(v, dict):
        out = {c.key: _value(c, v.get(c.name)) for c in f.children}
        return {k: x for k, x in out.items() if x is not None} or None
    if f.kind == "list" and isinstance(v, list):
        child = Field(f.name, f.key, "struct", f.children)
        return [_value(child, x) for x in v]
    if f.kind == "map" and isinstance(v, dict):
        return dict(v)
    if f.name == "readonly" and isinstance(v, str):
        return v.lower() == "true"
    return v


def row_to_record(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``cloudtrail`` row (Athena column names) -> the CloudTrail record as delivered."""
    out = {f.key: _value(f, row.get(f.name)) for f in CLOUDTRAIL_FIELDS}
    return {k: v for k, v in out.items() if v is not None}


def envelope(record: Mapping[str, Any]) -> dict[str, Any]:
    """The EventBridge event CloudTrail would publish for ``record``."""
    source = str(record.get("eventSource", "")).split(".", 1)[0]
    return {
        "version": "0",
        "id": str(record.get("eventID") or ""),
        "detail-type": DETAIL_TYPES.get(str(record.get("eventType")), "AWS API Call via CloudTrail"),
        "source": f"aws.{source}" if source else "aws.unknown",
        "account": str(record.get("recipientAccountId") or ""),
        "time": str(record.get("eventTime") or ""),
        "region": str(record.get("awsRegion") or ""),
        "resources": [],
        "detail": dict(record),
    }


def alert_event(finding: Mapping[str, Any], trigger: Mapping[str, Any] | None) -> dict[str, Any]:
    """An alert from the lake's ``findings`` as an event for ``detection`` rules: the CloudTrail record
    that raised it (so that actions find their targets as in the API-call event) plus the finding."""
    detail = dict(trigger or {})
    wanted = ("detection_id", "title", "severity", "principal", "source_ip", "resource", "finding_uid")
    detail["finding"] = {k: finding.get(k) for k in wanted}
    detail["detection_id"] = finding.get("detection_id")
    detail.setdefault("eventTime", str(finding.get("first_seen") or ""))
    return {
        "version": "0",
        "id": f"finding-{finding.get('finding_uid')}",
        "detail-type": ALERT_DETAIL_TYPE,
        "source": ALERT_SOURCE,
        "account": str(finding.get("account") or ""),
        "time": str(finding.get("detected_at") or ""),
        "region": str(finding.get("region") or ""),
        "resources": [],
        "detail": detail,
    }


class LakeFollower:
    """Poll the lake's ``cloudtrail`` view for rows newer than the cursor (minus ``lag`` seconds)."""

    def __init__(
        self,
        responder: Responder,
        lake: Path,
        processed: ProcessedStore,
        *,
        state: Path,
        lag: int = 300,
        interval: float = 5.0,
        on_result: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.responder = responder
        self.lake = lake
        self.processed = processed
        self.cursor_path = state / "lake-cursor.json"
        self.lag = lag
        self.interval = interval
        self.on_result = on_result or (lambda _r: None)
        self._stop = False

    def stop(self) -> None:
        self._stop = True

    def _cursor(self) -> str:
        try:
            return str(json.loads(self.cursor_path.read_text(encoding="utf-8"))["newest"])
        except (FileNotFoundError, KeyError, json.JSONDecodeError):
            return ""

    def rows(self, since: str) -> Iterator[dict[str, Any]]:
        from secpillar.lake import store

        con = store.connect(self.lake)
        try:
            cur = con.execute(
                "SELECT * FROM cloudtrail WHERE eventtime >= ? ORDER BY eventtime, eventid", [since]
            )
            names = [d[0] for d in cur.description]
            for values in cur.fetchall():
                yield dict(zip(names, values, strict=True))
        finally:
            con.close()

    def alerts(self) -> Iterator[dict[str, Any]]:
        """Alerts not handled yet, each with the CloudTrail record of its first event."""
        from secpillar.lake import store

        con = store.connect(self.lake)
        try:
            cur = con.execute(  # alerts only (class 2004), not scans' posture findings
                "SELECT * FROM findings WHERE class_uid = 2004 ORDER BY detected_at, finding_uid"
            )
            names = [d[0] for d in cur.description]
            found = [dict(zip(names, v, strict=True)) for v in cur.fetchall()]
            for f in found:
                if self.processed.seen(f"finding-{f['finding_uid']}"):
                    continue
                trigger = None
                ids = list(f.get("event_ids") or [])
                if ids:
                    q = con.execute("SELECT * FROM cloudtrail WHERE eventid = ? LIMIT 1", [ids[0]])
                    cols = [d[0] for d in q.description]
                    row = q.fetchone()
                    trigger = row_to_record(dict(zip(cols, row, strict=True))) if row else None
                yield alert_event(f, trigger)
        finally:
            con.close()

    def poll(self) -> int:
        """One pass: every new CloudTrail row, then every new alert; returns how many were handled."""
        handled = self._poll_rows()
        if self.responder.rules.rules and any(r.detection for r in self.responder.rules.rules):
            for event in self.alerts():
                if self._stop or not self._handle(event):
                    break
                handled += 1
        return handled

    def _handle(self, event: dict[str, Any]) -> bool:
        eid = event["id"]
        outcome = self.responder.handle(event)
        if outcome.retry:
            self.on_result({"event_id": eid, "retry": True, "reason": "a transient failure"})
            return False
        result = outcome.to_dict()
        self.processed.add(eid, result)
        self.on_result(result)
        return True

    def _poll_rows(self) -> int:
        newest = self._cursor()
        since = ""
        if newest:
            when = datetime.fromisoformat(newest.replace("Z", "+00:00")) - timedelta(seconds=self.lag)
            since = when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        handled = 0
        for row in self.rows(since):
            if self._stop:
                break
            event = envelope(row_to_record(row))
            eid = event["id"]
            if not eid or self.processed.seen(eid):
                continue
            if not self._handle(event):
                break  # keep the cursor: the next poll tries again
            handled += 1
            if event["time"] > newest:
                newest = event["time"]
                write_private(self.cursor_path, json.dumps({"newest": newest, "at": now_iso()}))
        return handled

    def run(self, *, idle_exit: float | None = None) -> int:
        total, idle_since = 0, time.monotonic()
        while not self._stop:
            n = self.poll()
            total += n
            if n:
                idle_since = time.monotonic()
            elif idle_exit is not None and time.monotonic() - idle_since >= idle_exit:
                break
            deadline = time.monotonic() + self.interval
            while not self._stop and time.monotonic() < deadline:
                time.sleep(min(0.2, self.interval))
        return total
