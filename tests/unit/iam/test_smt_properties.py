"""The solver and the evaluator agree (hypothesis): on random resource policies (and RCPs) within the
encoded fragment, (a) every counter-example the solver gives is a request the evaluator allows, and
(b) when the solver proves "no principal outside the organization can ACTION", the evaluator allows
none of the outside requests hypothesis samples; conversely an allowed sample means the solver must
refute. The requests follow what AWS puts in a request from outside the organization (IAM User Guide,
"AWS global condition context keys"): an outsider's own organization id, no aws:Source* keys unless a
service principal calls on behalf of an outside account."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from secpillar.iam.evaluate import PolicySet, Request, evaluate
from secpillar.iam.policy import parse_policy
from secpillar.iam.smt import ALLOW_ALL, PROVED, REFUTED, UNKNOWN, Boundary, prove_no_outside_access

ORG_ID = "o-abc1234567"
MGMT, OWNER = "111111111111", "222222222222"
EXT = ("333333333333", "444444444444")
BOUNDARY = Boundary(
    ORG_ID, frozenset({MGMT, OWNER}), MGMT, frozenset({"arn:aws:cloudfront::222222222222:distribution/D1"})
)
BUCKET = "arn:aws:s3:::bkt"

PRINCIPALS: list[Any] = [
    "*",
    {"AWS": "*"},
    {"AWS": EXT[0]},
    {"AWS": f"arn:aws:iam::{EXT[0]}:root"},
    {"AWS": f"arn:aws:iam::{EXT[1]}:role/r1"},
    {"AWS": f"arn:aws:iam::{EXT[1]}:user/alice"},
    {"AWS": OWNER},
    {"AWS": [EXT[0], OWNER]},
    {"Service": "cloudfront.amazonaws.com"},
]
NOT_PRINCIPALS: list[Any] = [{"AWS": f"arn:aws:iam::{EXT[0]}:root"}, {"AWS": OWNER}]
ACTIONS: list[Any] = ["s3:GetObject", "s3:Get*", "s3:*", "*", "s3:PutObject", "s3:getobject", ["s3:List*"]]
RESOURCES: list[Any] = [f"{BUCKET}/*", f"{BUCKET}/pub/*", f"{BUCKET}/a?c", "*", "arn:aws:s3:::other/*"]
CONDITIONS: list[tuple[str, str, Any]] = [
    ("StringEquals", "aws:PrincipalOrgID", ORG_ID),
    ("StringEquals", "aws:PrincipalOrgID", "o-other00000"),
    ("StringNotEquals", "aws:PrincipalOrgID", ORG_ID),
    ("StringNotEqualsIfExists", "aws:PrincipalOrgID", ORG_ID),
    ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", f"{ORG_ID}/*"),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24"),
    ("NotIpAddress", "aws:SourceIp", ["10.0.0.0/8", "2001:db8::/32"]),
    ("Bool", "aws:SecureTransport", "false"),
    ("Bool", "aws:SecureTransport", "true"),
    ("StringEquals", "aws:PrincipalAccount", EXT[0]),
    ("StringNotEquals", "aws:PrincipalAccount", [MGMT, OWNER]),
    ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/r*"),
    ("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{EXT[1]}:*"),
    ("ArnEquals", "aws:SourceArn", "arn:aws:cloudfront::222222222222:distribution/D1"),
    ("StringEquals", "aws:SourceAccount", OWNER),
    ("StringNotEquals", "aws:SourceAccount", OWNER),
    ("Null", "aws:SourceVpce", "false"),
    ("StringEquals", "aws:SourceVpce", "vpce-1"),
    ("StringEqualsIgnoreCase", "aws:UserAgent", "Curl"),
    ("NumericLessThan", "s3:max-keys", "10"),
    ("DateGreaterThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"),
    ("StringLike", "s3:ExistingObjectTag/x", "a*"),
    ("Bool", "aws:PrincipalIsAWSService", "true"),
    ("StringEquals", "aws:PrincipalType", "Account"),
    ("StringEqualsIgnoreCase", "aws:username", "ALICE"),
    ("Null", "aws:PrincipalOrgID", "true"),
]


@st.composite
def statements(draw: st.DrawFn) -> dict[str, Any]:
    stmt: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    if draw(st.integers(0, 5)) == 0:
        stmt["NotPrincipal"] = draw(st.sampled_from(NOT_PRINCIPALS))
    else:
        stmt["Principal"] = draw(st.sampled_from(PRINCIPALS))
    if draw(st.integers(0, 6)) == 0:
        stmt["NotAction"] = "s3:PutObject"
    else:
        stmt["Action"] = draw(st.sampled_from(ACTIONS))
    stmt["NotResource" if draw(st.integers(0, 6)) == 0 else "Resource"] = draw(st.sampled_from(RESOURCES))
    block: dict[str, dict[str, Any]] = {}
    for i in draw(st.lists(st.integers(0, len(CONDITIONS) - 1), max_size=2, unique=True)):
        op, key, val = CONDITIONS[i]
        block.setdefault(op, {})[key] = val
    if block:
        stmt["Condition"] = block
    return stmt


@st.composite
def requests(draw: st.DrawFn) -> tuple[str | None, str, dict[str, str]]:
    kind = draw(st.sampled_from(["anonymous", "user", "role", "session", "root", "service"]))
    acct = draw(st.sampled_from(EXT))
    name = draw(st.sampled_from(["r1", "alice", "bob"]))
    principal: str | None = {
        "anonymous": None,
        "user": f"arn:aws:iam::{acct}:user/{name}",
        "role": f"arn:aws:iam::{acct}:role/{name}",
        "session": f"arn:aws:sts::{acct}:assumed-role/{name}/s1",
        "root": f"arn:aws:iam::{acct}:root",
        "service": draw(st.sampled_from(["cloudfront.amazonaws.com", "s3.amazonaws.com"])),
    }[kind]
    pools: dict[str, list[str]] = {
        "aws:SourceIp": ["203.0.113.5", "10.1.2.3", "198.51.100.1"],
        "aws:SecureTransport": ["true", "false"],
        "aws:UserAgent": ["curl", "wget"],
        "s3:max-keys": ["5", "20"],
        "aws:CurrentTime": ["1500000000", "1800000000"],
        "s3:ExistingObjectTag/x": ["abc", "zzz"],
        "aws:SourceVpce": ["vpce-2"],
    }
    if kind not in ("anonymous", "service"):
        pools["aws:PrincipalOrgID"] = ["o-other00000"]
        pools["aws:PrincipalOrgPaths"] = ["o-other00000/r-1/"]
    if kind == "service":
        pools["aws:SourceAccount"] = [acct]
        pools["aws:SourceArn"] = [f"arn:aws:cloudfront::{acct}:distribution/D9"]
    ctx = {k: draw(st.sampled_from(v)) for k, v in pools.items() if draw(st.booleans())}
    key = draw(st.sampled_from(["pub/x", "abc", "k"]))
    return principal, f"{BUCKET}/{key}", ctx


RCP_ALL = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
RCP_ORG_ONLY = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": "*",
    "Condition": {
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
        "Bool": {"aws:SecureTransport": "true"},
    },
}


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stmts=st.lists(statements(), min_size=1, max_size=3),
    action=st.sampled_from(["s3:GetObject", "s3:PutObject"]),
    rcp=st.sampled_from([None, "all", "org-only"]),
    samples=st.lists(requests(), min_size=8, max_size=8),
)
def test_solver_and_evaluator_agree(
    stmts: list[dict[str, Any]],
    action: str,
    rcp: str | None,
    samples: list[tuple[str | None, str, dict[str, str]]],
) -> None:
    policy = parse_policy({"Version": "2012-10-17", "Statement": stmts}, "resource")
    rcps = None
    if rcp is not None:
        docs = [RCP_ALL] + ([RCP_ORG_ONLY] if rcp == "org-only" else [])
        rcps = ((parse_policy({"Version": "2012-10-17", "Statement": docs}, "rcp"),),)
    verdict = prove_no_outside_access(
        [policy], action, f"{BUCKET}/*", OWNER, BOUNDARY, rcps, timeout_ms=20000
    )
    assert verdict.verdict != UNKNOWN, verdict.reason
    ps = PolicySet(identity=(ALLOW_ALL,), resource=(policy,), rcps=rcps)
    if verdict.verdict == REFUTED:
        ce = verdict.counterexample
        assert ce is not None and verdict.confirmed
        req = Request(ce["principal"], action, ce["resource"], OWNER, ce["context"], MGMT)
        assert evaluate(req, ps).allowed, ce
        assert ce.get("account") not in (MGMT, OWNER)
        assert ce["context"].get("aws:PrincipalOrgID") != ORG_ID
    allowed = [s for s in samples if evaluate(Request(s[0], action, s[1], OWNER, s[2], MGMT), ps).allowed]
    if verdict.verdict == PROVED:
        assert not allowed, f"proved, yet the evaluator allows {allowed[0]}"
    if allowed:
        assert verdict.verdict == REFUTED
