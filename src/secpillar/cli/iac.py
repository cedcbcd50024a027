"""``secpillar iac PATH``: the posture checks on Terraform before it deploys.

``app`` is a one-command Typer (``iac PATH``) for tests; the root CLI wires the function itself
(``app.command()(iac.iac)``), as it does for ``scan``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from secpillar.cli.common import console, err_console, handle_errors, parse_severity, split_list
from secpillar.model import Severity, Status

app = typer.Typer(help="Check Terraform (HCL folders or plan JSON) with the posture checks.")

FORMATS = ("console", "json", "sarif")


def _formats(text: str) -> list[str]:
    formats = split_list([text])
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise typer.BadParameter(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    return formats


@handle_errors
def iac(
    path: Annotated[Path, typer.Argument(help="A folder of .tf files, or a `terraform show -json` file.")],
    plan: Annotated[
        bool, typer.Option("--plan", help="PATH is plan JSON (implied by a .json file).")
    ] = False,
    output_format: Annotated[
        str, typer.Option("--format", help="Comma-separated: console, json, sarif.")
    ] = "console",
    out: Annotated[
        Path | None, typer.Option(help="Write iac-findings.json / secpillar.sarif here (default: stdout).")
    ] = None,
    fail_on: Annotated[
        str | None, typer.Option(help="Exit 3 when a finding at or above this severity FAILs.")
    ] = None,
    checks: Annotated[
        list[str] | None, typer.Option(help="Only these checks: ids, prefixes like 'aws.s3.*', or services.")
    ] = None,
    exclude_checks: Annotated[list[str] | None, typer.Option(help="Skip these checks.")] = None,
    var_file: Annotated[list[str] | None, typer.Option(help="Extra .tfvars files (HCL only).")] = None,
    tf_dir: Annotated[
        Path | None, typer.Option(help="With --plan: the folder of the .tf files, for line numbers.")
    ] = None,
    base_dir: Annotated[
        Path | None, typer.Option(help="SARIF paths are relative to this folder (default: current).")
    ] = None,
    mutelist: Annotated[
        Path | None,
        typer.Option(help="mutelist.yaml (as for scan; resource patterns also match Terraform addresses)."),
    ] = None,
    rego: Annotated[
        list[Path] | None,
        typer.Option(help="Folder of conftest-style Rego policies (package main; deny/violation/warn)."),
    ] = None,
) -> None:
    """Run the same registered checks as `secpillar scan` on Terraform.

    \b
    Examples:
      secpillar iac infra/
      secpillar iac infra/ --format sarif --out results/ --fail-on high
      terraform show -json tfplan > plan.json && secpillar iac plan.json --plan --tf-dir infra/
    """
    from secpillar.checks.mutelist import load_mutelist
    from secpillar.iac import IacOptions, exit_code, run_iac, select
    from secpillar.report.sarif import sarif_json

    formats = _formats(output_format)
    threshold = parse_severity(fail_on)
    options = IacOptions(
        path=str(path),
        plan=plan,
        checks=split_list(checks),
        exclude_checks=split_list(exclude_checks),
        var_files=split_list(var_file),
        tf_dir=str(tf_dir) if tf_dir else None,
        mutelist=load_mutelist(mutelist) if mutelist else None,
        rego_dirs=[str(d) for d in rego or ()],
    )
    result = run_iac(options)
    selected = select(options)
    outputs: dict[str, str] = {}
    if "json" in formats:
        outputs["iac-findings.json"] = result.to_json()
    if "sarif" in formats:
        base = str(base_dir) if base_dir else str(Path.cwd())
        outputs["secpillar.sarif"] = sarif_json(result.findings, selected, base, result.addresses)
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in outputs.items():
            (out / name).write_text(text, encoding="utf-8")
        err_console.print(f"wrote {', '.join(str(out / n) for n in outputs)}", soft_wrap=True)
    else:
        for text in outputs.values():
            typer.echo(text)
    if "console" in formats:
        _print_console(result)
    raise typer.Exit(exit_code(result, threshold))


app.command("iac")(iac)


def _print_console(result: object) -> None:
    from secpillar.iac import IacResult

    assert isinstance(result, IacResult)
    fails = [f for f in result.findings if f.status is Status.FAIL]
    passes = sum(1 for f in result.findings if f.status is Status.PASS)
    table = Table(title="Terraform findings", show_lines=False)
    for col in ("severity", "check", "resource", "where"):
        table.add_column(col, no_wrap=col == "check", overflow="fold")
    styles = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow"}
    for f in fails:
        loc = f.location or {}
        table.add_row(
            Text(f.severity.value, style=styles.get(f.severity, "")),
            Text(f.check_id),
            Text(result.address_of(f) or f.resource.name),
            Text(f"{loc.get('file', '')}:{loc.get('line', '')}"),
        )
    if fails:
        console.print(table)
    summary = Text()
    summary.append(f"{len(fails)} FAIL", style="bold red" if fails else "green")
    summary.append(f", {passes} PASS, {result.count(Status.MUTED)} MUTED, {len(result.unknown)} unknown")
    summary.append(" until apply")
    roots = f" in {len(result.roots)} root modules" if len(result.roots) > 1 else ""
    noun = "resource" if result.resource_count == 1 else "resources"
    summary.append(f" — {result.resource_count} {noun}{roots} in {result.seconds:.2f}s")
    console.print(summary)
    for w in result.warnings:
        err_console.print(Text(f"warning: {w}", style="yellow"))
