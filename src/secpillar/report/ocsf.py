"""OCSF 1.1 Compliance Finding (class 2003) events, one per finding, as a JSON array.

Field names follow the OCSF schema's Findings category (``category_uid`` 2): the base event
(``time``, ``severity_id``, ``status_id``, ``metadata``, ``cloud``, ``unmapped``), the Compliance
Finding class (``compliance``, ``resources``, ``remediation``) and the ``finding_info`` object.
``type_uid`` is ``class_uid * 100 + activity_id`` (200301: Create). Enumerations used:

- ``status_id`` (finding status): 1 New, 3 Suppressed (MUTED);
- ``compliance.status_id``: 1 Pass, 3 Fail, 99 Other (ERROR);
- ``severity_id``: 1 Informational … 5 Critical.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from secpillar import __version__
from secpillar.checks.frameworks import CIS, FSBP, wa_title
from secpillar.model import Finding, Status

OCSF_VERSION = "1.1.0"
CLASS_UID = 2003
CATEGORY_UID = 2
ACTIVITY_CREATE = 1

FINDING_STATUS = {Status.MUTED: (3, "Suppressed")}
COMPLIANCE_STATUS = {
    Status.PASS: (1, "Pass"),
    Status.FAIL: (3, "Fail"),
    Status.MUTED: (3, "Fail"),
    Status.ERROR: (99, "Other"),
}
STANDARDS = {
    "wa": "AWS Well-Architected Framework Security Pillar",
    CIS: "CIS AWS Foundations Benchmark v5.0.0",
    FSBP: "AWS Foundational Security Best Practices v1.0.0",
}


def _epoch_ms(text: str) -> int:
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00")) if text else datetime.now(UTC)
    except ValueError:
        when = datetime.now(UTC)
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def _partition(arn: str) -> str:
    parts = arn.split(":")
    return parts[1] if len(parts) > 2 and parts[0] == "arn" else "aws"


def ocsf_event(f: Finding, account_names: Mapping[str, str] | None = None) -> dict[str, Any]:
    status_id, status = FINDING_STATUS.get(f.status, (1, "New"))
    comp_id, comp = COMPLIANCE_STATUS[f.status]
    requirements = [*f.wa, *(f"{k}:{v}" for k, ids in f.frameworks.items() for v in ids)]
    standards = [STANDARDS["wa"]] if f.wa else []
    standards += [STANDARDS.get(k, k) for k, ids in f.frameworks.items() if ids]
    ms = _epoch_ms(f.time)
    account = {"uid": f.resource.account, "type": "AWS Account", "type_id": 10}
    name = (account_names or {}).get(f.resource.account)
    if name:
        account["name"] = name
    return {
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Compliance Finding",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "type_name": "Compliance Finding: Create",
        "time": ms,
        "severity_id": f.severity.ocsf_id,
        "severity": f.severity.value.capitalize(),
        "status_id": status_id,
        "status": status,
        "status_code": f.status.value,
        "status_detail": f.message,
        "message": f.message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {
                "name": "secpillar",
                "vendor_name": "secpillar",
                "version": __version__,
                "uid": "secpillar",
            },
            "event_code": f.check_id,
            "profiles": ["cloud"],
            "uid": f.finding_id,
        },
        "cloud": {"provider": "AWS", "region": f.resource.region, "account": account},
        "finding_info": {
            "uid": f.finding_id,
            "title": f.title,
            "desc": f.message,
            "types": ["Software and Configuration Checks"],
            "created_time": ms,
            "first_seen_time": ms,
            "last_seen_time": ms,
        },
        "compliance": {
            "control": f.check_id,
            "requirements": requirements,
            "standards": standards,
            "status_id": comp_id,
            "status": comp,
            "status_code": f.status.value,
            "status_detail": f.message,
        },
        "resources": [
            {
                "uid": f.resource.arn,
                "name": f.resource.name or f.resource.arn,
                "type": f.resource.type,
                "region": f.resource.region,
                "cloud_partition": _partition(f.resource.arn),
                "labels": [f"{k}={v}" for k, v in f.resource.tags.items()],
                "data": {"tags": dict(f.resource.tags)},
            }
        ],
        "remediation": {"desc": f.remediation, "references": []},
        "unmapped": {
            "secpillar": {
                "check_id": f.check_id,
                "source": f.source,
                "wa": [{"id": bp, "title": wa_title(bp)} for bp in f.wa],
                "frameworks": {k: list(v) for k, v in f.frameworks.items()},
                "evidence": dict(f.evidence),
            }
        },
    }


def ocsf_events(
    findings: Iterable[Finding], account_names: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    return [ocsf_event(f, account_names) for f in findings]


def ocsf_json(findings: Iterable[Finding], account_names: Mapping[str, str] | None = None) -> str:
    return json.dumps(ocsf_events(findings, account_names), indent=2, default=str) + "\n"
