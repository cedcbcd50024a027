"""The HTML report without a browser: escaping of AWS values, the embedded JSON, the first
screen's rankings and the view model's numbers."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

from tests.unit.report.conftest import HOSTILE, PROD, TEST, finding

from secpillar.checks import load_all
from secpillar.model import Finding, Inventory, Severity, Status
from secpillar.report.attestations import attestation_status
from secpillar.report.compare import compare, run_summary
from secpillar.report.html import render_html, script_json
from secpillar.report.html.model import build_model, derive_remediation

CHECKS = list(load_all())


class Collect(HTMLParser):
    """Every start tag with its attributes, and the text of <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.scripts.append(data)


def test_script_json_cannot_close_the_element() -> None:
    text = str(script_json({"v": "</script><script>alert(1)</script>&\u2028\u2029<!--"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"v": "</script><script>alert(1)</script>&\u2028\u2029<!--"}


def test_hostile_tag_value_is_only_text(findings: list[Finding], inventory: Inventory) -> None:
    html = render_html(findings, inventory, CHECKS, {"started": "2025-06-01T12:00:00"}, nonce="n0nce")
    assert "<script>document.title" not in html and "<img src=x" not in html
    assert "&lt;script&gt;document.title=&#39;PWNED&#39;&lt;/script&gt;" in html
    parser = Collect()
    parser.feed(html)
    scripts = [a for t, a in parser.tags if t == "script"]
    assert len(scripts) == 2  # the JSON summary and the report's own script
    assert [a.get("nonce") for a in scripts if a.get("type") != "application/json"] == ["n0nce"]
    assert not [a for t, a in parser.tags if t == "img"]
    assert not [a for _, a in parser.tags if any(k.startswith("on") for k in a)]  # no inline handlers
    assert "script-src 'nonce-n0nce'" in html and "default-src 'none'" in html
    assert not re.search(r"\b(src|href)=\"(https?:)?//", html)  # nothing loads from the network


def test_embedded_summary_is_valid_json(findings: list[Finding], inventory: Inventory) -> None:
    inventory.accounts[PROD] = type(inventory.accounts[PROD])(PROD, "</script><b>prod</b>")
    html = render_html(findings, inventory, CHECKS)
    start = html.index('id="secpillar-summary">') + len('id="secpillar-summary">')
    blob = html[start : html.index("</script>", start)]
    data = json.loads(blob)
    assert {"id": PROD, "name": "</script><b>prod</b>"} in data["accounts"]
    assert data["counts"] == {"FAIL": 2, "PASS": 1, "MUTED": 1, "ERROR": 1}


def test_fix_first_ranks_severity_times_count(inventory: Inventory) -> None:
    fs = [finding("aws.a.medium", Status.FAIL, Severity.MEDIUM, arn=f"arn:aws:s3:::m{i}") for i in range(6)]
    fs += [finding("aws.a.critical", Status.FAIL, Severity.CRITICAL, arn="arn:aws:s3:::c", account=TEST)]
    fs += [finding("aws.a.low", Status.FAIL, Severity.LOW, arn=f"arn:aws:s3:::l{i}") for i in range(3)]
    model = build_model(fs, inventory, CHECKS)
    # medium 2 x 6 = 12 > critical 10 x 1 = 10 > low 1 x 3 = 3
    assert [(x.check_id, x.score) for x in model.fix_first] == [
        ("aws.a.medium", 12.0),
        ("aws.a.critical", 10.0),
        ("aws.a.low", 3.0),
    ]
    assert model.fix_first[1].accounts == ["TEST"]


def test_scorecard_heatmap_and_coverage(findings: list[Finding], inventory: Inventory) -> None:
    model = build_model(findings, inventory, CHECKS, attestations=attestation_status(None))
    assert len(model.questions) == 11 and sum(len(q.practices) for q in model.questions) == 63
    sec08 = next(q for q in model.questions if q.id == "SEC08")
    bp = next(p for p in sec08.practices if p.id == "SEC08-BP02")
    assert (bp.tally.passed, bp.tally.failed, bp.tally.rate_pct) == (1, 1, "50%")
    assert bp.failing_accounts == ["PROD"] and bp.coverage == "met"
    assert model.heat[TEST]["SEC01"].failed == 1 and model.heat[TEST]["SEC02"].failed == 1
    assert model.heat[PROD]["SEC08"].band == "poor"
    assert model.coverage["attestation"] == 11
    process = next(p for q in model.questions for p in q.practices if p.id == "SEC01-BP07")
    assert process.coverage == "attestation" and process.attestation is not None
    assert process.attestation.state == "not attested"
    assert model.findings[0].f.status is Status.FAIL and model.findings[0].f.severity is Severity.CRITICAL
    assert model.gaps[0]["account_name"] == "TEST"
    html = render_html(findings, inventory, CHECKS)
    assert "Muted: accepted (owner ops, until 2026-01-01)" in html


def test_trend_and_comparison_sections(findings: list[Finding], inventory: Inventory) -> None:
    prev = [finding("aws.s3.bucket-encryption-at-rest", Status.FAIL, arn="arn:aws:s3:::gone")]
    c = compare(prev, findings)
    history = [
        run_summary(prev, {"started": "2025-05-01T00:00"}),
        run_summary(findings, {"started": "2025-06-01"}),
    ]
    html = render_html(findings, inventory, CHECKS, comparison=c, history=history)
    assert 'id="trend"' in html and "<polyline" in html
    assert "2</b> new, <b>1</b> resolved" in html
    assert 'id="trend"' not in render_html(findings, inventory, CHECKS)


def test_remediation_is_split_into_steps_and_cli() -> None:
    r = derive_remediation(None, "Enable rotation on the key (aws kms enable-key-rotation --key-id KEY).")
    assert r.cli == ["aws kms enable-key-rotation --key-id KEY"]
    assert r.steps == ["Enable rotation on the key (aws kms enable-key-rotation --key-id KEY)."]
    r = derive_remediation(None, "aws securityhub update-security-hub-configuration --auto-enable-controls")
    assert (
        r.cli == ["aws securityhub update-security-hub-configuration --auto-enable-controls"] and not r.steps
    )
    r = derive_remediation(None, "Delete the key. Then create a role; use it.")
    assert r.steps == ["Delete the key.", "Then create a role; use it."] and r.cli == [] and r.terraform == ""


def test_hostile_value_in_every_place(inventory: Inventory) -> None:
    """Account names, regions, messages and evidence from AWS are escaped wherever they appear."""
    f = finding("aws.a.x", Status.FAIL, arn=f"arn:aws:s3:::{HOSTILE}", tags={HOSTILE: HOSTILE})
    f = Finding(**{**{s: getattr(f, s) for s in f.__slots__}, "message": HOSTILE, "evidence": {"k": HOSTILE}})
    inventory.accounts[PROD] = type(inventory.accounts[PROD])(PROD, HOSTILE)
    html = render_html([f], inventory, CHECKS)
    parser = Collect()
    parser.feed(html)
    assert not [t for t, _ in parser.tags if t == "img"]
    assert sum(1 for t, _ in parser.tags if t == "script") == 2
