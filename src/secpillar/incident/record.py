"""The incident record: append-only, hash-chained JSON Lines, owner-only, optionally encrypted.

One file per incident, ``<DIR>/<ID>.jsonl`` (``0600`` in a ``0700`` directory), one entry a line::

    {"seq": 0, "at": "...", "prev": "000…", "body": {...}, "hash": "…"}          clear
    {"seq": 0, "at": "...", "prev": "000…", "enc": "<Fernet token>", "hash": "…"} encrypted

``hash`` is SHA-256 over the canonical JSON of the entry without ``hash`` (HMAC-SHA256 with a key
derived from the incident key when the record is encrypted, so that nobody without the key can
rewrite the chain either). Each entry names the previous entry's hash, so an edited, deleted,
inserted or reordered entry breaks the chain; ``<ID>.head`` holds the last sequence number and
hash, so a truncated tail is detected too (keep the head hash printed by each command somewhere
else to detect a rewrite of both files). Encryption uses Fernet (AES-128-CBC + HMAC-SHA256, from
``cryptography``) with a key file, or a passphrase stretched with scrypt (the salt is in the
clear part of entry 0).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError, ValidationError
from secpillar.respond.changes import append_private, ensure_private_dir, write_private

ENV_DIR = "SECPILLAR_INCIDENTS"
DEFAULT_DIR = Path(".secpillar") / "incidents"
GENESIS = "0" * 64
ID_RE = re.compile(r"^inc-[0-9]{8}-[0-9a-f]{6}$")


def incidents_dir(explicit: Path | None = None) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else DEFAULT_DIR


def new_incident_id(now: datetime | None = None) -> str:
    return f"inc-{(now or datetime.now(UTC)).strftime('%Y%m%d')}-{secrets.token_hex(3)}"


def _canonical(entry: Mapping[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass
class Key:
    """An incident key: a Fernet key (from a key file, or scrypt over a passphrase)."""

    fernet_key: bytes
    kdf: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_file(cls, path: Path) -> Key:
        try:
            raw = path.read_bytes().strip()
        except OSError as exc:
            raise UsageError(f"cannot read key file {path}: {exc.strerror or exc}") from None
        try:
            if len(base64.urlsafe_b64decode(raw)) != 32:
                raise ValueError
        except ValueError:
            raise UsageError(
                f"{path} is not a key file (make one with `secpillar incident keygen`)"
            ) from None
        return cls(raw, {"kdf": "keyfile"})

    @classmethod
    def from_passphrase(cls, passphrase: str, salt: bytes | None = None) -> Key:
        if len(passphrase) < 12:
            raise UsageError("the passphrase must have at least 12 characters")
        salt = salt or secrets.token_bytes(16)
        raw = hashlib.scrypt(passphrase.encode("utf-8"), salt=salt, n=2**14, r=8, p=1, dklen=32)
        kdf = {"kdf": "scrypt", "salt": base64.b64encode(salt).decode("ascii"), "n": 2**14, "r": 8, "p": 1}
        return cls(base64.urlsafe_b64encode(raw), kdf)

    @property
    def mac_key(self) -> bytes:
        return hashlib.sha256(b"secpillar-incident-chain\x00" + self.fernet_key).digest()

    def encrypt(self, body: Mapping[str, Any]) -> str:
        from cryptography.fernet import Fernet

        return Fernet(self.fernet_key).encrypt(_canonical(body)).decode("ascii")

    def decrypt(self, token: str) -> dict[str, Any]:
        from cryptography.fernet import Fernet, InvalidToken

        try:
            data: dict[str, Any] = json.loads(Fernet(self.fernet_key).decrypt(token.encode("ascii")))
        except InvalidToken:
            raise UsageError("cannot decrypt the incident record: wrong key or passphrase") from None
        return data


def generate_key_file(path: Path) -> None:
    """Write a new random Fernet key to ``path`` (``0600``; refuses to overwrite)."""
    from cryptography.fernet import Fernet

    if path.exists():
        raise UsageError(f"{path} exists; not overwritten")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(Fernet.generate_key() + b"\n")


@dataclass(frozen=True)
class Entry:
    seq: int
    at: str
    body: dict[str, Any]
    hash: str

    @property
    def kind(self) -> str:
        return str(self.body.get("kind", ""))


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    head: str
    problems: tuple[str, ...] = ()


class IncidentRecord:
    """One incident's record file and head file."""

    def __init__(self, root: Path, incident_id: str, key: Key | None = None) -> None:
        if not ID_RE.match(incident_id):
            raise UsageError(f"not an incident id: {incident_id!r} (e.g. inc-20260101-1a2b3c)")
        self.root = root
        self.id = incident_id
        self.path = root / f"{incident_id}.jsonl"
        self.head_path = root / f"{incident_id}.head"
        self.key = key

    # -- reading ----------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.path.exists()

    def _raw(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            raise UsageError(f"no incident {self.id} in {self.root}")
        out = []
        for n, line in enumerate(self.path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                raise ValidationError("not valid JSON", f"{self.path}:{n}") from None
        return out

    def encrypted(self) -> bool:
        raw = self._raw()
        return bool(raw) and "enc" in raw[0]

    def _key_for(self, first: Mapping[str, Any]) -> Key | None:
        if "enc" not in first:
            return None
        if self.key is None:
            raise UsageError(f"incident {self.id} is encrypted: give --key-file or --passphrase-env")
        kdf = first.get("crypto") or {}
        if kdf.get("kdf") == "scrypt" and self.key.kdf.get("kdf") == "scrypt-pending":
            salt = base64.b64decode(kdf["salt"])
            self.key = Key.from_passphrase(str(self.key.kdf["passphrase"]), salt)
        return self.key

    def entries(self) -> list[Entry]:
        raw = self._raw()
        key = self._key_for(raw[0]) if raw else None
        out = []
        for e in raw:
            body = key.decrypt(e["enc"]) if key is not None and "enc" in e else e.get("body", {})
            out.append(Entry(int(e["seq"]), str(e["at"]), dict(body), str(e["hash"])))
        return out

    def _hash(self, entry: Mapping[str, Any], key: Key | None) -> str:
        data = _canonical({k: v for k, v in entry.items() if k != "hash"})
        if key is not None:
            return hmac.new(key.mac_key, data, hashlib.sha256).hexdigest()
        return hashlib.sha256(data).hexdigest()

    def verify(self) -> VerifyResult:
        """Check every link of the chain, the sequence, the head file and (with a key) each entry's
        decryption; returns every problem found, with the entry it concerns."""
        raw = self._raw()
        problems: list[str] = []
        key = self._key_for(raw[0]) if raw else None
        prev = GENESIS
        for i, e in enumerate(raw):
            where = f"entry {i + 1}"
            if e.get("seq") != i:
                problems.append(
                    f"{where}: sequence number {e.get('seq')!r}, expected {i} (deleted or reordered)"
                )
            if e.get("prev") != prev:
                problems.append(
                    f"{where}: does not follow the previous entry (deleted, inserted or reordered)"
                )
            if self._hash(e, key) != e.get("hash"):
                problems.append(f"{where}: content does not match its hash (edited)")
            if key is not None and "enc" in e:
                try:
                    key.decrypt(e["enc"])
                except UsageError:
                    problems.append(f"{where}: cannot be decrypted with this key")
            prev = str(e.get("hash"))
        head = self._head()
        if head is None:
            problems.append("the head file is missing")
        elif head != {"seq": len(raw) - 1, "hash": prev}:
            problems.append(
                f"the head file names entry {head.get('seq', '?')} {str(head.get('hash', ''))[:12]}…, the "
                f"record ends at entry {len(raw) - 1} {prev[:12]}… (entries removed from the end?)"
            )
        return VerifyResult(not problems, len(raw), prev, tuple(problems))

    def _fresh_key(self) -> Key | None:
        if self.key is not None and self.key.kdf.get("kdf") == "scrypt-pending":
            self.key = Key.from_passphrase(str(self.key.kdf["passphrase"]))
        return self.key

    def _head(self) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.head_path.read_text(encoding="utf-8"))
        except (FileNotFoundError, json.JSONDecodeError):
            return None
        return data

    # -- writing ------------------------------------------------------------------------------------
    def append(self, body: Mapping[str, Any], *, at: str | None = None) -> Entry:
        """Append one entry after verifying the chain so far (a broken record is never extended)."""
        ensure_private_dir(self.root)
        raw = self._raw() if self.path.exists() else []
        if raw:
            result = self.verify()
            if not result.ok:
                raise ValidationError("; ".join(result.problems), f"incident {self.id}")
        key = self._key_for(raw[0]) if raw else self._fresh_key()
        entry: dict[str, Any] = {
            "seq": len(raw),
            "at": at or datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "prev": str(raw[-1]["hash"]) if raw else GENESIS,
        }
        if key is not None:
            if not raw:
                entry["crypto"] = {"alg": "fernet", **{k: v for k, v in key.kdf.items() if k != "passphrase"}}
            entry["enc"] = key.encrypt(body)
        else:
            entry["body"] = dict(body)
        entry["hash"] = self._hash(entry, key)
        append_private(self.path, json.dumps(entry, sort_keys=True, ensure_ascii=False))
        write_private(self.head_path, json.dumps({"seq": entry["seq"], "hash": entry["hash"]}))
        return Entry(entry["seq"], entry["at"], dict(body), entry["hash"])


def passphrase_key(passphrase: str) -> Key:
    """A key from a passphrase whose salt is read from the record (or made when the record is new)."""
    return Key(b"", {"kdf": "scrypt-pending", "passphrase": passphrase})


def list_incidents(root: Path) -> list[str]:
    if not root.is_dir():
        return []
    return sorted(p.stem for p in root.glob("inc-*.jsonl") if ID_RE.match(p.stem))
