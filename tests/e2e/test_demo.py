"""`secpillar demo` end to end: every planted flaw is found on the right ARN, clean resources
stay clean, and docs/sandbox.md lists exactly the planted flaws."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo_run(demo_out: dict[str, Any]) -> dict[str, Any]:
    out: Path = demo_out["out"]

    def read(name: str, empty: Any) -> Any:
        return json.loads((out / name).read_text()) if (out / name).exists() else empty

    return {
        **demo_out,
        "findings": read("findings.json", []),
        "inventory": read("inventory.json", {}),
        "manifest": read("sandbox-manifest.json", {}),
    }


def test_demo_exits_zero_and_prints_summary(demo_run: dict[str, Any]) -> None:
    assert demo_run["rc"] == 0, demo_run["stderr"][-3000:]
    assert "results by best practice" in demo_run["stdout"]
    assert "Top failing findings" in demo_run["stdout"]
    assert (demo_run["out"] / "findings.csv").exists()
    html = (demo_run["out"] / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") or html.lower().startswith("<!doctype html>")
    assert "SEC01" in html and 'src="http' not in html


def test_demo_is_fast(demo_run: dict[str, Any]) -> None:
    assert demo_run["seconds"] < 120, f"demo took {demo_run['seconds']:.0f}s"


def test_every_planted_flaw_is_found(demo_run: dict[str, Any]) -> None:
    flaws = demo_run["manifest"]["flaws"]
    assert len(flaws) >= 25
    failing = {(f["check_id"], f["resource"]["arn"]) for f in demo_run["findings"] if f["status"] == "FAIL"}
    missed = [f for f in flaws if (f["check_id"], f["arn"]) not in failing]
    assert not missed, "planted flaws not reported:\n" + "\n".join(
        f"{m['check_id']} {m['account']} {m['arn']}" for m in missed
    )


def test_no_fail_on_clean_resources(demo_run: dict[str, Any]) -> None:
    clean = {c["arn"] for c in demo_run["manifest"]["clean"]}
    assert len(clean) >= 5
    bad = [f for f in demo_run["findings"] if f["status"] == "FAIL" and f["resource"]["arn"] in clean]
    assert not bad, "FAIL on clean resources:\n" + "\n".join(
        f"{f['check_id']} {f['resource']['arn']}" for f in bad
    )


def test_clean_resources_were_collected_and_judged(demo_run: dict[str, Any]) -> None:
    """A clean resource must really be in the scan (else "no FAIL on it" proves nothing), and
    most clean resources have at least one check passing on them."""
    collected = {r["arn"] for r in demo_run["inventory"]["resources"]}
    clean = {c["arn"] for c in demo_run["manifest"]["clean"]}
    assert clean <= collected, f"clean resources missing from the inventory: {sorted(clean - collected)}"
    passed = {f["resource"]["arn"] for f in demo_run["findings"] if f["status"] == "PASS"}
    assert len(clean & passed) >= 0.8 * len(clean), sorted(clean - passed)


def test_findings_carry_the_contract(demo_run: dict[str, Any]) -> None:
    wa = json.loads((ROOT / "src/secpillar/checks/frameworks/wa_security_pillar.json").read_text())
    real = {bp["id"] for q in wa["questions"] for bp in q["best_practices"]}
    for f in demo_run["findings"]:
        assert f["resource"]["account"], f
        assert re.fullmatch(r"\d{12}", f["resource"]["account"]), f["resource"]
        assert f["wa"] and set(f["wa"]) <= real
        assert f["status"] in {"FAIL", "PASS", "MUTED", "ERROR"}
        assert f["status"] != "ERROR", f
        assert f["resource"]["arn"].startswith("arn:aws:")


def test_every_account_was_scanned(demo_run: dict[str, Any]) -> None:
    accounts = {a["id"] for a in demo_run["inventory"]["accounts"]}
    assert accounts == set(demo_run["manifest"]["accounts"].values())
    scanned = {r["accountId"] for r in demo_run["inventory"]["resources"]}
    assert accounts <= scanned


def test_no_secret_reaches_the_output(demo_run: dict[str, Any]) -> None:
    text = (demo_run["out"] / "inventory.json").read_text() + (demo_run["out"] / "findings.json").read_text()
    assert "SecretAccessKey" not in text
    assert "SessionToken" not in text
    assert "secretAccessKey" not in text


def _doc_rows() -> set[tuple[str, str, str]]:
    rows = set()
    text = (ROOT / "docs" / "sandbox.md").read_text()
    for line in text.splitlines():
        m = re.match(r"^\|\s*`(aws\.[a-z0-9.-]+)`\s*\|\s*(\w+)\s*\|\s*(.+?)\s*\|", line)
        if m:
            rows.add((m.group(1), m.group(2), m.group(3).strip("` ")))
    return rows


def test_docs_list_the_planted_flaws(demo_run: dict[str, Any]) -> None:
    planted = {(f["check_id"], f["account"], f["resource"]) for f in demo_run["manifest"]["flaws"]}
    assert _doc_rows() == planted


def test_demo_ends_with_a_short_game_day(demo_run: dict[str, Any]) -> None:
    assert "covered techniques detected" in demo_run["stdout"]
    game = json.loads((demo_run["out"] / "gameday.json").read_text())
    assert game["summary"]["ran"] >= 5 and game["summary"]["failures"] == []
    assert [t["id"] for t in game["techniques"] if t["left_behind"]] == []
    assert game["seconds"] < 15
