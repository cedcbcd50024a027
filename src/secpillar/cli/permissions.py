"""``secpillar permissions``: the IAM policy the scanner needs for the enabled checks."""

from __future__ import annotations

import typer


def permissions() -> None:
    """Print the IAM policy the scanner needs (being built: issue 3)."""
    typer.echo("secpillar permissions is not built yet", err=True)
    raise typer.Exit(2)
