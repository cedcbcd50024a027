"""The reachability table: every case in tests/fixtures/net/cases/*.yaml, on the reference
topology (tests/fixtures/net/topologies/org.yaml) with the case's patch applied.

A case names the AWS rule it exercises (``rule``), the query (``reach`` by default, or
``isolation``/``exposure``), and the expected answer: ``reachable``/``unreachable`` with the
blocking ``code``, ``isolated``/``connected``, or the exposed ``name:protocol:ports`` items."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests.unit.net import topology

from secpillar.net import build_network, exposure, isolation, reach

CASES_DIR = Path(__file__).parents[2] / "fixtures" / "net" / "cases"


def _load() -> list[dict[str, Any]]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for i, case in enumerate(yaml.safe_load(path.read_text()) or []):
            case["_id"] = f"{path.stem}#{i} {case['case']}"
            out.append(case)
    return out


CASES = _load()
BASE = topology.load("org")


def test_table_is_big_enough_and_every_case_names_its_rule() -> None:
    assert len(CASES) >= 100
    assert all(c.get("rule") for c in CASES)
    assert len({c["_id"] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c["_id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    net = build_network(topology.resources(topology.merge(BASE, case.get("patch") or {})))
    query = case.get("query", "reach")
    if query == "isolation":
        answer = isolation(net, case["between"], case["and"])
        assert ("isolated" if answer["isolated"] else "connected") == case["expect"], answer["paths"]
        return
    if query == "exposure":
        got = {
            f"{e.name}:{e.protocol}:{','.join(str(lo) if lo == hi else f'{lo}-{hi}' for lo, hi in e.ports)}"
            for e in exposure(net)
        }
        assert got == set(case["expect"])
        return
    answer = reach(net, str(case["from"]), str(case["to"]), case.get("protocol", "tcp"), case.get("port"))
    assert ("reachable" if answer["reachable"] else "unreachable") == case["expect"], answer
    if "code" in case:
        assert case["code"] in {b["code"] for b in answer["blocked_by"]}, answer["blocked_by"]
