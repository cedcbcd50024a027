"""The HTML report of the seeded sandbox organization, opened in headless Chromium: it renders
(a screenshot), logs no console message or error, runs its own script, answers the first-screen
questions, and shows a hostile resource tag as text without executing it. The same run checks
--compare (new / resolved / open, history), --attestations and --security-hub."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.cli_process import run_cli

from secpillar.sandbox.seed import REGION, seed
from secpillar.sandbox.server import SandboxProcess

pytestmark = pytest.mark.e2e

PAYLOAD_SCRIPT = "<script>document.title='PWNED'</script>"
PAYLOAD_IMG = '"><img src=x onerror="document.title=\'PWNED2\'">'
HOSTILE_BUCKET = "secpillar-hostile-tags"
ATTESTATIONS = """\
attestations:
  - practice: SEC01-BP07
    answer: "yes"
    owner: security-lead@example.com
    date: {today}
    evidence: https://wiki.example.com/threat-models
"""
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
]


def _scan(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("scan", "--endpoint-url", url, "--org", "--regions", REGION, *args)


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("html")
    with SandboxProcess() as sandbox:
        manifest = seed(sandbox.url)
        s3 = boto3.client(
            "s3",
            endpoint_url=sandbox.url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=HOSTILE_BUCKET)
        s3.put_bucket_tagging(
            Bucket=HOSTILE_BUCKET,
            Tagging={
                "TagSet": [{"Key": "Owner", "Value": PAYLOAD_SCRIPT}, {"Key": "Note", "Value": PAYLOAD_IMG}]
            },
        )
        att = tmp / "attestations.yaml"
        att.write_text(ATTESTATIONS.format(today=time.strftime("%Y-%m-%d")))
        first = _scan(sandbox.url, "--checks", "s3", "--format", "json", "--out", str(tmp / "prev"))
        assert first.returncode == 0, first.stderr[-3000:]
        t0 = time.monotonic()
        second = _scan(
            sandbox.url,
            "--format",
            "console,json,html,ocsf,junit,asff",
            "--out",
            str(tmp / "out"),
            "--compare",
            str(tmp / "prev"),
            "--attestations",
            str(att),
            "--security-hub",
        )
        seconds = time.monotonic() - t0
    assert second.returncode == 0, second.stderr[-3000:]
    yield {"tmp": tmp, "out": tmp / "out", "proc": second, "manifest": manifest.to_dict(), "seconds": seconds}


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("chromium is not installed: `make chromium` installs Debian's package")
    profile = tmp / f"profile-{time.monotonic_ns()}"
    return subprocess.run(
        [exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _console_messages(stderr: str) -> list[str]:
    """Chromium logs every console message (and uncaught error, CSP violation) as ``CONSOLE``."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]


@pytest.fixture(scope="module")
def dom(run: dict[str, Any]) -> str:
    report = run["out"] / "report.html"
    proc = _chromium(run["tmp"], "--dump-dom", report.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert not _console_messages(proc.stderr), _console_messages(proc.stderr)
    return proc.stdout


def test_outputs_written(run: dict[str, Any]) -> None:
    out = run["out"]
    for name in (
        "report.html",
        "findings.ocsf.json",
        "findings.junit.xml",
        "findings.asff.json",
        "compare.json",
    ):
        assert (out / name).stat().st_size > 100, name
    findings = json.loads((out / "findings.json").read_text())
    assert len(json.loads((out / "findings.ocsf.json").read_text())) == len(findings)
    assert len(json.loads((out / "findings.asff.json").read_text())) == len(findings)


def test_screenshot_without_console_errors(run: dict[str, Any]) -> None:
    shot = run["tmp"] / "report.png"
    proc = _chromium(
        run["tmp"], "--window-size=1400,1000", f"--screenshot={shot}", (run["out"] / "report.html").as_uri()
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    assert not _console_messages(proc.stderr), _console_messages(proc.stderr)


def test_hostile_tag_is_text_never_executed(dom: str) -> None:
    assert "document.title='PWNED'" in dom  # the tag value is on the page …
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom  # … as text
    title = re.search(r"<title>(.*?)</title>", dom, re.S)
    assert title is not None and "PWNED" not in title.group(1)  # neither payload ran
    assert "<img" not in dom
    assert dom.count("<script") == 2  # the JSON summary and the report's own script


def test_report_script_ran_and_filters(dom: str) -> None:
    assert 'data-report-ready="1"' in dom
    rows = re.findall(r'<tr class="row st-(\w+)"[^>]*?(hidden="")?>', dom)
    assert rows and all(bool(h) == (st != "FAIL") for st, h in rows)  # default filter: FAIL only


def test_first_screen_answers_the_three_questions(run: dict[str, Any], dom: str) -> None:
    first = dom[dom.index('id="overview"') : dom.index('id="charts"')]
    assert (
        "Which best practices fail" in first and "In which accounts" in first and "What to do first" in first
    )
    inventory = json.loads((run["out"] / "inventory.json").read_text())
    for acct in inventory["accounts"]:
        assert acct["id"] in first  # every account has a heat-map row
    assert first.count("<li>") >= 10  # the fix-first list
    flaws = {f["check_id"] for f in run["manifest"]["flaws"]}
    failing = set(re.findall(r'data-status="FAIL" data-account="\d+" data-check="([^"]+)"', dom))
    assert flaws <= failing


def test_compare_history_attestations_security_hub(run: dict[str, Any], dom: str) -> None:
    out, stdout = run["out"], run["proc"].stdout
    c = json.loads((out / "compare.json").read_text())
    assert c["counts"]["new"] > 0 and c["counts"]["open"] > 0
    assert all(ch["check_id"].startswith("aws.s3.") for ch in c["open"])  # the first scan ran s3 only
    assert "Since the previous scan" in stdout
    history = json.loads((out / "history.json").read_text())
    assert len(history) == 2 and history[0]["findings"] < history[1]["findings"]
    assert 'id="trend"' in dom and "<polyline" in dom
    att = {a["practice"]: a for a in json.loads((out / "attestations.json").read_text())}
    assert att["SEC01-BP07"]["state"] == "attested" and att["SEC10-BP08"]["state"] == "not attested"
    assert "security-lead@example.com" in dom
    assert re.search(
        r"Security Hub: imported \d+ finding\(s\) in \d+ batch\(es\), 0 failed", run["proc"].stderr
    )
