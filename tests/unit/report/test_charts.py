"""The inline SVG charts' geometry."""

from __future__ import annotations

import json
import math
from pathlib import Path

from secpillar.cli.reports import prepare
from secpillar.report.html.charts import donut, hbars, trend


def test_donut_segments_cover_the_circle_in_order() -> None:
    arcs = donut({"FAIL": 1, "PASS": 3, "MUTED": 0}, {"FAIL": "#f00", "PASS": "#0f0"}, radius=10)
    circ = 2 * math.pi * 10
    assert [a.label for a in arcs] == ["FAIL", "PASS"] and [a.pct for a in arcs] == [25, 75]
    lengths = [float(a.dash.split()[0]) for a in arcs]
    assert abs(sum(lengths) - circ) < 0.05
    assert (
        arcs[0].offset == 0 and abs(arcs[1].offset + lengths[0]) < 0.05
    )  # the second starts where the first ends
    assert donut({"FAIL": 0}, {}) == []


def test_bars_scale_to_the_largest_or_to_one() -> None:
    bars = hbars([("a", 10, "10", "#000"), ("b", 5, "5", "#000")], width=100)
    assert [b.width for b in bars] == [100.0, 50.0] and bars[1].y == 22.0
    rates = hbars([("q", 0.5, "50%", "#000")], width=100)
    assert rates[0].width == 50.0  # fractions are scaled to 1, not to the largest


def test_trend_needs_two_runs() -> None:
    assert trend([{"status": {"FAIL": 3}}]) is None
    t = trend([{"status": {"FAIL": 4}, "started": "a"}, {"status": {"FAIL": 2}, "started": "b"}], 100, 50)
    assert t is not None and t.max_value == 4
    (x0, y0, _, v0), (x1, y1, _, v1) = t.dots
    assert (v0, v1) == (4, 2) and x0 < x1 and y0 < y1  # fewer failures: lower on the chart


def test_output_folder_history_is_extended(tmp_path: Path) -> None:
    (tmp_path / "history.json").write_text(json.dumps([{"started": "earlier"}]))
    assert prepare(None, None, tmp_path).history == [{"started": "earlier"}]
    assert prepare(None, None, tmp_path / "new").history == []
