"""SARIF 2.1.0 (OASIS) for code scanning: one rule per registered check, one result per FAIL.

GitHub code scanning reads ``runs[].tool.driver.rules`` (``id``, ``shortDescription``,
``fullDescription``, ``help``, ``properties.tags``, ``properties.security-severity``) and
``results`` with a ``physicalLocation`` (``artifactLocation.uri`` relative to the repository root,
``region.startLine``); MUTED findings are results with ``suppressions``. ``level`` follows the
severity (critical/high -> error, medium -> warning, low/informational -> note);
``security-severity`` is the CVSS-like score GitHub sorts by.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from secpillar import __version__
from secpillar.checks.frameworks import CIS, FSBP
from secpillar.checks.registry import Check
from secpillar.model import Finding, Severity, Status

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/secpillar/secpillar"

LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFORMATIONAL: "note",
}
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFORMATIONAL: "1.0",
}


def rule(check: Check) -> dict[str, Any]:
    frameworks = {k: list(v) for k, v in ((CIS, check.cis), (FSBP, check.fsbp)) if v}
    help_text = f"{check.risk}\n\nRemediation: {check.remediation}\n\nWell-Architected: {', '.join(check.wa)}"
    tags = ["security", *check.wa, *(f"{k}:{i}" for k, ids in frameworks.items() for i in ids)]
    return {
        "id": check.id,
        "name": "".join(p.title() for p in check.id.replace("-", ".").split(".")),
        "shortDescription": {"text": check.title},
        "fullDescription": {"text": check.risk},
        "help": {"text": help_text, "markdown": help_text.replace("\n\n", "\n\n")},
        "defaultConfiguration": {"level": LEVEL[check.severity]},
        "properties": {
            "tags": tags,
            "precision": "high",
            "problem.severity": LEVEL[check.severity],
            "security-severity": SECURITY_SEVERITY[check.severity],
            "severity": check.severity.value,
            "wa": list(check.wa),
            "frameworks": frameworks,
        },
    }


def adhoc_rule(f: Finding) -> dict[str, Any]:
    """A rule for a finding whose check is not registered (a user's Rego rule)."""
    return {
        "id": f.check_id,
        "name": "".join(p.title() for p in f.check_id.replace("-", ".").replace("_", ".").split(".")),
        "shortDescription": {"text": f.title},
        "defaultConfiguration": {"level": LEVEL[f.severity]},
        "properties": {
            "tags": ["security", "rego"],
            "security-severity": SECURITY_SEVERITY[f.severity],
            "severity": f.severity.value,
        },
    }


def _uri(file: str, base: str | None) -> str:
    path = Path(file)
    if base is not None:
        try:
            rel = os.path.relpath(path.resolve(), Path(base).resolve())
            if not rel.startswith(".."):
                return Path(rel).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def sarif_log(
    findings: Iterable[Finding],
    checks: Iterable[Check],
    base_dir: str | None = None,
    addresses: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The SARIF log: rules for ``checks`` (and for unregistered rules such as users' Rego),
    results for the FAIL findings and, as suppressed results, the MUTED ones (paths relative to
    ``base_dir``, normally the repository root)."""
    rules = [rule(c) for c in checks]
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for f in findings:
        if f.status not in (Status.FAIL, Status.MUTED):
            continue
        if f.check_id not in index:  # a rule that is not a registered check (users' Rego)
            index[f.check_id] = len(rules)
            rules.append(adhoc_rule(f))
        loc = f.location or {}
        result: dict[str, Any] = {
            "ruleId": f.check_id,
            "ruleIndex": index[f.check_id],
            "level": LEVEL[f.severity],
            "message": {"text": f.message},
            "partialFingerprints": {"secpillarFindingId/v1": f.finding_id},
            "properties": {"resource": f.resource.arn, "resourceType": f.resource.type},
        }
        mute = f.evidence.get("mute") if f.status is Status.MUTED else None
        if isinstance(mute, dict):
            # A muted finding is reported as suppressed (GitHub shows it as dismissed).
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{mute.get('reason')} (owner {mute.get('owner')}, "
                    f"until {mute.get('expires')})",
                }
            ]
        address = (addresses or {}).get(f.resource.arn) or (f.location or {}).get("address")
        if address:
            result["properties"]["address"] = address
        if loc.get("file"):
            result["locations"] = [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(str(loc["file"]), base_dir)},
                        "region": {"startLine": max(int(loc.get("line") or 1), 1)},
                    },
                    **({"logicalLocations": [{"name": address, "kind": "resource"}]} if address else {}),
                }
            ]
        results.append(result)
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "secpillar",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules,
                    }
                },
                "results": results,
                "columnKind": "utf16CodeUnits",
            }
        ],
    }


def sarif_json(
    findings: Iterable[Finding],
    checks: Iterable[Check],
    base_dir: str | None = None,
    addresses: dict[str, str] | None = None,
) -> str:
    return json.dumps(sarif_log(findings, checks, base_dir, addresses), indent=2)
