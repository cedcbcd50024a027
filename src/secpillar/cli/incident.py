"""``secpillar incident``: Incidents: chronological timelines, notes, tamper-evident records, post-mortems."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer

from secpillar.cli.common import console, err_console, handle_errors
from secpillar.errors import EXIT_ERROR, UsageError

app = typer.Typer(
    help="Incidents: chronological timelines, notes, tamper-evident records, post-mortems.",
    no_args_is_help=True,
)

IdArg = Annotated[str, typer.Argument(help="Incident id (inc-YYYYMMDD-xxxxxx).", show_default=False)]
DirOpt = Annotated[
    Path | None,
    typer.Option("--dir", help="Incidents directory (default $SECPILLAR_INCIDENTS or .secpillar/incidents)."),
]
KeyFileOpt = Annotated[
    Path | None, typer.Option("--key-file", help="Encrypt/decrypt with this key (`incident keygen`).")
]
PassEnvOpt = Annotated[
    str | None,
    typer.Option(
        "--passphrase-env", help="Encrypt/decrypt with the passphrase in this environment variable."
    ),
]
LakeOpt = Annotated[
    Path | None, typer.Option("--lake", help="Log lake (default $SECPILLAR_LAKE or .secpillar/lake).")
]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state", help="Respond change store (default $SECPILLAR_RESPOND_STATE or .secpillar/respond)."
    ),
]
AuthorOpt = Annotated[str | None, typer.Option("--author", help="Who writes this (default: the OS user).")]


def _key(key_file: Path | None, passphrase_env: str | None) -> Any:
    from secpillar.incident.record import Key, passphrase_key

    if key_file and passphrase_env:
        raise UsageError("give --key-file or --passphrase-env, not both")
    if key_file:
        return Key.from_file(key_file)
    if passphrase_env:
        value = os.environ.get(passphrase_env)
        if not value:
            raise UsageError(f"environment variable {passphrase_env} is not set")
        return passphrase_key(value)
    return None


def _record(
    incident_id: str, directory: Path | None, key_file: Path | None, passphrase_env: str | None
) -> Any:
    from secpillar.incident.record import IncidentRecord, incidents_dir

    return IncidentRecord(incidents_dir(directory), incident_id, _key(key_file, passphrase_env))


def _stores(lake: Path | None, state: Path | None) -> tuple[Path | None, Any]:
    from secpillar.lake.store import resolve_lake
    from secpillar.respond.changes import ChangeStore, state_dir

    lake_dir = resolve_lake(lake)
    store_dir = state_dir(state)
    return (lake_dir if lake_dir.exists() else None), (ChangeStore(store_dir) if store_dir.exists() else None)


@app.command("open")
@handle_errors
def open_cmd(
    title: Annotated[str, typer.Option("--title", help="What happened, in a few words.", show_default=False)],
    principal: Annotated[list[str] | None, typer.Option("--principal", help="IAM ARN (repeatable).")] = None,
    ip: Annotated[list[str] | None, typer.Option("--ip", help="Source IP address (repeatable).")] = None,
    resource: Annotated[
        list[str] | None, typer.Option("--resource", help="Resource ARN (repeatable).")
    ] = None,
    since: Annotated[str | None, typer.Option("--since", help="24h, 7d, or an ISO date/time.")] = None,
    lake: LakeOpt = None,
    state: StateOpt = None,
    directory: DirOpt = None,
    key_file: KeyFileOpt = None,
    passphrase_env: PassEnvOpt = None,
    author: AuthorOpt = None,
) -> None:
    """Open an incident: build its timeline from the lake (CloudTrail calls, alerts) and the response
    actions taken, and start its tamper-evident record.

    Example:

      secpillar incident open --title "Bucket made public" --resource arn:aws:s3:::payroll --since 24h
    """
    from secpillar.incident.record import incidents_dir
    from secpillar.incident.service import open_incident
    from secpillar.incident.timeline import Scope, parse_since

    scope = Scope(tuple(principal or ()), tuple(ip or ()), tuple(resource or ()), parse_since(since))
    lake_dir, store = _stores(lake, state)
    with err_console.status("building the timeline…"):
        record, timeline = open_incident(
            incidents_dir(directory),
            title,
            scope,
            lake=lake_dir,
            store=store,
            key=_key(key_file, passphrase_env),
            author=author,
        )
    counts = ", ".join(f"{v} from {k}" for k, v in timeline.sources.items()) or "no source found"
    typer.echo(record.id)
    err_console.print(
        f"{len(timeline.items)} timeline item(s) ({counts}); record {record.path}", markup=False
    )
    err_console.print(f"head {record.verify().head} (keep it elsewhere to detect a rewrite)", markup=False)


@app.command("note")
@handle_errors
def note_cmd(
    incident_id: IdArg,
    text: Annotated[str, typer.Argument(help="The note.", show_default=False)],
    author: AuthorOpt = None,
    directory: DirOpt = None,
    key_file: KeyFileOpt = None,
    passphrase_env: PassEnvOpt = None,
) -> None:
    """Append a note (author and time are recorded)."""
    from secpillar.incident.service import add_note

    record = _record(incident_id, directory, key_file, passphrase_env)
    entry = add_note(record, text, author)
    console.print(f"{incident_id}: note {entry.seq} added; head {entry.hash}", markup=False)


@app.command("refresh")
@handle_errors
def refresh_cmd(
    incident_id: IdArg,
    lake: LakeOpt = None,
    state: StateOpt = None,
    directory: DirOpt = None,
    key_file: KeyFileOpt = None,
    passphrase_env: PassEnvOpt = None,
) -> None:
    """Rebuild the timeline (calls, alerts and actions since it was opened) as a new record entry."""
    from secpillar.incident.service import refresh

    record = _record(incident_id, directory, key_file, passphrase_env)
    lake_dir, store = _stores(lake, state)
    timeline = refresh(record, lake_dir, store)
    console.print(f"{incident_id}: {len(timeline.items)} timeline item(s)", markup=False)


@app.command("verify")
@handle_errors
def verify_cmd(
    incident_id: IdArg,
    directory: DirOpt = None,
    key_file: KeyFileOpt = None,
    passphrase_env: PassEnvOpt = None,
) -> None:
    """Check the record's hash chain and head: exit 1 and say where, on any edit, deletion or reorder."""
    record = _record(incident_id, directory, key_file, passphrase_env)
    result = record.verify()
    if result.ok:
        console.print(
            f"{incident_id}: {result.entries} entries, chain intact, head {result.head}", markup=False
        )
        return
    for problem in result.problems:
        err_console.print(f"{incident_id}: {problem}", markup=False)
    raise typer.Exit(EXIT_ERROR)


@app.command("show")
@handle_errors
def show_cmd(
    incident_id: IdArg,
    directory: DirOpt = None,
    key_file: KeyFileOpt = None,
    passphrase_env: PassEnvOpt = None,
) -> None:
    """Print the timeline (with notes) in chronological order."""
    from rich.table import Table
    from rich.text import Text

    from secpillar.incident.service import load, merged_timeline

    inc = load(_record(incident_id, directory, key_file, passphrase_env))
    table = Table(title=f"{inc.id}: {inc.title}")
    for col in ("time", "kind", "actor", "what", "target", "outcome"):
        table.add_column(col)
    for i in merged_timeline(inc):
        cells = (i["time"], i["kind"], i["actor"], i["what"], i["target"], i["outcome"])
        table.add_row(*(Text(str(c)) for c in cells))
    console.print(table)


@app.command("report")
@handle_errors
def report_cmd(
    incident_id: IdArg,
    output_format: Annotated[str, typer.Option("--format", help="md or html.")] = "md",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    directory: DirOpt = None,
    key_file: KeyFileOpt = None,
    passphrase_env: PassEnvOpt = None,
) -> None:
    """Export the post-mortem: timeline, impact, actions taken, improvements ranked by severity."""
    from secpillar.incident.report import FORMATS, render
    from secpillar.incident.service import load

    if output_format not in FORMATS:
        raise typer.BadParameter("--format must be md or html")
    record = _record(incident_id, directory, key_file, passphrase_env)
    result = record.verify()
    text = render(load(record), output_format, result.ok, result.problems)
    if output is None:
        typer.echo(text, nl=False)
        return
    from secpillar.respond.changes import write_private

    write_private(output, text)
    err_console.print(f"wrote {output}", markup=False, soft_wrap=True)


@app.command("list")
@handle_errors
def list_cmd(directory: DirOpt = None) -> None:
    """List the incidents in the directory."""
    from secpillar.incident.record import incidents_dir, list_incidents

    for iid in list_incidents(incidents_dir(directory)):
        typer.echo(iid)


@app.command("keygen")
@handle_errors
def keygen_cmd(
    path: Annotated[Path, typer.Argument(help="Key file to create (0600).", show_default=False)],
) -> None:
    """Create a random key file for encrypted incident records (share it with responders only)."""
    from secpillar.incident.record import generate_key_file

    generate_key_file(path)
    console.print(f"wrote key {path} (mode 0600)", markup=False, soft_wrap=True)
