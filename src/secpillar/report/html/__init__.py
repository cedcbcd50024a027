"""The self-contained HTML report: one file, inline CSS, JavaScript and SVG, no network needed.

Every value that comes from AWS reaches the page through Jinja's autoescaping (text and
attributes); the only JSON in a ``<script>`` element goes through :func:`script_json`, which
escapes ``<``, ``>``, ``&`` and U+2028/U+2029 so that no tag value can close the element. A
Content-Security-Policy with a per-report nonce lets only the report's own script run."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from secpillar import __version__
from secpillar.checks.registry import Check
from secpillar.model import Finding, Inventory
from secpillar.report.attestations import AttestationStatus
from secpillar.report.compare import Comparison
from secpillar.report.html import charts
from secpillar.report.html.model import HtmlModel, build_model

_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(value: Any) -> Markup:
    """JSON safe inside ``<script type="application/json">``: no ``</script>``, no ``<!--``."""
    text = json.dumps(value, default=str, sort_keys=True)
    for raw, esc in _ESCAPES.items():
        text = text.replace(raw, esc)
    return Markup(text)


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text("utf-8")


def _environment() -> Environment:
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["script_json"] = script_json
    env.globals["charts"] = charts
    return env


def summary_data(model: HtmlModel) -> dict[str, Any]:
    """The machine-readable summary embedded in the page (``#secpillar-summary``)."""
    return {
        "counts": model.counts,
        "accounts": [{"id": a, "name": n} for a, n in model.accounts],
        "practices": {
            p.id: {"pass": p.tally.passed, "fail": p.tally.failed, "checks": len(p.checks)}
            for q in model.questions
            for p in q.practices
        },
        "comparison": model.comparison.counts if model.comparison else None,
    }


def render_model(model: HtmlModel, nonce: str | None = None) -> str:
    env = _environment()
    template = env.from_string(_asset("report.html.j2"))
    return template.render(
        m=model,
        version=__version__,
        nonce=nonce or secrets.token_urlsafe(16),
        css=Markup(_asset("report.css")),
        js=Markup(_asset("report.js")),
        summary=summary_data(model),
        status_colors=charts.STATUS_COLORS,
        severity_colors=charts.SEVERITY_COLORS,
    )


def render_html(
    findings: Sequence[Finding],
    inventory: Inventory,
    checks: Iterable[Check],
    scan: Mapping[str, Any] | None = None,
    attestations: Sequence[AttestationStatus] = (),
    comparison: Comparison | None = None,
    history: Sequence[Mapping[str, Any]] = (),
    nonce: str | None = None,
) -> str:
    """The report as one HTML document."""
    model = build_model(
        findings,
        inventory,
        checks,
        scan,
        attestations,
        comparison,
        history,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
    return render_model(model, nonce)
