"""``secpillar detect``: run the registered threat detections (and Sigma rules) over the log lake."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from secpillar.cli.common import console, err_console, escape, handle_errors, parse_severity, split_list
from secpillar.detect import Detection, load_all
from secpillar.detect.findings import to_ocsf, write_findings
from secpillar.detect.lakeview import available_views, connect, resolve_lake
from secpillar.detect.registry import parse_params
from secpillar.detect.runner import Alert, RunResult, run_detections
from secpillar.detect.sigma import Skipped, load_sigma
from secpillar.errors import EXIT_FINDINGS, UsageError

DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_when(text: str | None, now: datetime) -> datetime | None:
    """``24h``/``7d``/``30m`` (before now) or an ISO-8601 date/time (UTC unless it says otherwise)."""
    if not text:
        return None
    m = DURATION.match(text.strip().lower())
    if m:
        return now - timedelta(**{UNITS[m.group(2)]: int(m.group(1))})
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"expected a duration like 24h or 7d, or an ISO date/time, got {text!r}") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _console_report(alerts: list[Alert], result: RunResult, skipped: list[Skipped], ran: int) -> None:
    if alerts:
        table = Table(title=f"{len(alerts)} alert(s)", show_lines=False)
        for col in ("severity", "detection", "principal", "source ip", "first seen", "count", "detail"):
            table.add_column(col)
        for a in sorted(
            alerts, key=lambda a: (-a.severity.rank, a.first_seen or datetime.min.replace(tzinfo=UTC))
        ):
            table.add_row(
                a.severity.value,
                escape(a.detection_id),
                escape(a.principal or ""),
                escape(a.source_ip or ""),
                a.first_seen.strftime("%Y-%m-%d %H:%M:%S") if a.first_seen else "",
                str(a.count),
                escape((a.detail or "")[:80]),
            )
        console.print(table)
    else:
        console.print(f"no alerts ({ran} detections ran)")
    for err in result.errors:
        err_console.print(
            f"[yellow]detection {escape(err.detection_id)} failed:[/] {escape(err.message)}",
            soft_wrap=True,
        )
    for s in skipped:
        err_console.print(
            f"[yellow]sigma rule not converted:[/] {escape(s.rule)} ({escape(s.path)}): {escape(s.reason)}",
            soft_wrap=True,
        )


@handle_errors
def detect(
    since: Annotated[
        str | None, typer.Option(help="Only events after this: a duration (24h, 7d) or an ISO date/time.")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only events before this (same forms as --since).")
    ] = None,
    lake: Annotated[
        Path | None, typer.Option(help="The log lake (default: $SECPILLAR_LAKE, else .secpillar/lake).")
    ] = None,
    detections: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these detections: ids or prefixes like 'ct.s3-*' (comma-separated or repeated)."
        ),
    ] = None,
    sigma: Annotated[
        Path | None, typer.Option(help="Also run the Sigma rules (aws/cloudtrail) in this folder.")
    ] = None,
    sigma_only: Annotated[bool, typer.Option(help="Run only the Sigma rules given with --sigma.")] = False,
    output_format: Annotated[
        str, typer.Option("--format", help="console or json (OCSF findings).")
    ] = "console",
    param: Annotated[
        list[str] | None, typer.Option(help="Override a parameter: DETECTION.NAME=VALUE (repeatable).")
    ] = None,
    fail_on: Annotated[
        str | None, typer.Option(help="Exit 3 when an alert at or above this severity is raised (for CI).")
    ] = None,
    save: Annotated[
        bool, typer.Option("--save/--no-save", help="Write alerts to the lake's findings.")
    ] = True,
) -> None:
    """Run threat detections over the log lake and report alerts as OCSF Detection Findings.

    \b
    Examples:
      secpillar detect --since 24h
      secpillar detect --detections 'ct.console-*' --param ct.console-brute-force-ip.threshold=3
      secpillar detect --sigma rules/cloud/aws/cloudtrail --format json --fail-on high
    """
    if output_format not in ("console", "json"):
        raise typer.BadParameter("--format must be console or json")
    threshold = parse_severity(fail_on)
    now = datetime.now(UTC)
    start, end = parse_when(since, now), parse_when(until, now)
    registry = load_all()
    chosen: list[Detection] = [] if sigma_only else registry.select(split_list(detections))
    overrides = parse_params(split_list(param), registry)
    skipped: list[Skipped] = []
    if sigma is not None:
        if not sigma.is_dir():
            raise UsageError(f"--sigma {sigma}: not a folder")
        rules, skipped = load_sigma(sigma)
        chosen.extend(rules)
    elif sigma_only:
        raise UsageError("--sigma-only needs --sigma DIR")
    root = resolve_lake(lake)
    con = connect(root)
    views = available_views(con)
    runnable = [d for d in chosen if d.source in views]
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
        disable=output_format != "console",
    )
    with bar:
        task = bar.add_task("detecting", total=len(runnable))
        result = run_detections(
            con,
            runnable,
            overrides,
            start,
            end,
            on_done=lambda d: bar.update(task, advance=1, description=d.id),
        )
    if save and result.alerts:
        path, written = write_findings(root, result.alerts)
        if path is not None and output_format == "console":
            err_console.print(f"wrote {written} new finding(s) to {path}", soft_wrap=True)
    if output_format == "json":
        payload: dict[str, Any] = {
            "lake": str(root),
            "detections_run": len(result.ran),
            "findings": [to_ocsf(a) for a in result.alerts],
            "errors": [{"detection": e.detection_id, "message": e.message} for e in result.errors],
            "sigma_not_converted": [{"rule": s.rule, "path": s.path, "reason": s.reason} for s in skipped],
            "not_run": sorted(d.id for d in chosen if d.source not in views),
        }
        typer.echo(json.dumps(payload, indent=2, default=str))
    else:
        _console_report(result.alerts, result, skipped, len(result.ran))
        missing = sorted({d.source for d in chosen if d.source not in views})
        if missing:
            err_console.print(f"no {', '.join(missing)} data in the lake: those detections did not run")
    if threshold is not None and any(a.severity >= threshold for a in result.alerts):
        raise typer.Exit(EXIT_FINDINGS)
