"""``secpillar detect``: run the registered threat detections over the log lake."""

from __future__ import annotations

import typer


def detect() -> None:
    """Run the threat detections over the log lake (being built: issue 5)."""
    typer.echo("secpillar detect is not built yet", err=True)
    raise typer.Exit(2)
