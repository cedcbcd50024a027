"""``secpillar frameworks``: the Security Pillar's best practices and their coverage, and the CIS
and FSBP controls the checks map to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from secpillar.checks import load_all
from secpillar.checks.frameworks import framework as get_framework
from secpillar.checks.frameworks import frameworks
from secpillar.checks.frameworks.coverage import ControlCoverage, coverage, summary
from secpillar.cli.common import console, handle_errors
from secpillar.model import Status
from secpillar.report.compare import load_findings

app = typer.Typer(
    help="Compliance frameworks: the Security Pillar's best practices and their coverage.",
    no_args_is_help=True,
)

STATE_STYLE = {
    "met": "green",
    "under": "bold red",
    "attestation": "magenta",
    "mapped": "green",
    "not mapped": "dim",
}


@app.command("list")
@handle_errors
def list_frameworks(
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
) -> None:
    """The frameworks secpillar knows, with how many of their controls the checks cover."""
    checks = list(load_all())
    rows: list[dict[str, Any]] = []
    for fw in frameworks().values():
        s = summary(coverage(fw, checks))
        rows.append({"id": fw.id, "name": fw.name, "version": fw.version, **s})
    if output_format == "json":
        typer.echo(json.dumps(rows, indent=2))
        return
    _table_format(output_format)
    table = Table(title="Frameworks", title_justify="left")
    for col in ("Id", "Name", "Version", "Controls", "Covered by a check"):
        table.add_column(col)
    for r in rows:
        table.add_row(str(r["id"]), str(r["name"]), str(r["version"]), str(r["controls"]), str(r["covered"]))
    console.print(table)


def _results(folder: Path | None) -> dict[str, dict[str, int]]:
    """check id -> {PASS, FAIL} counts from a scan's findings.json."""
    if folder is None:
        return {}
    out: dict[str, dict[str, int]] = {}
    for f in load_findings(folder):
        counts = out.setdefault(f.check_id, {"PASS": 0, "FAIL": 0})
        if f.status in (Status.PASS, Status.FAIL):
            counts[f.status.value] += 1
    return out


def _row(r: ControlCoverage, results: dict[str, dict[str, int]]) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": r.control.id,
        "title": r.control.title,
        "section": r.control.section,
        "checks": list(r.checks),
        "target": r.target,
        "state": r.state,
    }
    if r.control.evidence:
        row["evidence"] = r.control.evidence
    if results:
        row["pass"] = sum(results.get(c, {}).get("PASS", 0) for c in r.checks)
        row["fail"] = sum(results.get(c, {}).get("FAIL", 0) for c in r.checks)
    return row


def _table_format(output_format: str) -> None:
    if output_format not in ("table", "json"):
        raise typer.BadParameter("--format must be table or json")


@app.command("show")
@handle_errors
def show(
    name: Annotated[str, typer.Argument(help="wa-security, cis-5.0 or fsbp.")],
    output_format: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    under: Annotated[bool, typer.Option("--under", help="Only the controls under their target.")] = False,
    results: Annotated[
        Path | None, typer.Option(help="A scan's output folder: add its pass/fail counts per control.")
    ] = None,
) -> None:
    """Per best practice (or control): the checks that evidence it and the coverage.

    \b
    Targets for the Security Pillar: automated >= 2 checks, partial >= 1, process: an attestation.
    CIS and FSBP controls are listed with the checks that map to them.
    """
    _table_format(output_format)
    fw = get_framework(name)
    rows = coverage(fw, load_all())
    counts = _results(results)
    shown = [r for r in rows if not under or r.state == "under"]
    data = [_row(r, counts) for r in shown]
    if output_format == "json":
        out = {"framework": fw.id, "name": fw.name, "version": fw.version, "summary": summary(rows)}
        typer.echo(json.dumps(out | {"controls": data}, indent=2))
        return
    sections = dict(fw.sections)
    table = Table(title=f"{fw.name} ({fw.version})", title_justify="left", show_lines=False)
    for col in ("Id", "Title", "Evidence" if not fw.finding_key else "Section", "Checks", "Coverage"):
        table.add_column(col, overflow="fold")
    if counts:
        table.add_column("Pass", justify="right", style="green")
        table.add_column("Fail", justify="right", style="red")
    for r, d in zip(shown, data, strict=True):
        label = f"UNDER TARGET ({len(r.checks)}/{r.target})" if r.state == "under" else r.state
        state = Text(label, style=STATE_STYLE[r.state])
        cells = [
            Text(r.control.id, style="bold"),
            Text(r.control.title),
            Text(r.control.evidence or sections.get(r.control.section, r.control.section)),
            Text("\n".join(r.checks) or "-", style="cyan" if r.checks else "dim"),
            state,
        ]
        if counts:
            cells += [Text(str(d["pass"])), Text(str(d["fail"]))]
        table.add_row(*cells)
    console.print(table)
    s = summary(rows)
    if fw.finding_key:
        console.print(
            Text(f"{s['covered']} of {s['controls']} controls are evidenced by at least one check.")
        )
    else:
        line = Text(f"{s['controls']} best practices: ")
        line.append(f"{s.get('met', 0)} at target", style="green")
        line.append(", ")
        line.append(f"{s.get('under', 0)} under target", style="bold red" if s.get("under") else "green")
        line.append(", ")
        line.append(f"{s.get('attestation', 0)} answered by attestation", style="magenta")
        console.print(line)
