"""Generated sections of the docs: a table between two marker comments, rewritten from a registry.

``docs/detect.md`` and ``docs/gameday.md`` each hold such a section; their ``docs`` modules build
the table and a test checks that the committed page equals the regenerated one.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def splice(page: str, begin: str, end: str, body: str) -> str:
    """``page`` with the text between the ``begin`` and ``end`` markers replaced by ``body``."""
    head, _, rest = page.partition(begin)
    _, _, tail = rest.partition(end)
    return f"{head}{begin}\n{body}\n{end}{tail}"


def rewrite(path: Path, render: Callable[[str], str]) -> None:
    """Regenerate the page at ``path`` in place."""
    path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
