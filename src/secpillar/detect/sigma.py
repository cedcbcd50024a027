"""Sigma rules for CloudTrail (SigmaHQ format, ``logsource: {product: aws, service: cloudtrail}``)
converted to SQL over the lake's ``cloudtrail`` view.

pySigma parses each rule and resolves its condition (``and``/``or``/``not``, ``1 of``/``all of``
selections, value lists and the ``|all`` modifier) into a tree of conditions over field/value
pairs; this module turns that tree into a WHERE clause. Sigma field names map onto the lake's
columns: top-level CloudTrail fields to their lowercase column (``eventName`` -> ``eventname``),
``userIdentity.*`` to the struct (``useridentity.sessioncontext.sessionissuer.arn``), and
``requestParameters.*``, ``responseElements.*``, ``additionalEventData.*`` to JSON paths into those
JSON-text columns. String matches are case-insensitive, as Sigma specifies. A rule that cannot be
converted is reported with the reason, never silently dropped.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sigma import conditions as sc
from sigma import types as st
from sigma.collection import SigmaCollection
from sigma.exceptions import SigmaError
from sigma.rule import SigmaRule

from secpillar.detect.registry import Detection
from secpillar.detect.registry import sql_string as sql_string_literal
from secpillar.detect.sql import event_sql
from secpillar.model import Severity

CLOUDTRAIL_TOP_LEVEL = [
    "eventVersion",
    "eventTime",
    "eventSource",
    "eventName",
    "awsRegion",
    "sourceIPAddress",
    "userAgent",
    "errorCode",
    "errorMessage",
    "requestID",
    "eventID",
    "eventType",
    "apiVersion",
    "readOnly",
    "recipientAccountId",
    "sharedEventID",
    "vpcEndpointId",
    "eventCategory",
]
TOP_LEVEL = {name.lower(): name.lower() for name in CLOUDTRAIL_TOP_LEVEL}
IDENTITY_FIELDS = {
    "type",
    "principalid",
    "arn",
    "accountid",
    "invokedby",
    "accesskeyid",
    "username",
    "sessioncontext.attributes.mfaauthenticated",
    "sessioncontext.attributes.creationdate",
    "sessioncontext.sessionissuer.type",
    "sessioncontext.sessionissuer.principalid",
    "sessioncontext.sessionissuer.arn",
    "sessioncontext.sessionissuer.accountid",
    "sessioncontext.sessionissuer.username",
}
JSON_COLUMNS = {
    "requestparameters": "requestparameters",
    "responseelements": "responseelements",
    "additionaleventdata": "additionaleventdata",
    "serviceeventdetails": "serviceeventdetails",
}
LEVELS = {
    "informational": Severity.INFORMATIONAL,
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "high": Severity.HIGH,
    "critical": Severity.CRITICAL,
}


class Unconvertible(Exception):
    """The rule uses something the converter cannot express in SQL over the lake."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """A rule that could not be converted, and why."""

    rule: str
    path: str
    reason: str


def field_sql(field: str) -> str:
    """The SQL expression of a Sigma field name over the lake's ``cloudtrail`` columns."""
    head, _, rest = field.partition(".")
    key = head.lower()
    if not rest and key in TOP_LEVEL:
        return TOP_LEVEL[key]
    if key == "useridentity" and rest.lower() in IDENTITY_FIELDS:
        return "useridentity." + rest.lower()
    if key in JSON_COLUMNS:
        if not rest:
            return JSON_COLUMNS[key]
        path = ".".join(_json_key(p) for p in rest.split("."))
        return f"json_extract_string({JSON_COLUMNS[key]}, '$.{path}')"
    raise Unconvertible(f"field {field!r} has no column in the lake's cloudtrail table")


def _json_key(part: str) -> str:
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", part):
        return part
    return '"' + part.replace('"', '\\"') + '"'


def _like_pattern(value: st.SigmaString) -> str:
    out = []
    for part in value.s:
        if part is st.SpecialChars.WILDCARD_MULTI:
            out.append("%")
        elif part is st.SpecialChars.WILDCARD_SINGLE:
            out.append("_")
        elif isinstance(part, str):
            out.append(part.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        else:
            raise Unconvertible(f"placeholder or special value {part!r} in a string")
    return "".join(out)


def _plain(value: st.SigmaString) -> str:
    return "".join(p for p in value.s if isinstance(p, str))


def _ipv4_number(expr: str) -> str:
    octets = [f"TRY_CAST(split_part({expr}, '.', {i}) AS BIGINT)" for i in range(1, 5)]
    return f"({octets[0]} * 16777216 + {octets[1]} * 65536 + {octets[2]} * 256 + {octets[3]})"


def value_sql(expr: str, value: Any) -> str:
    """One field/value comparison (never NULL: an absent field does not match)."""
    if isinstance(value, st.SigmaNull):
        return f"({expr} IS NULL OR CAST({expr} AS VARCHAR) = '')"
    if isinstance(value, st.SigmaExists):
        return f"({expr} IS NOT NULL)" if value.exists else f"({expr} IS NULL)"
    if isinstance(value, st.SigmaBool):
        return f"COALESCE(lower(CAST({expr} AS VARCHAR)) = '{str(value.boolean).lower()}', FALSE)"
    if isinstance(value, st.SigmaNumber):
        return f"COALESCE(CAST({expr} AS VARCHAR) = '{value.number}', FALSE)"
    if isinstance(value, st.SigmaString):
        text = f"lower(CAST({expr} AS VARCHAR))"
        if value.contains_special():
            pattern = sql_string_literal(_like_pattern(value).lower())
            return f"COALESCE({text} LIKE {pattern} ESCAPE '\\', FALSE)"
        return f"COALESCE({text} = {sql_string_literal(_plain(value).lower())}, FALSE)"
    if isinstance(value, st.SigmaRegularExpression):
        flags = "".join(sorted(f.name[0].lower() for f in value.flags)) if value.flags else ""
        pattern = (f"(?{flags})" if flags else "") + _plain(value.regexp)
        return f"COALESCE(regexp_matches(CAST({expr} AS VARCHAR), {sql_string_literal(pattern)}), FALSE)"
    if isinstance(value, st.SigmaCIDRExpression):
        net = value.network
        if not isinstance(net, ipaddress.IPv4Network):
            raise Unconvertible(f"IPv6 CIDR {net} is not supported")
        lo, hi = int(net.network_address), int(net.broadcast_address)
        guard = f"regexp_matches(CAST({expr} AS VARCHAR), '^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$')"
        return f"COALESCE({guard} AND {_ipv4_number(expr)} BETWEEN {lo} AND {hi}, FALSE)"
    if isinstance(value, st.SigmaCompareExpression):
        symbol = {"LT": "<", "LTE": "<=", "GT": ">", "GTE": ">="}.get(value.op.name)
        if symbol is None:
            raise Unconvertible(f"comparison {value.op.name}")
        return f"COALESCE(TRY_CAST({expr} AS DOUBLE) {symbol} {value.number.number}, FALSE)"
    if isinstance(value, st.SigmaFieldReference):
        other = field_sql(value.field)
        return f"COALESCE(lower(CAST({expr} AS VARCHAR)) = lower(CAST({other} AS VARCHAR)), FALSE)"
    raise Unconvertible(f"value type {type(value).__name__} is not supported")


def condition_sql(node: Any) -> str:
    """SQL of a parsed Sigma condition tree."""
    if isinstance(node, sc.ConditionAND):
        return "(" + " AND ".join(condition_sql(a) for a in node.args) + ")"
    if isinstance(node, sc.ConditionOR):
        return "(" + " OR ".join(condition_sql(a) for a in node.args) + ")"
    if isinstance(node, sc.ConditionNOT):
        return "(NOT " + condition_sql(node.args[0]) + ")"
    if isinstance(node, sc.ConditionFieldEqualsValueExpression):
        return value_sql(field_sql(node.field), node.value)
    if isinstance(node, sc.ConditionValueExpression):
        raise Unconvertible("keyword search (a value without a field) is not supported")
    raise Unconvertible(f"condition element {type(node).__name__} is not supported")


def _tactic(tags: Iterable[str]) -> str:
    for tag in tags:
        if tag.startswith("attack.") and not re.match(r"attack\.[tgs]\d", tag):
            return tag.removeprefix("attack.").replace("-", " ").replace("_", " ").title()
    return "Unknown"


def rule_to_detection(rule: SigmaRule, path: str) -> Detection:
    """A :class:`Detection` whose SQL is the converted rule (raises :class:`Unconvertible`)."""
    if rule.errors:
        raise Unconvertible("; ".join(str(e) for e in rule.errors))
    logsource = rule.logsource
    if (logsource.product or "").lower() != "aws" or (logsource.service or "").lower() != "cloudtrail":
        raise Unconvertible(f"logsource {logsource.product}/{logsource.service} is not aws/cloudtrail")
    parts = []
    try:
        for parsed in rule.detection.parsed_condition:
            parts.append(condition_sql(parsed.parsed))
    except SigmaError as exc:
        raise Unconvertible(str(exc)) from None
    if getattr(rule.detection, "timeframe", None):
        raise Unconvertible("timeframe (aggregation over time) is not supported")
    tags = [f"{t.namespace}.{t.name}".lower() for t in rule.tags]
    techniques = tuple(t.removeprefix("attack.").upper() for t in tags if re.match(r"attack\.t\d{4}", t))
    level = rule.level.name.lower() if rule.level else "medium"
    rule_id = str(rule.id) if rule.id else Path(path).stem
    attrs: dict[str, Any] = {
        "id": f"sigma.{rule_id}",
        "title": rule.title,
        "severity": LEVELS.get(level, Severity.MEDIUM),
        "attack": techniques,
        "tactic": _tactic(tags),
        "wa": ("SEC04-BP03",),
        "description": (rule.description or rule.title).strip(),
        "sql": event_sql(" OR ".join(f"({p})" for p in parts), detail=sql_string_literal(rule.title)),
        "parity": False,
    }
    cls = type(f"Sigma_{re.sub(r'[^A-Za-z0-9]', '_', rule_id)}", (Detection,), attrs)
    det: Detection = cls()
    return det


def load_sigma(folder: Path) -> tuple[list[Detection], list[Skipped]]:
    """Every rule under ``folder`` (``*.yml``/``*.yaml``, recursively) converted, and those skipped."""
    detections: list[Detection] = []
    skipped: list[Skipped] = []
    paths = sorted(p for p in folder.rglob("*") if p.suffix in (".yml", ".yaml") and p.is_file())
    for path in paths:
        try:
            collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"), collect_errors=True)
        except (SigmaError, yaml.YAMLError, ValueError, OSError) as exc:
            reason = " ".join(str(exc).split())
            skipped.append(Skipped(path.stem, str(path), f"cannot be read: {reason}"))
            continue
        for error in collection.errors:
            skipped.append(Skipped(path.stem, str(path), str(error)))
        for rule in collection.rules:
            name = getattr(rule, "title", path.stem)
            if not isinstance(rule, SigmaRule):
                skipped.append(
                    Skipped(name, str(path), f"{type(rule).__name__} (correlation) is not supported")
                )
                continue
            try:
                detections.append(rule_to_detection(rule, str(path)))
            except (Unconvertible, SigmaError) as exc:
                skipped.append(Skipped(name, str(path), str(exc)))
    return detections, skipped
