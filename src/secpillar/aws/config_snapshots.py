"""Fetch AWS Config snapshot files from S3 (``scan --config-snapshot s3://bucket/key-or-prefix``).

An object key ending in ``.json`` or ``.json.gz`` is read as is; any other key is a prefix under
which every snapshot file is read (``…/ConfigSnapshot/…`` keys only: AWS Config delivers its
configuration *history* files and a ``ConfigWritabilityCheckFile`` beside them). Failures are
returned as problems, never raised: the scan reports them as gaps and goes on with what it read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.errors import short_message
from secpillar.aws.session import ClientFactory

MAX_OBJECTS = 10_000
SUFFIXES = (".json", ".json.gz")


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/key`` -> ``("bucket", "some/key")``; ``ValueError`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ValueError(f"not an s3:// URL: {url!r}")
    return parts.netloc, parts.path.lstrip("/")


def is_snapshot_key(key: str) -> bool:
    name = key.rsplit("/", 1)[-1]
    return key.endswith(SUFFIXES) and ("/ConfigSnapshot/" in key or "_ConfigSnapshot_" in name)


def _get(s3: Any, bucket: str, key: str) -> bytes:
    body = s3.get_object(Bucket=bucket, Key=key)["Body"]
    try:
        data: bytes = body.read()
    finally:
        body.close()
    return data


def fetch_snapshot_objects(
    clients: ClientFactory, url: str
) -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    """``([(s3 url, bytes)], [(where, problem)])`` for the snapshot files at ``url``."""
    bucket, key = parse_s3_url(url)
    s3 = clients.client("s3")
    objects: list[tuple[str, bytes]] = []
    problems: list[tuple[str, str]] = []
    if key.endswith(SUFFIXES):
        keys = [key]
    else:
        keys = []
        try:
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=key):
                keys += [str(o["Key"]) for o in page.get("Contents") or () if is_snapshot_key(str(o["Key"]))]
                if len(keys) > MAX_OBJECTS:
                    problems.append(
                        (url, f"more than {MAX_OBJECTS} snapshot files: read the first ones only")
                    )
                    keys = keys[:MAX_OBJECTS]
                    break
        except (ClientError, BotoCoreError) as exc:
            return [], [(url, f"cannot list the snapshot files: {short_message(exc)}")]
        if not keys:
            problems.append(
                (url, "no AWS Config snapshot file (…/ConfigSnapshot/….json.gz) under this prefix")
            )
    for k in keys:
        where = f"s3://{bucket}/{k}"
        try:
            objects.append((where, _get(s3, bucket, k)))
        except (ClientError, BotoCoreError) as exc:
            problems.append((where, f"cannot read: {short_message(exc)}"))
    return objects, problems
