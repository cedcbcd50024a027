"""The collector framework: fetch (boto3) -> transform (pure) -> Resources.

A collector is a small registered class. It declares the boto3 service it reads, its scope
(once per organization, once per account, or per account and region), the resource types it
produces and the IAM actions it calls (``permissions``: what ``secpillar permissions`` prints).
``collect(ctx)`` fetches through ``ctx.call`` / ``ctx.paginate``, which classify every
``ClientError`` into a gap, and hands the raw dicts to pure ``transform_*`` functions.

Several collectors may emit the same pseudo resource (``AWS::::Account``,
``AWS::::AccountRegion``) with different parts of its configuration: the runner merges them.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.errors import classify, error_code, short_message
from secpillar.aws.session import ClientFactory
from secpillar.errors import RegistryError
from secpillar.model import Gap, GapKind, Resource


class Scope(StrEnum):
    ORGANIZATION = "organization"
    """Once per scan, in the organization's management account (Organizations API)."""
    ACCOUNT = "account"
    """Once per account (global services: IAM, S3 listing, CloudFront)."""
    REGIONAL = "regional"
    """Once per account and region."""


@dataclass
class GapSink:
    """Thread-safe list of gaps."""

    gaps: list[Gap] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, gap: Gap) -> None:
        with self._lock:
            self.gaps.append(gap)


@dataclass
class CollectContext:
    """What a collector sees: one account (and region), its clients, and where gaps go."""

    account_id: str
    account_name: str
    region: str
    clients: ClientFactory
    sink: GapSink
    partition: str = "aws"
    organization: dict[str, Any] = field(default_factory=dict)
    calls: int = 0
    """API calls made (collectors may fan out over threads: counted under a lock)."""
    _calls_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _count(self) -> None:
        with self._calls_lock:
            self.calls += 1

    def client(self, service: str, region: str | None = None, *, attempts: int | None = None) -> Any:
        """A client acting in this account; ``attempts`` caps the tries of each call."""
        if attempts is None:
            return self.clients.client(service, region or self.region)
        return self.clients.client(service, region or self.region, attempts=attempts)

    def gap(self, service: str, operation: str, exc: BaseException) -> None:
        self.sink.add(
            Gap(
                kind=classify(exc),
                account_id=self.account_id,
                region=self.region,
                service=service,
                operation=operation,
                message=short_message(exc),
                code=error_code(exc),
            )
        )

    def call(self, client: Any, operation: str, *, absent: Collection[str] = (), **params: Any) -> Any:
        """Call ``client.<operation>(**params)``.

        Returns the response on success; ``{}`` when the error code is one of ``absent`` (the
        thing does not exist, which is a state to evaluate, not an error); ``None`` when the call
        failed otherwise, after recording a gap (the state is unknown)."""
        self._count()
        service = client.meta.service_model.service_name
        try:
            response = getattr(client, operation)(**params)
        except ClientError as exc:
            if error_code(exc) in absent:
                return {}
            self.gap(service, operation, exc)
            return None
        except (BotoCoreError, NotImplementedError) as exc:
            self.gap(service, operation, exc)
            return None
        response.pop("ResponseMetadata", None)
        return response

    def paginate(self, client: Any, operation: str, key: str, **params: Any) -> list[Any] | None:
        """All items under ``key`` across pages, or ``None`` (gap recorded) on failure."""
        service = client.meta.service_model.service_name
        items: list[Any] = []
        try:
            if client.can_paginate(operation):
                for page in client.get_paginator(operation).paginate(**params):
                    self._count()
                    items.extend(page.get(key) or ())
            else:
                self._count()
                items.extend(getattr(client, operation)(**params).get(key) or ())
        except (ClientError, BotoCoreError, NotImplementedError) as exc:
            self.gap(service, operation, exc)
            return None
        return items

    def record(self, kind: GapKind, service: str, operation: str, message: str) -> None:
        self.sink.add(Gap(kind, self.account_id, self.region, service, operation, message))


class Collector:
    """Base class of collectors; subclasses set the class attributes and ``collect``."""

    id: ClassVar[str]
    """Stable id, usually the boto3 service name (``s3``, ``ec2`` …)."""
    scope: ClassVar[Scope]
    resource_types: ClassVar[tuple[str, ...]]
    permissions: ClassVar[tuple[str, ...]]
    """The IAM actions the collector calls (``s3:GetBucketPolicy`` …)."""

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        raise NotImplementedError


T = TypeVar("T", bound=type[Collector])


class CollectorRegistry:
    def __init__(self) -> None:
        self._items: dict[str, Collector] = {}

    def register(self, cls: T) -> T:
        cid = getattr(cls, "id", None)
        if not cid:
            raise RegistryError(f"collector class {cls.__name__} has no id")
        if cid in self._items:
            raise RegistryError(f"duplicate collector id {cid!r}")
        self._items[cid] = cls()
        return cls

    def __iter__(self) -> Iterator[Collector]:
        return iter(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def get(self, cid: str) -> Collector:
        try:
            return self._items[cid]
        except KeyError:
            raise RegistryError(f"unknown collector {cid!r}") from None

    def for_types(self, types: Collection[str]) -> list[Collector]:
        """The collectors producing any of ``types`` (all collectors when ``types`` is empty)."""
        if not types:
            return list(self)
        return [c for c in self if set(c.resource_types) & set(types)]


COLLECTORS = CollectorRegistry()
register = COLLECTORS.register


# ---- helpers for pure transforms -------------------------------------------------------------

_FIRST = re.compile(r"^[A-Z]+(?=[A-Z][a-z]|$)|^[A-Z]")


def _camel_key(key: str) -> str:
    m = _FIRST.match(key)
    if not m:
        return key
    return m.group(0).lower() + key[m.end() :]


def camelize(value: Any) -> Any:
    """boto3's PascalCase response -> AWS Config's camelCase configuration (recursively);
    datetimes become ISO-8601 strings so that the result is plain JSON."""
    if isinstance(value, dict):
        return {_camel_key(str(k)): camelize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [camelize(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def jsonable(value: Any) -> Any:
    """Like :func:`camelize` but keeps the keys as they are."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def tag_dict(tags: Iterable[dict[str, Any]] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` (any capitalisation) -> ``{k: v}``."""
    out: dict[str, str] = {}
    for t in tags or ():
        k = t.get("Key", t.get("key", t.get("TagKey")))
        v = t.get("Value", t.get("value", t.get("TagValue", "")))
        if k is not None:
            out[str(k)] = "" if v is None else str(v)
    return out
