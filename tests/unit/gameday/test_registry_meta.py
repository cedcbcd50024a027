"""The technique catalogue, walked as a registry: stable ids, ATT&CK ids, and every claim it makes
(detections, response actions, IAM permissions) names something that exists."""

from __future__ import annotations

import re

import pytest

from secpillar.detect import load_all as load_detections
from secpillar.gameday import Technique, load_all
from secpillar.gameday.response import actions_for, builtin_rules_document, load_rules
from secpillar.gameday.technique import ATTACK_RE, ID_RE, TACTICS
from secpillar.iam import catalogue
from secpillar.respond.actions import REGISTRY as ACTIONS

TECHNIQUES = list(load_all())
EMULATED = [t for t in TECHNIQUES if not t.not_emulated]
DETECTIONS = load_detections()

# The techniques issue 9 asks for by name.
REQUIRED = (
    "aws.defense-evasion.cloudtrail-stop",
    "aws.defense-evasion.security-group-open-port-22",
    "aws.persistence.iam-backdoor-access-key",
    "aws.privilege-escalation.iam-attach-admin-policy",
    "aws.exfiltration.ebs-snapshot-share",
    "aws.collection.s3-bucket-public-policy",
    "aws.impact.kms-key-deletion",
    "aws.defense-evasion.vpc-flow-logs-delete",
    "aws.credential-access.secrets-bulk-retrieval",
    "aws.credential-access.console-brute-force",
)


def test_catalogue_size_and_required_techniques() -> None:
    assert len(EMULATED) >= 25
    ids = {t.id for t in TECHNIQUES}
    assert set(REQUIRED) <= ids
    assert len(ids) == len(TECHNIQUES)


@pytest.mark.parametrize("t", TECHNIQUES, ids=[t.id for t in TECHNIQUES])
def test_metadata(t: Technique) -> None:
    m = ID_RE.match(t.id)
    assert m and m.group(1) in TACTICS, t.id
    assert ATTACK_RE.match(t.attack), t.attack
    assert t.title and t.description
    assert t.tactic == TACTICS[m.group(1)]
    for det in t.detections:
        assert det in DETECTIONS, f"{t.id}: no detection {det}"
    if t.not_emulated:
        assert len(t.not_emulated) > 20 and not t.sandbox_only
    else:
        assert t.events, f"{t.id} names no CloudTrail event"
        assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]+", e) for e in t.events)
        assert t.permissions, f"{t.id} declares no IAM permission"


@pytest.mark.parametrize("t", EMULATED, ids=[t.id for t in EMULATED])
def test_permissions_exist_in_the_iam_catalogue(t: Technique) -> None:
    for perm in t.permissions:
        assert catalogue.check_action(perm) is None, f"{t.id}: {perm}"


def test_detection_claims_match_the_detections_own_attack_ids() -> None:
    """A technique claimed by a detection shares its ATT&CK technique (or its parent)."""
    for t in TECHNIQUES:
        for det in t.detections:
            parents = {a.split(".")[0] for a in DETECTIONS.get(det).attack}
            assert t.attack in DETECTIONS.get(det).attack or t.attack.split(".")[0] in parents, (t.id, det)


def test_every_detection_is_exercised_by_a_technique() -> None:
    claimed = {d for t in TECHNIQUES for d in t.detections}
    assert claimed == {d.id for d in DETECTIONS}


def test_expected_responses_are_what_the_builtin_rules_run() -> None:
    rules = load_rules(None)
    for t in TECHNIQUES:
        assert set(t.responses) == actions_for(rules, t.detections), t.id
        assert set(t.responses) <= set(ACTIONS.ids())


def test_builtin_rules_name_real_detections_and_apply() -> None:
    doc = builtin_rules_document()
    assert doc["rules"]
    for rule in doc["rules"]:
        assert rule["detection"] in DETECTIONS
        assert rule["mode"] == "apply"
