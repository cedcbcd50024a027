"""``secpillar scan``: scan accounts (or a whole organization) against the Security Pillar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from secpillar.aws.org import DEFAULT_ROLE
from secpillar.checks.mutelist import load_mutelist
from secpillar.cli import reports as reports_cli
from secpillar.cli.common import (
    console,
    err_console,
    handle_errors,
    parse_severity,
    split_list,
    write_outputs,
)
from secpillar.errors import EXIT_FINDINGS, UsageError
from secpillar.model import Severity, Status
from secpillar.report.console import scan_summary
from secpillar.scan import Progress as ScanProgress
from secpillar.scan import ScanOptions, ScanResult, run_scan, run_snapshot_scan


def run_with_progress(options: ScanOptions, show: bool = True) -> ScanResult:
    """Run a scan with a progress bar on stderr (collection is the long part)."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=not show,
    )
    task = bar.add_task("discovering accounts", total=None)
    hooks = ScanProgress(
        on_plan=lambda n: bar.update(task, total=n, completed=0),
        on_job=lambda job: bar.update(task, advance=1, description=f"collecting {job.label}"),
        on_phase=lambda phase: bar.update(task, description=phase),
    )
    with bar:
        return run_scan(options, hooks)


def exit_code_for(result: ScanResult, fail_on: Severity | None) -> int:
    if fail_on is None:
        return 0
    bad = any(f.status is Status.FAIL and f.severity >= fail_on for f in result.findings)
    return EXIT_FINDINGS if bad else 0


@handle_errors
def scan(
    profile: Annotated[str | None, typer.Option(help="AWS profile to use (default: environment).")] = None,
    endpoint_url: Annotated[
        str | None,
        typer.Option(help="Send every AWS call to this endpoint (the sandbox: http://127.0.0.1:PORT)."),
    ] = None,
    org: Annotated[
        bool,
        typer.Option(
            "--org/--no-org", help="Scan every account of the organization (assume --role in each)."
        ),
    ] = False,
    role: Annotated[str, typer.Option(help="Role to assume in each member account.")] = DEFAULT_ROLE,
    external_id: Annotated[str | None, typer.Option(help="ExternalId for the assumed role.")] = None,
    accounts: Annotated[
        list[str] | None,
        typer.Option(help="Only these accounts (ids or names; comma-separated or repeated)."),
    ] = None,
    regions: Annotated[
        list[str] | None, typer.Option(help="Regions to scan (default: the account's enabled regions).")
    ] = None,
    checks: Annotated[
        list[str] | None,
        typer.Option(help="Only these checks: ids, prefixes like 'aws.s3.*', or services ('iam')."),
    ] = None,
    exclude_checks: Annotated[
        list[str] | None, typer.Option(help="Skip these checks (same patterns).")
    ] = None,
    min_severity: Annotated[
        str, typer.Option(help="Run only checks at or above this severity.")
    ] = "informational",
    out: Annotated[
        Path | None, typer.Option(help="Write findings.json and inventory.json (and findings.csv) here.")
    ] = None,
    output_format: Annotated[
        str,
        typer.Option("--format", help="Comma-separated: console, json, csv, html, ocsf, junit, asff."),
    ] = "console",
    attestations: Annotated[
        Path | None,
        typer.Option(help="attestations.yaml: answers for the process best practices (see docs/reports.md)."),
    ] = None,
    config_snapshot: Annotated[
        str | None,
        typer.Option(
            "--config-snapshot",
            help="Scan AWS Config configuration snapshots instead of live accounts: a .json(.gz) file, "
            "a folder of them, or s3://bucket/key-or-prefix (see docs/snapshots.md).",
        ),
    ] = None,
    compare: Annotated[
        Path | None,
        typer.Option(help="A previous scan's output folder: show new, resolved and still-open findings."),
    ] = None,
    security_hub: Annotated[
        bool,
        typer.Option(
            "--security-hub", help="Import the findings into Security Hub (BatchImportFindings, ASFF)."
        ),
    ] = False,
    mutelist: Annotated[
        Path | None,
        typer.Option(help="mutelist.yaml: accepted risks, shown as MUTED until they expire."),
    ] = None,
    fail_on: Annotated[
        str | None, typer.Option(help="Exit 3 when a finding at or above this severity FAILs (for CI gates).")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Concurrent API workers.")] = 8,
    lake: Annotated[
        Path | None,
        typer.Option(
            help="Also append the findings to this lake's findings table (Parquet, one file per scan; "
            "compare scans with `secpillar logs query`)."
        ),
    ] = None,
    top: Annotated[
        int, typer.Option(min=0, help="How many failing findings the console summary lists.")
    ] = 15,
) -> None:
    """Scan AWS accounts against the Well-Architected Security Pillar.

    \b
    Examples:
      secpillar scan --profile prod-audit --org --out results/
      secpillar scan --endpoint-url http://127.0.0.1:5000 --org --regions us-east-1 --fail-on high
      secpillar scan --checks s3 --exclude-checks aws.s3.bucket-versioning --format console,csv --out out/
      secpillar scan --config-snapshot s3://config-bucket/AWSLogs/111122223333/Config/ --format html
    """
    formats = reports_cli.parse_formats(output_format)
    threshold = parse_severity(fail_on)
    extras = reports_cli.prepare(attestations, compare, out)
    options = ScanOptions(
        profile=profile,
        endpoint_url=endpoint_url,
        use_org=org,
        role=role,
        external_id=external_id,
        accounts=split_list(accounts),
        regions=split_list(regions),
        checks=split_list(checks),
        exclude_checks=split_list(exclude_checks),
        min_severity=parse_severity(min_severity) or Severity.INFORMATIONAL,
        max_workers=workers,
        mutelist=load_mutelist(mutelist) if mutelist else None,
    )
    if config_snapshot is not None:
        if security_hub:
            raise UsageError("--security-hub imports into the scanned accounts: it needs a live scan")
        with err_console.status("reading AWS Config snapshots", spinner="dots"):
            result = run_snapshot_scan(options, config_snapshot)
    else:
        result = run_with_progress(options, show="console" in formats)
    if out is None and (({"json", "csv"} | set(reports_cli.FILES)) & set(formats) or compare):
        out = Path("secpillar-output")
    info = {
        "started": result.started.isoformat(),
        "seconds": round(result.seconds, 3),
        "apiCalls": result.api_calls,
    }
    if config_snapshot is not None:
        info["configSnapshot"] = config_snapshot
    if lake is not None:
        from secpillar.lake.posture import new_scan_id  # pyarrow: only when asked

        info["scanId"] = new_scan_id(result.started)
    extra = reports_cli.finish(extras, result, formats, info)
    if out is not None:
        paths = write_outputs(out, formats, result.findings, result.inventory, info)
        paths += reports_cli.write(out, extra.files)
        err_console.print(f"wrote {', '.join(str(p) for p in paths)}", soft_wrap=True)
    if lake is not None:
        from secpillar.lake.posture import write_scan_findings
        from secpillar.lake.store import resolve_lake

        path, scan_id, rows = write_scan_findings(
            resolve_lake(lake), result.findings, result.started, str(info["scanId"])
        )
        err_console.print(f"lake: {rows} finding(s) of scan {scan_id} in {path}")
    if security_hub:
        reports_cli.import_security_hub(result, options.regions)
    if "console" in formats:
        console.print(scan_summary(result.inventory, result.findings, result.seconds, top))
        for part in extra.console:
            console.print(part)
    raise typer.Exit(exit_code_for(result, threshold))
