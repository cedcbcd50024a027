"""Build what a responder needs from command-line settings: clients, change store, rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.session import ClientFactory, base_session
from secpillar.respond.actions import REGISTRY, ActionContext
from secpillar.respond.changes import ChangeStore, state_dir
from secpillar.respond.rules import RuleSet, load_rules


def registry_params() -> dict[str, dict[str, Any]]:
    """Action id -> JSON Schema ``properties`` of its params (for the rules schema)."""
    return REGISTRY.params_schemas()


def load_checked_rules(path: Path) -> RuleSet:
    """A rules file validated against the schema generated from the action registry."""
    return load_rules(path, action_params=registry_params())


def make_context(
    *,
    state: Path | None = None,
    endpoint_url: str | None = None,
    profile: str | None = None,
    region: str | None = None,
    lake: Path | None = None,
    aws: bool = True,
    role_name: str = "",
    external_id: str = "",
) -> ActionContext:
    """An action context; ``aws=False`` gives one without clients (offline)."""
    store = ChangeStore(state_dir(state)).init()
    if not aws:
        return ActionContext(store=store, lake=lake)
    clients = ClientFactory(base_session(profile, region, endpoint_url), endpoint_url=endpoint_url)
    caller = ""
    try:
        caller = str(clients.client("sts").get_caller_identity().get("Arn", ""))
    except (ClientError, BotoCoreError):
        caller = ""
    return ActionContext(
        store=store,
        clients=clients,
        lake=lake,
        caller_arn=caller,
        role_name=role_name,
        external_id=external_id,
    )
