"""Invalid policies: a ValidationError that says what and where, never a crash or a silent pass."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from secpillar.errors import ValidationError
from secpillar.iam import parse_policy, run_lines, validation_errors

FIXTURES = Path(__file__).parents[2] / "fixtures" / "iam"
INVALID = [
    pytest.param(json.loads(line), id=f"invalid:{n}")
    for n, line in enumerate((FIXTURES / "invalid.jsonl").read_text(encoding="utf-8").splitlines(), 1)
    if line.strip()
]


@pytest.mark.parametrize("case", INVALID)
def test_invalid_policy(case: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as info:
        parse_policy(case["policy"], case["kind"])
    assert info.value.where == case["where"], case["rule"]


def test_every_bad_statement_is_reported() -> None:
    doc = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Maybe", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Allow", "Action": "nope", "Resource": "*"},
        ],
    }
    wheres = [e.where for e in validation_errors(doc)]
    assert wheres == ["Statement[1].Effect", "Statement[2].Action"]
    assert validation_errors(doc["Statement"][0] | {}) != []  # a bare statement is not a policy


def test_valid_policy_has_no_errors() -> None:
    assert validation_errors('{"Statement": {"Effect": "Deny", "Action": "*", "Resource": "*"}}') == []


def test_not_json() -> None:
    with pytest.raises(ValidationError):
        parse_policy("{not json")


def test_batch_reports_invalid_case_and_continues() -> None:
    bad = {
        "request": {"principal": None, "action": "s3:GetObject"},
        "policies": {"identity": [{"Statement": 1}]},
    }
    good = {"request": {"principal": None, "action": "s3:GetObject", "resource": "arn:aws:s3:::b/k"}}
    out = list(run_lines([json.dumps(bad), "", "{oops", json.dumps(good)]))
    assert "error" in out[0] and out[0]["where"]
    assert "error" in out[1]
    assert out[2] == {
        "decision": "implicitDeny",
        "reasons": [{"effect": "ImplicitDeny", "policyType": "resource"}],
    }
