"""docs/gameday.md's catalogue table is generated from the registry and must be current."""

from __future__ import annotations

from pathlib import Path

from secpillar.gameday import load_all
from secpillar.gameday.docs import render

PAGE = Path(__file__).parents[3] / "docs" / "gameday.md"


def test_catalogue_table_is_current() -> None:
    page = PAGE.read_text(encoding="utf-8")
    assert render(page) == page, "docs/gameday.md is stale: run `python -m secpillar.gameday.docs`"


def test_every_technique_is_on_the_page() -> None:
    page = PAGE.read_text(encoding="utf-8")
    for t in load_all():
        assert f"| `{t.id}` |" in page
