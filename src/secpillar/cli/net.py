"""``secpillar net``: network reachability from the inventory: reach, exposure, isolation.

Each command reads ``--inventory FILE`` (the ``inventory.json`` a scan wrote) or collects the
network live with the same options as ``scan``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from secpillar.aws.org import DEFAULT_ROLE
from secpillar.cli.common import console, err_console, handle_errors, split_list
from secpillar.errors import UsageError
from secpillar.model import Inventory
from secpillar.net import Network, exposure, isolation, network_for, reach

app = typer.Typer(
    help="Network reachability from the inventory: reach, exposure, isolation.", no_args_is_help=True
)

InventoryOpt = Annotated[
    Path | None, typer.Option("--inventory", help="inventory.json written by `secpillar scan --out`.")
]
EndpointOpt = Annotated[
    str | None, typer.Option(help="Collect live: send every AWS call here (the sandbox).")
]
ProfileOpt = Annotated[str | None, typer.Option(help="Collect live with this AWS profile.")]
OrgOpt = Annotated[bool, typer.Option("--org/--no-org", help="Collect every account of the organization.")]
RegionsOpt = Annotated[list[str] | None, typer.Option(help="Regions to collect (live).")]
AccountsOpt = Annotated[list[str] | None, typer.Option(help="Only these accounts (live).")]
RoleOpt = Annotated[str, typer.Option(help="Role to assume in each member account (live).")]
FormatOpt = Annotated[str, typer.Option("--format", help="console or json.")]


def load_inventory(path: Path) -> Inventory:
    """Read an ``inventory.json``; a clear error when it is missing or not an inventory."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no such inventory file: {path}") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"cannot read {path} as JSON: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("resources"), list):
        raise UsageError(f"{path} is not an inventory (no 'resources' list)")
    try:
        return Inventory.from_dict(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{path}: malformed resource ({exc})") from None


def _network(
    inventory: Path | None,
    endpoint_url: str | None,
    profile: str | None,
    org: bool,
    regions: list[str] | None,
    accounts: list[str] | None,
    role: str,
    show: bool,
) -> Network:
    if inventory is not None:
        return network_for(load_inventory(inventory))
    from secpillar.cli.scan import run_with_progress
    from secpillar.scan import ScanOptions

    checks = ["aws.net.*"]  # their reads are every network type: collection gathers the whole model
    options = ScanOptions(
        profile=profile,
        endpoint_url=endpoint_url,
        use_org=org,
        role=role,
        accounts=split_list(accounts),
        regions=split_list(regions),
        checks=checks,
    )
    result = run_with_progress(options, show=show)
    missing = [g for g in result.inventory.gaps if g.service in ("ec2", "rds", "elasticloadbalancing")]
    if missing:
        err_console.print(f"[yellow]{len(missing)} network read(s) failed; results cover what was read[/]")
    return network_for(result.inventory)


def _fmt(text: str) -> str:
    if text not in ("console", "json"):
        raise typer.BadParameter("choose console or json")
    return text


def _path_text(path: list[dict[str, Any]]) -> Text:
    return Text(" -> ".join(h["component"] for h in path))


@app.command("reach")
@handle_errors
def reach_cmd(
    source: Annotated[
        str,
        typer.Option("--from", help="internet, a CIDR/IP, or an ENI/instance/subnet/RDS/LB id, name or ARN."),
    ],
    dest: Annotated[str, typer.Option("--to", help="Same forms as --from.")],
    port: Annotated[int | None, typer.Option(help="Destination port (tcp/udp).")] = None,
    protocol: Annotated[str, typer.Option(help="tcp, udp, icmp or icmpv6.")] = "tcp",
    inventory: InventoryOpt = None,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
    org: OrgOpt = False,
    regions: RegionsOpt = None,
    accounts: AccountsOpt = None,
    role: RoleOpt = DEFAULT_ROLE,
    output_format: FormatOpt = "console",
) -> None:
    """Can SOURCE reach DEST? The hop-by-hop path, or what blocks each candidate path.

    \b
    Examples:
      secpillar net reach --inventory out/inventory.json --from internet --to i-0abc --port 22
      secpillar net reach --inventory out/inventory.json --from eni-1 --to prod-db --port 5432
    """
    fmt = _fmt(output_format)
    net = _network(inventory, endpoint_url, profile, org, regions, accounts, role, fmt == "console")
    answer = reach(net, source, dest, protocol, port)
    if fmt == "json":
        typer.echo(json.dumps(answer, indent=2))
    elif answer["reachable"]:
        console.print(
            Text(
                f"REACHABLE: {answer['from']} -> {answer['to']} ({answer['protocol']} {port or ''})",
                style="bold red",
            )
        )
        for hop in answer["path"]:
            console.print(Text(f"  {hop['type']:<28} {hop['component']}  {hop['detail']}"))
    else:
        console.print(
            Text(f"NOT REACHABLE: {source} -> {dest} ({answer['protocol']} {port or ''})", style="bold green")
        )
        for b in answer["blocked_by"]:
            console.print(Text(f"  {b['code']:<30} {b['component']}  {b['detail']}  [{b['candidate']}]"))
    raise typer.Exit(0 if answer["reachable"] else 1)


@app.command("exposure")
@handle_errors
def exposure_cmd(
    inventory: InventoryOpt = None,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
    org: OrgOpt = False,
    regions: RegionsOpt = None,
    accounts: AccountsOpt = None,
    role: RoleOpt = DEFAULT_ROLE,
    output_format: FormatOpt = "console",
) -> None:
    """Every resource the internet can reach, with the ports, the sources and one path each."""
    fmt = _fmt(output_format)
    net = _network(inventory, endpoint_url, profile, org, regions, accounts, role, fmt == "console")
    found = sorted(exposure(net), key=lambda e: (e.account, e.name, e.protocol))
    if fmt == "json":
        typer.echo(json.dumps({"exposed": [e.to_dict() for e in found]}, indent=2))
        return
    table = Table(title=f"Reachable from the internet: {len(found)}")
    for col in ("account", "resource", "protocol", "ports", "via", "path"):
        table.add_column(col)
    for e in found:
        ports = ", ".join(f"{lo}" if lo == hi else f"{lo}-{hi}" for lo, hi in e.ports)
        table.add_row(
            Text(e.account), Text(e.name), Text(e.protocol), Text(ports), Text(e.via), _path_text(e.path)
        )
    console.print(table)


@app.command("isolation")
@handle_errors
def isolation_cmd(
    between: Annotated[
        str, typer.Option(help="First group: Key=Value tag (inherited from subnet/VPC) or account=ID.")
    ],
    and_: Annotated[str, typer.Option("--and", help="Second group, same form.")],
    inventory: InventoryOpt = None,
    endpoint_url: EndpointOpt = None,
    profile: ProfileOpt = None,
    org: OrgOpt = False,
    regions: RegionsOpt = None,
    accounts: AccountsOpt = None,
    role: RoleOpt = DEFAULT_ROLE,
    output_format: FormatOpt = "console",
) -> None:
    """Prove that no path exists between two groups (either direction), or show the paths.

    Exits 0 when isolated, 1 when a path exists."""
    fmt = _fmt(output_format)
    net = _network(inventory, endpoint_url, profile, org, regions, accounts, role, fmt == "console")
    answer = isolation(net, between, and_)
    if fmt == "json":
        typer.echo(json.dumps(answer, indent=2))
    elif answer["isolated"]:
        n = answer["interfaces"]
        console.print(
            Text(
                f"ISOLATED: no path between {between} ({n['between']} interfaces) and {and_} ({n['and']}).",
                style="bold green",
            )
        )
    else:
        console.print(
            Text(
                f"NOT ISOLATED: {len(answer['paths'])} path(s) between {between} and {and_}", style="bold red"
            )
        )
        for p in answer["paths"]:
            through = ", ".join(p["through"]) or "direct"
            console.print(Text(f"  {p['from']} -> {p['to']} {p['protocol']} {p['ports']} through {through}"))
            console.print(Text("    " + " -> ".join(h["component"] for h in p["path"])))
    raise typer.Exit(0 if answer["isolated"] else 1)
