"""Console renderables (rich): the scan summary by best practice, top failures and gaps.

Every value that comes from AWS (names, tags, messages) goes into a ``Text`` so that rich never
reads it as markup: a hostile tag value is shown as it is."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from secpillar.model import Finding, Gap, Inventory, Severity
from secpillar.report.summary import by_best_practice, status_counts, top_failing

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFORMATIONAL: "dim",
}


def _t(value: object, style: str = "") -> Text:
    return Text(str(value), style=style)


def headline(inventory: Inventory, findings: Sequence[Finding], seconds: float) -> Text:
    counts = status_counts(findings)
    text = Text()
    text.append("Scanned ", style="bold")
    text.append(f"{len(inventory.accounts)} account(s), {len(inventory.regions)} region(s), ")
    text.append(f"{len(inventory)} resources in {seconds:.1f}s: ")
    text.append(f"{counts['FAIL']} FAIL", style="bold red")
    text.append(f", {counts['PASS']} PASS", style="green")
    if counts["MUTED"]:
        text.append(f", {counts['MUTED']} MUTED", style="dim")
    if counts["ERROR"]:
        text.append(f", {counts['ERROR']} ERROR", style="magenta")
    if inventory.gaps:
        text.append(f", {len(inventory.gaps)} gap(s) (not readable)", style="magenta")
    return text


def practices_table(findings: Sequence[Finding], inventory: Inventory) -> Table:
    table = Table(title="Well-Architected Security Pillar: results by best practice", title_justify="left")
    table.add_column("Best practice", no_wrap=True)
    table.add_column("Title")
    table.add_column("Checks", justify="right")
    table.add_column("Pass", justify="right", style="green")
    table.add_column("Fail", justify="right", style="red")
    table.add_column("Failing in")
    for row in by_best_practice(findings):
        accounts = ", ".join(sorted(inventory.account_name(a) for a in row.failing_accounts))
        table.add_row(
            _t(row.bp_id, "bold"),
            _t(row.title),
            _t(len(row.checks)),
            _t(row.passed),
            _t(row.failed, "bold red" if row.failed else "dim"),
            _t(accounts),
        )
    return table


def failures_list(findings: Sequence[Finding], inventory: Inventory, limit: int = 15) -> Group:
    """The most severe failing findings, each as a short block: what, where, why, how to fix.
    Blocks rather than a table, so that the text stays readable in an 80-column terminal."""
    top = top_failing(findings, limit)
    total = sum(1 for f in findings if f.failed)
    blocks: list[RenderableType] = [
        Text(f"Top failing findings ({len(top)} of {total}, most severe first)", style="bold italic")
    ]
    for f in top:
        head = Text()
        head.append(f" {f.severity.value.upper()} ", style=SEVERITY_STYLE[f.severity])
        head.append(f" {f.check_id}", style="bold")
        head.append(f"  {inventory.account_name(f.resource.account)} ({f.resource.account})", style="cyan")
        head.append(f"  {f.resource.region}", style="dim")
        body = Text("    ")
        body.append(f.resource.arn, style="dim")
        body.append("\n    ")
        body.append(f.message)
        if f.remediation:
            body.append("\n    Fix: ", style="bold green")
            body.append(f.remediation)
        blocks.extend([head, body])
    return Group(*blocks)


def gaps_table(gaps: Sequence[Gap], inventory: Inventory, limit: int = 20) -> Table:
    table = Table(
        title=f"Gaps: what could not be read ({len(gaps)})", title_justify="left", title_style="magenta"
    )
    for col in ("Kind", "Account", "Region", "Service", "Operation", "Message"):
        table.add_column(col)
    for g in sorted(gaps, key=lambda g: (g.kind.value, g.account_id, g.service, g.operation))[:limit]:
        table.add_row(
            _t(g.kind.value, "magenta"),
            _t(inventory.account_name(g.account_id)),
            _t(g.region),
            _t(g.service),
            _t(g.operation),
            _t(g.message),
        )
    return table


def scan_summary(
    inventory: Inventory, findings: Sequence[Finding], seconds: float, top: int = 15
) -> RenderableType:
    parts: list[RenderableType] = [practices_table(findings, inventory)]
    if any(f.failed for f in findings):
        parts.append(failures_list(findings, inventory, top))
    if inventory.gaps:
        parts.append(gaps_table(inventory.gaps, inventory))
    parts.append(headline(inventory, findings, seconds))
    return Group(*parts)


def checks_table(rows: Sequence[dict[str, object]]) -> Table:
    table = Table(title=f"{len(rows)} checks", title_justify="left")
    for col in ("Id", "Severity", "Best practices", "Title"):
        table.add_column(col)
    for r in rows:
        sev = Severity(str(r["severity"]))
        wa = r["wa"]
        wa_text = ", ".join(str(x) for x in wa) if isinstance(wa, list | tuple) else str(wa)
        table.add_row(_t(r["id"]), _t(sev.value, SEVERITY_STYLE[sev]), _t(wa_text), _t(r["title"]))
    return table
