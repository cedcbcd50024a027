"""The least-privilege IAM policy a scan needs, from what the collectors declare (pure).

Every collector states the IAM actions its fetch calls (``Collector.permissions``); the checks
state the resource types they read. A scan runs the collectors producing those types, plus the
organization fan-out (``aws.org``): so the policy for a set of checks is the union of the
actions of exactly those collectors and of discovery, grouped into one statement per service,
actions sorted. ``secpillar permissions`` prints it; ``tests/functional/test_permissions.py``
proves it complete by scanning the sandbox under a role holding only this policy.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from secpillar.aws.org import DEFAULT_ROLE, ORG_PERMISSIONS, REGION_PERMISSIONS
from secpillar.checks.registry import Check
from secpillar.collect.base import Collector, CollectorRegistry

POLICY_VERSION = "2012-10-17"
MANAGED_POLICY_LIMIT = 6144
"""IAM's quota on a customer managed policy, in characters without whitespace."""
SECURITY_HUB_IMPORT = "securityhub:BatchImportFindings"


def collectors_for(checks: Iterable[Check], registry: CollectorRegistry) -> list[Collector]:
    """The collectors a scan of ``checks`` runs (the same rule as ``scan.run_scan``)."""
    needed = {t for c in checks for t in (*c.resource_types, *c.reads)}
    return registry.for_types(needed) if needed else []


@dataclass
class ScannerPermissions:
    """Each IAM action with why it is needed (the collectors or fan-out steps calling it)."""

    reasons: dict[str, set[str]] = field(default_factory=dict)
    assume_role_arn: str | None = None
    partition: str = "aws"

    def add(self, action: str, reason: str) -> None:
        self.reasons.setdefault(action, set()).add(reason)

    @property
    def actions(self) -> list[str]:
        return sorted(self.reasons, key=_action_key)

    def by_service(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = defaultdict(list)
        for action in self.actions:
            out[action.split(":", 1)[0]].append(action)
        return dict(sorted(out.items()))

    def policy(self) -> dict[str, Any]:
        """The IAM policy document: one Allow statement per service (actions sorted, on every
        resource: a scan reads everything of a kind), and ``sts:AssumeRole`` on the audit role
        of the member accounts."""
        statements: list[dict[str, Any]] = [
            {"Sid": f"Read{_sid(service)}", "Effect": "Allow", "Action": actions, "Resource": "*"}
            for service, actions in self.by_service().items()
        ]
        if self.assume_role_arn:
            statements.append(
                {
                    "Sid": "AssumeAuditRoleInMemberAccounts",
                    "Effect": "Allow",
                    "Action": ["sts:AssumeRole"],
                    "Resource": self.assume_role_arn,
                }
            )
        return {"Version": POLICY_VERSION, "Statement": statements}

    def policy_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.policy(), indent=indent) + ("\n" if indent else "")

    @property
    def size(self) -> int:
        """Characters of the policy without whitespace (what IAM's size quota counts)."""
        return len(re.sub(r"\s", "", json.dumps(self.policy(), separators=(",", ":"))))


def scanner_permissions(
    checks: Sequence[Check],
    registry: CollectorRegistry,
    *,
    org: bool = True,
    role: str = DEFAULT_ROLE,
    regions_given: bool = False,
    security_hub: bool = False,
    partition: str = "aws",
) -> ScannerPermissions:
    """The actions a scan of ``checks`` calls: its collectors' declared permissions, the
    organization fan-out (``org``: list the accounts, assume ``role`` in each), region discovery
    (unless ``regions_given``) and the Security Hub import (``security_hub``)."""
    out = ScannerPermissions(partition=partition)
    for collector in collectors_for(checks, registry):
        for action in collector.permissions:
            out.add(action, f"collector {collector.id}")
    if not regions_given:
        for action in REGION_PERMISSIONS:
            out.add(action, "region discovery (not needed with --regions)")
    if org:
        for action in ORG_PERMISSIONS:
            out.add(action, "organization fan-out (list the accounts)")
        out.assume_role_arn = f"arn:{partition}:iam::*:role/{role}"
    if security_hub:
        out.add(SECURITY_HUB_IMPORT, "--security-hub import")
    return out


def _action_key(action: str) -> tuple[str, str]:
    service, _, name = action.partition(":")
    return service.lower(), name.lower()


def _sid(service: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", service) if part)
