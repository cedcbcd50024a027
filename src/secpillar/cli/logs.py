"""``secpillar logs``: The log lake: ingest CloudTrail and VPC flow logs into Parquet, query with SQL."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="The log lake: ingest CloudTrail and VPC flow logs into Parquet, query with SQL.",
    no_args_is_help=True,
)
