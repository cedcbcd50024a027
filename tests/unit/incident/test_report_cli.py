"""``secpillar incident open|note|verify|show|report|list|keygen`` through the CLI, and the
post-mortem's content: timeline, impact, actions, notes, improvements ranked by severity with real
Security Pillar ids, hostile values shown as text in both formats."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.unit.incident.conftest import BUCKET_ARN, MALLORY
from typer.testing import CliRunner

from secpillar.checks.frameworks import wa_best_practices
from secpillar.cli.incident import app
from secpillar.incident.improvements import LESSONS, SEVERITY_ORDER
from secpillar.incident.report import md
from secpillar.respond.changes import ChangeStore

runner = CliRunner()
HOSTILE = "<img src=x onerror=alert(1)> | **bold** [link](http://evil.example)"


def _open(tmp_path: Path, lake: Path, store: ChangeStore, *extra: str) -> str:
    args = [
        "open",
        "--title",
        f"Bucket made public {HOSTILE}",
        "--principal",
        MALLORY,
        "--resource",
        BUCKET_ARN,
    ]
    args += [
        "--since",
        "2026-11-28",
        "--lake",
        str(lake),
        "--state",
        str(store.root),
        "--dir",
        str(tmp_path / "inc"),
    ]
    res = runner.invoke(app, [*args, *extra])
    assert res.exit_code == 0, res.output
    iid = res.stdout.strip().splitlines()[0]
    assert re.fullmatch(r"inc-\d{8}-[0-9a-f]{6}", iid)
    return iid


def test_open_note_verify_report(tmp_path: Path, lake: Path, store: ChangeStore) -> None:
    iid = _open(tmp_path, lake, store)
    d = ["--dir", str(tmp_path / "inc")]
    res = runner.invoke(app, ["note", iid, f"Contained. {HOSTILE}", "--author", "alice", *d])
    assert res.exit_code == 0, res.output
    assert runner.invoke(app, ["verify", iid, *d]).exit_code == 0
    assert runner.invoke(app, ["list", *d]).stdout.split() == [iid]
    show = runner.invoke(app, ["show", iid, *d])
    assert show.exit_code == 0 and "api-call" in show.stdout and "action" in show.stdout

    mdout = runner.invoke(app, ["report", iid, "--format", "md", *d]).stdout
    assert "## Timeline" in mdout and "## Impact: resources touched" in mdout and "## Actions taken" in mdout
    assert "chg-00000000000000000001" in mdout and "payroll" in mdout
    assert "alice" in mdout and "Contained." in mdout
    assert "<img" not in mdout and "&lt;img src=x onerror=alert\\(1\\)&gt; \\| \\*\\*bold\\*\\*" in mdout
    assert "chain verified" in mdout

    out = tmp_path / "pm.html"
    res = runner.invoke(app, ["report", iid, "--format", "html", "-o", str(out), *d])
    assert res.exit_code == 0, res.output
    html = out.read_text()
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "&lt;script&gt;" not in html or "<script" not in html
    assert not re.search(r"<(script|link|img|iframe)\b", html)  # self-contained, no active content
    assert not re.search(r'src="http', html)
    assert "SEC03-BP07" in html and "SEC10-BP08" in html


def test_improvements_ranked_by_severity_with_real_ids(
    tmp_path: Path, lake: Path, store: ChangeStore
) -> None:
    iid = _open(tmp_path, lake, store)
    mdout = runner.invoke(app, ["report", iid, "--dir", str(tmp_path / "inc")]).stdout
    section = mdout.split("## Improvements, most severe first", 1)[1]
    ranked = re.findall(r"^\d+\. \*\*([A-Z]+): .*?\(\s*(SEC\d\d-BP\d\d)", section, flags=re.M)
    severities = [s.lower() for s, _ in ranked]
    assert severities == sorted(severities, key=SEVERITY_ORDER.__getitem__)
    ids = [i for _, i in ranked]
    assert "SEC03-BP07" in ids  # the public bucket policy
    assert "SEC03-BP04" in ids  # the denied DeleteBucket
    assert "SEC10-BP08" in ids
    assert set(ids) <= set(wa_best_practices())


def test_every_lesson_cites_a_real_best_practice() -> None:
    for les in LESSONS.values():
        assert les.wa in wa_best_practices(), les.id
        assert les.severity in SEVERITY_ORDER


def test_tampering_makes_verify_fail_and_the_report_say_so(
    tmp_path: Path, lake: Path, store: ChangeStore
) -> None:
    iid = _open(tmp_path, lake, store)
    path = tmp_path / "inc" / f"{iid}.jsonl"
    lines = path.read_text().splitlines()
    entry = json.loads(lines[1])
    entry["body"]["items"] = entry["body"]["items"][1:]  # someone deletes a timeline row
    lines[1] = json.dumps(entry)
    path.write_text("\n".join(lines) + "\n")
    res = runner.invoke(app, ["verify", iid, "--dir", str(tmp_path / "inc")])
    assert res.exit_code == 1 and "entry 2: content does not match its hash" in res.output
    mdout = runner.invoke(app, ["report", iid, "--dir", str(tmp_path / "inc")]).stdout
    assert "CHAIN BROKEN" in mdout
    assert runner.invoke(app, ["note", iid, "x", "--dir", str(tmp_path / "inc")]).exit_code == 2


def test_encrypted_incident_needs_the_key(tmp_path: Path, lake: Path, store: ChangeStore) -> None:
    key = tmp_path / "k"
    assert runner.invoke(app, ["keygen", str(key)]).exit_code == 0
    iid = _open(tmp_path, lake, store, "--key-file", str(key))
    d = ["--dir", str(tmp_path / "inc")]
    assert "payroll" not in (tmp_path / "inc" / f"{iid}.jsonl").read_text()
    res = runner.invoke(app, ["report", iid, *d])
    assert res.exit_code == 2 and "encrypted" in res.output
    res = runner.invoke(app, ["report", iid, "--key-file", str(key), *d])
    assert res.exit_code == 0 and "payroll" in res.stdout and "encrypted" in res.stdout


def test_open_needs_a_scope(tmp_path: Path) -> None:
    res = runner.invoke(
        app, ["open", "--title", "x", "--dir", str(tmp_path), "--lake", str(tmp_path / "none")]
    )
    assert res.exit_code == 2 and "at least one" in res.output
    assert not list(tmp_path.glob("inc-*"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a|b", "a\\|b"),
        ("<b>", "&lt;b&gt;"),
        ("x\ny", "x y"),
        ("`rm`", "\\`rm\\`"),
        ("[l](u)", "\\[l\\]\\(u\\)"),
    ],
)
def test_markdown_escaping(value: str, expected: str) -> None:
    assert md(value) == expected
