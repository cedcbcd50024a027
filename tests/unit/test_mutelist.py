"""The mute list: matching by check, account, region, resource and tags; expiry; validation."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from secpillar.checks.mutelist import apply_mutelist, load_mutelist, parse_mutelist
from secpillar.errors import UsageError, ValidationError
from secpillar.model import Finding, FindingResource, Severity, Status

TODAY = date(2026, 6, 1)
BASE = {"reason": "accepted risk", "owner": "team@example.com", "expires": "2026-12-31"}


def finding(
    check: str = "aws.s3.bucket-logging",
    arn: str = "arn:aws:s3:::logs-archive",
    account: str = "111122223333",
    region: str = "us-east-1",
    tags: dict[str, str] | None = None,
    status: Status = Status.FAIL,
    location: dict[str, Any] | None = None,
) -> Finding:
    return Finding(
        check_id=check,
        title="t",
        status=status,
        severity=Severity.MEDIUM,
        resource=FindingResource(arn, "AWS::S3::Bucket", account, region, "logs", tags or {}),
        message="bucket does not log",
        evidence={"logging": False},
        location=location,
    )


def mute(**kw: Any) -> list[Finding]:
    entry = {**BASE, **kw}
    return apply_mutelist([finding()], parse_mutelist({"mutes": [entry]}), TODAY)


@pytest.mark.parametrize(
    ("entry", "muted"),
    [
        ({"check": "aws.s3.bucket-logging"}, True),
        ({"check": "aws.s3.*"}, True),
        ({"checks": ["aws.rds.*", "aws.s3.bucket-logging"]}, True),
        ({"check": "aws.rds.*"}, False),
        ({"check": "*", "accounts": ["111122223333"]}, True),
        ({"check": "*", "accounts": ["444455556666"]}, False),
        ({"check": "*", "regions": ["eu-*"]}, False),
        ({"check": "*", "regions": ["us-east-1"]}, True),
        ({"check": "*", "resources": ["arn:aws:s3:::logs-*"]}, True),
        ({"check": "*", "resources": ["arn:aws:s3:::data-*"]}, False),
        ({"check": "*", "tags": {"Env": "sandbox"}}, False),  # finding has no such tag
    ],
)
def test_matching(entry: dict[str, Any], muted: bool) -> None:
    (out,) = mute(**entry)
    assert out.status is (Status.MUTED if muted else Status.FAIL)
    if muted:
        assert out.evidence["mute"] == {
            "entry": 1,
            "reason": "accepted risk",
            "owner": "team@example.com",
            "expires": "2026-12-31",
            "expired": False,
        }
        assert out.evidence["logging"] is False  # the check's own evidence is kept
    else:
        assert out == finding()


def test_tags_must_all_match_with_value_globs() -> None:
    ml = parse_mutelist([{**BASE, "check": "*", "tags": {"Env": "sand*", "Team": "data"}}])
    both = finding(tags={"Env": "sandbox-1", "Team": "data"})
    one = finding(tags={"Env": "sandbox-1", "Team": "web"})
    assert [f.status for f in apply_mutelist([both, one], ml, TODAY)] == [Status.MUTED, Status.FAIL]


def test_expired_mute_fails_again_and_says_so() -> None:
    (out,) = mute(check="*", expires="2026-05-31")
    assert out.status is Status.FAIL
    assert out.message.endswith("(mute expired on 2026-05-31)")
    assert out.evidence["mute"]["expired"] is True
    (last_day,) = mute(check="*", expires="2026-06-01")  # muted through the expiry day itself
    assert last_day.status is Status.MUTED


def test_a_live_entry_wins_over_an_expired_one() -> None:
    ml = parse_mutelist([{**BASE, "check": "*", "expires": "2020-01-01"}, {**BASE, "check": "aws.s3.*"}])
    (out,) = apply_mutelist([finding()], ml, TODAY)
    assert out.status is Status.MUTED and out.evidence["mute"]["entry"] == 2


def test_pass_and_error_are_left_alone() -> None:
    ml = parse_mutelist([{**BASE, "check": "*"}])
    kept = [finding(status=Status.PASS), finding(status=Status.ERROR)]
    assert apply_mutelist(kept, ml, TODAY) == kept


def test_terraform_address_matches_resource_patterns() -> None:
    ml = parse_mutelist([{**BASE, "check": "*", "resources": ["module.logs.aws_s3_bucket.*"]}])
    by_location = finding(
        location={"file": "main.tf", "line": 3, "address": "module.logs.aws_s3_bucket.this"}
    )
    (a,) = apply_mutelist([by_location], ml, TODAY)
    (b,) = apply_mutelist(
        [finding()], ml, TODAY, addresses={"arn:aws:s3:::logs-archive": "module.logs.aws_s3_bucket.x"}
    )
    (c,) = apply_mutelist([finding()], ml, TODAY)
    assert (a.status, b.status, c.status) == (Status.MUTED, Status.MUTED, Status.FAIL)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [{"check": "aws.s3.*", "owner": "o", "expires": "2026-01-01"}],
            "entry 1 (check aws.s3.*): missing reason",
        ),
        ([BASE], "entry 1: check is required"),
        ([{**BASE, "check": "x"}, {**BASE, "check": "y", "owner": ""}], "entry 2 (check y): missing owner"),
        ([{**BASE, "check": "x", "expires": "next year"}], "expires must be a date"),
        ([{**BASE, "check": "x", "region": "us-east-1"}], "unknown key(s) region"),
        ([{**BASE, "check": "x", "accounts": []}], "accounts must be a string or a non-empty list"),
        ([{**BASE, "check": "x", "tags": ["Env"]}], "tags must map tag keys"),
        ([{**BASE, "check": "x", "checks": ["y"]}], "either check or checks"),
        (["aws.s3.*"], "entry 1: must be a mapping"),
        ({"mutes": {"check": "x"}}, "'mutes' must be a list"),
        ({"mute": []}, "unknown top-level key(s) mute"),
    ],
)
def test_validation_names_the_entry(entries: Any, message: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_mutelist(entries, "mutelist.yaml")
    assert message in str(err.value) and str(err.value).startswith("mutelist.yaml")


def test_load_from_file(tmp_path: Path) -> None:
    p = tmp_path / "mutelist.yaml"
    p.write_text(
        "mutes:\n"
        "  - check: aws.s3.bucket-logging\n"
        "    accounts: [111122223333]\n"
        "    reason: log bucket\n    owner: ops\n    expires: 2026-12-31\n"
    )
    ml = load_mutelist(p)
    assert len(ml) == 1 and ml.mutes[0].expires == date(2026, 12, 31)
    assert ml.mutes[0].accounts == ("111122223333",)
    with pytest.raises(UsageError):
        load_mutelist(tmp_path / "none.yaml")
    p.write_text("mutes: [")
    with pytest.raises(ValidationError, match="not valid YAML"):
        load_mutelist(p)
    p.write_text("")
    assert len(load_mutelist(p)) == 0
