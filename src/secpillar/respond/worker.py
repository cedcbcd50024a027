"""The worker: consume EventBridge events from SQS and hand each to the :class:`Responder`.

Delivery is at-least-once, so the worker makes handling idempotent:

- **processed-events store** (``STATE/processed.db``, SQLite, ``0600``): an event id is recorded
  (committed, ``synchronous=FULL``) *before* its message is deleted; a redelivered event already
  recorded is deleted without acting again. Change ids derive from the event id, so a crash between
  an action and the record finds the change in the change store and does not repeat it.
- **poison messages**: a body that is not an EventBridge event, or an event whose handling keeps
  failing, goes to the dead-letter queue (``--dlq URL``) once SQS's ``ApproximateReceiveCount``
  reaches ``--max-receives``. Without ``--dlq``, a queue with a redrive policy is left to SQS's own
  redrive; with neither, the message is saved under ``STATE/poison/`` before it is deleted.
- **graceful shutdown**: SIGTERM/SIGINT finish the message in hand, give the rest of the batch back
  to the queue (visibility 0) and stop; a signal during the long poll stops it at once (a message
  received but not yet handed over becomes visible again after the visibility timeout).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from secpillar.respond.actions.base import event_id
from secpillar.respond.changes import ensure_private_dir, now_iso, write_private
from secpillar.respond.handler import Responder


class ProcessedStore:
    """Event ids already handled, in a SQLite file that survives restarts."""

    def __init__(self, path: Path) -> None:
        ensure_private_dir(path.parent)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        os.close(fd)
        os.chmod(path, 0o600)
        self.path = path
        self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS processed (event_id TEXT PRIMARY KEY, at TEXT NOT NULL, "
            "outcome TEXT NOT NULL)"
        )

    def seen(self, eid: str) -> bool:
        return self._db.execute("SELECT 1 FROM processed WHERE event_id = ?", (eid,)).fetchone() is not None

    def add(self, eid: str, outcome: Mapping[str, Any]) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO processed (event_id, at, outcome) VALUES (?, ?, ?)",
            (eid, now_iso(), json.dumps(outcome, default=str)),
        )

    def __len__(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM processed").fetchone()[0])

    def ids(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT event_id FROM processed ORDER BY at")]

    def close(self) -> None:
        self._db.close()


class PoisonMessage(ValueError):
    """A message body that is not an EventBridge event."""


def parse_body(body: str) -> dict[str, Any]:
    """The EventBridge event in an SQS body (directly, or wrapped in an SNS notification)."""
    try:
        doc = json.loads(body)
    except json.JSONDecodeError as exc:
        raise PoisonMessage(f"not JSON: {exc.msg}") from None
    if isinstance(doc, dict) and doc.get("Type") == "Notification" and isinstance(doc.get("Message"), str):
        return parse_body(doc["Message"])
    if not isinstance(doc, dict):
        raise PoisonMessage("not a JSON object")
    if not isinstance(doc.get("detail-type"), str) or not isinstance(doc.get("source"), str):
        raise PoisonMessage("not an EventBridge event (no 'source' / 'detail-type')")
    return doc


@dataclass
class WorkerStats:
    received: int = 0
    handled: int = 0
    duplicates: int = 0
    retried: int = 0
    poisoned: int = 0
    released: int = 0


class _StopNow(Exception):
    """Raised by the signal handler to leave an idle long poll at once."""


class SqsWorker:
    """Long-poll a queue, handle each event once, delete it after the record is written."""

    def __init__(
        self,
        responder: Responder,
        sqs: Any,
        queue_url: str,
        processed: ProcessedStore,
        *,
        state: Path,
        dlq_url: str | None = None,
        max_receives: int = 5,
        wait_seconds: int = 20,
        batch_size: int = 10,
        retry_delay: int = 5,
        on_result: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.responder = responder
        self.sqs = sqs
        self.queue_url = queue_url
        self.processed = processed
        self.state = state
        self.dlq_url = dlq_url
        self.max_receives = max_receives
        self.wait_seconds = wait_seconds
        self.batch_size = batch_size
        self.retry_delay = retry_delay
        self.on_result = on_result or (lambda _r: None)
        self.stats = WorkerStats()
        self._stop = False
        self._idle = False
        self._redrive = False

    # -- control -----------------------------------------------------------------------------------
    def stop(self) -> None:
        self._stop = True

    def _signal(self, signum: int, frame: FrameType | None) -> None:
        self._stop = True
        if self._idle:
            raise _StopNow

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._signal)
        signal.signal(signal.SIGINT, self._signal)

    def run(self, *, max_messages: int | None = None, idle_exit: float | None = None) -> WorkerStats:
        """Work until stopped (a signal, ``max_messages`` handled, or ``idle_exit`` s without messages)."""
        if self.dlq_url is None:
            attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["RedrivePolicy"])
            self._redrive = "RedrivePolicy" in attrs.get("Attributes", {})
        last = time.monotonic()
        while not self._stop:
            if max_messages is not None and self.stats.received >= max_messages:
                break
            wait = self.wait_seconds
            if idle_exit is not None:
                wait = max(0, min(wait, int(idle_exit - (time.monotonic() - last))))
            self._idle = True
            try:
                if self._stop:
                    break
                resp = self.sqs.receive_message(
                    QueueUrl=self.queue_url,
                    MaxNumberOfMessages=self.batch_size,
                    WaitTimeSeconds=wait,
                    MessageSystemAttributeNames=["ApproximateReceiveCount"],
                )
            except _StopNow:
                break
            finally:
                self._idle = False
            messages = resp.get("Messages", [])
            if not messages:
                if idle_exit is not None and time.monotonic() - last >= idle_exit:
                    break
                continue
            last = time.monotonic()
            for i, msg in enumerate(messages):
                if self._stop:
                    self._release(messages[i:])
                    break
                self.stats.received += 1
                self._process(msg)
        return self.stats

    # -- one message -------------------------------------------------------------------------------
    def _process(self, msg: Mapping[str, Any]) -> None:
        count = int(msg.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        body = str(msg.get("Body", ""))
        try:
            event = parse_body(body)
        except PoisonMessage as exc:
            self._poison(msg, str(exc))
            return
        eid = event_id(event)
        if self.processed.seen(eid):
            self.stats.duplicates += 1
            self._delete(msg)
            self.on_result({"event_id": eid, "duplicate": True})
            return
        try:
            outcome = self.responder.handle(event)
        except Exception as exc:  # noqa: BLE001 - one bad event never stops the worker
            self._retry_or_poison(msg, count, f"handler error: {type(exc).__name__}: {exc}", eid)
            return
        if outcome.retry:
            self._retry_or_poison(msg, count, "a transient failure (see the change store)", eid)
            return
        result = outcome.to_dict()
        self.processed.add(eid, result)  # committed before the message is deleted
        self._delete(msg)
        self.stats.handled += 1
        self.on_result(result)

    def _retry_or_poison(self, msg: Mapping[str, Any], count: int, reason: str, eid: str) -> None:
        if count >= self.max_receives and not (self._redrive and self.dlq_url is None):
            self._poison(msg, f"{reason} (after {count} deliveries)")
            return
        self.stats.retried += 1
        self.sqs.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=self.retry_delay
        )
        self.on_result({"event_id": eid, "retry": True, "deliveries": count, "reason": reason})

    def _poison(self, msg: Mapping[str, Any], reason: str) -> None:
        self.stats.poisoned += 1
        mid = str(msg.get("MessageId", "unknown"))
        body = str(msg.get("Body", ""))
        if self.dlq_url:
            self.sqs.send_message(
                QueueUrl=self.dlq_url,
                MessageBody=body,
                MessageAttributes={
                    "secpillar-reason": {"DataType": "String", "StringValue": reason[:1000]},
                    "secpillar-source-message-id": {"DataType": "String", "StringValue": mid},
                },
            )
            where = "dead-letter queue"
        elif self._redrive:
            # SQS moves it after the queue's maxReceiveCount; make it visible again now.
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0
            )
            self.on_result({"message_id": mid, "poison": True, "reason": reason, "to": "queue redrive"})
            return
        else:
            poison = ensure_private_dir(self.state / "poison")
            safe = "".join(ch for ch in mid if ch.isalnum() or ch == "-")[:80] or "unknown"
            doc = {"message_id": mid, "reason": reason, "at": now_iso(), "body": body}
            write_private(poison / f"{safe}.json", json.dumps(doc, indent=1))
            where = str(poison)
        self._delete(msg)
        self.on_result({"message_id": mid, "poison": True, "reason": reason, "to": where})

    def _delete(self, msg: Mapping[str, Any]) -> None:
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=msg["ReceiptHandle"])

    def _release(self, messages: list[Mapping[str, Any]]) -> None:
        """Give unhandled messages of the batch back to the queue at once (shutdown)."""
        for msg in messages:
            self.sqs.change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0
            )
            self.stats.released += 1
