"""Data-driven detection tests: every case in tests/fixtures/detect/*.yaml runs through DuckDB
over a lake written from the case's events; see ``cases.py`` for the format."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.unit.detect.cases import load_cases
from tests.unit.detect.lakeutil import connect, write_lake

from secpillar.detect import load_all
from secpillar.detect.registry import parse_params
from secpillar.detect.runner import run_detections

CASES = load_cases()
REGISTRY = load_all()


def run_case(case: dict[str, Any], root: Path) -> list[tuple[str, ...]]:
    det = REGISTRY.get(case["detection"])
    write_lake(root, case["records"], case["flow_rows"])
    con = connect(root)
    items = [
        f"{det.id}.{k}={','.join(v) if isinstance(v, list) else v}" for k, v in case.get("params", {}).items()
    ]
    result = run_detections(con, [det], parse_params(items, REGISTRY))
    assert not result.errors, result.errors
    return [a.event_ids for a in result.alerts]


@pytest.mark.parametrize("case", CASES, ids=[c["_where"] for c in CASES])
def test_detection_case(case: dict[str, Any], tmp_path: Path) -> None:
    assert case.get("source", "").startswith("http"), "every case cites the AWS doc of its event shapes"
    fired = run_case(case, tmp_path)
    expected = case["fire"]
    if isinstance(expected, int):
        assert len(fired) == expected, fired
    else:
        assert sorted(fired) == sorted(tuple(sorted(ids)) for ids in expected)


def test_every_detection_has_a_fire_and_a_no_fire_case() -> None:
    seen: dict[str, set[bool]] = {}
    for case in CASES:
        fires = bool(case["fire"])
        seen.setdefault(case["detection"], set()).add(fires)
    missing = [d.id for d in REGISTRY if seen.get(d.id) != {True, False}]
    assert not missing, f"detections without both a firing and a non-firing case: {missing}"
    unknown = sorted(set(seen) - {d.id for d in REGISTRY})
    assert not unknown, f"cases name unknown detections: {unknown}"
