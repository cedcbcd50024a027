"""``secpillar sandbox up|seed``: the local AWS-compatible sandbox with the example organization."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from secpillar.cli.common import console, err_console, handle_errors
from secpillar.sandbox.server import SandboxServer, wait_until_up

app = typer.Typer(
    help="The built-in sandbox: moto's server on 127.0.0.1 with an example organization.",
    no_args_is_help=True,
)


def _seed(url: str, manifest: Path | None) -> None:
    from secpillar.sandbox.seed import seed

    with console.status("seeding the example organization"):
        result = seed(url, progress=lambda step: err_console.print(f"  seeding {step}"))
    names = ", ".join(f"{k} {v}" for k, v in result.accounts.items())
    console.print(f"seeded accounts {names}; {len(result.flaws)} planted flaws")
    if manifest is not None:
        manifest.write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
        console.print(f"manifest written to {manifest}", soft_wrap=True)


@app.command()
@handle_errors
def up(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 5000,
    seed: Annotated[bool, typer.Option("--seed/--no-seed", help="Seed the example organization.")] = True,
    manifest: Annotated[
        Path | None, typer.Option(help="Write the seed manifest (planted flaws) here.")
    ] = None,
) -> None:
    """Run the sandbox in the foreground until Ctrl-C."""
    server = SandboxServer(port).start()
    try:
        if seed:
            _seed(server.url, manifest)
        console.print(f"sandbox listening on [bold]{server.url}[/]; try:")
        console.print(f"  secpillar scan --endpoint-url {server.url} --org --regions us-east-1")
        console.print("Ctrl-C stops it.")
        import threading

        threading.Event().wait()
    except KeyboardInterrupt:
        console.print("stopping the sandbox")
    finally:
        server.stop()


@app.command("seed")
@handle_errors
def seed_cmd(
    endpoint_url: Annotated[str, typer.Option(help="URL of a running sandbox (moto server).")],
    manifest: Annotated[
        Path | None, typer.Option(help="Write the seed manifest (planted flaws) here.")
    ] = None,
) -> None:
    """Seed the example organization into a running sandbox."""
    wait_until_up(endpoint_url, timeout=10)
    _seed(endpoint_url, manifest)
