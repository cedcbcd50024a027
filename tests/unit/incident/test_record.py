"""The incident record: every edit, deletion, insertion, reorder or truncation is detected; files are
owner-only; an encrypted record reveals nothing without the key and cannot be re-chained without it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from secpillar.errors import UsageError, ValidationError
from secpillar.incident.record import IncidentRecord, Key, generate_key_file, passphrase_key
from secpillar.respond.changes import is_private

IID = "inc-20261128-abc123"


def _record(tmp_path: Path, key: Key | None = None, n: int = 4) -> IncidentRecord:
    rec = IncidentRecord(tmp_path / "incidents", IID, key)
    rec.append({"kind": "opened", "title": "t"})
    for i in range(1, n):
        rec.append({"kind": "note", "text": f"note {i}", "author": "alice"})
    return rec


def _lines(rec: IncidentRecord) -> list[str]:
    return rec.path.read_text().splitlines()


def _write(rec: IncidentRecord, lines: list[str]) -> None:
    rec.path.write_text("\n".join(lines) + "\n")


def test_intact_chain_and_private_files(tmp_path: Path) -> None:
    rec = _record(tmp_path)
    result = rec.verify()
    assert result.ok and result.entries == 4 and not result.problems
    assert [e.body.get("text") for e in rec.entries()][1:] == ["note 1", "note 2", "note 3"]
    assert is_private(rec.root) and is_private(rec.path) and is_private(rec.head_path)


def test_edit_is_detected(tmp_path: Path) -> None:
    rec = _record(tmp_path)
    lines = _lines(rec)
    entry = json.loads(lines[2])
    entry["body"]["text"] = "nothing happened"
    lines[2] = json.dumps(entry)
    _write(rec, lines)
    result = rec.verify()
    assert not result.ok and any("entry 3: content does not match its hash" in p for p in result.problems)
    with pytest.raises(ValidationError):
        rec.append({"kind": "note", "text": "x"})  # a broken record is never extended


def test_edit_with_recomputed_hash_breaks_the_next_link(tmp_path: Path) -> None:
    rec = _record(tmp_path)
    lines = _lines(rec)
    entry = json.loads(lines[1])
    entry["body"]["text"] = "rewritten"
    del entry["hash"]
    data = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    entry["hash"] = hashlib.sha256(data).hexdigest()
    lines[1] = json.dumps(entry)
    _write(rec, lines)
    problems = rec.verify().problems
    assert any(p.startswith("entry 3: does not follow") for p in problems)


@pytest.mark.parametrize(
    ("mutate", "expect"),
    [
        (lambda ls: ls[:1] + ls[2:], "sequence number"),  # deletion in the middle
        (lambda ls: [ls[0], ls[2], ls[1], ls[3]], "sequence number"),  # reorder
        (lambda ls: ls[:-1], "head file"),  # truncation of the tail
        (lambda ls: [*ls[:2], ls[1], *ls[2:]], "sequence number"),  # duplicated (inserted) entry
    ],
    ids=["delete", "reorder", "truncate", "insert"],
)
def test_structural_tampering_is_detected(tmp_path: Path, mutate: object, expect: str) -> None:
    rec = _record(tmp_path)
    _write(rec, mutate(_lines(rec)))  # type: ignore[operator]
    result = rec.verify()
    assert not result.ok and any(expect in p for p in result.problems), result.problems


def test_missing_head_is_detected(tmp_path: Path) -> None:
    rec = _record(tmp_path)
    rec.head_path.unlink()
    assert "the head file is missing" in rec.verify().problems


def test_encrypted_with_key_file(tmp_path: Path) -> None:
    key_path = tmp_path / "incident.key"
    generate_key_file(key_path)
    assert is_private(key_path)
    with pytest.raises(UsageError, match="exists"):
        generate_key_file(key_path)
    rec = _record(tmp_path, Key.from_file(key_path))
    text = rec.path.read_text()
    assert "note 1" not in text and "alice" not in text and '"enc"' in text
    assert rec.verify().ok
    assert [e.body.get("text") for e in rec.entries()][1] == "note 1"
    with pytest.raises(UsageError, match="encrypted"):
        IncidentRecord(rec.root, IID).entries()
    other = tmp_path / "other.key"
    generate_key_file(other)
    with pytest.raises(UsageError, match="wrong key"):
        IncidentRecord(rec.root, IID, Key.from_file(other)).entries()
    # without the key the chain cannot be recomputed: a plain SHA-256 chain fails verification
    lines = _lines(rec)
    entry = json.loads(lines[-1])
    del entry["hash"]
    data = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    entry["hash"] = hashlib.sha256(data).hexdigest()
    lines[-1] = json.dumps(entry)
    _write(rec, lines)
    assert not IncidentRecord(rec.root, IID, Key.from_file(key_path)).verify().ok


def test_encrypted_with_passphrase(tmp_path: Path) -> None:
    rec = _record(tmp_path, passphrase_key("correct horse battery staple"), n=2)
    first = json.loads(_lines(rec)[0])
    assert first["crypto"]["kdf"] == "scrypt" and "passphrase" not in json.dumps(first)
    again = IncidentRecord(rec.root, IID, passphrase_key("correct horse battery staple"))
    assert again.verify().ok and again.entries()[1].body["text"] == "note 1"
    with pytest.raises(UsageError, match="wrong key"):
        IncidentRecord(rec.root, IID, passphrase_key("not the right passphrase")).entries()
    with pytest.raises(UsageError, match="12 characters"):
        Key.from_passphrase("short")


def test_bad_ids_and_missing_records(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not an incident id"):
        IncidentRecord(tmp_path, "../etc/passwd")
    with pytest.raises(UsageError, match="no incident"):
        IncidentRecord(tmp_path, IID).entries()
