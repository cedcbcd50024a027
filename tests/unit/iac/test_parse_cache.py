"""The HCL parse cache: keyed by the file's text, ignored when unreadable, off when asked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from secpillar.errors import ValidationError
from secpillar.sources.terraform import parse

TF = 'resource "aws_s3_bucket" "b" {\n  bucket = "data"\n}\n'


def _boom(*_: Any, **__: Any) -> Any:
    raise AssertionError("parsed again")


def test_second_parse_comes_from_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECPILLAR_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "main.tf"
    f.write_text(TF)
    first = parse.parse_file(f)
    entries = list((tmp_path / "cache").rglob("*.json"))
    assert len(entries) == 1
    monkeypatch.setattr(parse.hcl2, "loads", _boom)
    assert parse.parse_file(f) == first
    # Another file with the same text shares the entry; a changed file is parsed again.
    (tmp_path / "copy.tf").write_text(TF)
    assert parse.parse_file(tmp_path / "copy.tf") == first
    f.write_text(TF.replace("data", "logs"))
    with pytest.raises(ValidationError, match="parsed again"):
        parse.parse_file(f)


def test_unreadable_entry_is_ignored_and_off_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SECPILLAR_CACHE_DIR", str(tmp_path / "cache"))
    f = tmp_path / "main.tf"
    f.write_text(TF)
    doc = parse.parse_file(f)
    (entry,) = list((tmp_path / "cache").rglob("*.json"))
    entry.write_text("{not json")
    assert parse.parse_file(f) == doc
    monkeypatch.setenv("SECPILLAR_CACHE_DIR", "off")
    assert parse.cache_dir() is None
    g = tmp_path / "other.tf"
    g.write_text(TF.replace("data", "other"))
    parse.parse_file(g)
    assert len(list((tmp_path / "cache").rglob("*.json"))) == 1
