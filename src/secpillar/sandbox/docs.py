"""Render the seed manifest as the Markdown tables of ``docs/sandbox.md``.

``python -m secpillar.sandbox.docs`` seeds a throwaway sandbox and prints the tables, so the
document is regenerated from what the seeders really plant (a test keeps them in step)."""

from __future__ import annotations

from secpillar.sandbox.manifest import Manifest


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def flaws_table(manifest: Manifest) -> str:
    lines = ["| Check | Account | Resource | Planted flaw |", "|---|---|---|---|"]
    for f in sorted(manifest.flaws, key=lambda f: (f.account, f.check_id, f.resource)):
        lines.append(f"| `{f.check_id}` | {f.account} | `{_cell(f.resource)}` | {_cell(f.description)} |")
    return "\n".join(lines) + "\n"


def clean_table(manifest: Manifest) -> str:
    lines = ["| Account | Resource | Why it is clean |", "|---|---|---|"]
    for c in sorted(manifest.clean, key=lambda c: (c.account, c.resource)):
        lines.append(f"| {c.account} | `{_cell(c.resource)}` | {_cell(c.description)} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    from secpillar.sandbox.seed import seed
    from secpillar.sandbox.server import SandboxProcess

    with SandboxProcess() as proc:
        manifest = seed(proc.url)
    print(f"## Planted flaws ({len(manifest.flaws)})\n")
    print(flaws_table(manifest))
    print(f"## Clean resources ({len(manifest.clean)})\n")
    print(clean_table(manifest))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
