"""`secpillar net` on the seeded sandbox: exposure and isolation find the planted paths and only
those (the CLI reads the inventory the session's `secpillar demo` wrote)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.cli_process import run_cli

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def inventory(demo_out: dict[str, Any]) -> Path:
    """The inventory.json of the session's `secpillar demo` (the seeded organization, every check)."""
    assert demo_out["rc"] == 0, demo_out["stderr"][-3000:]
    path: Path = demo_out["out"] / "inventory.json"
    return path


def net(*args: str) -> tuple[int, Any]:
    proc = run_cli("net", *args, "--format", "json", timeout=120)
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.strip() else proc.stderr


def test_exposure_lists_exactly_the_planted_paths(inventory: Path) -> None:
    rc, answer = net("exposure", "--inventory", str(inventory))
    assert rc == 0, answer
    got = {(e["name"], e["protocol"], tuple(e["ports"])) for e in answer["exposed"]}
    assert got == {
        ("test-web", "tcp", ("22",)),
        ("stg-analytics-db", "tcp", ("5432",)),
        ("test-web-alb", "tcp", ("8080",)),
    }
    db = next(e for e in answer["exposed"] if e["name"] == "stg-analytics-db")
    assert [h["type"] for h in db["path"]][:2] == ["internet", "internet-gateway"]


def test_isolation_finds_the_planted_transit_path(inventory: Path) -> None:
    rc, answer = net(
        "isolation",
        "--inventory",
        str(inventory),
        "--between",
        "Environment=TEST",
        "--and",
        "Environment=PROD",
    )
    assert rc == 1 and not answer["isolated"]
    pairs = {
        (p["from"].split(" ")[0], p["to"].split(" ")[0], p["protocol"], p["ports"]) for p in answer["paths"]
    }
    assert pairs == {
        ("hub-test-svc", "hub-prod-svc", "tcp", "8443"),
        ("hub-prod-svc", "hub-test-svc", "tcp", "443"),
    }
    assert all(
        any(c.startswith("tgw-") and "attach" not in c and "rtb" not in c for c in p["through"])
        for p in answer["paths"]
    )


@pytest.mark.parametrize("other", ["Environment=STG"])
def test_other_environments_stay_isolated_from_prod(inventory: Path, other: str) -> None:
    rc, answer = net(
        "isolation", "--inventory", str(inventory), "--between", other, "--and", "Environment=PROD"
    )
    assert rc == 0 and answer["isolated"], answer["paths"]


def test_reach_explains_a_block_and_a_path(inventory: Path) -> None:
    rc, answer = net(
        "reach", "--inventory", str(inventory), "--from", "internet", "--to", "stg-db", "--port", "5432"
    )
    assert rc == 1 and not answer["reachable"]
    assert answer["blocked_by"]
    rc, answer = net(
        "reach",
        "--inventory",
        str(inventory),
        "--from",
        "internet",
        "--to",
        "stg-analytics-db",
        "--port",
        "5432",
    )
    assert rc == 0 and answer["reachable"]


def test_bad_inventory_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "inventory.json"
    bad.write_text("{not json")
    proc = run_cli("net", "exposure", "--inventory", str(bad), timeout=60)
    assert proc.returncode == 2 and "cannot read" in proc.stderr
