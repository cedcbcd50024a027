"""Look-ups in the log lake's CloudTrail history for the actions (last known good states)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import duckdb


def prior_bucket_policy(lake: Path, bucket: str, event: Mapping[str, Any]) -> tuple[str | None, str] | None:
    """The policy the last successful PutBucketPolicy/DeleteBucketPolicy of ``bucket`` set before
    ``event`` (``(policy or None, time)``), or None when the lake has no such call (or no lake)."""
    try:
        from secpillar.lake import store as lake_store
    except ImportError:
        return None
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    before = str((detail or {}).get("eventTime") or event.get("time") or "")
    own_id = str((detail or {}).get("eventID") or "")
    con = lake_store.connect(lake)
    try:
        rows = con.execute(
            "SELECT eventname, eventtime, requestparameters, eventid FROM cloudtrail "
            "WHERE eventsource = 's3.amazonaws.com' "
            "AND eventname IN ('PutBucketPolicy', 'DeleteBucketPolicy') "
            "AND (errorcode IS NULL OR errorcode = '') AND eventtime < ? "
            "AND (requestparameters LIKE ?) "
            "ORDER BY eventtime DESC LIMIT 200",
            [before, f"%{bucket}%"],
        ).fetchall()
    except duckdb.Error:  # a lake without the view or columns answers 'unknown'
        return None
    finally:
        con.close()
    for name, when, params, eid in rows:
        if eid == own_id:
            continue
        rp = json.loads(params) if isinstance(params, str) else params
        if not isinstance(rp, dict) or rp.get("bucketName") != bucket:
            continue
        if name == "DeleteBucketPolicy":
            return None, str(when)
        policy = rp.get("bucketPolicy")
        if isinstance(policy, dict | list):
            return json.dumps(policy), str(when)
        if isinstance(policy, str):
            return policy, str(when)
    return None
