"""The ``secpillar`` command."""

from __future__ import annotations

import typer

from secpillar import __version__
from secpillar.cli import (
    checks,
    demo,
    detect,
    frameworks,
    gameday,
    iac,
    incident,
    logs,
    net,
    permissions,
    respond,
    sandbox,
    scan,
)
from secpillar.cli.iam import app as iam_app

app = typer.Typer(
    name="secpillar",
    help="Secure an AWS Organization with the Well-Architected Security Pillar: scan live accounts "
    "(or the built-in sandbox), report by best practice, gate CI on severity.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(scan.scan)
app.command()(demo.demo)
app.command()(iac.iac)
app.command()(detect.detect)
app.command()(permissions.permissions)
app.add_typer(checks.app, name="checks")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(iam_app, name="iam")
app.add_typer(respond.app, name="respond")
app.add_typer(logs.app, name="logs")
app.add_typer(net.app, name="net")
app.add_typer(incident.app, name="incident")
app.add_typer(gameday.app, name="gameday")
app.add_typer(frameworks.app, name="frameworks")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"secpillar {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """secpillar: the AWS Well-Architected Security Pillar as running software."""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
