"""``secpillar demo``: start the sandbox, seed it, scan the whole organization, stop."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from secpillar.cli import reports as reports_cli
from secpillar.cli.common import console, err_console, handle_errors, write_outputs
from secpillar.cli.scan import run_with_progress
from secpillar.report.console import scan_summary
from secpillar.sandbox.seed import REGION, seed
from secpillar.sandbox.server import SandboxProcess
from secpillar.scan import ScanOptions


@handle_errors
def demo(
    out: Annotated[
        Path,
        typer.Option(help="Where to write findings, inventory, report.html and the seed manifest."),
    ] = Path("secpillar-demo"),
    top: Annotated[int, typer.Option(min=0, help="How many failing findings to list.")] = 15,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 8,
) -> None:
    """Scan the built-in example organization: no AWS account needed.

    Starts the sandbox on a free port, seeds the organization (MGMT, LOGS, TEST, STG, PROD with
    deliberate flaws), scans every account, prints the summary and writes the output folder."""
    t0 = time.monotonic()
    with SandboxProcess() as sandbox:
        err_console.print(f"sandbox started at {sandbox.url}", soft_wrap=True)
        with console.status("seeding the example organization"):
            manifest = seed(sandbox.url)
        err_console.print(
            f"seeded {len(manifest.accounts)} accounts with {len(manifest.flaws)} planted flaws "
            f"in {time.monotonic() - t0:.1f}s"
        )
        options = ScanOptions(endpoint_url=sandbox.url, use_org=True, regions=[REGION], max_workers=workers)
        result = run_with_progress(options)
        from secpillar.gameday.runner import short_gameday

        with console.status("game day: attacking PROD on purpose"):
            game = short_gameday(sandbox.url, manifest.accounts)
    info = {
        "started": result.started.isoformat(),
        "seconds": round(result.seconds, 3),
        "apiCalls": result.api_calls,
    }
    paths = write_outputs(out, ["json", "csv"], result.findings, result.inventory, info)
    extra = reports_cli.finish(reports_cli.prepare(None, None, out), result, ["html"], info)
    paths += reports_cli.write(out, extra.files)
    (out / "sandbox-manifest.json").write_text(
        json.dumps(manifest.to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    console.print(scan_summary(result.inventory, result.findings, result.seconds, top))
    from secpillar.gameday.render import scorecard, to_json

    (out / "gameday.json").write_text(to_json(game), encoding="utf-8")
    console.print(scorecard(game))
    console.print(
        f"wrote {', '.join(str(p) for p in paths)} and {out / 'sandbox-manifest.json'} "
        f"({time.monotonic() - t0:.1f}s in all)",
        soft_wrap=True,
    )
