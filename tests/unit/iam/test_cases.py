"""The data-driven table: every case in tests/fixtures/iam/*.jsonl, each citing the documented rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secpillar.iam import run_case

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iam"


def _cases() -> list[Any]:
    out = []
    for path in sorted(p for p in FIXTURES.glob("*.jsonl") if p.name != "invalid.jsonl"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                case = json.loads(line)
                out.append(pytest.param(case, id=f"{path.stem}:{n}"))
    return out


CASES = _cases()


def test_table_is_large_and_cited() -> None:
    assert len(CASES) >= 300
    for p in CASES:
        case = p.values[0]
        assert case["rule"].startswith("https://docs.aws.amazon.com/"), case["rule"]
        assert case["expect"] in ("allowed", "explicitDeny", "implicitDeny")


@pytest.mark.parametrize("case", CASES)
def test_case(case: dict[str, Any]) -> None:
    got = run_case(case)
    assert got.decision == case["expect"], case["rule"]
    if got.decision == "explicitDeny":
        assert all(r.effect == "Deny" for r in got.reasons)
    if got.decision == "implicitDeny":
        assert got.reasons and got.reasons[0].effect == "ImplicitDeny"
