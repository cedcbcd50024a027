"""The responder as an AWS Lambda function: ``secpillar.respond.lambda_handler.handler``.

Two ways to invoke it:

- **SQS event source** (recommended): the EventBridge rule targets an SQS queue and the queue
  triggers the function. Turn on *ReportBatchItemFailures* on the event source mapping: the handler
  returns ``{"batchItemFailures": [...]}`` naming only the messages to retry, and the queue's redrive
  policy moves a message that keeps failing to its dead-letter queue.
- **EventBridge target**: the rule invokes the function with the event itself (asynchronously); a
  transient failure raises, so Lambda retries and then sends the event to the function's on-failure
  destination or dead-letter queue.

Configuration (environment variables): ``SECPILLAR_RULES`` (path of the rules file, packaged with
the function; required), ``SECPILLAR_MODE`` (``rules``/``dry-run``/``apply``; default ``rules``),
``SECPILLAR_ROLE_NAME`` (a role to assume in the event's account when it is not the function's own),
``SECPILLAR_RESPOND_STATE`` (change store and processed-events store; default
``/tmp/secpillar-respond``, which lives as long as the execution environment: mount Amazon EFS
there to keep the change store and idempotency across environments), ``SECPILLAR_LAKE`` (optional)
and ``SECPILLAR_ENDPOINT_URL`` (tests against the sandbox only). Credentials come from the
function's execution role, which needs the permissions ``secpillar respond actions`` lists for the
actions the rules use, plus ``sqs:ReceiveMessage``/``DeleteMessage``/``GetQueueAttributes`` for an
SQS event source.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from secpillar.errors import SecpillarError
from secpillar.respond.actions.base import event_id
from secpillar.respond.handler import Responder
from secpillar.respond.worker import PoisonMessage, ProcessedStore, parse_body

DEFAULT_STATE = "/tmp/secpillar-respond"

_cache: dict[str, Any] = {}


class TransientFailure(SecpillarError):
    """Raised for a directly invoked event whose handling should be retried by Lambda."""


def _setup() -> tuple[Responder, ProcessedStore]:
    if "responder" not in _cache:
        from secpillar.respond.context import load_checked_rules, make_context

        rules = os.environ.get("SECPILLAR_RULES")
        if not rules:
            raise SecpillarError("set SECPILLAR_RULES to the rules file packaged with the function")
        state = Path(os.environ.get("SECPILLAR_RESPOND_STATE") or DEFAULT_STATE)
        lake = os.environ.get("SECPILLAR_LAKE")
        ctx = make_context(
            state=state,
            endpoint_url=os.environ.get("SECPILLAR_ENDPOINT_URL"),
            lake=Path(lake) if lake else None,
        )
        responder = Responder(
            load_checked_rules(Path(rules)), ctx, mode=os.environ.get("SECPILLAR_MODE", "rules")
        )
        _cache["responder"] = responder
        _cache["processed"] = ProcessedStore(ctx.store.root / "processed.db")
    return _cache["responder"], _cache["processed"]


def reset() -> None:
    """Forget the cached responder (tests; a new configuration)."""
    processed = _cache.pop("processed", None)
    if processed is not None:
        processed.close()
    _cache.clear()


def _one(responder: Responder, processed: ProcessedStore, event: dict[str, Any]) -> dict[str, Any]:
    eid = event_id(event)
    if processed.seen(eid):
        return {"event_id": eid, "duplicate": True}
    outcome = responder.handle(event)
    if outcome.retry:
        raise TransientFailure(f"event {eid}: a transient failure; retry")
    result = outcome.to_dict()
    processed.add(eid, result)
    return result


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """Lambda entry point for SQS batches and for EventBridge events."""
    responder, processed = _setup()
    if isinstance(event.get("Records"), list):
        failures = []
        results = []
        for record in event["Records"]:
            mid = str(record.get("messageId", ""))
            try:
                results.append(_one(responder, processed, parse_body(str(record.get("body", "")))))
            except PoisonMessage as exc:
                # not an event at all: never succeeds, so report it failed and let redrive park it
                results.append({"message_id": mid, "poison": True, "reason": str(exc)})
                failures.append({"itemIdentifier": mid})
            except Exception as exc:  # noqa: BLE001 - one record never fails the others
                results.append({"message_id": mid, "error": f"{type(exc).__name__}: {exc}"})
                failures.append({"itemIdentifier": mid})
        return {"batchItemFailures": failures, "results": results}
    return _one(responder, processed, parse_body(json.dumps(event)))
