"""The content of a notification, built from the event, the rule and the changes it made."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secpillar.respond.changes import Change

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")

LABELS = {
    "applied": "APPLIED",
    "dry-run": "DRY-RUN, NOT APPLIED",
    "noop": "NOTHING TO DO",
    "skipped": "SKIPPED",
    "failed": "FAILED",
    "error": "FAILED (will retry)",
    "planned": "PLANNED",
    "applying": "APPLYING",
    "rolled-back": "ROLLED BACK",
}


def one_line(value: Any, limit: int = 300) -> str:
    """A value from an event as one safe line: control characters (CR/LF) replaced, shortened."""
    text = _CONTROL.sub(" ", str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class Notification:
    subject: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict)


def build_notification(
    event: Mapping[str, Any], rule: str, mode: str, changes: Sequence[Change]
) -> Notification:
    from secpillar.respond.actions.base import event_summary

    ev = event_summary(event)
    name = one_line(ev["name"] or "event", 120)
    target = ", ".join(one_line(_target_text(c.target), 120) for c in changes[:3]) or ", ".join(
        one_line(r, 120) for r in ev["resources"][:3]
    )
    applied = [c for c in changes if c.status == "applied"]
    dry = mode != "apply"
    state = "DRY-RUN" if dry else ("APPLIED" if applied else "NO CHANGE")
    subject = one_line(f"[secpillar] {state}: {rule}: {name}" + (f" on {target}" if target else ""), 180)

    lines = [f"secpillar respond: rule {one_line(rule)} fired (mode: {mode})", "", "What happened"]
    lines.append(f"  {name} ({one_line(ev['source'])}, {one_line(ev['detail_type'])})")
    lines.append(
        f"  account {one_line(ev['account'] or '?')}, region {one_line(ev['region'] or '?')}, "
        f"at {one_line(ev['time'] or '?')}"
    )
    if ev["error_code"]:
        lines.append(f"  the call failed: {one_line(ev['error_code'])}")
    for r in ev["resources"][:10]:
        lines.append(f"  resource {one_line(r)}")
    lines += ["", "Who did it", f"  {one_line(ev['actor'])}"]
    if ev["source_ip"]:
        lines.append(f"  from {one_line(ev['source_ip'])}")
    if ev["user_agent"]:
        lines.append(f"  user agent {one_line(ev['user_agent'], 200)}")
    lines += ["", "What was done" if not dry else "What would have been done (dry-run: nothing was changed)"]
    if not changes:
        lines.append("  nothing (the rule has no remediation actions)")
    for c in changes:
        label = LABELS.get(c.status, c.status.upper())
        verb = "would " if c.status == "dry-run" else ""
        lines.append(f"  [{label}] {c.action}: {verb}{one_line(c.description)}")
        if c.reason:
            lines.append(f"    {one_line(c.reason)}")
        if c.error:
            lines.append(f"    error: {one_line(c.error)}")
        lines.append(f"    change {c.id}")
    lines += ["", "How to roll back"]
    if applied:
        lines += [f"  {c.rollback_command}" for c in applied if c.reversible]
        lines.append("  (restores the state saved before the change; see `secpillar respond changes`)")
    elif dry:
        lines.append("  nothing was changed, so there is nothing to roll back.")
        lines.append("  To act automatically, set `mode: apply` on the rule.")
    else:
        lines.append("  nothing was changed, so there is nothing to roll back.")
    fields = {
        "rule": rule,
        "mode": mode,
        "event": ev,
        "changes": [
            {
                "id": c.id,
                "action": c.action,
                "status": c.status,
                "description": c.description,
                "rollback": c.rollback_command if c.status == "applied" and c.reversible else None,
            }
            for c in changes
        ],
    }
    return Notification(subject=subject, text="\n".join(lines) + "\n", fields=fields)


def _target_text(target: Mapping[str, Any]) -> str:
    keys = [k for k in target if k not in ("account", "region")]
    return " ".join(str(target[k]) for k in keys[:2])
