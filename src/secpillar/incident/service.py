"""Open, annotate, refresh and read incidents (the record holds everything; nothing else is kept)."""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError
from secpillar.incident.record import Entry, IncidentRecord, Key, new_incident_id
from secpillar.incident.timeline import Scope, Timeline, build_timeline
from secpillar.respond.changes import ChangeStore


def default_author() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass
class Incident:
    """An incident as read back from its record."""

    id: str
    title: str
    opened_at: str
    opened_by: str
    scope: Scope
    lake: str
    state: str
    timeline: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)
    built_at: str = ""
    notes: list[dict[str, Any]] = field(default_factory=list)
    entries: int = 0
    head: str = ""
    encrypted: bool = False


def open_incident(
    root: Path,
    title: str,
    scope: Scope,
    *,
    lake: Path | None,
    store: ChangeStore | None,
    key: Key | None = None,
    author: str | None = None,
) -> tuple[IncidentRecord, Timeline]:
    if not title.strip():
        raise UsageError("an incident needs a --title")
    timeline = build_timeline(scope, lake, store)  # fails on an empty scope before anything is written
    record = IncidentRecord(root, new_incident_id(), key)
    while record.exists():
        record = IncidentRecord(root, new_incident_id(), key)
    record.append(
        {
            "kind": "opened",
            "title": title,
            "scope": scope.to_dict(),
            "lake": str(lake) if lake else "",
            "state": str(store.root) if store else "",
            "author": author or default_author(),
        }
    )
    record.append({"kind": "timeline", **timeline.to_dict()})
    return record, timeline


def add_note(record: IncidentRecord, text: str, author: str | None = None) -> Entry:
    if not text.strip():
        raise UsageError("a note needs text")
    return record.append({"kind": "note", "text": text, "author": author or default_author()})


def refresh(record: IncidentRecord, lake: Path | None, store: ChangeStore | None) -> Timeline:
    """Rebuild the timeline (new calls, alerts and actions since it was opened) as a new entry."""
    inc = load(record)
    timeline = build_timeline(inc.scope, lake, store)
    record.append({"kind": "timeline", **timeline.to_dict()})
    return timeline


def load(record: IncidentRecord) -> Incident:
    entries = record.entries()
    if not entries or entries[0].kind != "opened":
        raise UsageError(f"incident {record.id}: the record does not start with its opening entry")
    first = entries[0]
    inc = Incident(
        id=record.id,
        title=str(first.body.get("title", "")),
        opened_at=first.at,
        opened_by=str(first.body.get("author", "")),
        scope=Scope.from_dict(first.body.get("scope", {})),
        lake=str(first.body.get("lake", "")),
        state=str(first.body.get("state", "")),
        entries=len(entries),
        head=entries[-1].hash,
        encrypted=record.encrypted(),
    )
    for e in entries[1:]:
        if e.kind == "timeline":
            inc.timeline = list(e.body.get("items", []))
            inc.sources = dict(e.body.get("sources", {}))
            inc.built_at = str(e.body.get("built_at", ""))
        elif e.kind == "note":
            inc.notes.append(
                {"time": e.at, "author": e.body.get("author", ""), "text": e.body.get("text", "")}
            )
    return inc


def merged_timeline(inc: Incident) -> list[dict[str, Any]]:
    """The timeline with the notes in their place (notes are part of the story)."""
    from secpillar.incident.timeline import _normal_time

    notes = [
        {
            "time": n["time"],
            "kind": "note",
            "actor": n["author"],
            "what": n["text"],
            "target": "",
            "source_ip": "",
            "outcome": "",
            "ref": "",
        }
        for n in inc.notes
    ]
    return sorted(inc.timeline + notes, key=lambda i: (_normal_time(str(i["time"])), i["kind"]))
