"""``secpillar iam``: evaluate IAM requests locally and validate policy documents."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from secpillar.cli.common import console, err_console, escape, handle_errors
from secpillar.errors import EXIT_USAGE, UsageError

app = typer.Typer(
    help="The IAM engine: simulate requests exactly as AWS evaluates them, validate policies.",
    no_args_is_help=True,
)


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path}: not JSON: {exc.msg} (line {exc.lineno})") from None


def _docs(paths: list[Path] | None) -> list[Any]:
    out: list[Any] = []
    for p in paths or []:
        d = _load(p)
        out.extend(d if isinstance(d, list) else [d])
    return out


def parse_context(items: list[str] | None) -> dict[str, Any]:
    """``k=v`` pairs; a value that is a JSON list (``k=["a","b"]``) is a multivalued key."""
    ctx: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--context takes key=value, not {item!r}")
        if value.startswith("["):
            try:
                ctx[key] = json.loads(value)
            except json.JSONDecodeError:
                raise UsageError(f"--context {key}: not a JSON list: {value}") from None
        else:
            ctx[key] = value
    return ctx


@app.command("simulate")
@handle_errors
def simulate(
    cases: Annotated[
        Path | None, typer.Option(help="JSON Lines of cases ('-' for stdin); writes one answer per line.")
    ] = None,
    principal: Annotated[str | None, typer.Option(help="Caller ARN; omit for anonymous.")] = None,
    action: Annotated[str | None, typer.Option(help="service:Action, e.g. s3:GetObject.")] = None,
    resource: Annotated[str, typer.Option(help="Resource ARN.")] = "*",
    resource_account: Annotated[str | None, typer.Option(help="The resource's account id.")] = None,
    context: Annotated[
        list[str] | None, typer.Option(help='Context key=value (repeat); k=["a","b"] for lists.')
    ] = None,
    policy: Annotated[list[Path] | None, typer.Option(help="Identity-based policy file (repeat).")] = None,
    resource_policy: Annotated[Path | None, typer.Option(help="Resource-based policy file.")] = None,
    boundary: Annotated[Path | None, typer.Option(help="Permissions boundary file.")] = None,
    scp: Annotated[
        list[Path] | None, typer.Option(help="SCP file per level, root first (a JSON list = several).")
    ] = None,
    rcp: Annotated[list[Path] | None, typer.Option(help="RCP file per level, root first.")] = None,
    session_policy: Annotated[Path | None, typer.Option(help="Session policy file.")] = None,
    endpoint_policy: Annotated[Path | None, typer.Option(help="VPC endpoint policy file.")] = None,
    management_account: Annotated[
        str | None, typer.Option(help="The organization's management account.")
    ] = None,
    inventory: Annotated[
        Path | None,
        typer.Option(
            help="A scan's inventory.json: the principal's real policies, SCPs and resource policies."
        ),
    ] = None,
    output_format: Annotated[
        str | None, typer.Option("--format", help="json or text (default: json; text with --inventory).")
    ] = None,
) -> None:
    """Decide requests: allowed, explicitDeny or implicitDeny, with the statements that decided.

    Examples:

      secpillar iam simulate --cases tests/fixtures/iam/evaluation.jsonl

      secpillar iam simulate --principal arn:aws:iam::111122223333:user/ana --action s3:GetObject
        --resource arn:aws:s3:::bucket/key --policy ana.json --context aws:SourceIp=10.0.0.1

      secpillar iam simulate --inventory out/inventory.json --principal arn:aws:iam::111122223333:user/ana
        --action s3:GetObject --resource arn:aws:s3:::bucket/key
    """
    from secpillar.iam.batch import request_from_json, run_lines
    from secpillar.iam.evaluate import PolicySet, evaluate

    if cases is not None:
        stream = sys.stdin if str(cases) == "-" else None
        if stream is not None:
            lines = stream.read().splitlines()
        else:
            try:
                lines = cases.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise UsageError(f"cannot read {cases}: {exc.strerror}") from None
        for answer in run_lines(lines):
            typer.echo(json.dumps(answer))
        return
    if not action:
        raise UsageError("give --cases FILE, or --action (with --principal, --resource, policies)")
    if inventory is not None:
        if policy or resource_policy or boundary or scp or rcp or session_policy or endpoint_policy:
            raise UsageError("--inventory supplies the policies: leave out the policy files")
        _simulate_inventory(inventory, principal, action, resource, parse_context(context), output_format)
        return
    req: dict[str, Any] = {"principal": principal, "action": action, "resource": resource,
                           "context": parse_context(context)}  # fmt: skip
    if resource_account:
        req["resourceAccount"] = resource_account
    if management_account:
        req["managementAccount"] = management_account
    docs: dict[str, Any] = {"identity": _docs(policy)}
    if resource_policy:
        docs["resource"] = _load(resource_policy)
    if boundary:
        docs["boundaries"] = [_load(boundary)]
    if scp:
        docs["scps"] = [_docs([p]) for p in scp]
    if rcp:
        docs["rcps"] = [_docs([p]) for p in rcp]
    if session_policy:
        docs["session"] = _load(session_policy)
    if endpoint_policy:
        docs["endpoint"] = [_load(endpoint_policy)]
    decision = evaluate(request_from_json(req), PolicySet.from_documents(docs))
    if (output_format or "json") == "json":
        typer.echo(json.dumps(decision.to_dict()))
        return
    console.print(f"[bold]{decision.decision}[/]")
    for r in decision.reasons:
        console.print(escape(json.dumps(r.to_dict())))


def _org(path: Path) -> Any:
    """The organization's IAM view of a scan's inventory.json."""
    from secpillar.iam.inventory import OrgIam, read_inventory

    with err_console.status(f"reading {path}"):
        return OrgIam(read_inventory(path))


def _format(value: str | None, default: str = "console") -> str:
    fmt = (value or default).lower()
    if fmt not in ("console", "text", "json"):
        raise UsageError(f"--format takes console or json, not {value!r}")
    return "json" if fmt == "json" else "console"


def _simulate_inventory(
    path: Path, principal: str | None, action: str, resource: str, ctx: dict[str, Any], fmt: str | None
) -> None:
    org = _org(path)
    if not principal:
        raise UsageError("--inventory needs --principal (a user, role or assumed-role session ARN)")
    if org.principal(principal) is None:
        raise UsageError(f"{principal} is not a user or role of {path}")
    context = org.context_for(principal, ctx)
    decision = org.evaluate(principal, action, resource, context)
    words = org.explain(principal, action, resource, decision)
    if _format(fmt, "text") == "json":
        reasons = [
            {**r.to_dict(), "policy": org.reason_label(principal, action, resource, r)}
            for r in decision.reasons
        ]
        typer.echo(json.dumps({"decision": decision.decision, "reasons": reasons, "explanation": words,
                               "context": context}))  # fmt: skip
        return
    colour = "green" if decision.allowed else "red"
    console.print(f"[bold {colour}]{decision.decision}[/]  {escape(words)}")
    console.print(f"[dim]context assumed: {escape(json.dumps(context))}[/]")


@app.command("who-can")
@handle_errors
def who_can_cmd(
    action: Annotated[str, typer.Argument(help="service:Action, e.g. s3:GetObject.")],
    resource: Annotated[str, typer.Argument(help="Resource ARN (or *).")],
    inventory: Annotated[Path, typer.Option(help="A scan's inventory.json.")],
    context: Annotated[list[str] | None, typer.Option(help="Context key=value (repeat).")] = None,
    output_format: Annotated[str | None, typer.Option("--format", help="console or json.")] = None,
) -> None:
    """Every user and role allowed ACTION on RESOURCE, directly or by assuming roles, with the path.

    Example: secpillar iam who-can s3:GetObject arn:aws:s3:::bucket/key --inventory out/inventory.json
    """
    from secpillar.iam.whocan import describe, who_can

    org = _org(inventory)
    with err_console.status("evaluating every principal and role chain"):
        res = who_can(org, action, resource, parse_context(context))
    if _format(output_format) == "json":
        data = res.to_dict()
        for item, acc in zip(data["principals"], res.accesses, strict=True):
            item["explanation"] = describe(acc)
        typer.echo(json.dumps(data, indent=2))
        return
    console.print(f"[bold]{len(res.accesses)}[/] principal(s) can {escape(action)} on {escape(resource)}")
    for acc in res.accesses:
        tag = "directly" if not acc.path else f"via {len(acc.path)} role(s)"
        console.print(f"- [bold]{escape(acc.label)}[/] ({tag}): {escape(describe(acc))}")
    for issue in res.issues:
        console.print(f"[yellow]note:[/] {escape(issue)}")


@app.command("escalation")
@handle_errors
def escalation_cmd(
    inventory: Annotated[Path, typer.Option(help="A scan's inventory.json.")],
    output_format: Annotated[str | None, typer.Option("--format", help="console or json.")] = None,
) -> None:
    """Privilege-escalation paths to administrator: a graph (nodes, edges with method, paths), each path
    explained.

    Example: secpillar iam escalation --inventory out/inventory.json --format json
    """
    from secpillar.iam.escalation import escalation

    org = _org(inventory)
    with err_console.status("building the escalation graph"):
        esc = escalation(org)
    if _format(output_format) == "json":
        typer.echo(json.dumps(esc.to_dict(), indent=2))
        return
    admins = sum(1 for k, v in esc.nodes.items() if v["admin"] and k != "admin")
    console.print(f"[bold]{len(esc.paths)}[/] principal(s) can escalate to administrator "
                  f"({admins} administrator(s), {len(esc.edges)} edge(s))")  # fmt: skip
    for path in esc.paths.values():
        console.print(f"- [bold red]{escape(path.label)}[/]: {' -> '.join(s.method for s in path.steps)}")
        console.print(f"  {escape(path.explanation)}")
    for issue in esc.issues:
        console.print(f"[yellow]note:[/] {escape(issue)}")


@app.command("least-privilege")
@handle_errors
def least_privilege_cmd(
    principal: Annotated[str, typer.Argument(help="User or role ARN.")],
    inventory: Annotated[Path, typer.Option(help="A scan's inventory.json.")],
    lake: Annotated[Path | None, typer.Option(help="Log lake directory (CloudTrail Parquet).")] = None,
    output_format: Annotated[str | None, typer.Option("--format", help="console or json.")] = None,
) -> None:
    """Wildcard grants, permissions-management and credential-exposure actions of one principal, and
    (with --lake) granted-but-unused actions with a tightened policy.

    Example: secpillar iam least-privilege arn:aws:iam::111122223333:user/ana --inventory out/inventory.json
    """
    from secpillar.iam.leastpriv import least_privilege

    org = _org(inventory)
    with err_console.status("expanding and evaluating its grants"):
        lp = least_privilege(org, principal, lake)
    if _format(output_format) == "json":
        typer.echo(json.dumps(lp.to_dict(), indent=2))
        return
    console.print(f"[bold]{escape(lp.label)}[/]: {lp.granted} catalogued action(s) granted")
    for w in lp.wildcards:
        console.print(f"- wildcard: {escape(w.policy)} statement {escape(w.statement)}: {escape(w.reason)}")
    for title, items in (("permissions management", lp.permissions_management),
                         ("credential exposure", lp.credential_exposure)):  # fmt: skip
        shown = ", ".join(items[:15]) + (f", … ({len(items)} in all)" if len(items) > 15 else "")
        console.print(f"- {title}: {escape(shown) if items else 'none'}")
    if lp.unused is not None:
        console.print(f"- used: {len(lp.used or [])}, granted but unused: {len(lp.unused)}")
    if lp.proposal is not None:
        console.print("tightened policy proposal:")
        typer.echo(json.dumps(lp.proposal, indent=2))
    for note in lp.notes:
        console.print(f"[yellow]note:[/] {escape(note)}")


@app.command("validate")
@handle_errors
def validate(
    policy_file: Annotated[Path, typer.Argument(help="A policy document (JSON).")],
    kind: Annotated[
        str,
        typer.Option("--type", help="identity, resource, boundary, session, scp, rcp, endpoint, trust, any."),
    ] = "any",
    catalogue: Annotated[bool, typer.Option(help="Also report unknown services and actions.")] = True,
) -> None:
    """Print each validation error with the statement and element it concerns (exit 2 if any).

    Example: secpillar iam validate policy.json --type identity
    """
    from secpillar.iam.catalogue import lint_policy
    from secpillar.iam.policy import parse_policy, validation_errors

    doc = _load(policy_file)
    errors = validation_errors(doc, kind)
    for e in errors:
        typer.echo(f"error: {e.where or 'policy'}: {str(e).removeprefix(e.where + ': ')}")
    if not errors and catalogue:
        for issue in lint_policy(parse_policy(doc, kind)):
            typer.echo(f"warning: {issue.where}: {issue.kind}: {issue.message}")
    if errors:
        raise typer.Exit(EXIT_USAGE)
    typer.echo(f"{policy_file}: valid")


@app.command("actions")
@handle_errors
def actions(
    pattern: Annotated[str, typer.Argument(help="An action or wildcard: s3:Get*, iam:*AccessKey*.")],
    level: Annotated[
        str | None, typer.Option(help="Only this access level (Read, Write, List, ...).")
    ] = None,
) -> None:
    """Expand an action pattern with the catalogue, showing each action's access level."""
    from secpillar.iam.catalogue import action_info, check_action, expand

    issue = check_action(pattern)
    if issue:
        raise UsageError(issue.message)
    for a in expand(pattern):
        info = action_info(a)
        if info and (level is None or info.access_level.lower() == level.lower()):
            typer.echo(f"{info.action}\t{info.access_level}")


@app.command("exposure")
@handle_errors
def exposure_cmd(
    inventory: Annotated[Path, typer.Option(help="A scan's inventory.json.")],
    prove: Annotated[
        bool, typer.Option(help="Attach the z3 verdict (proved / refuted + counter-example).")
    ] = False,
    action: Annotated[
        list[str] | None,
        typer.Option(help="Action to prove per resource (repeat); default: its headline one."),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds the solver may spend per claim.")] = 5.0,
    output_format: Annotated[str | None, typer.Option("--format", help="console or json.")] = None,
) -> None:
    """Resources that principals outside the organization or anonymous users can reach through resource
    policies (S3, KMS, SQS, SNS, Lambda, ECR, Secrets Manager, role trust): who, which actions, under
    which conditions, each decided by the evaluator and said in plain words.

    Example: secpillar iam exposure --inventory out/inventory.json --prove --format json
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from secpillar.iam.exposure import exposure
    from secpillar.iam.smt import prove_report

    org = _org(inventory)
    with err_console.status("evaluating every resource policy against outside callers"):
        rep = exposure(org)
    verdicts: dict[str, Any] = {}
    if prove:
        bar = Progress(TextColumn("proving"), BarColumn(), MofNCompleteColumn(), console=err_console)
        with bar:
            task = bar.add_task("prove", total=len(rep.examined))
            verdicts = prove_report(
                org, rep, action or (), int(timeout * 1000), lambda n: bar.advance(task, n)
            )
    if _format(output_format) == "json":
        data = rep.to_dict()
        if prove:
            data["proofs"] = {arn: [v.to_dict() for v in vs] for arn, vs in verdicts.items()}
        typer.echo(json.dumps(data, indent=2))
        return
    console.print(f"[bold]{len(rep.exposures)}[/] of {len(rep.examined)} resource policies let principals "
                  "outside the organization in")  # fmt: skip
    for e in rep.exposures:
        colour = "red" if e.public else "yellow"
        console.print(f"- [bold {colour}]{escape(e.target.arn)}[/] ({escape(e.target.resource_type)})")
        console.print(f"  {escape(e.explanation())}")
        for note in e.notes:
            console.print(f"  [dim]note: {escape(note)}[/]")
        for v in e.proofs:
            console.print(f"  [cyan]proof:[/] {escape(v.words())}")
    if prove:
        proved = [vs[0] for arn, vs in verdicts.items() if vs and all(v.verdict == "proved" for v in vs)]
        console.print(f"[green]proved[/] for {len(proved)} resource(s): no principal outside the "
                      "organization can use their headline action")  # fmt: skip
        for v in proved:
            console.print(f"  [dim]{escape(v.claim)}[/]")
        for arn, vs in verdicts.items():
            for v in vs:
                if v.verdict == "unknown":
                    console.print(f"[yellow]unknown:[/] {escape(arn)}: {escape(v.reason)}")
    for issue in rep.issues:
        console.print(f"[yellow]note:[/] {escape(issue)}")
