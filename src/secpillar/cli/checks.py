"""``secpillar checks list``: what the scanner checks, with its framework mappings."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from secpillar.checks import Check, load_all
from secpillar.checks.frameworks import CIS, FSBP
from secpillar.cli.common import console, handle_errors, split_list

app = typer.Typer(help="The registered posture checks.", no_args_is_help=True)


def check_row(c: Check) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "severity": c.severity.value,
        "resource_types": list(c.resource_types),
        "wa": list(c.wa),
        "frameworks": {k: list(v) for k, v in ((CIS, c.cis), (FSBP, c.fsbp)) if v},
        "risk": c.risk,
        "remediation": c.remediation,
    }


@app.command("list")
@handle_errors
def list_checks(
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    checks: Annotated[list[str] | None, typer.Option(help="Only these (ids, 'aws.s3.*', or 's3').")] = None,
) -> None:
    """List every check: id, severity, the best practices it evidences, title."""
    from secpillar.report.console import checks_table

    rows = [check_row(c) for c in load_all().select(include=split_list(checks))]
    if output_format == "json":
        typer.echo(json.dumps(rows, indent=2))
    elif output_format == "table":
        console.print(checks_table(rows))
    else:
        raise typer.BadParameter("--format must be table or json")
