"""What ``logs ingest SOURCE`` reads: a file, a folder (recursively), or ``s3://bucket/prefix``.

Each object has a stable id for the manifest (``file:///abs/path`` or ``s3://bucket/key``) and a
version (size and mtime in nanoseconds; the ETag for S3), so a changed object is ingested again
and an unchanged one is skipped. S3 objects are listed and downloaded through the client the
caller passes (from :mod:`secpillar.aws.session`); this module creates no client.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from secpillar.errors import UsageError


class SourceError(UsageError):
    """The ingest source does not exist or cannot be listed."""


@dataclass(frozen=True)
class SourceObject:
    id: str
    version: str
    name: str
    size: int
    local: Path | None = None
    bucket: str | None = None
    key: str | None = None


def is_s3(source: str) -> bool:
    return source.startswith("s3://")


def split_s3(source: str) -> tuple[str, str]:
    parts = urlsplit(source)
    if not parts.netloc:
        raise SourceError(f"no bucket in {source!r} (expected s3://bucket/prefix)")
    return parts.netloc, parts.path.lstrip("/")


def local_objects(source: str | Path) -> Iterator[SourceObject]:
    root = Path(source).expanduser()
    if not root.exists():
        raise SourceError(f"no such file or folder: {root}")
    paths = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for path in paths:
        rel = path.relative_to(root) if path != root else Path(path.name)
        if any(part.startswith(".") for part in rel.parts):
            continue
        st = path.stat()
        resolved = path.resolve()
        yield SourceObject(
            id=resolved.as_uri(),
            version=f"{st.st_size}:{st.st_mtime_ns}",
            name=str(rel),
            size=st.st_size,
            local=resolved,
        )


def s3_objects(client: Any, source: str) -> Iterator[SourceObject]:
    bucket, prefix = split_s3(source)
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            key = str(obj["Key"])
            if key.endswith("/"):
                continue
            yield SourceObject(
                id=f"s3://{bucket}/{key}",
                version=str(obj.get("ETag", "")).strip('"'),
                name=key,
                size=int(obj.get("Size", 0)),
                bucket=bucket,
                key=key,
            )


def download(client: Any, obj: SourceObject, dest: Path) -> Path:
    dest.parent.mkdir(parents=True, exist_ok=True)
    assert obj.bucket is not None and obj.key is not None
    client.download_file(obj.bucket, obj.key, str(dest))
    return dest
