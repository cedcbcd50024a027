"""The change store: every change a response action planned or made, with the prior state it saved.

A local directory, readable by its owner only (``0700``; files ``0600``)::

    STATE/
      changes/<CHANGE_ID>.json   one JSON document per change, replaced atomically on each transition
      changes.log                append-only JSON Lines: every transition of every change, in order
      baseline/<kind>/<key>.json known-good snapshots (``respond baseline``), e.g. bucket policies
      exemptions.json            (action, target) pairs a rollback exempted from automatic re-remediation
      processed.db               the worker's processed-events store (see :mod:`secpillar.respond.worker`)

The directory is ``--state DIR``, else ``$SECPILLAR_RESPOND_STATE``, else ``.secpillar/respond``.
Change ids are derived from (event id, rule, action, target), so a redelivered event finds the
change it already made instead of making it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError

ENV_STATE = "SECPILLAR_RESPOND_STATE"
DEFAULT_STATE = Path(".secpillar") / "respond"

# Statuses a change ends in; a redelivered event reuses such a change instead of acting again.
FINAL = frozenset({"dry-run", "noop", "skipped", "applied", "failed", "rolled-back", "sent"})
STATUSES = FINAL | {"planned", "applying", "error", "rollback-failed"}


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def state_dir(explicit: Path | None = None) -> Path:
    """The state directory: the option, else ``$SECPILLAR_RESPOND_STATE``, else ``.secpillar/respond``."""
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_STATE)
    return Path(env) if env else DEFAULT_STATE


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it owner-only (``0700``)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (temp file + rename) with mode ``0600``."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def append_private(path: Path, line: str) -> None:
    """Append one line (``O_APPEND``, ``0600``) and flush it to disk."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line.rstrip("\n") + "\n").encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def is_private(path: Path) -> bool:
    """Whether group and others have no access to ``path``."""
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def target_key(target: Mapping[str, Any]) -> str:
    return json.dumps(dict(target), sort_keys=True, separators=(",", ":"))


def change_id(event_id: str, rule: str, action: str, target: Mapping[str, Any], mode: str = "apply") -> str:
    """Stable id of the change one rule's action makes on one target for one event, in one mode
    (a dry-run plan and the applied change of the same event are two changes)."""
    raw = "\x1f".join((event_id, rule, action, target_key(target), mode))
    return "chg-" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:20]


@dataclass
class Change:
    """One action on one target: what it will do (or did), and the prior state saved to undo it."""

    id: str
    action: str
    target: dict[str, Any]
    description: str
    rule: str = ""
    event_id: str = ""
    event: dict[str, Any] = field(default_factory=dict)
    """A summary of the triggering event: name, source, actor, time, source IP."""
    prior: dict[str, Any] = field(default_factory=dict)
    desired: dict[str, Any] = field(default_factory=dict)
    mode: str = "dry-run"
    status: str = "planned"
    reversible: bool = True
    reason: str = ""
    error: str = ""
    created: str = field(default_factory=now_iso)
    updated: str = ""
    history: list[dict[str, str]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Change:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})

    @property
    def rollback_command(self) -> str:
        return f"secpillar respond rollback {self.id}"


class ChangeStore:
    """Changes, baselines and exemptions in one owner-only directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.changes_dir = root / "changes"
        self.log_path = root / "changes.log"

    def init(self) -> ChangeStore:
        ensure_private_dir(self.root)
        ensure_private_dir(self.changes_dir)
        return self

    # changes ---------------------------------------------------------------------------------
    def save(self, change: Change, status: str | None = None, note: str = "") -> Change:
        """Record a transition: write the change's document and append it to the log."""
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"unknown change status {status!r}")
            change.status = status
        change.updated = now_iso()
        step = {"at": change.updated, "status": change.status}
        if note:
            step["note"] = note
        change.history.append(step)
        self.init()
        write_private(self.changes_dir / f"{change.id}.json", json.dumps(change.to_dict(), indent=1))
        entry = {
            "at": change.updated,
            "change": change.id,
            "status": change.status,
            "action": change.action,
            "rule": change.rule,
            "event_id": change.event_id,
            "target": change.target,
        }
        if note:
            entry["note"] = note
        append_private(self.log_path, json.dumps(entry, sort_keys=True))
        return change

    def get(self, cid: str) -> Change | None:
        if not cid.replace("-", "").isalnum():
            raise UsageError(f"not a change id: {cid!r}")
        path = self.changes_dir / f"{cid}.json"
        try:
            return Change.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None

    def require(self, cid: str) -> Change:
        change = self.get(cid)
        if change is None:
            raise UsageError(f"no change {cid!r} in {self.root} (see `secpillar respond changes`)")
        return change

    def all(self) -> list[Change]:
        if not self.changes_dir.is_dir():
            return []
        out = []
        for path in self.changes_dir.glob("chg-*.json"):
            with contextlib.suppress(ValueError, OSError):
                out.append(Change.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        return sorted(out, key=lambda c: (c.created, c.id))

    def log(self) -> Iterator[dict[str, Any]]:
        """The append-only log, oldest first (a torn last line after a crash is skipped)."""
        if not self.log_path.exists():
            return
        with self.log_path.open(encoding="utf-8") as fh:
            for line in fh:
                with contextlib.suppress(json.JSONDecodeError):
                    yield json.loads(line)

    # baselines ---------------------------------------------------------------------------------
    def _baseline_path(self, kind: str, key: str) -> Path:
        safe = hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]
        return self.root / "baseline" / kind / f"{safe}.json"

    def save_baseline(self, kind: str, key: str, value: Mapping[str, Any]) -> None:
        path = self._baseline_path(kind, key)
        ensure_private_dir(self.root)
        ensure_private_dir(path.parent.parent)
        ensure_private_dir(path.parent)
        doc = {"kind": kind, "key": key, "taken": now_iso(), "value": dict(value)}
        write_private(path, json.dumps(doc, indent=1))

    def baseline(self, kind: str, key: str) -> dict[str, Any] | None:
        """``{"kind", "key", "taken", "value"}`` or None when no snapshot was taken."""
        try:
            data: dict[str, Any] = json.loads(self._baseline_path(kind, key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        return data

    # exemptions -----------------------------------------------------------------------------------
    def _exemptions(self) -> dict[str, str]:
        path = self.root / "exemptions.json"
        try:
            data: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        return data

    def exempt(self, action: str, target: Mapping[str, Any], until: datetime) -> None:
        """Do not let ``action`` act again on ``target`` automatically before ``until``."""
        data = self._exemptions()
        data[f"{action} {target_key(target)}"] = until.astimezone(UTC).isoformat()
        self.init()
        write_private(self.root / "exemptions.json", json.dumps(data, indent=1, sort_keys=True))

    def exempt_until(self, action: str, target: Mapping[str, Any], now: datetime | None = None) -> str:
        """The end of an active exemption of (action, target), or ``""``."""
        until = self._exemptions().get(f"{action} {target_key(target)}")
        if until and datetime.fromisoformat(until) > (now or datetime.now(UTC)):
            return until
        return ""
