"""``secpillar respond test|validate|schema``: event rules (EventBridge patterns), checked offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from secpillar.cli.common import console, handle_errors

app = typer.Typer(
    help="Respond rules: match EventBridge events against YAML rules, offline.",
    no_args_is_help=True,
)

RulesArg = Annotated[
    Path, typer.Argument(help="YAML rules file (top-level 'rules:' list).", show_default=False)
]


@app.command("test")
@handle_errors
def test_cmd(
    rules: RulesArg,
    events: Annotated[
        Path,
        typer.Argument(help="One EventBridge event (JSON) or many (JSON Lines).", show_default=False),
    ],
    output_format: Annotated[str, typer.Option("--format", help="console or json.")] = "console",
) -> None:
    """Say which rules each event fires and what their actions would do (dry-run; nothing is called).

    Examples:

      secpillar respond test rules.yaml event.json

      secpillar respond test rules.yaml cloudtrail-events.jsonl --format json
    """
    from secpillar.respond.events import evaluate_events, load_events
    from secpillar.respond.rules import load_rules

    if output_format not in ("console", "json"):
        raise typer.BadParameter("--format must be console or json")
    ruleset = load_rules(rules)
    evs = load_events(events)
    results = evaluate_events(ruleset, evs)
    if output_format == "json":
        for row in results:
            typer.echo(json.dumps(row))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(evs)} event(s) against {len(ruleset)} rule(s)")
    for col in ("#", "source / detail-type", "matched rules", "actions (dry-run)"):
        table.add_column(col)
    fired = 0
    for row, ev in zip(results, evs, strict=True):
        fired += bool(row["matched"])
        what = f"{ev.get('source', '?')}\n{ev.get('detail-type', '?')}"
        detail = ev.get("detail")
        if isinstance(detail, dict) and isinstance(detail.get("eventName"), str):
            what += f"\n{detail['eventName']}"
        actions = "\n".join(
            a["type"] + (f" {json.dumps(a['params'])}" if a["params"] else "") for a in row["actions"]
        )
        cells = (str(row["event"]), what, "\n".join(row["matched"]) or "-", actions or "-")
        table.add_row(*(Text(c) for c in cells))
    console.print(table)
    console.print(f"{fired} of {len(evs)} event(s) fired at least one rule")


@app.command("validate")
@handle_errors
def validate_cmd(rules: RulesArg) -> None:
    """Check a rules file against the schema and compile every pattern (exit 2 says where it fails)."""
    from secpillar.respond.rules import load_rules

    ruleset = load_rules(rules)
    console.print(f"{rules}: {len(ruleset)} rule(s) valid", markup=False)


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of a rules file (for editors and CI)."""
    from secpillar.respond.schema import rules_schema

    typer.echo(json.dumps(rules_schema(), indent=2))
