"""Rules files: schema validation with locations, conditions, the RuleSet index, event files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from secpillar.errors import UsageError, ValidationError
from secpillar.respond import RuleSet, load_rules, parse_rules, rules_schema
from secpillar.respond.events import evaluate_events, parse_events

RULES_YAML = """
rules:
  - name: s3-bucket-policy-changed
    pattern:
      source: [aws.s3]
      detail-type: [AWS API Call via CloudTrail]
      detail:
        eventName: [PutBucketPolicy, DeleteBucketPolicy]
    conditions: {ignore_failed_calls: true}
    actions:
      - type: s3.restore-bucket-policy
      - type: notify.email
        params: {to: [security@example.com]}
    rate_limit: {max: 10, per_seconds: 60}
  - name: prod-only
    pattern: {source: [aws.s3]}
    conditions: {accounts: ["222233334444", 111122223333], regions: [us-east-1]}
    mode: apply
  - name: from-detection
    detection: aws.s3.public-bucket-policy
"""


def ct(name: str, source: str = "aws.s3", account: str = "111122223333", **detail: Any) -> dict[str, Any]:
    return {
        "version": "0",
        "id": "x",
        "detail-type": "AWS API Call via CloudTrail",
        "source": source,
        "account": account,
        "time": "2024-05-01T10:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": {"eventName": name, **detail},
    }


@pytest.fixture
def rules() -> RuleSet:
    return parse_rules(yaml.safe_load(RULES_YAML))


def test_rules_parse_with_defaults(rules: RuleSet) -> None:
    first, second, third = rules.rules
    assert first.mode == "dry-run" and second.mode == "apply"
    assert first.rate_limit is not None and first.rate_limit.max == 10
    assert [a.type for a in first.actions] == ["s3.restore-bucket-policy", "notify.email"]
    assert first.actions[1].plan() == {
        "type": "notify.email",
        "params": {"to": ["security@example.com"]},
        "mode": "dry-run",
    }
    assert second.conditions.accounts == {"222233334444", "111122223333"}
    assert third.detection == "aws.s3.public-bucket-policy" and third.pattern is None


def test_match_and_conditions(rules: RuleSet) -> None:
    names = [r.name for r in rules.match(ct("PutBucketPolicy"))]
    assert names == ["s3-bucket-policy-changed", "prod-only"]
    # ignore_failed_calls: an errorCode means the call failed, so the rule does not fire
    assert [r.name for r in rules.match(ct("PutBucketPolicy", errorCode="AccessDenied"))] == ["prod-only"]
    # accounts condition
    assert [r.name for r in rules.match(ct("PutBucketPolicy", account="999999999999"))] == [
        "s3-bucket-policy-changed"
    ]
    # detection-triggered rules never fire on raw events
    assert rules.match(ct("GetObject", source="aws.ec2")) == []


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(rules_schema())
    restricted = rules_schema(action_types=["notify.email"])
    assert restricted["$defs"]["action"]["properties"]["type"]["enum"] == ["notify.email"]


@pytest.mark.parametrize(
    ("doc", "where", "message"),
    [
        ("rules: {}", "rules", "array"),
        ("- a", "(file)", "mapping"),
        ("rules: [{name: a}]", "rules[0] (rule 'a')", "trigger"),
        ("rules: [{name: a, pattern: {x: [1]}, detection: d}]", "rules[0] (rule 'a')", "trigger"),
        ("rules: [{name: a, pattern: {x: [1]}, mode: yolo}]", "rules[0] (rule 'a').mode", "yolo"),
        (
            "rules: [{name: a, pattern: {x: [1]}, actions: [{type: Bad_Type}]}]",
            "rules[0] (rule 'a').actions[0].type",
            "",
        ),
        (
            "rules: [{name: a, pattern: {x: [1]}, actions: [{params: {}}]}]",
            "rules[0] (rule 'a').actions[0]",
            "type",
        ),
        (
            "rules: [{name: a, pattern: {x: [1]}, rate_limit: {max: 0, per_seconds: 1}}]",
            "rules[0] (rule 'a').rate_limit.max",
            "",
        ),
        (
            "rules: [{name: a, pattern: {x: [1]}, conditions: {accounts: ['12']}}]",
            "rules[0] (rule 'a').conditions.accounts[0]",
            "",
        ),
        ("rules: [{name: a, pattern: {x: [1]}, colour: red}]", "rules[0] (rule 'a')", "colour"),
        ("rules: [{name: a, pattern: {x: 1}}]", "rules[0] (rule 'a').pattern.x", "array"),
        (
            "rules: [{name: a, pattern: {x: [1]}},"
            " {name: b, pattern: {detail: {n: [{numeric: ['<', 1, '>', 0]}]}}}]",
            "rules[1] (rule 'b').pattern.detail.n[0].numeric[0]",
            "range",
        ),
        ("rules: [{name: a, pattern: {x: [1]}}, {name: a, pattern: {y: [1]}}]", "rules", "duplicate"),
    ],
)
def test_invalid_rules_say_where(doc: str, where: str, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        parse_rules(yaml.safe_load(doc))
    assert exc.value.where == where, str(exc.value)
    assert message in str(exc.value)


def test_load_rules_file_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        load_rules(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules: [\n  - name: a\n    pattern: {x: [1]\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="not valid YAML"):
        load_rules(bad)


def test_index_keeps_file_order_and_unindexed_rules() -> None:
    doc = {
        "rules": [
            {"name": "any-s3", "pattern": {"source": [{"prefix": "aws.s3"}]}},
            {"name": "by-event", "pattern": {"detail": {"eventName": ["PutBucketPolicy"]}}},
            {"name": "by-type", "pattern": {"detail-type": ["AWS API Call via CloudTrail"]}},
            {"name": "by-source", "pattern": {"source": ["aws.s3"]}},
            {"name": "other", "pattern": {"source": ["aws.ec2"]}},
        ]
    }
    rules = parse_rules(doc)
    assert [r.name for r in rules.match(ct("PutBucketPolicy"))] == [
        "any-s3",
        "by-event",
        "by-type",
        "by-source",
    ]
    # the index looks through arrays the way matching does
    event = ct("x")
    event["detail"] = [{"eventName": "PutBucketPolicy"}]
    assert [r.name for r in rules.match(event)] == ["any-s3", "by-event", "by-type", "by-source"]


def test_parse_events_forms() -> None:
    one = {"source": "aws.s3", "detail": {"a": 1}}
    assert parse_events(json.dumps(one, indent=2)) == [one]
    assert parse_events(json.dumps(one) + "\n\n" + json.dumps(one) + "\n") == [one, one]
    assert parse_events(json.dumps([one, one])) == [one, one]
    with pytest.raises(UsageError, match=":2"):
        parse_events(json.dumps(one) + "\n{not json\n")
    with pytest.raises(UsageError):
        parse_events("  ")
    with pytest.raises(UsageError):
        parse_events("[1, 2]")


def test_evaluate_events_shape(rules: RuleSet) -> None:
    rows = list(evaluate_events(rules, [ct("PutBucketPolicy"), ct("GetObject", source="aws.ec2")]))
    assert rows[0]["event"] == 0 and rows[1] == {"event": 1, "matched": [], "actions": []}
    assert list(rows[0]) == ["event", "matched", "actions"]
    assert rows[0]["matched"] == ["s3-bucket-policy-changed", "prod-only"]
    assert [a["type"] for a in rows[0]["actions"]] == ["s3.restore-bucket-policy", "notify.email"]
    assert all(a["mode"] == "dry-run" for a in rows[0]["actions"])
