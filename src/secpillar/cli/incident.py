"""``secpillar incident``: Incidents: chronological timelines, notes, tamper-evident records, post-mortems."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Incidents: chronological timelines, notes, tamper-evident records, post-mortems.",
    no_args_is_help=True,
)
