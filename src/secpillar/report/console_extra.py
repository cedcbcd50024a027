"""Console renderables for the history and attestation summaries (rich; AWS values as ``Text``)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.text import Text

from secpillar.model import Inventory
from secpillar.report.attestations import AttestationStatus
from secpillar.report.compare import Comparison

_SEV = {"critical": "bold white on red", "high": "bold red", "medium": "yellow", "low": "cyan"}


def comparison_summary(c: Comparison, inventory: Inventory, label: str, limit: int = 10) -> RenderableType:
    head = Text()
    head.append("Since the previous scan", style="bold")
    head.append(f" ({label}): ")
    head.append(f"{len(c.new)} new", style="bold red" if c.new else "green")
    head.append(", ")
    head.append(f"{len(c.resolved)} resolved", style="bold green" if c.resolved else "")
    head.append(f", {len(c.open)} still open")
    parts: list[RenderableType] = [head]
    for title, items in (("New", c.new), ("Resolved", c.resolved)):
        for ch in items[:limit]:
            line = Text(f"  {title[0]} ", style="bold red" if title == "New" else "bold green")
            sev = ch.finding.severity.value
            line.append(f"{sev.upper():<13}", style=_SEV.get(sev, "dim"))
            line.append(f"{ch.finding.check_id}  ")
            line.append(f"{inventory.account_name(ch.finding.resource.account)}  ", style="cyan")
            line.append(ch.finding.resource.arn, style="dim")
            parts.append(line)
        if len(items) > limit:
            parts.append(Text(f"  … {len(items) - limit} more {title.lower()} in compare.json", style="dim"))
    return Group(*parts)


def attestation_summary(rows: Sequence[AttestationStatus]) -> Text:
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.state] = counts.get(r.state, 0) + 1
    text = Text("Attestations (process best practices): ", style="bold")
    styles = {"attested": "green", "partial": "yellow", "stale": "yellow", "no": "red", "not attested": "red"}
    text.append(
        ", ".join(f"{n} {state}" for state, n in sorted(counts.items())) or "none",
        style=styles.get(next(iter(counts), ""), ""),
    )
    missing = [r.practice for r in rows if r.state in ("not attested", "stale")]
    if missing:
        text.append(f"\n  to answer in attestations.yaml: {', '.join(missing)}", style="dim")
    return text
