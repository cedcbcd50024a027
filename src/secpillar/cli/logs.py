"""``secpillar logs``: The log lake: ingest CloudTrail and VPC flow logs into Parquet, query with SQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from secpillar.cli.common import console, err_console, escape, handle_errors
from secpillar.errors import UsageError

app = typer.Typer(
    help="The log lake: ingest CloudTrail and VPC flow logs into Parquet, query with SQL.",
    no_args_is_help=True,
)

LakeOption = Annotated[
    Path | None,
    typer.Option("--lake", help="Lake directory (default: $SECPILLAR_LAKE, else .secpillar/lake)."),
]


@app.command()
@handle_errors
def ingest(
    source: Annotated[str, typer.Argument(help="A file, a folder, or s3://bucket/prefix.")],
    lake: LakeOption = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile for s3:// sources.")] = None,
    endpoint_url: Annotated[
        str | None, typer.Option("--endpoint-url", help="S3 endpoint (the sandbox's URL) for s3:// sources.")
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS Region for s3:// sources.")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: CPU count, or $SECPILLAR_INGEST_WORKERS).")
    ] = None,
    output: Annotated[str, typer.Option("--format", help="Summary as console or json.")] = "console",
) -> None:
    """Ingest CloudTrail delivery files, EventBridge events, NDJSON and VPC flow logs into the lake.

    Idempotent: objects already ingested are skipped, events are de-duplicated by eventID, and a
    run that was killed is completed by the next one. Malformed input is quarantined with its reason.
    """
    from secpillar.lake.ingest import default_workers
    from secpillar.lake.ingest import ingest as run_ingest
    from secpillar.lake.sources import is_s3, local_objects, s3_objects
    from secpillar.lake.store import resolve_lake

    root = resolve_lake(lake)
    client = None
    if is_s3(source):
        from secpillar.aws.session import ClientFactory, base_session

        session = base_session(profile=profile, region=region, endpoint_url=endpoint_url)
        client = ClientFactory(session, endpoint_url=endpoint_url).client("s3")
        objects = list(s3_objects(client, source))
    else:
        objects = list(local_objects(source))
    quiet = output == "json" or not console.is_terminal
    with Progress(
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[events]:,} events"),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("ingest", total=len(objects), events=0)

        def progress(files: int, events: int) -> None:
            bar.update(task, completed=files, events=events)

        summary = run_ingest(
            objects, root, s3_client=client, workers=workers or default_workers(), progress=progress
        )
    if output == "json":
        typer.echo(json.dumps({"lake": str(root), **summary.as_dict()}, indent=2))
        return
    grid = Table(title=f"Ingested into {root}", show_header=False, box=None)
    for label, value in [
        ("files seen", summary.files_seen),
        ("already ingested (skipped)", summary.files_skipped),
        ("files ingested", summary.files_ingested),
        ("files quarantined", summary.files_quarantined),
        ("CloudTrail events written", summary.events),
        ("duplicate events dropped", summary.duplicates),
        ("flow log records written", summary.flow_records),
        ("records quarantined", summary.records_quarantined),
        *([("digest files (no events)", summary.digest_files)] if summary.digest_files else []),
        *([("Insights events left out", summary.insight_events)] if summary.insight_events else []),
        ("Parquet files", summary.parquet_files),
        ("seconds", f"{summary.seconds:.2f}"),
    ]:
        grid.add_row(label, Text(f"{value:,}" if isinstance(value, int) else str(value)))
    console.print(grid)
    if summary.recovered_files:
        console.print(f"removed {summary.recovered_files} file(s) of an interrupted earlier run first")
    for line in summary.quarantine[:20]:
        console.print(Text(f"quarantined: {line}", style="yellow"))
    if summary.quarantine or summary.records_quarantined:
        console.print(f"see {escape(str(root / 'quarantine'))}")


def _cell(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (dict, list, tuple)):
        return json.loads(json.dumps(value, default=str))
    if isinstance(value, bytes):
        return value.hex()
    return value


@app.command()
@handle_errors
def query(
    sql: Annotated[str, typer.Argument(help="SQL over the views cloudtrail, flowlogs and findings.")],
    lake: LakeOption = None,
    output: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
    dialect: Annotated[
        str | None,
        typer.Option(help="Print the query in athena, trino or spark SQL instead of running it."),
    ] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many rows.")] = None,
) -> None:
    """Run SQL (DuckDB's dialect) over the lake, or print it transpiled for another engine."""
    from secpillar.lake.query import run_query, transpile

    if dialect:
        typer.echo(transpile(sql, dialect))
        return
    if output not in ("table", "json", "csv"):
        raise UsageError(f"unknown format {output!r}; choose from table, json, csv")
    result = run_query(sql, lake, limit=limit)
    if output == "json":
        rows = [dict(zip(result.columns, (_cell(v) for v in row), strict=True)) for row in result.rows]
        typer.echo(json.dumps(rows, indent=2, default=str))
    elif output == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(result.columns)
        for row in result.rows:
            writer.writerow(
                [json.dumps(_cell(v)) if isinstance(v, (dict, list, tuple)) else _cell(v) for v in row]
            )
        typer.echo(buf.getvalue(), nl=False)
    else:
        table = Table(*result.columns)
        for row in result.rows:
            table.add_row(*(Text("" if v is None else str(_cell(v))) for v in row))
        console.print(table)
        console.print(f"{len(result.rows)} row(s)")


@app.command()
@handle_errors
def ddl(
    engine: Annotated[str, typer.Option(help="athena, trino or spark.")] = "athena",
    location: Annotated[
        str, typer.Option(help="Where the lake's folders are, e.g. s3://bucket/lake (cloudtrail/ under it).")
    ] = "s3://YOUR-BUCKET/secpillar-lake",
    accounts: Annotated[
        str | None, typer.Option(help="Athena: comma-separated account ids for partition projection.")
    ] = None,
    catalog: Annotated[str, typer.Option(help="Trino: catalog.schema for the tables.")] = "hive.default",
) -> None:
    """Print CREATE TABLE statements that let Athena, Trino or Spark read the lake's Parquet."""
    from secpillar.lake.ddl import create_statements

    ids = [a.strip() for a in (accounts or "").split(",") if a.strip()]
    typer.echo(create_statements(engine, location, accounts=ids, trino_catalog=catalog), nl=False)
