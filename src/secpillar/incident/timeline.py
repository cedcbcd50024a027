"""An incident's timeline: what its principals, IP addresses and resources did (the lake's
``cloudtrail`` view), the alerts about them (``findings``) and the response actions taken (the
respond change store), merged in chronological order."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError
from secpillar.respond.changes import Change, ChangeStore

# Request parameters that name the resource a CloudTrail call acts on (by service convention).
TARGET_KEYS = (
    "bucketName",
    "groupId",
    "instanceId",
    "userName",
    "roleName",
    "policyArn",
    "keyId",
    "name",
    "trailName",
    "functionName",
    "dBInstanceIdentifier",
    "secretId",
    "accessKeyId",
)


@dataclass(frozen=True)
class Scope:
    """Who and what an incident is about."""

    principals: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    since: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "principals": list(self.principals),
            "ips": list(self.ips),
            "resources": list(self.resources),
            "since": self.since,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Scope:
        return cls(
            tuple(d.get("principals", ())),
            tuple(d.get("ips", ())),
            tuple(d.get("resources", ())),
            d.get("since", ""),
        )

    def empty(self) -> bool:
        return not (self.principals or self.ips or self.resources)


def parse_since(text: str | None, now: datetime | None = None) -> str:
    """``24h``, ``7d``, ``30m`` or an ISO date/time -> ``YYYY-MM-DDTHH:MM:SSZ`` (CloudTrail's format)."""
    if not text:
        return ""
    now = now or datetime.now(UTC)
    m = re.fullmatch(r"(\d+)([mhd])", text.strip())
    if m:
        unit = {"m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
        return (now - timedelta(**{unit: int(m.group(1))})).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since: {text!r} is neither a duration (24h, 7d) nor an ISO date/time") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def resource_names(arn: str) -> list[str]:
    """What a CloudTrail record may call a resource: its ARN, and its name or id (``arn:aws:s3:::b``
    -> ``b``; ``…:security-group/sg-1`` -> ``sg-1``; ``…:user/path/alice`` -> ``alice``)."""
    out = [arn]
    if arn.startswith("arn:"):
        rest = arn.split(":", 5)[-1]
        name = rest.rsplit("/", 1)[-1] if "/" in rest else rest.rsplit(":", 1)[-1]
        if name:
            out.append(name)
    return list(dict.fromkeys(out))


def _role_of(session_arn: str) -> str:
    """``arn:aws:sts::1:assumed-role/R/s`` -> ``arn:aws:iam::1:role/R``."""
    m = re.match(r"^arn:(aws[a-z-]*):sts::(\d+):assumed-role/([^/]+)/", session_arn)
    return f"arn:{m.group(1)}:iam::{m.group(2)}:role/{m.group(3)}" if m else session_arn


@dataclass
class Timeline:
    items: list[dict[str, Any]] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)
    built_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"items": self.items, "sources": self.sources, "built_at": self.built_at}


def _json(text: Any) -> dict[str, Any]:
    if isinstance(text, str):
        try:
            v = json.loads(text)
        except json.JSONDecodeError:
            return {}
        return v if isinstance(v, dict) else {}
    return {}


def _target(params: Mapping[str, Any], resources: Iterable[Any]) -> str:
    for key in TARGET_KEYS:
        v = params.get(key)
        if isinstance(v, str) and v:
            return v
    for r in resources or ():
        if isinstance(r, dict) and r.get("arn"):
            return str(r["arn"])
    return ""


def cloudtrail_items(con: Any, scope: Scope) -> list[dict[str, Any]]:
    """Every CloudTrail call of the scope's principals, from its IPs, or on its resources."""
    conds, args = [], []
    if scope.principals:
        marks = ", ".join("?" for _ in scope.principals)
        conds.append(
            f"useridentity.arn IN ({marks}) OR useridentity.sessioncontext.sessionissuer.arn IN ({marks})"
        )
        args += list(scope.principals) * 2
    if scope.ips:
        conds.append(f"sourceipaddress IN ({', '.join('?' for _ in scope.ips)})")
        args += list(scope.ips)
    for arn in scope.resources:
        names = resource_names(arn)
        conds.append("list_contains(list_transform(resources, lambda r: r.arn), ?)")
        args.append(arn)
        for n in names[1:]:
            conds.append("requestparameters LIKE ? ESCAPE '\\'")
            args.append('%"' + n.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + '"%')
    where = " OR ".join(f"({c})" for c in conds) or "false"
    sql = (
        "SELECT eventtime, eventsource, eventname, useridentity.arn, useridentity.type, "
        "useridentity.sessioncontext.sessionissuer.arn, sourceipaddress, errorcode, requestparameters, "
        "eventid, awsregion, recipientaccountid, resources, readonly, useragent "
        f"FROM cloudtrail WHERE ({where})"
    )
    if scope.since:
        sql += " AND eventtime >= ?"
        args.append(scope.since)
    sql += " ORDER BY eventtime, eventid"
    items = []
    for row in con.execute(sql, args).fetchall():
        (at, source, name, arn, utype, issuer, ip, err, params, eid, region, account, resources, ro, ua) = row
        rp = _json(params)
        items.append(
            {
                "time": at,
                "kind": "api-call",
                "actor": arn or issuer or utype or "unknown",
                "what": f"{name} ({source})",
                "target": _target(rp, resources),
                "source_ip": ip or "",
                "outcome": err or "ok",
                "ref": eid or "",
                "account": account or "",
                "region": region or "",
                "read_only": str(ro).lower() == "true",
                "user_agent": ua or "",
                "event_name": name or "",
            }
        )
    return items


def finding_items(con: Any, scope: Scope) -> list[dict[str, Any]]:
    conds, args = [], []
    if scope.principals:
        marks = ", ".join("?" for _ in scope.principals)
        conds.append(f"principal IN ({marks})")
        args += list(scope.principals)
    if scope.ips:
        conds.append(f"source_ip IN ({', '.join('?' for _ in scope.ips)})")
        args += list(scope.ips)
    for arn in scope.resources:
        for n in resource_names(arn):
            conds.append("resource = ?")
            args.append(n)
    where = " OR ".join(f"({c})" for c in conds) or "false"
    sql = (
        "SELECT finding_uid, detection_id, title, severity, principal, source_ip, resource, "
        f"strftime(first_seen, '%Y-%m-%dT%H:%M:%SZ'), event_count, wa FROM findings "
        f"WHERE class_uid = 2004 AND ({where})"
    )
    if scope.since:
        sql += " AND strftime(last_seen, '%Y-%m-%dT%H:%M:%SZ') >= ?"
        args.append(scope.since)
    items = []
    for uid, det, title, sev, principal, ip, res, first, count, wa in con.execute(sql, args).fetchall():
        items.append(
            {
                "time": first or "",
                "kind": "alert",
                "actor": principal or "",
                "what": f"{title} [{det}]",
                "target": res or "",
                "source_ip": ip or "",
                "outcome": f"{sev} ({count} event(s))",
                "ref": uid,
                "severity": sev or "",
                "detection": det or "",
                "wa": list(wa or []),
            }
        )
    return items


def _change_matches(c: Change, scope: Scope) -> bool:
    ev = c.event or {}
    actor = str(ev.get("actor", ""))
    if actor and any(actor == p or _role_of(actor) == p for p in scope.principals):
        return True
    if ev.get("source_ip") and ev.get("source_ip") in scope.ips:
        return True
    names = {n for arn in scope.resources for n in resource_names(arn)}
    values = {str(v) for v in c.target.values()} | set(ev.get("resources") or [])
    return bool(names & values)


def change_items(store: ChangeStore, scope: Scope) -> list[dict[str, Any]]:
    items = []
    for c in store.all():
        if not _change_matches(c, scope):
            continue
        for step in c.history:
            status = step.get("status", "")
            if status in ("planned", "applying"):
                continue
            at = step.get("at", c.created)
            if scope.since and at < scope.since:
                continue
            items.append(
                {
                    "time": at,
                    "kind": "action",
                    "actor": "secpillar respond",
                    "what": f"{c.action}: {c.description}",
                    "target": " ".join(str(v) for k, v in c.target.items() if k not in ("account", "region")),
                    "source_ip": "",
                    "outcome": status,
                    "ref": c.id,
                    "rule": c.rule,
                    "mode": c.mode,
                    "action": c.action,
                    "reason": c.reason,
                    "error": c.error,
                }
            )
    return items


def build_timeline(scope: Scope, lake: Path | None, store: ChangeStore | None) -> Timeline:
    """Merge CloudTrail calls, alerts and response actions of the scope, oldest first."""
    if scope.empty():
        raise UsageError("an incident needs at least one --principal, --ip or --resource")
    items: list[dict[str, Any]] = []
    sources: dict[str, int] = {}
    if lake is not None:
        from secpillar.lake import store as lake_store

        con = lake_store.connect(lake)
        try:
            ct = cloudtrail_items(con, scope)
            fi = finding_items(con, scope)
        finally:
            con.close()
        items += ct + fi
        sources["cloudtrail"], sources["findings"] = len(ct), len(fi)
    if store is not None:
        ch = change_items(store, scope)
        items += ch
        sources["actions"] = len(ch)
    items.sort(key=lambda i: (_normal_time(str(i["time"])), i["kind"], str(i["ref"])))
    built = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Timeline(items, sources, built)


def _normal_time(value: str) -> str:
    """Sort key: ISO times with or without milliseconds compare as instants."""
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
