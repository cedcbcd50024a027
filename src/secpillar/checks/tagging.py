"""Data-classification tagging, as the organization's own tag policies require it.

A TAG_POLICY (``AWS::Organizations::Policy``) attached to the root, to an OU on an account's path
or to the account itself applies to that account. The policies that apply are merged from the
root down (``@@assign`` replaces, ``@@append`` adds, ``@@remove`` takes away; a plain value
assigns). A tag whose ``enforced_for`` or ``report_required_tag_for`` covers a resource type makes
that tag key required on resources of that type, with one of the ``tag_value`` values when the
policy lists any (a trailing ``*`` is a prefix wildcard, as in tag policies).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import Inventory, Resource, Severity

POLICY_TYPE = "AWS::Organizations::Policy"
TAGS_UNKNOWN_KEY = "TagsUnknown"

# Tag-policy resource type (service:type) of the resource types this check reads.
TAG_POLICY_TYPES: dict[str, str] = {
    "AWS::S3::Bucket": "s3:bucket",
    "AWS::KMS::Key": "kms:key",
    "AWS::CloudFront::Distribution": "cloudfront:distribution",
}
_NOUNS = {
    "AWS::S3::Bucket": "Bucket",
    "AWS::KMS::Key": "KMS key",
    "AWS::CloudFront::Distribution": "Distribution",
}
_FIELDS = ("tag_key", "tag_value", "enforced_for", "report_required_tag_for")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]


def _apply(current: Any, spec: Any, field: str) -> Any:
    """Apply one policy's value for ``field`` (with inheritance operators) to the inherited one."""
    if not isinstance(spec, Mapping):
        return spec if field == "tag_key" else _as_list(spec)
    if "@@assign" in spec:
        value = spec["@@assign"]
        return str(value) if field == "tag_key" else _as_list(value)
    if field == "tag_key":
        return current
    out = list(current or [])
    out.extend(v for v in _as_list(spec.get("@@append")) if v not in out)
    removed = set(_as_list(spec.get("@@remove")))
    return [v for v in out if v not in removed]


def _attached(policy: Resource, targets: set[str]) -> bool:
    return any(str(t.get("targetId")) in targets for t in policy.configuration.get("targets") or ())


def effective_requirements(inventory: Inventory, account_id: str) -> dict[str, dict[str, Any]] | None:
    """Merged tag rules for the account: {policy tag name: {tag_key, tag_value, enforced_for,
    report_required_tag_for}}; ``None`` when it cannot be known (no tag policies collected, or
    the account's place in the organization is unknown)."""
    policies = [
        p
        for p in inventory.by_type(POLICY_TYPE)
        if (p.configuration.get("type") or (p.configuration.get("policySummary") or {}).get("type"))
        == "TAG_POLICY"
    ]
    acct = inventory.accounts.get(account_id)
    if not policies or acct is None:
        return None
    levels = [*acct.parent_ids, account_id]
    merged: dict[str, dict[str, Any]] = {}
    for level in levels:
        for p in policies:
            if not _attached(p, {level}):
                continue
            content = p.configuration.get("content")
            if not isinstance(content, Mapping):
                if p.configuration.get("contentError"):
                    return None
                continue
            for name, rule in (content.get("tags") or {}).items():
                if not isinstance(rule, Mapping):
                    continue
                entry = merged.setdefault(str(name).lower(), {"tag_key": str(name)})
                for field in _FIELDS:
                    if field in rule:
                        entry[field] = _apply(entry.get(field), rule[field], field)
    return merged


def _covers(types: list[str], tag_type: str) -> bool:
    service = tag_type.split(":", 1)[0]
    return any(t == tag_type or t in (f"{service}:ALL_SUPPORTED", f"{service}:*") for t in types)


def _value_ok(value: str, allowed: list[str]) -> bool:
    return any(a == value or (a.endswith("*") and value.startswith(a[:-1])) for a in allowed)


@register
class DataClassificationTag(Check):
    id = "aws.tagging.data-classification"
    title = "Resources carry the tags the organization's tag policies require"
    severity = Severity.MEDIUM
    resource_types = tuple(TAG_POLICY_TYPES)
    reads = (POLICY_TYPE,)
    wa = ("SEC07-BP01", "SEC07-BP02")
    risk = (
        "A resource without its required classification tag cannot be matched to the controls its "
        "data needs, and tag-based access rules skip it."
    )
    remediation = (
        "Tag the resource with the required key and one of the allowed values (e.g. DataClassification="
        "Confidential); enforce the tag at creation with the tag policy and an SCP on aws:RequestTag."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        tag_type = TAG_POLICY_TYPES[resource.resource_type]
        if resource.supplementary.get(TAGS_UNKNOWN_KEY):
            return
        rules = effective_requirements(ctx.inventory, resource.account_id)
        if not rules:
            return
        required = [
            r
            for r in rules.values()
            if _covers(_as_list(r.get("enforced_for")) + _as_list(r.get("report_required_tag_for")), tag_type)
        ]
        if not required:
            return
        name = f"{_NOUNS.get(resource.resource_type, resource.resource_type)} '{resource.display_name}'"
        problems: list[dict[str, Any]] = []
        for rule in required:
            key = str(rule["tag_key"])
            allowed = _as_list(rule.get("tag_value"))
            if key in resource.tags:
                value = resource.tags[key]
                if allowed and not _value_ok(value, allowed):
                    problems.append({"key": key, "value": value, "allowed": allowed, "problem": "value"})
                continue
            wrong_case = next((k for k in resource.tags if k.lower() == key.lower()), None)
            problem = "capitalization" if wrong_case else "missing"
            problems.append({"key": key, "found": wrong_case, "allowed": allowed, "problem": problem})
        if not problems:
            keys = ", ".join(f"{r['tag_key']}={resource.tags[str(r['tag_key'])]}" for r in required)
            yield self.passed(f"{name} carries the required tag(s) {keys}.")
            return
        parts = []
        for p in problems:
            allowed_txt = f" (allowed: {', '.join(p['allowed'])})" if p["allowed"] else ""
            if p["problem"] == "missing":
                parts.append(f"no '{p['key']}' tag{allowed_txt}")
            elif p["problem"] == "capitalization":
                parts.append(f"tag '{p['found']}' instead of '{p['key']}'")
            else:
                parts.append(f"'{p['key']}={p['value']}' is not an allowed value{allowed_txt}")
        yield self.failed(
            f"{name} has {'; '.join(parts)}, which the organization's tag policy requires: "
            "its data cannot be classified, so the controls for that class are not applied to it.",
            problems=problems,
        )
