"""The scorecard: JSON in the shape issue 9 gives, gaps ranked, the failure rule behind the exit
code, and the HTML page with every value escaped."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from rich.console import Console

from secpillar.gameday.render import render_html, scorecard, to_json
from secpillar.gameday.score import GameDay, TechniqueResult

ISSUE_KEYS = {
    "id",
    "attack",
    "detected",
    "detections",
    "seconds_to_detect",
    "remediated",
    "seconds_to_remediate",
    "left_behind",
}


def result(tid: str, **kw: object) -> TechniqueResult:
    base: dict[str, object] = {
        "id": tid,
        "title": tid,
        "attack": "T1562.008",
        "tactic": "Defense Evasion",
        "severity": "high",
    }
    base.update(kw)
    return TechniqueResult(**base)  # type: ignore[arg-type]


def game(*results: TechniqueResult) -> GameDay:
    return GameDay(
        run_id="abc123",
        target={"label": "sandbox", "kind": "sandbox"},
        started="2026-01-01T00:00:00Z",
        results=list(results),
    )


DETECTED = result(
    "aws.defense-evasion.a",
    expected_detections=["ct.x"],
    detections=["ct.x"],
    detected=True,
    seconds_to_detect=0.4,
    expected_responses=["cloudtrail.start-logging"],
    remediated=True,
    seconds_to_remediate=0.5,
)
MISSED = result("aws.defense-evasion.b", expected_detections=["ct.y"], missed_detections=["ct.y"])
UNCOVERED = result("aws.impact.c", attack="T1485", tactic="Impact", severity="medium")
NOT_FIXED = result(
    "aws.persistence.d",
    tactic="Persistence",
    expected_detections=["ct.z"],
    detections=["ct.z"],
    detected=True,
    expected_responses=["iam.deactivate-access-key"],
)
RESIDUE = result(
    "aws.collection.e", tactic="Collection", left_behind=["bucket b: absent before, present after"]
)
SKIPPED = result(
    "aws.discovery.f",
    tactic="Discovery",
    status="not-emulated",
    reason="no flow logs",
    expected_detections=["flow.port-scan"],
)


def test_json_has_the_issue_shape() -> None:
    doc = json.loads(to_json(game(DETECTED, MISSED)))
    assert {"techniques", "summary", "coverage", "gaps", "target", "run_id"} <= set(doc)
    for t in doc["techniques"]:
        assert set(t) >= ISSUE_KEYS
        assert isinstance(t["detected"], bool) and isinstance(t["remediated"], bool)
        assert isinstance(t["detections"], list) and isinstance(t["left_behind"], list)
    first = doc["techniques"][0]
    assert (
        first["detected"] is True
        and first["seconds_to_detect"] == 0.4
        and first["seconds_to_remediate"] == 0.5
    )


def test_failures_are_covered_techniques_left_undetected() -> None:
    g = game(
        DETECTED,
        MISSED,
        UNCOVERED,
        SKIPPED,
        result("aws.impact.g", status="error", expected_detections=["ct.q"]),
    )
    assert [r.id for r in g.failures()] == ["aws.defense-evasion.b", "aws.impact.g"]
    assert game(DETECTED, UNCOVERED, SKIPPED).failures() == []


def test_gaps_ranked_missed_then_undetected_then_response_then_residue() -> None:
    gaps = game(RESIDUE, NOT_FIXED, UNCOVERED, DETECTED, MISSED, SKIPPED).gaps()
    assert [(g["rank"], g["kind"], g["technique"]) for g in gaps] == [
        (1, "missed", "aws.defense-evasion.b"),
        (2, "undetected", "aws.collection.e"),
        (3, "undetected", "aws.impact.c"),
        (4, "not-remediated", "aws.persistence.d"),
        (5, "left-behind", "aws.collection.e"),
    ]
    assert "ct.y did not fire" in gaps[0]["why"]


def test_coverage_by_tactic_in_attack_order() -> None:
    cov = game(UNCOVERED, DETECTED, MISSED, SKIPPED).coverage()
    assert [c["tactic"] for c in cov] == ["Defense Evasion", "Discovery", "Impact"]
    de = cov[0]
    assert (de["techniques"], de["ran"], de["covered"], de["detected"], de["percent_detected"]) == (
        2,
        2,
        2,
        1,
        50,
    )
    assert cov[1]["ran"] == 0 and cov[1]["percent_detected"] is None


def test_summary_medians() -> None:
    s = game(DETECTED, result("aws.impact.h", detected=True, seconds_to_detect=1.0)).summary()
    assert s["median_seconds_to_detect"] == 0.7 and s["median_seconds_to_remediate"] == 0.5


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)


def test_html_is_self_contained_and_escapes_every_value() -> None:
    evil = "<script>alert(1)</script>"
    g = game(DETECTED, MISSED, result("aws.impact.x", title=evil, left_behind=[evil]), SKIPPED)
    g.target = {"label": f"sandbox {evil}", "kind": "sandbox"}
    page = render_html(g)
    assert evil not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    parser = _Text()
    parser.feed(page)
    assert parser.tags.count("script") == 1  # the JSON data block only
    assert re.search(r'<script type="application/json" id="secpillar-gameday">', page)
    data = page.split('id="secpillar-gameday">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and json.loads(data)["summary"]["failures"] == ["aws.defense-evasion.b"]
    assert not re.search(r"\b(src|href)=", page)  # nothing is fetched
    for section in (
        "Detection coverage by ATT&amp;CK tactic",
        "Gaps, most important first",
        "Time to detect",
    ):
        assert section.lower() in page.lower()


def test_console_scorecard_names_each_technique_and_the_gaps() -> None:
    con = Console(record=True, width=200)
    con.print(scorecard(game(DETECTED, MISSED, UNCOVERED)))
    text = con.export_text()
    assert "aws.defense-evasion.a" in text and "MISSED" in text
    assert "1/2 covered techniques detected" in text
    assert "no detection covers this technique" in text
