"""``secpillar gameday``: detonate attack techniques on the sandbox and score detection and response."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Game days: detonate attack techniques on the sandbox and score detection and response.",
    no_args_is_help=True,
)
