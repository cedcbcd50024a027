"""What ``secpillar scan`` adds for the reports: the extra formats, attestations, ``--compare``
history and the Security Hub import. Inputs are read and validated before the scan starts, so
that a bad file fails fast and no scan is lost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import typer
from rich.console import RenderableType

from secpillar.aws.securityhub import import_findings
from secpillar.cli.common import err_console
from secpillar.errors import UsageError
from secpillar.model import Finding
from secpillar.report.asff import asff_findings
from secpillar.report.attestations import AttestationFile, attestation_status, load_attestations
from secpillar.report.compare import (
    compare,
    extend_history,
    load_findings,
    load_history,
    previous_history,
    run_summary,
    scan_info,
)
from secpillar.report.console_extra import attestation_summary, comparison_summary
from secpillar.report.outputs import FILES, ReportContext, render_files
from secpillar.report.outputs import parse_formats as _parse_formats
from secpillar.scan import ScanResult

__all__ = ["FILES", "finish", "import_security_hub", "parse_formats", "prepare", "write"]


def parse_formats(text: str) -> list[str]:
    try:
        return _parse_formats(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@dataclass
class Inputs:
    attestations: AttestationFile | None = None
    previous: list[Finding] | None = None
    previous_dir: Path | None = None
    previous_info: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Extra:
    files: dict[str, str]
    console: list[RenderableType]


def prepare(attestations: Path | None, compare_dir: Path | None, out: Path | None) -> Inputs:
    """Read ``--attestations`` and ``--compare`` (and the output folder's own history)."""
    inputs = Inputs()
    if attestations is not None:
        inputs.attestations = load_attestations(attestations)
    if compare_dir is not None:
        if not compare_dir.is_dir() and not compare_dir.is_file():
            raise UsageError(f"--compare: {compare_dir} does not exist (give a previous scan's --out folder)")
        folder = compare_dir if compare_dir.is_dir() else compare_dir.parent
        inputs.previous = load_findings(compare_dir)
        inputs.previous_dir = folder
        inputs.previous_info = scan_info(folder) | {"folder": str(folder)}
        inputs.history = previous_history(folder)
    elif out is not None and out.is_dir():
        inputs.history = load_history(out)
    return inputs


def finish(inputs: Inputs, result: ScanResult, formats: Sequence[str], info: dict[str, Any]) -> Extra:
    """Compare, extend the history, and render the extra files and console parts."""
    statuses = attestation_status(inputs.attestations, result.finished)
    comparison = None
    parts: list[RenderableType] = []
    if inputs.previous is not None:
        comparison = compare(inputs.previous, result.findings, inputs.previous_info, info)
        parts.append(comparison_summary(comparison, result.inventory, str(inputs.previous_dir)))
    history = extend_history(inputs.history, run_summary(result.findings, info))
    if inputs.attestations is not None or "html" in formats:
        parts.append(attestation_summary(statuses))
    regions = list(result.inventory.regions) or ["us-east-1"]
    ctx = ReportContext(
        findings=result.findings,
        inventory=result.inventory,
        checks=result.checks,
        scan=info,
        attestations=statuses if inputs.attestations is not None or "html" in formats else (),
        comparison=comparison,
        history=history,
        home_region=regions[0],
    )
    return Extra(render_files(formats, ctx), parts)


def write(out: Path, files: dict[str, str]) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, text in files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def import_security_hub(result: ScanResult, regions: Sequence[str]) -> None:
    """Send every finding to Security Hub in its own account (through that account's clients)."""
    home = (list(regions) or list(result.inventory.regions) or ["us-east-1"])[0]
    factories = {t.account_id: t.clients for t in result.targets}

    def client_for(account: str, region: str) -> Any:
        return factories[account].client("securityhub", region)

    with err_console.status("importing findings into Security Hub"):
        report = import_findings(asff_findings(result.findings, home), client_for)
    err_console.print(
        f"Security Hub: imported {report.imported} finding(s) in {report.batches} batch(es), "
        f"{report.failed} failed"
    )
    for f in report.failures[:10]:
        where = f"{result.inventory.account_name(f['account'])} ({f['account']}) {f['region']}"
        err_console.print(
            f"  failed {where} {f['id'] or '(whole batch)'}: {f['code']} {f['message']}", markup=False
        )
    if len(report.failures) > 10:
        err_console.print(f"  … {len(report.failures) - 10} more failures")
