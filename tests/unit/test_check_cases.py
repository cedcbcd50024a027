"""Data-driven check tests: every case in tests/fixtures/checks/*.yaml.

A case names a check, a resource in AWS Config item shape, optionally the rest of the inventory
(``inventory``, ``accounts``, ``organization``), ``settings`` and ``now``, and the expected
status: ``PASS``, ``FAIL`` or ``NONE`` (the check does not apply / cannot tell)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from secpillar.checks import CheckContext, load_all
from secpillar.model import Account, Inventory, Resource

CASES_DIR = Path(__file__).parent.parent / "fixtures" / "checks"
DEFAULT_NOW = datetime(2026, 11, 28, tzinfo=UTC)


def load_cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text()) or []):
            case["_where"] = f"{path.name}#{i} {case.get('case', '')}"
            cases.append(case)
    return cases


CASES = load_cases()


def run_case(case: dict[str, Any]) -> list[str]:
    registry = load_all()
    check = registry.get(case["check"])
    resource = Resource.from_dict(case["resource"])
    others = [Resource.from_dict(r) for r in case.get("inventory", [])]
    inv = Inventory(
        resources=[resource, *others],
        accounts={a["id"]: Account.from_dict(a) for a in case.get("accounts", [])},
        organization=case.get("organization", {}),
    )
    now = case.get("now")
    ctx = CheckContext(
        inventory=inv,
        now=datetime.fromisoformat(now) if now else DEFAULT_NOW,
        settings=case.get("settings", {}),
    )
    assert resource.resource_type in check.resource_types, (
        f"{check.id} does not read {resource.resource_type}"
    )
    return [r.status.value for r in check.evaluate(resource, ctx)]


@pytest.mark.parametrize("case", CASES, ids=[c["_where"] for c in CASES])
def test_check_case(case: dict[str, Any]) -> None:
    statuses = run_case(case)
    expected = case["expect"]
    if expected == "NONE":
        assert statuses == [], f"expected no result, got {statuses}"
    else:
        assert statuses, "expected a result, got none"
        assert set(statuses) == {expected}, f"expected {expected}, got {statuses}"


def test_every_check_has_a_pass_and_a_fail_case() -> None:
    registry = load_all()
    seen: dict[str, set[str]] = {}
    for case in CASES:
        seen.setdefault(case["check"], set()).add(case["expect"])
    missing = [c.id for c in registry if not {"PASS", "FAIL"} <= seen.get(c.id, set())]
    assert not missing, f"checks without both a PASS and a FAIL case: {missing}"
    unknown = sorted(set(seen) - {c.id for c in registry})
    assert not unknown, f"cases name unknown checks: {unknown}"
