"""The data-driven table: every case in tests/fixtures/respond/*.jsonl, each citing the documented rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secpillar.errors import ValidationError
from secpillar.respond import Rule, RuleSet, compile_pattern

FIXTURES = Path(__file__).parents[2] / "fixtures" / "respond"


def _load(names: list[Path]) -> list[Any]:
    out = []
    for path in names:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                out.append(pytest.param(json.loads(line), id=f"{path.stem}:{n}"))
    return out


MATCH_CASES = _load(sorted(p for p in FIXTURES.glob("*.jsonl") if p.name != "invalid.jsonl"))
INVALID_CASES = _load([FIXTURES / "invalid.jsonl"])


def test_table_is_large_and_cited() -> None:
    assert len(MATCH_CASES) >= 150
    assert len(INVALID_CASES) >= 30
    for p in MATCH_CASES + INVALID_CASES:
        case = p.values[0]
        assert case["rule"].startswith(("https://docs.aws.amazon.com/", "https://github.com/aws/event-ruler"))
    expects = [p.values[0]["expect"] for p in MATCH_CASES]
    assert expects.count(True) > 50 and expects.count(False) > 50


@pytest.mark.parametrize("case", MATCH_CASES)
def test_match_case(case: dict[str, Any]) -> None:
    pattern = compile_pattern(case["pattern"])
    assert pattern.matches(case["event"]) is case["expect"], case["rule"]


@pytest.mark.parametrize("case", MATCH_CASES)
def test_ruleset_agrees_with_the_pattern(case: dict[str, Any]) -> None:
    """The indexed RuleSet must give the same answer as the bare pattern (the index never hides a match)."""
    rules = RuleSet([Rule(name="r", pattern=compile_pattern(case["pattern"]))])
    assert bool(rules.match(case["event"])) is case["expect"], case["rule"]


@pytest.mark.parametrize("case", INVALID_CASES)
def test_invalid_case(case: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as exc:
        compile_pattern(case["pattern"])
    assert exc.value.where == case["where"], str(exc.value)
    assert case["error"].lower() in str(exc.value).lower(), str(exc.value)
