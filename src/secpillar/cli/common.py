"""What the commands share: consoles, option parsing, writing outputs, error handling."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import typer
from rich.console import Console

from secpillar.errors import EXIT_USAGE, SecpillarError
from secpillar.model import Finding, Inventory, Severity
from secpillar.report.csvout import findings_csv
from secpillar.report.jsonout import findings_json, inventory_json

console = Console()
err_console = Console(stderr=True)

FORMATS = ("console", "json", "csv")

F = TypeVar("F", bound=Callable[..., Any])


def split_list(values: Iterable[str] | None) -> list[str]:
    """``["a,b", "c"]`` -> ``["a", "b", "c"]`` (options may be repeated or comma-separated)."""
    out: list[str] = []
    for v in values or ():
        out.extend(x.strip() for x in v.split(",") if x.strip())
    return out


def parse_formats(text: str) -> list[str]:
    formats = split_list([text])
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise typer.BadParameter(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    return formats


def parse_severity(text: str | None) -> Severity | None:
    if text is None:
        return None
    try:
        return Severity.parse(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def write_outputs(
    out_dir: Path,
    formats: Iterable[str],
    findings: list[Finding],
    inventory: Inventory,
    scan_info: dict[str, Any],
) -> list[Path]:
    """Write ``findings.json`` and ``inventory.json`` (always), and ``findings.csv`` when asked."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    path = out_dir / "findings.json"
    path.write_text(findings_json(findings), encoding="utf-8")
    written.append(path)
    path = out_dir / "inventory.json"
    path.write_text(inventory_json(inventory, scan_info), encoding="utf-8")
    written.append(path)
    if "csv" in formats:
        path = out_dir / "findings.csv"
        path.write_text(findings_csv(findings), encoding="utf-8")
        written.append(path)
    return written


def handle_errors(fn: F) -> F:
    """Turn secpillar's errors into a one-line message and the tree's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SecpillarError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(exc.exit_code) from None
        except ValueError as exc:
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
            raise typer.Exit(EXIT_USAGE) from None

    return wrapper  # type: ignore[return-value]


def escape(text: str) -> str:
    from rich.markup import escape as rich_escape

    return rich_escape(text)
