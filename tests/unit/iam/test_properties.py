"""Property tests: the fast, compiled matchers agree with plain reference definitions."""

from __future__ import annotations

import fnmatch
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from secpillar.iam import PolicySet, Request, evaluate, parse_policy
from secpillar.iam.matching import action_matches, compile_patterns, string_like

ALPHA = st.text(alphabet="abAB:/*?-", min_size=0, max_size=8)
PLAIN = st.text(alphabet="abAB:/-", min_size=0, max_size=8)


def reference_like(pattern: str, value: str) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, re.DOTALL) is not None


@settings(max_examples=300, deadline=None)
@given(ALPHA, PLAIN)
def test_string_like_matches_reference(pattern: str, value: str) -> None:
    assert string_like(pattern, value) == reference_like(pattern, value)


@settings(max_examples=300, deadline=None)
@given(st.lists(ALPHA, min_size=1, max_size=4), PLAIN)
def test_pattern_set_is_union_of_patterns(patterns: list[str], value: str) -> None:
    ps = compile_patterns(patterns, ignore_case=True)
    expected = any(reference_like(p.lower(), value.lower()) for p in patterns)
    assert ps.match(value.lower()) == expected


@settings(max_examples=200, deadline=None)
@given(PLAIN, PLAIN)
def test_actions_are_case_insensitive(a: str, b: str) -> None:
    action = f"svc:{a}{b}"
    assert action_matches(f"SVC:{a.upper()}*", action)
    assert action_matches(action.swapcase(), action) == fnmatch.fnmatchcase(action.lower(), action.lower())


@settings(max_examples=150, deadline=None)
@given(st.booleans(), st.booleans(), st.booleans())
def test_deny_always_wins(identity_deny: bool, resource_deny: bool, scp_deny: bool) -> None:
    allow = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    deny = {"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    rdeny = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}
    ps = PolicySet(
        identity=tuple(parse_policy(d) for d in ([allow, deny] if identity_deny else [allow])),
        resource=(parse_policy(rdeny),) if resource_deny else (),
        scps=((parse_policy(allow), *([parse_policy(deny)] if scp_deny else [])),),
    )
    got = evaluate(Request("arn:aws:iam::111111111111:user/a", "s3:GetObject", "arn:aws:s3:::b/k"), ps)
    want = "explicitDeny" if (identity_deny or resource_deny or scp_deny) else "allowed"
    assert got.decision == want
    assert len(got.reasons) == identity_deny + resource_deny + scp_deny or want == "allowed"
