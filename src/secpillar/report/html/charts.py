"""Geometry for the report's inline SVG charts (no chart library, no network): the template
draws what these functions compute."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

STATUS_COLORS = {"FAIL": "#d64545", "PASS": "#2f9e55", "MUTED": "#8a8f98", "ERROR": "#a347c2"}
SEVERITY_COLORS = {
    "critical": "#8b1c1c",
    "high": "#d64545",
    "medium": "#e0962b",
    "low": "#3b82c4",
    "informational": "#8a8f98",
}


@dataclass(frozen=True, slots=True)
class Arc:
    label: str
    value: int
    color: str
    dash: str
    offset: float
    pct: int


def donut(values: Mapping[str, int], colors: Mapping[str, str], radius: float = 60.0) -> list[Arc]:
    """Segments of a donut drawn as stroked circles (``stroke-dasharray``/``-dashoffset``)."""
    total = sum(v for v in values.values() if v > 0)
    circ = 2 * math.pi * radius
    arcs, start = [], 0.0
    for label, value in values.items():
        if value <= 0 or not total:
            continue
        length = circ * value / total
        arcs.append(
            Arc(
                label,
                value,
                colors.get(label, "#888"),
                f"{length:.2f} {circ - length:.2f}",
                round(-start, 2),
                round(100 * value / total),
            )
        )
        start += length
    return arcs


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: float
    text: str
    color: str
    x: float
    y: float
    width: float
    height: float


def hbars(
    rows: Sequence[tuple[str, float, str, str]], width: float = 260.0, row_height: float = 22.0
) -> list[Bar]:
    """Horizontal bars: (label, value, text, colour) scaled to the largest value (or to 1 when
    every value is a fraction)."""
    top = max((v for _, v, _, _ in rows), default=0.0)
    scale = 1.0 if 0 < top <= 1.0 else top
    out = []
    for i, (label, value, text, color) in enumerate(rows):
        w = 0.0 if not scale else width * value / scale
        out.append(Bar(label, value, text, color, 0.0, i * row_height, round(w, 2), row_height - 6))
    return out


@dataclass(frozen=True, slots=True)
class Trend:
    points: str
    """``x,y`` pairs for a polyline of failing findings per run."""
    dots: list[tuple[float, float, str, int]]
    width: float
    height: float
    max_value: int


def trend(history: Sequence[Mapping[str, Any]], width: float = 420.0, height: float = 120.0) -> Trend | None:
    """Failing findings per past run (oldest first); ``None`` with fewer than two runs."""
    runs = [h for h in history if isinstance(h.get("status"), Mapping)]
    if len(runs) < 2:
        return None
    values = [int(h["status"].get("FAIL", 0)) for h in runs]
    top = max(values) or 1
    pad = 12.0
    step = (width - 2 * pad) / (len(values) - 1)
    dots = []
    for i, (h, v) in enumerate(zip(runs, values, strict=True)):
        x = pad + i * step
        y = height - pad - (height - 2 * pad) * v / top
        dots.append((round(x, 1), round(y, 1), str(h.get("started", ""))[:16], v))
    return Trend(" ".join(f"{x},{y}" for x, y, _, _ in dots), dots, width, height, top)
