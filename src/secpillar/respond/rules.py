"""Respond rules: a YAML file of named triggers (event patterns) with conditions and actions.

::

    rules:
      - name: s3-bucket-policy-changed
        pattern:
          source: [aws.s3]
          detail-type: [AWS API Call via CloudTrail]
          detail: {eventName: [PutBucketPolicy, DeleteBucketPolicy]}
        conditions: {ignore_failed_calls: true, accounts: ["111122223333"]}
        actions:
          - type: s3.restore-bucket-policy
          - type: notify.email
            params: {to: [security@example.com]}
        mode: dry-run
        rate_limit: {max: 10, per_seconds: 60}

The file is checked against :func:`secpillar.respond.schema.rules_schema`, then each pattern is
compiled. A :class:`RuleSet` indexes the rules by the exact values their patterns require (CloudTrail
``eventName``, ``detail-type``, ``source``) so that an event is tested only against candidate rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from secpillar.errors import UsageError, ValidationError
from secpillar.respond.patterns import EventPattern, compile_pattern
from secpillar.respond.schema import rules_schema

# Paths tried, in order, to index a rule: the first one its pattern pins to exact strings.
INDEX_PATHS: tuple[tuple[str, ...], ...] = (("detail", "eventName"), ("detail-type",), ("source",))


@dataclass(frozen=True)
class Action:
    """An action a rule runs: a type id and its parameters (validated by the action registry later)."""

    type: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def plan(self) -> dict[str, Any]:
        """What ``respond test`` reports: the action as it would run, in dry-run."""
        return {"type": self.type, "params": dict(self.params), "mode": "dry-run"}


@dataclass(frozen=True)
class RateLimit:
    max: int
    per_seconds: int


@dataclass(frozen=True)
class Conditions:
    """Filters applied after the trigger matched."""

    ignore_failed_calls: bool = False
    accounts: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def allow(self, event: Mapping[str, Any]) -> bool:
        if self.ignore_failed_calls:
            detail = event.get("detail")
            if isinstance(detail, dict) and detail.get("errorCode") not in (None, ""):
                return False
        if self.accounts and event.get("account") not in self.accounts:
            return False
        return not (self.regions and event.get("region") not in self.regions)


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: EventPattern | None = None
    detection: str | None = None
    conditions: Conditions = Conditions()
    actions: tuple[Action, ...] = ()
    mode: str = "dry-run"
    rate_limit: RateLimit | None = None
    description: str = ""

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether an EventBridge event fires the rule (detection rules fire on alerts, not here)."""
        if self.pattern is None:
            return False
        return self.pattern.matches(event) and self.conditions.allow(event)


def _strings_at(node: Any, path: Sequence[str]) -> list[str]:
    """Every string leaf at ``path`` (through arrays, as pattern matching sees them)."""
    nodes = [node]
    for key in path:
        nxt: list[Any] = []
        for n in nodes:
            if isinstance(n, dict):
                v = n.get(key)
                if isinstance(v, list):
                    _flatten(v, nxt)
                elif v is not None:
                    nxt.append(v)
        nodes = nxt
    return [n for n in nodes if type(n) is str]


def _flatten(values: list[Any], out: list[Any]) -> None:
    for v in values:
        if isinstance(v, list):
            _flatten(v, out)
        else:
            out.append(v)


class RuleSet:
    """Rules compiled and indexed for matching many events."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules)
        names = [r.name for r in self.rules]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValidationError(f"duplicate rule name(s): {', '.join(dup)}", "rules")
        self._index: list[tuple[tuple[str, ...], dict[str, list[int]]]] = [(p, {}) for p in INDEX_PATHS]
        self._always: list[int] = []
        for i, rule in enumerate(self.rules):
            if rule.pattern is None:
                continue
            for path, table in self._index:
                values = rule.pattern.required_exact(path)
                if values:
                    for v in values:
                        table.setdefault(v, []).append(i)
                    break
            else:
                self._always.append(i)
        self._index = [(p, t) for p, t in self._index if t]
        self._matchers = [_fast_matcher(r) for r in self.rules]

    def __len__(self) -> int:
        return len(self.rules)

    def candidates(self, event: Mapping[str, Any]) -> list[int]:
        """Indices of the rules that may match ``event`` (a superset of those that do), in file order."""
        found: list[int] = list(self._always)
        sources = 1 if found else 0
        for path, table in self._index:
            v: Any = event
            for key in path:
                if type(v) is not dict:
                    break
                v = v.get(key)
            if type(v) is str:
                hit = table.get(v)
                if hit:
                    found.extend(hit)
                    sources += 1
            elif type(v) is list:  # an array on the way: look through it as matching does
                for s in _strings_at(event, path):
                    found.extend(table.get(s, ()))
                sources += 2
        if sources > 1:
            found = sorted(set(found))
        return found

    def match(self, event: Mapping[str, Any]) -> list[Rule]:
        """The rules an event fires, in the order of the rules file."""
        if not isinstance(event, dict):
            return []
        matchers, rules = self._matchers, self.rules
        return [rules[i] for i in self.candidates(event) if matchers[i](event)]


def _fast_matcher(rule: Rule) -> Callable[[Mapping[str, Any]], bool]:
    """The rule's test with the fewest calls: the compiled pattern, plus conditions only if any."""
    if rule.pattern is None:
        return lambda _e: False
    match = rule.pattern.compiled.match
    c = rule.conditions
    if not (c.ignore_failed_calls or c.accounts or c.regions):
        return match
    allow = c.allow
    return lambda e: match(e) and allow(e)


def _where(path: Iterable[Any], doc: Any) -> str:
    """``["rules", 2, "actions", 0]`` -> ``rules[2] (name 'x').actions[0]``."""
    out = ""
    node = doc
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            name = node.get("name") if isinstance(node, dict) else None
            if isinstance(name, str) and out.startswith("rules[") and out.count("[") == 1:
                out += f" (rule {name!r})"
        else:
            out += f".{part}" if out else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(file)"


def _validate_schema(
    doc: Any, action_types: Iterable[str] | None, action_params: Mapping[str, Mapping[str, Any]] | None = None
) -> None:
    if not isinstance(doc, dict):
        raise ValidationError("a rules file must be a mapping with a top-level 'rules:' list", "(file)")
    for i, rule in enumerate(doc.get("rules") or []):
        if isinstance(rule, dict) and ("pattern" in rule) == ("detection" in rule):
            where = _where(["rules", i], doc)
            raise ValidationError("a rule needs exactly one trigger: 'pattern' or 'detection'", where)
    validator = jsonschema.Draft202012Validator(rules_schema(action_types, action_params))
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        err = jsonschema.exceptions.best_match(errors)
        raise ValidationError(err.message, _where(err.absolute_path, doc))


def _account(value: Any) -> str:
    return f"{value:012d}" if isinstance(value, int) else str(value)


def parse_rules(
    doc: Any,
    action_types: Iterable[str] | None = None,
    action_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> RuleSet:
    """Validate a parsed rules document and compile it into a :class:`RuleSet`."""
    _validate_schema(doc, action_types, action_params)
    rules = []
    for i, raw in enumerate(doc["rules"]):
        where = _where(["rules", i], doc)
        pattern = None
        if "pattern" in raw:
            pattern = compile_pattern(raw["pattern"], where=f"{where}.pattern")
        cond = raw.get("conditions") or {}
        rate = raw.get("rate_limit")
        rules.append(
            Rule(
                name=raw["name"],
                pattern=pattern,
                detection=raw.get("detection"),
                conditions=Conditions(
                    ignore_failed_calls=bool(cond.get("ignore_failed_calls", False)),
                    accounts=frozenset(_account(a) for a in cond.get("accounts", ())),
                    regions=frozenset(cond.get("regions", ())),
                ),
                actions=tuple(Action(a["type"], dict(a.get("params") or {})) for a in raw.get("actions", ())),
                mode=raw.get("mode", "dry-run"),
                rate_limit=RateLimit(rate["max"], rate["per_seconds"]) if rate else None,
                description=raw.get("description", ""),
            )
        )
    return RuleSet(rules)


def load_rules(
    path: Path,
    action_types: Iterable[str] | None = None,
    action_params: Mapping[str, Mapping[str, Any]] | None = None,
) -> RuleSet:
    """Read, validate and compile a YAML (or JSON) rules file."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read rules file {path}: {exc.strerror or exc}") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ValidationError(f"not valid YAML: {getattr(exc, 'problem', exc)}", where) from None
    return parse_rules(doc, action_types, action_params)
