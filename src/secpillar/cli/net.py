"""``secpillar net``: Network reachability from the inventory: reach, exposure, isolation."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Network reachability from the inventory: reach, exposure, isolation.", no_args_is_help=True
)
