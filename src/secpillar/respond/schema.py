"""The JSON Schema of a respond rules file, generated in code.

The schema covers the file's shape (names, triggers, conditions, actions, mode, rate limits).
Event patterns are only required to be objects here: their grammar is richer than JSON Schema can
say well, so :mod:`secpillar.respond.patterns` validates them and reports the exact path.

Without arguments, action types are only checked against ``ACTION_TYPE_PATTERN``; pass
``action_params`` (the action registry's ids and params schemas, see
:func:`secpillar.respond.registry_schema`) to restrict types to the registry and check each
action's params.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

SCHEMA_ID = "https://secpillar.dev/schemas/respond-rules.json"
ACTION_TYPE_PATTERN = r"^[a-z0-9-]+(\.[a-z0-9-]+)*$"
DETECTION_ID_PATTERN = r"^[a-z0-9-]+(\.[a-z0-9-]+)*$"
RULE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
ACCOUNT_PATTERN = r"^[0-9]{12}$"
MODES = ("dry-run", "apply")


def rules_schema(
    action_types: Iterable[str] | None = None,
    action_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a rules file. ``action_params`` (action id -> JSON Schema
    ``properties`` of its params, from the action registry) makes each action's params checked."""
    action_type: dict[str, Any] = {"type": "string", "pattern": ACTION_TYPE_PATTERN}
    if action_params is not None and action_types is None:
        action_types = list(action_params)
    if action_types is not None:
        action_type = {"type": "string", "enum": sorted(set(action_types))}
    action: dict[str, Any] = {
        "type": "object",
        "required": ["type"],
        "additionalProperties": False,
        "properties": {"type": action_type, "params": {"type": "object"}},
    }
    if action_params:
        action["allOf"] = [
            {
                "if": {"properties": {"type": {"const": aid}}, "required": ["type"]},
                "then": {
                    "properties": {
                        "params": {"type": "object", "additionalProperties": False, "properties": dict(props)}
                    }
                },
            }
            for aid, props in sorted(action_params.items())
        ]
    account = {
        "oneOf": [
            {"type": "string", "pattern": ACCOUNT_PATTERN},
            {"type": "integer", "minimum": 0, "maximum": 999_999_999_999},
        ],
        "description": "A 12-digit AWS account id (quote it in YAML to keep leading zeros).",
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        "title": "secpillar respond rules",
        "type": "object",
        "required": ["rules"],
        "additionalProperties": False,
        "properties": {
            "version": {"const": 1},
            "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
        },
        "$defs": {
            "rule": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "oneOf": [{"required": ["pattern"]}, {"required": ["detection"]}],
                "properties": {
                    "name": {"type": "string", "pattern": RULE_NAME_PATTERN},
                    "description": {"type": "string"},
                    "pattern": {
                        "type": "object",
                        "minProperties": 1,
                        "description": "An Amazon EventBridge event pattern.",
                    },
                    "detection": {
                        "type": "string",
                        "pattern": DETECTION_ID_PATTERN,
                        "description": "The id of a detection whose alerts trigger the rule.",
                    },
                    "conditions": {"$ref": "#/$defs/conditions"},
                    "actions": {"type": "array", "items": {"$ref": "#/$defs/action"}},
                    "mode": {"enum": list(MODES), "default": "dry-run"},
                    "rate_limit": {"$ref": "#/$defs/rate_limit"},
                },
            },
            "conditions": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "ignore_failed_calls": {
                        "type": "boolean",
                        "description": "Do not fire on CloudTrail events whose detail has an errorCode.",
                    },
                    "accounts": {"type": "array", "minItems": 1, "items": account},
                    "regions": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "pattern": r"^[a-z]{2}(-[a-z]+)+-[0-9]+$"},
                    },
                },
            },
            "action": action,
            "rate_limit": {
                "type": "object",
                "required": ["max", "per_seconds"],
                "additionalProperties": False,
                "properties": {
                    "max": {"type": "integer", "minimum": 1},
                    "per_seconds": {"type": "integer", "minimum": 1},
                },
            },
        },
    }
