"""The same check gives the same status on Terraform and on the live resource shape.

Rows come from tests/fixtures/terraform/parity.yaml: Terraform that FAILs and that PASSes the
check. Rows marked ``live`` are also compared with the live-shaped cases of
tests/fixtures/checks/*.yaml (the shapes the collectors' transforms produce)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from secpillar.checks import CheckContext, load_all
from secpillar.iac import IacOptions, run_iac
from secpillar.model import Account, Inventory, Resource

FIXTURES = Path(__file__).parents[2] / "fixtures"
ROWS: list[dict[str, Any]] = yaml.safe_load((FIXTURES / "terraform" / "parity.yaml").read_text())
LIVE_CASES: list[dict[str, Any]] = [
    case for p in sorted((FIXTURES / "checks").glob("*.yaml")) for case in yaml.safe_load(p.read_text()) or []
]


def tf_statuses(tmp_path: Path, hcl: str, check_id: str, name: str | None = None) -> set[str]:
    (tmp_path / "main.tf").write_text(hcl)
    result = run_iac(IacOptions(path=str(tmp_path), checks=[check_id]))
    return {
        f.status.value
        for f in result.findings
        if f.check_id == check_id and (name is None or f.resource.name == name)
    }


def live_status(check_id: str, expect: str) -> set[str]:
    case = next(c for c in LIVE_CASES if c["check"] == check_id and c["expect"] == expect)
    resource = Resource.from_dict(case["resource"])
    others = [Resource.from_dict(r) for r in case.get("inventory", [])]
    inv = Inventory(
        resources=[resource, *others],
        accounts={a["id"]: Account.from_dict(a) for a in case.get("accounts", [])},
        organization=case.get("organization", {}),
    )
    check = load_all().get(check_id)
    return {r.status.value for r in check.evaluate(resource, CheckContext(inventory=inv))}


@pytest.mark.parametrize("row", ROWS, ids=[f"{r['check']}#{i}" for i, r in enumerate(ROWS)])
def test_terraform_fails_insecure_and_passes_secure(row: dict[str, Any], tmp_path: Path) -> None:
    bad, good = tmp_path / "bad", tmp_path / "good"
    bad.mkdir()
    good.mkdir()
    assert tf_statuses(bad, row["insecure"], row["check"], row.get("resource")) == {"FAIL"}
    assert tf_statuses(good, row["secure"], row["check"], row.get("resource")) == {"PASS"}


LIVE_ROWS = [r for r in ROWS if r.get("live")]


@pytest.mark.parametrize("row", LIVE_ROWS, ids=[r["check"] for r in LIVE_ROWS])
def test_live_agrees(row: dict[str, Any], tmp_path: Path) -> None:
    assert live_status(row["check"], "FAIL") == {"FAIL"}
    assert live_status(row["check"], "PASS") == {"PASS"}
    assert tf_statuses(tmp_path, row["insecure"], row["check"], row.get("resource")) == {"FAIL"}


def test_parity_covers_at_least_twenty_checks() -> None:
    assert len({r["check"] for r in LIVE_ROWS}) >= 20
