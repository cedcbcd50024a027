"""``secpillar frameworks``: the Security Pillar's best practices and their coverage."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Compliance frameworks: the Security Pillar's best practices and their coverage.",
    no_args_is_help=True,
)
