"""The mute list (``mutelist.yaml``): accepted risks, each with a reason, an owner and an expiry.

Shared by ``secpillar scan`` and ``secpillar iac`` and applied after evaluation. A FAIL that an
entry matches becomes MUTED and stays in the output, with the entry's reason, owner and expiry in
``evidence.mute``. An entry past its expiry date no longer mutes: the finding stays FAIL, its
message ends with "mute expired on DATE" and ``evidence.mute`` says ``expired: true``.

::

    mutes:
      - check: aws.s3.bucket-logging          # id or glob (aws.s3.*); a list is allowed
        accounts: ["111122223333"]            # optional; globs; default: every account
        regions: [us-east-1]                  # optional; globs
        resources: ["arn:aws:s3:::logs-*"]    # optional; ARN globs (iac: also Terraform addresses)
        tags: {Environment: sandbox}          # optional; every tag must match (value globs)
        reason: the log bucket cannot log to itself
        owner: platform-team@example.com
        expires: 2026-12-31                   # muted through this day (UTC), FAIL again after

Pure: no AWS, no printing. A malformed file raises :class:`~secpillar.errors.ValidationError`
naming the entry.
"""

from __future__ import annotations

import dataclasses
import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from secpillar.errors import UsageError, ValidationError
from secpillar.model import Finding, Status

_KEYS = {"check", "checks", "accounts", "regions", "resources", "tags", "reason", "owner", "expires"}
_REQUIRED = ("reason", "owner", "expires")


@dataclass(frozen=True)
class Mute:
    """One entry of the mute list."""

    index: int
    checks: tuple[str, ...]
    reason: str
    owner: str
    expires: date
    accounts: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    tags: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @property
    def label(self) -> str:
        return f"entry {self.index + 1} (check {', '.join(self.checks)})"

    def expired(self, today: date) -> bool:
        return today > self.expires

    def matches(self, finding: Finding, addresses: Iterable[str] = ()) -> bool:
        res = finding.resource
        if not _any_glob(self.checks, finding.check_id):
            return False
        if self.accounts and not _any_glob(self.accounts, res.account):
            return False
        if self.regions and not _any_glob(self.regions, res.region):
            return False
        if self.resources and not any(_any_glob(self.resources, n) for n in (res.arn, *addresses) if n):
            return False
        for key, pattern in self.tags.items():
            value = res.tags.get(key)
            if value is None or not fnmatch.fnmatchcase(value, pattern):
                return False
        return True

    def to_evidence(self, today: date) -> dict[str, Any]:
        return {
            "entry": self.index + 1,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "expired": self.expired(today),
        }


@dataclass(frozen=True)
class MuteList:
    mutes: tuple[Mute, ...]
    path: str = ""

    def __len__(self) -> int:
        return len(self.mutes)


def _any_glob(patterns: Sequence[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str | int):
        value = [value]
    if not isinstance(value, list) or not value:
        raise ValidationError(f"{key} must be a string or a non-empty list of strings", where)
    out = []
    for v in value:
        if not isinstance(v, str | int) or isinstance(v, bool) or not str(v).strip():
            raise ValidationError(f"{key} holds {v!r}, not a string", where)
        out.append(str(v).strip())
    return tuple(out)


def _date(value: Any, where: str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValidationError(f"expires must be a date like 2026-12-31, not {value!r}", where)


def parse_entry(raw: Any, index: int, source: str = "mutelist") -> Mute:
    where = f"{source}: entry {index + 1}"
    if not isinstance(raw, Mapping):
        raise ValidationError("must be a mapping with check, reason, owner and expires", where)
    checks = _strings(raw.get("checks", raw.get("check")), where, "check")
    if checks:
        where = f"{where} (check {', '.join(checks)})"
    unknown = sorted(set(map(str, raw)) - _KEYS)
    if unknown:
        raise ValidationError(
            f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_KEYS))}", where
        )
    if "check" in raw and "checks" in raw:
        raise ValidationError("give either check or checks, not both", where)
    if not checks:
        raise ValidationError("check is required (a check id or glob such as aws.s3.*)", where)
    missing = [k for k in _REQUIRED if raw.get(k) in (None, "")]
    if missing:
        raise ValidationError(f"missing {', '.join(missing)} (reason, owner and expires are required)", where)
    for k in ("reason", "owner"):
        if not isinstance(raw[k], str) or not raw[k].strip():
            raise ValidationError(f"{k} must be a non-empty string", where)
    tags = raw.get("tags") or {}
    if not isinstance(tags, Mapping) or not all(
        isinstance(v, str | int | float) and not isinstance(v, bool) for v in tags.values()
    ):
        raise ValidationError("tags must map tag keys to value patterns", where)
    return Mute(
        index=index,
        checks=checks,
        reason=raw["reason"].strip(),
        owner=raw["owner"].strip(),
        expires=_date(raw["expires"], where),
        accounts=_strings(raw.get("accounts", raw.get("account")), where, "accounts"),
        regions=_strings(raw.get("regions"), where, "regions"),
        resources=_strings(raw.get("resources"), where, "resources"),
        tags={str(k): str(v) for k, v in tags.items()},
    )


def parse_mutelist(doc: Any, source: str = "mutelist") -> MuteList:
    """A mute list from its parsed YAML (a mapping with ``mutes``, or the bare list)."""
    if doc is None:
        return MuteList((), source)
    entries = doc.get("mutes") if isinstance(doc, Mapping) else doc
    if isinstance(doc, Mapping) and set(map(str, doc)) - {"mutes"}:
        extra = ", ".join(sorted(set(map(str, doc)) - {"mutes"}))
        raise ValidationError(f"unknown top-level key(s) {extra}; expected 'mutes'", source)
    if entries is None:
        return MuteList((), source)
    if not isinstance(entries, list):
        raise ValidationError("'mutes' must be a list of entries", source)
    return MuteList(tuple(parse_entry(e, i, source) for i, e in enumerate(entries)), source)


def load_mutelist(path: str | Path) -> MuteList:
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"mute list {p} does not exist")
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValidationError(f"not valid YAML: {exc}".splitlines()[0], str(p)) from None
    return parse_mutelist(doc, str(p))


def _today(now: datetime | date | None) -> date:
    if now is None:
        return datetime.now(UTC).date()
    return now.date() if isinstance(now, datetime) else now


def apply_mutelist(
    findings: Iterable[Finding],
    mutelist: MuteList | None,
    now: datetime | date | None = None,
    addresses: Mapping[str, str] | None = None,
) -> list[Finding]:
    """``findings`` with the FAILs that an entry matches MUTED (or marked "mute expired").

    The first live entry that matches mutes the finding; when only expired entries match, the
    finding stays FAIL and says so. ``addresses`` maps an ARN to its Terraform address (iac), so
    resource patterns match either. PASS and ERROR findings are left as they are."""
    out = list(findings)
    if not mutelist or not mutelist.mutes:
        return out
    today = _today(now)
    addresses = addresses or {}
    for i, f in enumerate(out):
        if f.status is not Status.FAIL:
            continue
        extra = [addresses.get(f.resource.arn, "")]
        if f.location and f.location.get("address"):
            extra.append(str(f.location["address"]))
        matched = [m for m in mutelist.mutes if m.matches(f, extra)]
        if not matched:
            continue
        live = next((m for m in matched if not m.expired(today)), None)
        if live is not None:
            evidence = {**f.evidence, "mute": live.to_evidence(today)}
            out[i] = dataclasses.replace(f, status=Status.MUTED, evidence=evidence)
        else:
            last = max(matched, key=lambda m: m.expires)
            evidence = {**f.evidence, "mute": last.to_evidence(today)}
            msg = f"{f.message} (mute expired on {last.expires.isoformat()})"
            out[i] = dataclasses.replace(f, message=msg, evidence=evidence)
    return out
