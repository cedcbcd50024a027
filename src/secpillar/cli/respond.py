"""``secpillar respond``: event rules (EventBridge patterns), actions, the worker, rollback."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from secpillar.cli.common import console, err_console, handle_errors

app = typer.Typer(
    help="Respond: match events against YAML rules, remediate, notify, roll back; the SQS worker.",
    no_args_is_help=True,
)

EndpointOpt = Annotated[
    str | None,
    typer.Option("--endpoint-url", help="AWS endpoint (the sandbox's URL); default: real AWS."),
]
ProfileOpt = Annotated[str | None, typer.Option("--profile", help="AWS profile.")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Default region of the clients.")]
RoleOpt = Annotated[
    str | None,
    typer.Option(
        "--role-name",
        help="Role to assume in an event's account if not the caller's (OrganizationAccountAccessRole).",
    ),
]
StateOpt = Annotated[
    Path | None,
    typer.Option(
        "--state",
        help="Change store directory (default $SECPILLAR_RESPOND_STATE or .secpillar/respond).",
    ),
]

RulesArg = Annotated[
    Path, typer.Argument(help="YAML rules file (top-level 'rules:' list).", show_default=False)
]


@app.command("test")
@handle_errors
def test_cmd(
    rules: RulesArg,
    events: Annotated[
        Path,
        typer.Argument(help="One EventBridge event (JSON) or many (JSON Lines).", show_default=False),
    ],
    output_format: Annotated[str, typer.Option("--format", help="console or json.")] = "console",
    mode: Annotated[
        str,
        typer.Option(
            "--mode",
            help="offline: no AWS call (default). plan: read AWS, save each change's plan and prior "
            "state, write nothing. apply: make the changes (rollback: `respond rollback ID`).",
        ),
    ] = "offline",
    notify: Annotated[
        bool, typer.Option("--notify/--no-notify", help="With plan/apply: send the rules' notifications.")
    ] = False,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    state: StateOpt = None,
    role_name: RoleOpt = None,
) -> None:
    """Say which rules each event fires and what their actions would do (offline by default).

    Examples:

      secpillar respond test rules.yaml event.json

      secpillar respond test rules.yaml cloudtrail-events.jsonl --format json

      secpillar respond test rules.yaml event.json --mode plan --endpoint-url http://127.0.0.1:5000
    """
    from secpillar.respond.context import load_checked_rules, make_context
    from secpillar.respond.events import evaluate_events, load_events

    if output_format not in ("console", "json"):
        raise typer.BadParameter("--format must be console or json")
    if mode not in ("offline", "plan", "apply"):
        raise typer.BadParameter("--mode must be offline, plan or apply")
    ruleset = load_checked_rules(rules)
    evs = load_events(events)
    if mode != "offline":
        ctx = make_context(
            state=state, endpoint_url=endpoint_url, profile=profile, region=region, role_name=role_name or ""
        )
        _test_live(ruleset, evs, mode, notify, output_format, ctx)
        return
    results = evaluate_events(ruleset, evs)
    if output_format == "json":
        for row in results:
            typer.echo(json.dumps(row))
        return
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"{len(evs)} event(s) against {len(ruleset)} rule(s)")
    for col in ("#", "source / detail-type", "matched rules", "actions (dry-run)"):
        table.add_column(col)
    fired = 0
    for row, ev in zip(results, evs, strict=True):
        fired += bool(row["matched"])
        what = f"{ev.get('source', '?')}\n{ev.get('detail-type', '?')}"
        detail = ev.get("detail")
        if isinstance(detail, dict) and isinstance(detail.get("eventName"), str):
            what += f"\n{detail['eventName']}"
        actions = "\n".join(
            a["type"] + (f" {json.dumps(a['params'])}" if a["params"] else "") for a in row["actions"]
        )
        cells = (str(row["event"]), what, "\n".join(row["matched"]) or "-", actions or "-")
        table.add_row(*(Text(c) for c in cells))
    console.print(table)
    console.print(f"{fired} of {len(evs)} event(s) fired at least one rule")


@app.command("validate")
@handle_errors
def validate_cmd(rules: RulesArg) -> None:
    """Check a rules file against the schema and compile every pattern (exit 2 says where it fails)."""
    from secpillar.respond.context import load_checked_rules

    ruleset = load_checked_rules(rules)
    console.print(f"{rules}: {len(ruleset)} rule(s) valid", markup=False)


@app.command("schema")
def schema_cmd() -> None:
    """Print the JSON Schema of a rules file (for editors and CI), generated from the action registry."""
    from secpillar.respond.context import registry_params
    from secpillar.respond.schema import rules_schema

    typer.echo(json.dumps(rules_schema(action_params=registry_params()), indent=2))


def _test_live(
    ruleset: Any,
    evs: list[dict[str, Any]],
    mode: str,
    notify: bool,
    output_format: str,
    ctx: Any,
) -> None:
    from rich.progress import Progress
    from rich.table import Table
    from rich.text import Text

    from secpillar.respond.handler import Responder

    responder = Responder(ruleset, ctx, mode="apply" if mode == "apply" else "dry-run", notify=notify)
    rows = []
    with Progress(console=err_console, transient=True, disable=output_format == "json") as progress:
        task = progress.add_task(f"{mode}…", total=len(evs))
        for i, ev in enumerate(evs):
            outcome = responder.handle(ev)
            row = {"event": i, **outcome.to_dict()}
            rows.append(row)
            progress.advance(task)
            if output_format == "json":
                typer.echo(json.dumps(row, default=str))
    if output_format == "json":
        return
    table = Table(title=f"{len(evs)} event(s), mode {mode}, change store {ctx.store.root}")
    for col in ("#", "rule", "action", "status", "what", "change"):
        table.add_column(col)
    for row in rows:
        for c in row["changes"]:
            what = (
                c["description"]
                + (f"\n{c['reason']}" if c["reason"] else "")
                + (f"\n{c['error']}" if c["error"] else "")
            )
            cells = (str(row["event"]), c["rule"], c["action"], c["status"], what, c["id"])
            table.add_row(*(Text(x) for x in cells))
    console.print(table)


@app.command("rollback")
@handle_errors
def rollback_cmd(
    change_id: Annotated[str, typer.Argument(help="Change id (see `respond changes`).", show_default=False)],
    exempt_for: Annotated[
        int,
        typer.Option(
            "--exempt-for",
            help="Seconds during which the worker will not redo this action on this target (0: none).",
        ),
    ] = 3600,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    state: StateOpt = None,
    role_name: RoleOpt = None,
) -> None:
    """Undo an applied change: put back the prior state it saved.

    Example:

      secpillar respond rollback chg-0123456789abcdef0123
    """
    from secpillar.respond.context import make_context
    from secpillar.respond.handler import rollback

    ctx = make_context(
        state=state, endpoint_url=endpoint_url, profile=profile, region=region, role_name=role_name or ""
    )
    change = rollback(ctx.store, ctx, change_id, exempt_seconds=exempt_for)
    console.print(f"{change.id}: rolled back ({change.action} on {_target(change.target)})", markup=False)


def _target(target: dict[str, Any]) -> str:
    return " ".join(f"{k}={v}" for k, v in target.items() if k not in ("account", "region") and v)


@app.command("changes")
@handle_errors
def changes_cmd(
    state: StateOpt = None,
    output_format: Annotated[str, typer.Option("--format", help="console or json.")] = "console",
) -> None:
    """List the changes in the change store (planned, applied, rolled back …), oldest first."""
    from rich.table import Table
    from rich.text import Text

    from secpillar.respond.changes import ChangeStore, state_dir

    store = ChangeStore(state_dir(state))
    changes = store.all()
    if output_format == "json":
        for c in changes:
            typer.echo(json.dumps(c.to_dict(), default=str))
        return
    table = Table(title=f"{len(changes)} change(s) in {store.root}")
    for col in ("id", "created", "rule", "action", "target", "status", "what"):
        table.add_column(col)
    for c in changes:
        cells = (c.id, c.created, c.rule, c.action, _target(c.target), c.status, c.description)
        table.add_row(*(Text(x) for x in cells))
    console.print(table)


@app.command("actions")
def actions_cmd() -> None:
    """List the registered actions with the IAM permissions each needs."""
    from rich.table import Table
    from rich.text import Text

    from secpillar.respond.actions import REGISTRY

    table = Table(title=f"{len(REGISTRY)} actions")
    for col in ("id", "what", "IAM permissions", "params"):
        table.add_column(col)
    for a in REGISTRY:
        table.add_row(
            Text(a.id), Text(a.title), Text("\n".join(a.permissions) or "-"), Text(", ".join(a.params_schema))
        )
    console.print(table)


@app.command("baseline")
@handle_errors
def baseline_cmd(
    bucket: Annotated[
        list[str] | None, typer.Option("--bucket", help="Only these buckets (repeatable); default: all.")
    ] = None,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    state: StateOpt = None,
) -> None:
    """Record every bucket's current policy as its last known good one (what a restore puts back)."""
    from secpillar.respond.baseline import take_bucket_baseline
    from secpillar.respond.context import make_context

    ctx = make_context(state=state, endpoint_url=endpoint_url, profile=profile, region=region)
    items = take_bucket_baseline(ctx, bucket or ())
    with_policy = sum(i.has_policy for i in items)
    console.print(
        f"baseline: {len(items)} bucket(s), {with_policy} with a policy, in {ctx.store.root}", markup=False
    )


@app.command("watch")
@handle_errors
def watch_cmd(
    rules: Annotated[Path, typer.Option("--rules", help="YAML rules file.", show_default=False)],
    queue: Annotated[
        str | None, typer.Option("--queue", help="SQS queue URL to consume.", show_default=False)
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Follow the lake's cloudtrail view (--lake) instead of a queue.")
    ] = False,
    interval: Annotated[
        float, typer.Option("--interval", help="With --follow: seconds between polls.")
    ] = 5.0,
    mode: Annotated[
        str,
        typer.Option("--mode", help="rules (each rule's own mode, default), dry-run or apply (forced)."),
    ] = "rules",
    dlq: Annotated[
        str | None, typer.Option("--dlq", help="Dead-letter queue URL for poison messages.")
    ] = None,
    max_receives: Annotated[
        int, typer.Option("--max-receives", help="Deliveries before a failing message is poison.", min=1)
    ] = 5,
    wait: Annotated[int, typer.Option("--wait", help="Long-poll seconds (0-20).", min=0, max=20)] = 20,
    retry_delay: Annotated[
        int, typer.Option("--retry-delay", help="Seconds before a failed message is retried.", min=0)
    ] = 5,
    idle_exit: Annotated[
        float | None, typer.Option("--idle-exit", help="Stop after this many seconds without messages.")
    ] = None,
    lake: Annotated[
        Path | None,
        typer.Option("--lake", help="Log lake (for last-known-good look-ups in CloudTrail history)."),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="console or json.")] = "console",
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
    state: StateOpt = None,
    role_name: RoleOpt = None,
) -> None:
    """Consume EventBridge events from SQS (or follow the lake); run the rules' actions and notify.

    SIGTERM or Ctrl-C stops after the current message; the rest of the batch goes back to the queue.

    Example:

      secpillar respond watch --queue https://sqs.us-east-1.amazonaws.com/111122223333/sec-events \\
        --rules rules.yaml --dlq https://sqs.us-east-1.amazonaws.com/111122223333/sec-events-dlq
    """
    from secpillar.respond.context import load_checked_rules, make_context
    from secpillar.respond.handler import Responder
    from secpillar.respond.worker import ProcessedStore, SqsWorker

    if (queue is None) == (not follow):
        raise typer.BadParameter("give --queue URL, or --follow with --lake DIR")
    if follow and lake is None:
        raise typer.BadParameter("--follow needs --lake DIR")
    ruleset = load_checked_rules(rules)
    ctx = make_context(
        state=state,
        endpoint_url=endpoint_url,
        profile=profile,
        region=region,
        lake=lake,
        role_name=role_name or "",
    )
    responder = Responder(ruleset, ctx, mode=mode)
    processed = ProcessedStore(ctx.store.root / "processed.db")

    def report(result: dict[str, Any]) -> None:
        if output_format == "json":
            typer.echo(json.dumps(result, default=str), nl=True)
            sys.stdout.flush()
            return
        if result.get("duplicate"):
            err_console.print(f"{result['event_id']}: already handled (duplicate delivery)", markup=False)
        elif result.get("poison"):
            err_console.print(f"poison message {result['message_id']}: {result['reason']}", markup=False)
        elif result.get("retry"):
            err_console.print(f"{result['event_id']}: will retry ({result['reason']})", markup=False)
        else:
            done = ", ".join(f"{c['action']}={c['status']}" for c in result["changes"]) or "no action"
            rules_hit = ", ".join(result["matched"]) or "no rule"
            console.print(f"{result['event_id']}: {rules_hit}: {done}", markup=False)

    if follow and lake is not None:
        _follow(responder, lake, processed, ctx.store.root, interval, idle_exit, report)
        return
    assert queue is not None
    worker = SqsWorker(
        responder,
        ctx.client("sqs"),
        queue,
        processed,
        state=ctx.store.root,
        dlq_url=dlq,
        max_receives=max_receives,
        wait_seconds=wait,
        retry_delay=retry_delay,
        on_result=report,
    )
    worker.install_signal_handlers()
    err_console.print(f"watching {queue} with {len(ruleset)} rule(s), mode {mode}", markup=False)
    stats = worker.run(idle_exit=idle_exit)
    processed.close()
    err_console.print(
        f"stopped: {stats.handled} handled, {stats.duplicates} duplicate(s), {stats.retried} retried, "
        f"{stats.poisoned} poison, {stats.released} given back",
        markup=False,
    )


def _follow(
    responder: Any,
    lake: Path,
    processed: Any,
    state: Path,
    interval: float,
    idle_exit: float | None,
    report: Any,
) -> None:
    import signal

    from secpillar.respond.follow import LakeFollower

    follower = LakeFollower(responder, lake, processed, state=state, interval=interval, on_result=report)
    signal.signal(signal.SIGTERM, lambda *_: follower.stop())
    signal.signal(signal.SIGINT, lambda *_: follower.stop())
    err_console.print(f"following {lake} (cloudtrail view) every {interval:g} s", markup=False)
    total = follower.run(idle_exit=idle_exit)
    processed.close()
    err_console.print(f"stopped: {total} event(s) handled", markup=False)


@app.command("wire")
@handle_errors
def wire_cmd(
    rules: Annotated[Path, typer.Option("--rules", help="YAML rules file.", show_default=False)],
    queue_name: Annotated[str, typer.Option("--queue-name", help="SQS queue to create or update.")] = (
        "secpillar-respond"
    ),
    max_receives: Annotated[
        int, typer.Option("--max-receives", help="Deliveries before the DLQ.", min=1)
    ] = 5,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
    region: RegionOpt = None,
) -> None:
    """Create the queue (with a dead-letter queue) and one EventBridge rule per pattern rule, targeting it.

    Example:

      secpillar respond wire --rules rules.yaml --endpoint-url http://127.0.0.1:5000
    """
    from secpillar.aws.session import ClientFactory, base_session
    from secpillar.respond.context import load_checked_rules
    from secpillar.respond.wire import wire

    ruleset = load_checked_rules(rules)
    clients = ClientFactory(base_session(profile, region, endpoint_url), endpoint_url=endpoint_url)
    out = wire(
        clients.client("sqs"), clients.client("events"), ruleset, queue_name, max_receives=max_receives
    )
    console.print(f"queue {out.queue_url} (dead-letter queue {out.dlq_url})", markup=False)
    for name in out.rules:
        console.print(f"EventBridge rule {name} -> queue", markup=False)
    endpoint = f" --endpoint-url {endpoint_url}" if endpoint_url else ""
    console.print(
        f"next: secpillar respond watch --queue {out.queue_url} --rules {rules}{endpoint}", markup=False
    )
