"""`iam.smt`: proved / refuted (with a counter-example the evaluator allows) / unknown, on policies whose
answer follows from AWS's documentation (IAM User Guide, "Policy evaluation logic", "IAM JSON policy
elements: Condition operators", "AWS global condition context keys")."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from secpillar.iam.policy import parse_policy
from secpillar.iam.smt import PROVED, REFUTED, UNKNOWN, Boundary, prove_no_outside_access

ORG_ID, MGMT, OWNER, EXT = "o-abc1234567", "111111111111", "222222222222", "333333333333"
BOUNDARY = Boundary(ORG_ID, frozenset({MGMT, OWNER}), MGMT)
OBJECTS = "arn:aws:s3:::bkt/*"


def prove(*statements: dict[str, Any], action: str = "s3:GetObject", resource: str = OBJECTS) -> Any:
    pol = parse_policy({"Version": "2012-10-17", "Statement": list(statements)}, "resource")
    return prove_no_outside_access([pol], action, resource, OWNER, BOUNDARY, timeout_ms=10000)


def allow(principal: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject", "Resource": OBJECTS, **extra}


def test_org_condition_is_proved() -> None:
    v = prove(allow(Condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}))
    assert v.verdict == PROVED and v.counterexample is None
    assert v.claim == f"no principal outside the organization can s3:GetObject on {OBJECTS}"


def test_outside_account_is_refuted_with_that_account() -> None:
    v = prove(allow({"AWS": EXT}))
    assert v.verdict == REFUTED and v.confirmed
    assert v.counterexample["account"] == EXT
    assert v.counterexample["resource"].startswith("arn:aws:s3:::bkt/")


def test_ip_range_counterexample_lies_in_the_range() -> None:
    v = prove(allow(Condition={"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}}))
    assert v.verdict == REFUTED
    ip = ipaddress.ip_address(v.counterexample["context"]["aws:SourceIp"])
    assert ip in ipaddress.ip_network("198.51.100.0/24")


def test_deny_not_ip_leaves_the_range_open() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8"]}}}  # fmt: skip
    v = prove(allow(), deny)
    assert v.verdict == REFUTED
    assert ipaddress.ip_address(v.counterexample["context"]["aws:SourceIp"]) in ipaddress.ip_network(
        "10.0.0.0/8"
    )


def test_explicit_deny_outside_the_org_wins() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}}}  # fmt: skip
    assert prove(allow(), deny).verdict == PROVED  # absent key + IfExists: the Deny applies to all
    exempt = {
        **deny,
        "Condition": {**deny["Condition"], "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
    }
    v = prove(allow(), exempt)  # the usual exemption for AWS services leaves them a way in
    assert v.verdict == REFUTED and v.counterexample["kind"] == "service"


def test_service_principal_bound_to_the_org_is_proved() -> None:
    cf = {"Service": "cloudfront.amazonaws.com"}
    assert prove(allow(cf, Condition={"StringEquals": {"aws:SourceAccount": OWNER}})).verdict == PROVED
    assert (
        prove(allow(cf, Condition={"ArnLike": {"aws:SourceArn": f"arn:aws:cloudfront::{OWNER}:*"}})).verdict
        == PROVED
    )
    v = prove(allow(cf))
    assert v.verdict == REFUTED and v.counterexample["service"] == "cloudfront.amazonaws.com"


def test_object_prefix_and_wildcards_in_the_key() -> None:
    v = prove(allow(Resource="arn:aws:s3:::bkt/public/*"))
    assert v.verdict == REFUTED and v.counterexample["resource"].startswith("arn:aws:s3:::bkt/public/")
    assert prove(allow(Resource="arn:aws:s3:::other/*")).verdict == PROVED


def test_anonymous_only_where_aws_serves_unsigned_requests() -> None:
    kms = {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"}
    key = "arn:aws:kms:us-east-1:222222222222:key/k"
    v = prove(kms, action="kms:Decrypt", resource=key)
    assert v.verdict == REFUTED and v.counterexample["kind"] != "anonymous"
    assert prove(allow()).counterexample["kind"] == "anonymous"


@pytest.mark.parametrize(
    ("statement", "why"),
    [
        (allow(Condition={"StringEquals": {"aws:PrincipalTag/team": "${aws:username}"}}), "policy variables"),
        (allow({"Federated": "accounts.google.com"}), "Federated"),
        (allow(Condition={"BinaryEquals": {"x:bin": "QmluYXJ5"}}), "BinaryEquals"),
        (allow(Condition={"StringEquals": {"aws:userid": "AROAX:me"}}), "aws:userid"),
    ],
)
def test_outside_the_fragment_is_unknown(statement: dict[str, Any], why: str) -> None:
    v = prove(statement)
    assert v.verdict == UNKNOWN and why in v.reason


def test_verdict_words_and_dict() -> None:
    v = prove(allow({"AWS": EXT}))
    d = v.to_dict()
    assert d["verdict"] == "refuted" and d["evaluatorAllows"] is True and "counterexample" in d
    assert v.words().startswith(f"refuted: arn:aws:iam::{EXT}:")
    assert prove(allow({"AWS": OWNER})).words().startswith("proved: no principal outside")
