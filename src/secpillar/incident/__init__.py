"""Incidents (Well-Architected SEC10): chronological timelines from the lake and the respond change
store, notes, an append-only hash-chained record (optionally encrypted), and post-mortems."""

from secpillar.incident.record import IncidentRecord, Key, incidents_dir
from secpillar.incident.service import Incident, add_note, load, open_incident, refresh
from secpillar.incident.timeline import Scope, build_timeline, parse_since

__all__ = [
    "Incident",
    "IncidentRecord",
    "Key",
    "Scope",
    "add_note",
    "build_timeline",
    "incidents_dir",
    "load",
    "open_incident",
    "parse_since",
    "refresh",
]
