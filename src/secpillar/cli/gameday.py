"""``secpillar gameday``: detonate attack techniques on the sandbox and score detection and response."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from secpillar.cli.common import console, err_console, escape, handle_errors, split_list
from secpillar.errors import EXIT_FINDINGS, UsageError

if TYPE_CHECKING:
    from secpillar.gameday.runner import Progress
    from secpillar.gameday.score import TechniqueResult
    from secpillar.gameday.technique import Technique

app = typer.Typer(
    help="Game days: detonate attack techniques on the sandbox and score detection and response.",
    no_args_is_help=True,
)

FORMATS = ("table", "json")


@app.command("run")
@handle_errors
def run(
    technique: Annotated[
        list[str] | None,
        typer.Option("--technique", "-t", help="Technique ids (repeat or comma-separate; 'aws.impact.*')."),
    ] = None,
    target: Annotated[
        str,
        typer.Option(
            help="'sandbox' (a fresh one, attacked in its PROD account), 'aws', or an endpoint URL."
        ),
    ] = "sandbox",
    confirm_account: Annotated[
        str | None,
        typer.Option(help="Required for any target but the sandbox: the id of the account to attack."),
    ] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile (target 'aws' or an endpoint).")] = None,
    region: Annotated[str, typer.Option(help="The region attacked.")] = "us-east-1",
    trail_logs: Annotated[
        str,
        typer.Option(help="Where the account's CloudTrail files land: s3://BUCKET/PREFIX/AWSLogs/[o-id/]."),
    ] = "",
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    html: Annotated[Path | None, typer.Option(help="Also write the scorecard as an HTML page here.")] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Keep the evidence here: scorecard.json, the lake, the CloudTrail files, the changes."
        ),
    ] = None,
    respond: Annotated[
        str,
        typer.Option(help="local: the respond engine acts here; external: only check what yours did; off."),
    ] = "local",
    rules: Annotated[
        Path | None, typer.Option(help="Respond rules to run instead of the built-in ones (respond local).")
    ] = None,
    wait: Annotated[
        float | None,
        typer.Option(min=0.5, help="Seconds to wait per technique for detection and response."),
    ] = None,
    rescan: Annotated[
        bool, typer.Option("--rescan/--no-rescan", help="Scan before and after: prove nothing new fails.")
    ] = False,
    param: Annotated[
        list[str] | None, typer.Option(help="A detection parameter: DETECTION.NAME=VALUE (repeatable).")
    ] = None,
) -> None:
    """Attack on purpose, then score what the detections and the responses did.

    For each technique: snapshot, detonate (real API calls), ingest the new CloudTrail into a lake,
    run the detections, let the response act, verify, clean up, check nothing is left behind.
    Exit code 3 when a technique that a detection claims to cover goes undetected."""
    from secpillar.detect import load_all as load_detections
    from secpillar.detect.registry import parse_params
    from secpillar.gameday.render import render_html, scorecard, to_json
    from secpillar.gameday.response import MODES
    from secpillar.gameday.runner import RunOptions, run_gameday
    from secpillar.gameday.target import SANDBOX, from_credentials, start_sandbox

    if fmt not in FORMATS:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")
    if respond not in MODES:
        raise UsageError(f"--respond must be one of {', '.join(MODES)}")
    params = parse_params(param or [], load_detections())
    options = RunOptions(
        techniques=split_list(technique),
        respond=respond,
        rules=rules,
        params=params,
        out=out,
        rescan=rescan,
    )
    from secpillar.gameday import load_all

    load_all().select(list(options.techniques))  # an unknown id fails before anything starts
    if target == SANDBOX:
        if confirm_account:
            raise UsageError("--confirm-account is for real targets; the sandbox needs no confirmation")
        with err_console.status("starting and seeding a fresh sandbox"):
            tgt = start_sandbox()
    else:
        tgt = from_credentials(target, confirm_account, profile=profile, region=region, trail_logs=trail_logs)
    options.wait = wait if wait is not None else (10.0 if tgt.sandbox_url else 900.0)
    options.poll = 0.25 if tgt.sandbox_url else 15.0
    try:
        game = run_gameday(tgt, options, _progress())
    finally:
        tgt.close()
    if out is not None:
        (out / "scorecard.json").write_text(to_json(game), encoding="utf-8")
    if html is not None:
        html.write_text(render_html(game), encoding="utf-8")
    if fmt == "json":
        typer.echo(to_json(game), nl=False)
    else:
        console.print(scorecard(game))
        if html is not None:
            console.print(f"scorecard written to {html}", soft_wrap=True)
    if game.failures():
        raise typer.Exit(EXIT_FINDINGS)


def _progress() -> Progress:
    from secpillar.gameday.runner import Progress

    def start(t: Technique) -> None:
        err_console.print(f"[dim]detonating[/] {escape(t.id)}", highlight=False)

    def done(r: TechniqueResult) -> None:
        mark = "detected" if r.detected else ("not detected" if r.status == "ran" else r.status)
        err_console.print(f"  {mark}", highlight=False, style="green" if r.detected else "")

    def phase(text: str) -> None:
        err_console.print(f"[dim]{escape(text)}[/]")

    return Progress(on_start=start, on_done=done, on_phase=phase)


@app.command("list")
@handle_errors
def list_cmd(fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table") -> None:
    """The technique catalogue: ids, ATT&CK, the detections that claim each, where it runs."""
    from secpillar.gameday import load_all
    from secpillar.gameday.render import catalogue_table, describe

    techniques = list(load_all())
    if fmt == "json":
        typer.echo(json.dumps([describe(t) for t in techniques], indent=2))
    elif fmt == "table":
        console.print(catalogue_table(techniques))
    else:
        raise UsageError(f"--format must be one of {', '.join(FORMATS)}")


@app.command("rules")
@handle_errors
def rules_cmd() -> None:
    """Print the game day's built-in respond rules (YAML for `respond watch`/`respond wire`)."""
    from secpillar.gameday.response import builtin_rules_yaml

    typer.echo(builtin_rules_yaml(), nl=False)
