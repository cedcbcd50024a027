"""Map Terraform AWS resources onto secpillar's Resource model (the live collectors' shape).

Each mapper (one module per service under ``mappers/``) builds the boto3-shaped description
the live API would return for the resource once applied and hands it to the live collector's
own pure ``transform_*`` function, so a Terraform resource and the live resource with the same
settings give the checks identical keys. Then:

- every Resource gets ``source="iac"`` and the file and line of its block;
- a key whose value is unknown until apply is left out (a list that holds an unknown is left
  out whole), which is how every check already reads "unknown": no PASS, no FAIL; the paths
  left out are reported per resource;
- resources Terraform folds from several blocks (a bucket and its ``aws_s3_bucket_*`` parts, a
  security group and its rule resources) become one Resource.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from secpillar.model import Resource, SourceLocation
from secpillar.sources.terraform.expr import UNKNOWN
from secpillar.sources.terraform.model import TfConfig, TfResource

KNOWN_AFTER_APPLY = "(known after apply)"
"""Stand-in for a value that will be set at apply but is not known yet (e.g. a key ARN): a
check that asks "is it set?" gets a truthful yes."""

_DROP = object()


def strip_unknown(value: Any, path: str, found: list[str]) -> Any:
    """``value`` without its unknown parts (recorded in ``found``); ``_DROP`` when the whole
    value is unknown."""
    if value is UNKNOWN:
        found.append(path)
        return _DROP
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            clean = strip_unknown(v, f"{path}.{k}" if path else str(k), found)
            if clean is not _DROP:
                out[k] = clean
        return out
    if isinstance(value, list | tuple):
        items = []
        for i, v in enumerate(value):
            inner: list[str] = []
            clean = strip_unknown(v, f"{path}[{i}]", inner)
            if inner:
                found.append(path)
                return _DROP
            items.append(clean)
        return items
    return value


def is_set(value: Any) -> Any:
    """A value that matters only for being set: UNKNOWN becomes :data:`KNOWN_AFTER_APPLY`."""
    return KNOWN_AFTER_APPLY if value is UNKNOWN else value


def flag(value: Any, default: bool) -> Any:
    """A provider boolean: its default when unset, UNKNOWN when unknown."""
    if value is None:
        return default
    if value is UNKNOWN:
        return UNKNOWN
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def first_block(values: Mapping[str, Any], key: str) -> Any:
    """The first nested block ``key`` ({} when absent, UNKNOWN when unknown)."""
    v = values.get(key)
    if v is UNKNOWN:
        return UNKNOWN
    if isinstance(v, list) and v and isinstance(v[0], Mapping):
        return v[0]
    if isinstance(v, Mapping):
        return v
    return {}


def blocks(values: Mapping[str, Any], key: str) -> Any:
    v = values.get(key)
    if v is UNKNOWN:
        return UNKNOWN
    if isinstance(v, Mapping):
        return [v]
    return [b for b in v if isinstance(b, Mapping)] if isinstance(v, list) else []


def as_list(value: Any) -> Any:
    if value is UNKNOWN:
        return UNKNOWN
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def tags_of(tf: TfResource) -> list[dict[str, Any]]:
    tags = tf.values.get("tags_all") or tf.values.get("tags")
    if not isinstance(tags, Mapping):
        return []
    return [{"Key": str(k), "Value": v} for k, v in tags.items() if v is not UNKNOWN]


@dataclass
class Mapped:
    """The mapper's result: Resources plus, per ARN, the Terraform address and unknown paths."""

    resources: list[Resource] = field(default_factory=list)
    address: dict[str, str] = field(default_factory=dict)
    unknown: dict[str, list[str]] = field(default_factory=dict)
    assumed: set[str] = field(default_factory=set)
    """ARNs of context resources the module does not declare (read by checks, never judged)."""
    unmapped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    """Mappers that raised (a bug or an input they do not expect): reported, never fatal."""


class MapContext:
    """What a mapper sees: the config's resources by type and lookups between them."""

    def __init__(self, config: TfConfig) -> None:
        self.config = config
        self.region = config.region
        self.account = config.account
        self._by_type: dict[str, list[TfResource]] = defaultdict(list)
        for r in config.resources:
            if r.mode == "managed":
                self._by_type[r.type].append(r)
        self.out = Mapped()
        self.used: set[str] = set()
        self._indexes: dict[tuple[str, tuple[str, ...]], dict[Any, TfResource]] = {}

    def of_type(self, *types: str) -> list[TfResource]:
        out: list[TfResource] = []
        for t in types:
            out.extend(self._by_type.get(t, ()))
            self.used.add(t)
        return out

    def find(self, types: Iterable[str], value: Any, attrs: Iterable[str] = ("id",)) -> TfResource | None:
        """The resource of ``types`` whose ``attrs`` (id, name, arn …) equal ``value``."""
        if value is None or value is UNKNOWN:
            return None
        attrs = tuple(attrs)
        for t in types:
            index = self._index(t, attrs)
            try:
                found = index.get(value)
            except TypeError:  # an unhashable value (a list, a map) names no resource
                return None
            if found is not None:
                return found
        return None

    def _index(self, rtype: str, attrs: tuple[str, ...]) -> dict[Any, TfResource]:
        """Value -> resource for ``attrs`` of ``rtype`` (the first resource and attribute win)."""
        key = (rtype, attrs)
        if key not in self._indexes:
            index: dict[Any, TfResource] = {}
            for r in self._by_type.get(rtype, ()):
                for a in attrs:
                    v = r.attr(a)
                    try:
                        index.setdefault(v, r)
                    except TypeError:
                        continue
            self._indexes[key] = index
        return self._indexes[key]

    def matches(self, tf: TfResource, value: Any, attrs: Iterable[str] = ("id", "arn", "name")) -> bool:
        return value is not None and value is not UNKNOWN and any(tf.attr(a) == value for a in attrs)

    def emit(self, resource: Resource, tf: TfResource, extra_unknown: Iterable[str] = ()) -> Resource:
        found: list[str] = list(extra_unknown)
        cfg = strip_unknown(dict(resource.configuration), "configuration", found)
        sup = strip_unknown(dict(resource.supplementary), "supplementary", found)
        tags = {k: v for k, v in resource.tags.items() if v is not UNKNOWN}
        final = dataclasses.replace(
            resource,
            configuration=cfg if cfg is not _DROP else {},
            supplementary=sup if sup is not _DROP else {},
            tags=tags,
            relationships=tuple(r for r in resource.relationships if isinstance(r.resource_id, str)),
            source="iac",
            location=SourceLocation(tf.file, tf.line),
        )
        self.out.resources.append(final)
        self.out.address[final.arn] = tf.address
        if found:
            self.out.unknown[final.arn] = sorted(set(found))
        return final

    def assume(self, resource: Resource) -> None:
        """Add a context resource the module does not declare (never judged)."""
        self.out.resources.append(dataclasses.replace(resource, source="iac"))
        self.out.assumed.add(resource.arn)


Mapper = Callable[[MapContext], None]


def _mappers() -> list[Mapper]:
    from secpillar.sources.terraform.mappers import MAPPERS

    return list(MAPPERS)


def map_config(config: TfConfig, mappers: Iterable[Mapper] | None = None) -> Mapped:
    """Every supported resource of ``config`` as Resources (see the module docstring)."""
    ctx = MapContext(config)
    for mapper in mappers if mappers is not None else _mappers():
        try:
            mapper(ctx)
        except Exception as exc:  # noqa: BLE001 - reported; the other services are still mapped
            ctx.out.errors.append(
                f"{config.root}: mapping {mapper.__name__} failed: {type(exc).__name__}: {exc}"
            )
    counts: dict[str, int] = defaultdict(int)
    for r in config.resources:
        if r.mode == "managed" and r.type not in ctx.used:
            counts[r.type] += 1
    ctx.out.unmapped = dict(sorted(counts.items()))
    return ctx.out


def iter_types(resources: Iterable[Resource]) -> Iterator[str]:
    yield from sorted({r.resource_type for r in resources})


def split_unknown(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``raw`` without its top-level unknown values, and their configuration paths (so a
    transform never iterates an unknown list)."""
    from secpillar.collect.base import camelize

    clean: dict[str, Any] = {}
    paths: list[str] = []
    for k, v in raw.items():
        if v is UNKNOWN:
            paths.append(f"configuration.{next(iter(camelize({k: None})))}")
        else:
            clean[k] = v
    return clean, paths


def emit_raw(
    ctx: MapContext,
    fn: Callable[..., Resource],
    raw: Mapping[str, Any],
    tf: TfResource,
    *args: Any,
    **kw: Any,
) -> Resource:
    """Run a live collector's transform on ``raw`` (unknown parts left out) and emit it."""
    clean, paths = split_unknown(raw)
    return ctx.emit(fn(clean, *args, **kw), tf, paths)
