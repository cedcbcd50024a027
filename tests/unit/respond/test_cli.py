"""``secpillar respond test|validate|schema`` through typer's CliRunner on the respond app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from secpillar.cli.respond import app

runner = CliRunner()

RULES = """
rules:
  - name: world-open-ssh
    pattern:
      source: [aws.ec2]
      detail:
        eventName: [AuthorizeSecurityGroupIngress]
        requestParameters:
          ipPermissions:
            items:
              fromPort: [22]
              ipRanges: {items: {cidrIp: [0.0.0.0/0]}}
    conditions: {ignore_failed_calls: true}
    actions:
      - type: ec2.revoke-world-ingress
      - type: notify.email
        params: {to: [secops@example.com]}
"""


def _event(cidr: str, error: str | None = None) -> dict[str, object]:
    detail: dict[str, object] = {
        "eventName": "AuthorizeSecurityGroupIngress",
        "requestParameters": {
            "groupId": "sg-1",
            "ipPermissions": {
                "items": [{"fromPort": 22, "toPort": 22, "ipRanges": {"items": [{"cidrIp": cidr}]}}]
            },
        },
    }
    if error:
        detail["errorCode"] = error
    return {
        "version": "0",
        "id": "e",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": "111122223333",
        "time": "2024-05-01T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    }


def _files(tmp_path: Path, rules: str = RULES) -> tuple[Path, Path]:
    r = tmp_path / "rules.yaml"
    r.write_text(rules, encoding="utf-8")
    e = tmp_path / "events.jsonl"
    events = [
        _event("0.0.0.0/0"),
        _event("10.0.0.0/8"),
        _event("0.0.0.0/0", error="Client.UnauthorizedOperation"),
    ]
    e.write_text("".join(json.dumps(x) + "\n" for x in events), encoding="utf-8")
    return r, e


def test_json_output_is_one_line_per_event(tmp_path: Path) -> None:
    rules, events = _files(tmp_path)
    result = runner.invoke(app, ["test", str(rules), str(events), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["event"] for r in rows] == [0, 1, 2]
    assert rows[0] == {
        "event": 0,
        "matched": ["world-open-ssh"],
        "actions": [
            {"type": "ec2.revoke-world-ingress", "params": {}, "mode": "dry-run"},
            {"type": "notify.email", "params": {"to": ["secops@example.com"]}, "mode": "dry-run"},
        ],
    }
    assert rows[1]["matched"] == [] and rows[2]["matched"] == []


def test_single_pretty_printed_event(tmp_path: Path) -> None:
    rules, _ = _files(tmp_path)
    one = tmp_path / "event.json"
    one.write_text(json.dumps(_event("0.0.0.0/0"), indent=2), encoding="utf-8")
    result = runner.invoke(app, ["test", str(rules), str(one), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["matched"] == ["world-open-ssh"]


def test_console_output(tmp_path: Path) -> None:
    rules, events = _files(tmp_path)
    result = runner.invoke(app, ["test", str(rules), str(events)])
    assert result.exit_code == 0, result.output
    assert "world-open-ssh" in result.output and "1 of 3 event(s)" in result.output


def test_invalid_pattern_exits_2_with_rule_and_path(tmp_path: Path) -> None:
    rules, events = _files(tmp_path, RULES.replace("fromPort: [22]", "fromPort: 22"))
    result = runner.invoke(app, ["test", str(rules), str(events)])
    assert result.exit_code == 2
    out = " ".join(result.output.split())
    assert "world-open-ssh" in out and "pattern.detail.requestParameters.ipPermissions.items.fromPort" in out


def test_bad_events_file_exits_2(tmp_path: Path) -> None:
    rules, events = _files(tmp_path)
    events.write_text("{not json}\n", encoding="utf-8")
    result = runner.invoke(app, ["test", str(rules), str(events)])
    assert result.exit_code == 2


def test_validate_and_schema(tmp_path: Path) -> None:
    rules, _ = _files(tmp_path)
    result = runner.invoke(app, ["validate", str(rules)])
    assert result.exit_code == 0 and "1 rule(s) valid" in " ".join(result.output.split())
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0 and json.loads(result.output)["title"] == "secpillar respond rules"
