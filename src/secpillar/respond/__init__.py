"""Respond: EventBridge event patterns, rules that match events, and (later) the actions they run."""

from secpillar.respond.patterns import EventPattern, compile_pattern, matches
from secpillar.respond.rules import Action, Conditions, RateLimit, Rule, RuleSet, load_rules, parse_rules
from secpillar.respond.schema import rules_schema

__all__ = [
    "Action",
    "Conditions",
    "EventPattern",
    "RateLimit",
    "Rule",
    "RuleSet",
    "compile_pattern",
    "load_rules",
    "matches",
    "parse_rules",
    "rules_schema",
]
