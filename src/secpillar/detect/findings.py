"""Alerts as OCSF Detection Findings (class 2004), and their rows in the lake's ``findings`` table.

The lake keeps findings as Parquet under ``<lake>/findings/`` (one file per run that found
something new; files are written under a temporary name and renamed, so a reader never sees half a
file). Columns (:data:`FINDINGS_SCHEMA`): ``finding_uid`` (stable: detection id + event ids),
``class_uid`` 2004, ``detection_id``, ``title``, ``severity``, ``severity_id``, ``finding_type``
(the GuardDuty type where one exists, else the detection id), ``attack_tactic``,
``attack_techniques``, ``wa``, ``event_ids``, ``principal``, ``source_ip``, ``account``, ``region``,
``resource``, ``first_seen``, ``last_seen``, ``event_count``, ``detail``, ``source``
(``detection`` or ``sigma``), ``detected_at`` and ``ocsf`` (the whole finding as JSON text).
A finding already in the table (same ``finding_uid``) is not written again.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from secpillar import __version__
from secpillar.detect.runner import Alert

OCSF_VERSION = "1.3.0"
CLASS_UID = 2004
ACTIVITY_CREATE = 1

FINDINGS_SCHEMA = pa.schema(
    [
        ("finding_uid", pa.string()),
        ("class_uid", pa.int32()),
        ("detection_id", pa.string()),
        ("title", pa.string()),
        ("severity", pa.string()),
        ("severity_id", pa.int32()),
        ("finding_type", pa.string()),
        ("attack_tactic", pa.string()),
        ("attack_techniques", pa.list_(pa.string())),
        ("wa", pa.list_(pa.string())),
        ("event_ids", pa.list_(pa.string())),
        ("principal", pa.string()),
        ("source_ip", pa.string()),
        ("account", pa.string()),
        ("region", pa.string()),
        ("resource", pa.string()),
        ("first_seen", pa.timestamp("us", tz="UTC")),
        ("last_seen", pa.timestamp("us", tz="UTC")),
        ("event_count", pa.int64()),
        ("detail", pa.string()),
        ("source", pa.string()),
        ("detected_at", pa.timestamp("us", tz="UTC")),
        ("ocsf", pa.string()),
    ]
)


def _ms(value: datetime | None) -> int | None:
    return None if value is None else int(value.timestamp() * 1000)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def finding_type(alert: Alert) -> str:
    return alert.guardduty or alert.detection_id


def to_ocsf(alert: Alert, detected_at: datetime | None = None) -> dict[str, Any]:
    """The alert as an OCSF Detection Finding (class_uid 2004, activity Create)."""
    now = detected_at or datetime.now(UTC)
    attacks = [{"technique": {"uid": t}, "tactic": {"name": alert.tactic}} for t in alert.attack]
    return {
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "category_uid": 2,
        "category_name": "Findings",
        "activity_id": ACTIVITY_CREATE,
        "activity_name": "Create",
        "type_uid": CLASS_UID * 100 + ACTIVITY_CREATE,
        "time": _ms(now),
        "severity_id": alert.severity.ocsf_id,
        "severity": alert.severity.value.capitalize(),
        "status_id": 1,
        "status": "New",
        "message": alert.detail or alert.title,
        "finding_type": finding_type(alert),
        "finding_info": {
            "uid": alert.uid,
            "title": alert.title,
            "desc": alert.detail,
            "types": [finding_type(alert)],
            "analytic": {"uid": alert.detection_id, "name": alert.title, "type_id": 1, "type": "Rule"},
            "first_seen_time": _ms(alert.first_seen),
            "last_seen_time": _ms(alert.last_seen),
            "attacks": attacks,
        },
        "attack": {"tactic": alert.tactic, "techniques": list(alert.attack)},
        "event_ids": list(alert.event_ids),
        "count": alert.count,
        "first_seen": _iso(alert.first_seen),
        "last_seen": _iso(alert.last_seen),
        "actor": {"user": {"uid": alert.principal, "name": alert.principal}},
        "principal": alert.principal,
        "src_endpoint": {"ip": alert.source_ip},
        "source_ip": alert.source_ip,
        "cloud": {"provider": "AWS", "account": {"uid": alert.account}, "region": alert.region},
        "resources": [{"uid": alert.resource}] if alert.resource else [],
        "check_id": alert.detection_id,
        "title": alert.title,
        "wa": list(alert.wa),
        "source": "logs",
        "evidence": {"event_ids": list(alert.event_ids), "source": alert.source},
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "secpillar", "vendor_name": "secpillar", "version": __version__},
        },
    }


def to_row(alert: Alert, detected_at: datetime) -> dict[str, Any]:
    return {
        "finding_uid": alert.uid,
        "class_uid": CLASS_UID,
        "detection_id": alert.detection_id,
        "title": alert.title,
        "severity": alert.severity.value,
        "severity_id": alert.severity.ocsf_id,
        "finding_type": finding_type(alert),
        "attack_tactic": alert.tactic,
        "attack_techniques": list(alert.attack),
        "wa": list(alert.wa),
        "event_ids": list(alert.event_ids),
        "principal": alert.principal,
        "source_ip": alert.source_ip,
        "account": alert.account,
        "region": alert.region,
        "resource": alert.resource,
        "first_seen": alert.first_seen,
        "last_seen": alert.last_seen,
        "event_count": alert.count,
        "detail": alert.detail,
        "source": "sigma" if alert.source == "sigma" else "detection",
        "detected_at": detected_at,
        "ocsf": json.dumps(to_ocsf(alert, detected_at), sort_keys=True),
    }


def existing_uids(findings_dir: Path) -> set[str]:
    """The ``finding_uid`` values already stored under ``findings_dir``."""
    uids: set[str] = set()
    for path in sorted(findings_dir.glob("*.parquet")):
        table = pq.read_table(path, columns=["finding_uid"])
        uids.update(str(u) for u in table.column("finding_uid").to_pylist())
    return uids


def write_findings(
    lake: Path, alerts: Sequence[Alert], detected_at: datetime | None = None
) -> tuple[Path | None, int]:
    """Append the alerts not yet in ``<lake>/findings/``; returns (file written or None, rows)."""
    findings_dir = lake / "findings"
    findings_dir.mkdir(parents=True, exist_ok=True)
    seen = existing_uids(findings_dir)
    now = detected_at or datetime.now(UTC)
    rows, uids = [], set()
    for alert in alerts:
        if alert.uid in seen or alert.uid in uids:
            continue
        uids.add(alert.uid)
        rows.append(to_row(alert, now))
    if not rows:
        return None, 0
    name = f"detect-{now.strftime('%Y%m%dT%H%M%SZ')}-{uuid.uuid4().hex[:8]}.parquet"
    final = findings_dir / name
    tmp = findings_dir / f".{name}.tmp"
    pq.write_table(pa.Table.from_pylist(rows, schema=FINDINGS_SCHEMA), tmp)
    os.replace(tmp, final)
    return final, len(rows)
