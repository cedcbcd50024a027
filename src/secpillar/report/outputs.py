"""The extra files a scan writes into its output folder, by format: HTML, OCSF, JUnit, ASFF, plus
the history files (``compare.json``, ``history.json``) and ``attestations.json``.

Pure: findings and context in, ``{file name: text}`` out; the CLI writes them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secpillar.checks.registry import Check
from secpillar.model import Finding, Inventory
from secpillar.report.asff import asff_json
from secpillar.report.attestations import AttestationStatus
from secpillar.report.compare import Comparison, compare_json, history_json
from secpillar.report.html import render_html
from secpillar.report.junit import junit_xml
from secpillar.report.ocsf import ocsf_json

FORMATS = ("console", "json", "csv", "html", "ocsf", "junit", "asff")
FILES = {
    "html": "report.html",
    "ocsf": "findings.ocsf.json",
    "junit": "findings.junit.xml",
    "asff": "findings.asff.json",
}


def parse_formats(text: str) -> list[str]:
    """``"console,html"`` -> ``["console", "html"]``; an unknown name is a ``ValueError``."""
    formats = [f.strip().lower() for f in text.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ValueError(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    return formats


@dataclass
class ReportContext:
    findings: Sequence[Finding]
    inventory: Inventory
    checks: Sequence[Check]
    scan: Mapping[str, Any] = field(default_factory=dict)
    attestations: Sequence[AttestationStatus] = ()
    comparison: Comparison | None = None
    history: Sequence[Mapping[str, Any]] = ()
    home_region: str = "us-east-1"


def render_files(formats: Iterable[str], ctx: ReportContext) -> dict[str, str]:
    """The files for ``formats`` (those beyond console/json/csv) and the history/attestation
    files the context carries."""
    wanted = set(formats)
    names = {a: ctx.inventory.account_name(a) for a in {f.resource.account for f in ctx.findings}}
    out: dict[str, str] = {}
    if "html" in wanted:
        out[FILES["html"]] = render_html(
            ctx.findings,
            ctx.inventory,
            ctx.checks,
            ctx.scan,
            ctx.attestations,
            ctx.comparison,
            ctx.history,
        )
    if "ocsf" in wanted:
        out[FILES["ocsf"]] = ocsf_json(ctx.findings, names)
    if "junit" in wanted:
        out[FILES["junit"]] = junit_xml(ctx.findings, names)
    if "asff" in wanted:
        out[FILES["asff"]] = asff_json(ctx.findings, ctx.home_region)
    if ctx.comparison is not None:
        out["compare.json"] = compare_json(ctx.comparison)
    if ctx.history:
        out["history.json"] = history_json(ctx.history)
    if ctx.attestations:
        out["attestations.json"] = json.dumps([a.to_dict() for a in ctx.attestations], indent=2) + "\n"
    return out
