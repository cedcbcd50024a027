"""``secpillar permissions``: the IAM policy the scanner needs for the enabled checks."""

from __future__ import annotations

from typing import Annotated

import typer

from secpillar.aws.org import DEFAULT_ROLE
from secpillar.checks import load_all
from secpillar.cli.common import err_console, handle_errors, parse_severity, split_list
from secpillar.collect import load_all as load_collectors
from secpillar.collect.permissions import MANAGED_POLICY_LIMIT, ScannerPermissions, scanner_permissions
from secpillar.model import Severity


@handle_errors
def permissions(
    checks: Annotated[
        list[str] | None,
        typer.Option(help="Only these checks: ids, prefixes like 'aws.s3.*', or services ('iam')."),
    ] = None,
    services: Annotated[
        list[str] | None, typer.Option(help="Only the checks of these services (s3, iam, ec2 …).")
    ] = None,
    exclude_checks: Annotated[
        list[str] | None, typer.Option(help="Skip these checks (same patterns).")
    ] = None,
    min_severity: Annotated[
        str, typer.Option(help="Only checks at or above this severity.")
    ] = "informational",
    org: Annotated[
        bool,
        typer.Option(
            "--org/--no-org",
            help="Include the organization fan-out (list accounts, assume --role in each).",
        ),
    ] = True,
    role: Annotated[
        str, typer.Option(help="The role the scan assumes in each member account.")
    ] = DEFAULT_ROLE,
    regions: Annotated[
        bool,
        typer.Option(
            "--regions-given/--discover-regions",
            help="Scans will pass --regions (no ec2:DescribeRegions needed).",
        ),
    ] = False,
    security_hub: Annotated[
        bool, typer.Option("--security-hub", help="Also allow the Security Hub import.")
    ] = False,
    partition: Annotated[str, typer.Option(help="ARN partition (aws, aws-cn, aws-us-gov).")] = "aws",
    output_format: Annotated[str, typer.Option("--format", help="json (the policy) or text.")] = "json",
) -> None:
    """Print the least-privilege IAM policy a scan of the enabled checks needs.

    Generated from the IAM actions every collector declares: only the collectors that the
    selected checks read are included. Attach the same policy to the scanning principal in the
    management account and to the --role in each member account.

    \b
    Examples:
      secpillar permissions > scanner-policy.json
      secpillar permissions --services s3,iam --format text
      secpillar permissions --role SecpillarAudit --security-hub
    """
    if output_format not in ("json", "text"):
        raise typer.BadParameter("--format must be json or text")
    include = split_list(checks) + split_list(services)
    threshold = parse_severity(min_severity) or Severity.INFORMATIONAL
    selected = load_all().select(
        include=include,
        exclude=split_list(exclude_checks),
        predicate=lambda c: c.severity >= threshold,
    )
    if not selected:
        raise typer.BadParameter("no check selected")
    perms = scanner_permissions(
        selected,
        load_collectors(),
        org=org,
        role=role,
        regions_given=regions,
        security_hub=security_hub,
        partition=partition,
    )
    if output_format == "json":
        typer.echo(perms.policy_json(), nl=False)
    else:
        typer.echo(_text(perms, len(selected)), nl=False)
    if perms.size > MANAGED_POLICY_LIMIT:
        err_console.print(
            f"note: the policy has {perms.size} characters; a managed policy holds at most "
            f"{MANAGED_POLICY_LIMIT}: split it by --services or use an inline role policy (10,240)."
        )


def _text(perms: ScannerPermissions, checks: int) -> str:
    """Service by service, each action with what needs it."""
    width = max((len(a) for a in perms.actions), default=0) + 2
    lines = [
        f"# {checks} check(s) call {len(perms.actions)} IAM action(s); the policy has {perms.size} "
        f"of {MANAGED_POLICY_LIMIT} characters",
    ]
    for service, actions in perms.by_service().items():
        lines.append(service)
        lines.extend(f"  {a:<{width}}{', '.join(sorted(perms.reasons[a]))}" for a in actions)
    if perms.assume_role_arn:
        lines.append("sts")
        lines.append(f"  {'sts:AssumeRole':<{width}}organization fan-out, on {perms.assume_role_arn}")
    return "\n".join(lines) + "\n"
