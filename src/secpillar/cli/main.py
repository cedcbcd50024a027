"""The ``secpillar`` command."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import typer

from secpillar import __version__

# Each subcommand lives in its own module and imports what it needs (boto3, duckdb, z3, ...). The
# console script imports only the module of the command it runs, so `secpillar iac` does not pay
# for the lake's or the solver's imports; `--help` and the importable `app` load them all.
# name -> (module, attribute, kind): "command" registers a function, "group" a Typer app.
_SUBCOMMANDS: dict[str, tuple[str, str, str]] = {
    "scan": ("secpillar.cli.scan", "scan", "command"),
    "demo": ("secpillar.cli.demo", "demo", "command"),
    "iac": ("secpillar.cli.iac", "iac", "command"),
    "detect": ("secpillar.cli.detect", "detect", "command"),
    "permissions": ("secpillar.cli.permissions", "permissions", "command"),
    "checks": ("secpillar.cli.checks", "app", "group"),
    "sandbox": ("secpillar.cli.sandbox", "app", "group"),
    "iam": ("secpillar.cli.iam", "app", "group"),
    "respond": ("secpillar.cli.respond", "app", "group"),
    "logs": ("secpillar.cli.logs", "app", "group"),
    "net": ("secpillar.cli.net", "app", "group"),
    "incident": ("secpillar.cli.incident", "app", "group"),
    "gameday": ("secpillar.cli.gameday", "app", "group"),
    "frameworks": ("secpillar.cli.frameworks", "app", "group"),
}


def _version(value: bool) -> None:
    if value:
        typer.echo(f"secpillar {__version__}")
        raise typer.Exit()


def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """secpillar: the AWS Well-Architected Security Pillar as running software."""


def build_app(only: str | None = None) -> typer.Typer:
    """The root command with every subcommand, or with only the one named ``only``."""
    root_app = typer.Typer(
        name="secpillar",
        help="Secure an AWS Organization with the Well-Architected Security Pillar: scan live "
        "accounts (or the built-in sandbox), report by best practice, gate CI on severity.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    root_app.callback()(root)
    for name, (module, attribute, kind) in _SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        target = getattr(importlib.import_module(module), attribute)
        if kind == "command":
            root_app.command(name=name)(target)
        else:
            root_app.add_typer(target, name=name)
    return root_app


def _requested(argv: list[str]) -> str | None:
    """The subcommand the command line names, when it names a known one before any option."""
    for arg in argv:
        if arg.startswith("-"):
            return None
        return arg if arg in _SUBCOMMANDS else None
    return None


def __getattr__(name: str) -> Any:
    if name == "app":
        return build_app()
    raise AttributeError(name)


#: commands that leave nothing behind for the interpreter to tidy (no threads, servers, temporary
#: folders or open files once they return): the process ends at once instead of tearing down every
#: module and object, which costs `secpillar iac` ~0.2 s of a ~1 s run (a pre-commit hook pays it on
#: every commit). Other commands exit the ordinary way.
_QUICK_EXIT = frozenset({"iac"})


def main() -> None:
    only = _requested(sys.argv[1:])
    try:
        build_app(only=only)()
    except SystemExit as done:
        if only not in _QUICK_EXIT:
            raise
        code = done.code
        if code is None:
            code = 0
        elif not isinstance(code, int):  # sys.exit("message"): said on stderr, status 1
            print(code, file=sys.stderr)
            code = 1
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except (OSError, ValueError):  # a closed pipe (`secpillar iac . | head`): nothing left to say
            code = code or 1
        os._exit(code)


if __name__ == "__main__":
    main()
