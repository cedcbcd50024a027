"""Events for ``respond test``: read EventBridge envelopes from a file, and say which rules each fires."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError
from secpillar.respond.rules import RuleSet

ENVELOPE = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")


def parse_events(text: str, source: str = "events") -> list[dict[str, Any]]:
    """One JSON event (possibly pretty-printed), a JSON array of events, or JSON Lines."""
    stripped = text.strip()
    if not stripped:
        raise UsageError(f"{source}: no events")
    try:
        whole = json.loads(stripped)
    except json.JSONDecodeError:
        whole = None
    else:
        if isinstance(whole, dict):
            return [whole]
        if isinstance(whole, list) and all(isinstance(e, dict) for e in whole):
            return list(whole)
        raise UsageError(f"{source}: expected a JSON object per event")
    events = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{source}:{n}: not valid JSON: {exc.msg}") from None
        if not isinstance(event, dict):
            raise UsageError(f"{source}:{n}: an event must be a JSON object")
        events.append(event)
    return events


def load_events(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read events file {path}: {exc.strerror or exc}") from None
    return parse_events(text, str(path))


def evaluate_events(rules: RuleSet, events: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """For each event: ``{"event": INDEX, "matched": [RULE NAMES], "actions": [DRY-RUN ACTIONS]}``."""
    for i, event in enumerate(events):
        fired = rules.match(event)
        yield {
            "event": i,
            "matched": [r.name for r in fired],
            "actions": [a.plan() for r in fired for a in r.actions],
        }
