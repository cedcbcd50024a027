"""Render a game day's scorecard: a console table (rich), JSON, and one self-contained HTML page
(inline CSS, no script runs, every value autoescaped; the scorecard's JSON is embedded in
a ``<script type="application/json">`` escaped as the HTML report escapes it)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined
from rich.console import Group
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from secpillar import __version__
from secpillar.gameday.score import GameDay
from secpillar.gameday.technique import Technique
from secpillar.report.html import script_json
from secpillar.report.html.charts import SEVERITY_COLORS


def to_json(game: GameDay) -> str:
    return json.dumps(game.to_dict(), indent=2, default=str) + "\n"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}s"


def scorecard(game: GameDay) -> Group:
    """The console scorecard: one row per technique, then the gaps and a summary line."""
    table = Table(title=f"Game day {game.run_id} on {escape(game.target['label'])}", show_lines=False)
    table.add_column("technique", overflow="fold", ratio=3)
    table.add_column("ATT&CK")
    table.add_column("detected", ratio=1)
    table.add_column("remediated", ratio=1)
    table.add_column("left behind", ratio=1)
    for r in game.results:
        if r.status in ("skipped", "not-emulated"):
            detected = Text(r.status, style="dim")
        elif r.status == "prevented":
            detected = Text("prevented", style="green")
        elif r.detected:
            detected = Text(f"yes {_seconds(r.seconds_to_detect)}", style="green")
        else:
            detected = Text("MISSED" if r.covered else "no", style="bold red" if r.covered else "red")
        if r.remediated:
            remediated = Text(f"yes {_seconds(r.seconds_to_remediate)}", style="green")
        elif r.expected_responses and r.status == "ran":
            remediated = Text("no", style="red")
        else:
            remediated = Text("-", style="dim")
        table.add_row(
            escape(r.id),
            r.attack,
            detected,
            remediated,
            Text("; ".join(r.left_behind), style="red") if r.left_behind else Text("nothing", style="dim"),
        )
    s = game.summary()
    line = Text.assemble(
        (f"{s['covered_detected']}/{s['covered']}", "bold green" if not s["failures"] else "bold red"),
        f" covered techniques detected, {s['detected']}/{s['ran']} detected in all, ",
        f"{s['remediated']}/{s['remediation_expected']} remediated, ",
        (f"{s['left_behind']} left something behind", "red" if s["left_behind"] else ""),
        f"; {s['skipped'] + s['not-emulated']} not run; {game.seconds:.1f}s",
    )
    parts: list[Any] = [table]
    gaps = game.gaps()
    if gaps:
        gap_table = Table(title="gaps, most important first")
        for col in ("#", "kind", "technique", "severity", "why"):
            gap_table.add_column(col)
        for g in gaps:
            gap_table.add_row(
                str(g["rank"]), g["kind"], escape(g["technique"]), g["severity"], escape(g["why"])
            )
        parts.append(gap_table)
    if game.rescan is not None:
        new = game.rescan["new_fail"]
        parts.append(
            Text(
                f"re-scan: {game.rescan['fail_before']} failing findings before, "
                f"{game.rescan['fail_after']} after, {len(new)} new" + (": " + "; ".join(new) if new else ""),
                style="red" if new else "green",
            )
        )
    parts.append(line)
    return Group(*parts)


def catalogue_table(techniques: list[Technique]) -> Table:
    table = Table(title=f"{len(techniques)} techniques")
    for col in ("id", "ATT&CK", "detections", "responses", "runs"):
        table.add_column(col)
    for t in techniques:
        runs = (
            "never: " + t.not_emulated
            if t.not_emulated
            else ("sandbox only" if t.sandbox_only else "anywhere")
        )
        table.add_row(
            escape(t.id), t.attack, ", ".join(t.detections) or "-", ", ".join(t.responses) or "-", runs
        )
    return table


def describe(t: Technique) -> dict[str, Any]:
    """A technique's metadata as plain data (``gameday list --format json``, docs)."""
    return {
        "id": t.id,
        "title": t.title,
        "attack": t.attack,
        "tactic": t.tactic,
        "severity": t.severity.value,
        "description": t.description,
        "events": list(t.events),
        "detections": list(t.detections),
        "responses": list(t.responses),
        "permissions": list(t.permissions),
        "regions": list(t.regions),
        "sandbox_only": t.sandbox_only,
        "not_emulated": t.not_emulated,
    }


def render_html(game: GameDay) -> str:
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["script_json"] = script_json
    text = resources.files(__package__).joinpath("templates", "scorecard.html.j2").read_text("utf-8")
    data = game.to_dict()
    ran = [t for t in data["techniques"] if t["status"] not in ("skipped", "not-emulated")]
    times = [t[k] for t in ran for k in ("seconds_to_detect", "seconds_to_remediate") if t[k] is not None]
    return env.from_string(text).render(
        g=data,
        s=data["summary"],
        coverage=data["coverage"],
        gaps=data["gaps"],
        ran=ran,
        skipped=[t for t in data["techniques"] if t["status"] in ("skipped", "not-emulated")],
        max_seconds=max(times, default=0.0) or 1.0,
        data=data,
        version=__version__,
        severity_colors=SEVERITY_COLORS,
    )
