"""AWS Config configuration snapshots -> an Inventory of Resources (``source="snapshot"``).

``read_files`` / ``read_objects`` (:mod:`.reader`) parse the files as AWS delivers them; :func:`load`
maps their items (:mod:`.mappers`) and turns every problem into a gap: a truncated gzip, invalid
JSON, an item that cannot be mapped, a ``resourceType`` AWS Config does not define, a recorded
type secpillar does not read from snapshots yet. Nothing is fatal. :mod:`.dump` writes the
reverse (secpillar Resources in AWS Config's snapshot shape), for tests and fixtures.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from secpillar.checks.registry import Check
from secpillar.collect.runner import merge_resources
from secpillar.model import Account, Gap, GapKind, Inventory, Resource, account_resource
from secpillar.sources.config_snapshot.mappers import MAPPERS, NOT_RECORDED, SNAPSHOT_TYPES, MapContext
from secpillar.sources.config_snapshot.reader import (
    ConfigItem,
    Problem,
    ReadResult,
    iter_latest,
    read_files,
    read_objects,
    snapshot_files,
)

SOURCE = "snapshot"
SERVICE = "config-snapshot"
"""The ``service`` of the gaps a snapshot scan records."""


@functools.cache
def config_resource_types() -> frozenset[str]:
    """Every resource type AWS Config defines (its API's ``ResourceType`` enumeration, from
    botocore's service model)."""
    import botocore.session

    model = botocore.session.get_session().get_service_model("config")
    return frozenset(model.shape_for("ResourceType").enum)


@dataclass
class SnapshotLoad:
    inventory: Inventory
    files: int = 0
    items: int = 0
    snapshot_ids: list[str] = field(default_factory=list)
    unread_types: Counter[str] = field(default_factory=Counter)
    """Recorded types secpillar does not read from snapshots, with their item counts."""


def _gap(kind: GapKind, account: str, region: str, operation: str, message: str) -> Gap:
    return Gap(kind, account, region or "global", SERVICE, operation, message)


def problem_gap(p: Problem) -> Gap:
    return _gap(GapKind.ERROR, p.account, p.region, p.source, p.message)


def _group_members(items: list[ConfigItem]) -> dict[tuple[str, str], list[str]]:
    members: dict[tuple[str, str], list[str]] = {}
    for item in items:
        if item.resource_type != "AWS::IAM::User":
            continue
        user = str(item.configuration.get("userName") or item.name)
        for group in item.configuration.get("groupList") or ():
            members.setdefault((item.account_id, str(group)), []).append(user)
    return members


def load(read: ReadResult) -> SnapshotLoad:
    """Map the items read (latest capture per resource, deleted ones left out) into an Inventory."""
    gaps = [problem_gap(p) for p in read.problems]
    items = list(iter_latest(read.items))
    known = config_resource_types()
    ctx = MapContext(group_members=_group_members(items))
    resources: list[Resource] = []
    unread: Counter[tuple[str, str, str]] = Counter()
    for item in items:
        where = f"{item.source}: {item.resource_type} {item.resource_id}"
        if item.resource_type not in known:
            gaps.append(
                _gap(
                    GapKind.ERROR,
                    item.account_id,
                    item.region,
                    where,
                    f"unknown resourceType {item.resource_type!r} (not an AWS Config resource type)",
                )
            )
            continue
        mapper = MAPPERS.get(item.resource_type)
        if mapper is None:
            unread[(item.account_id, item.region, item.resource_type)] += 1
            continue
        try:
            got = mapper(item, ctx)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            gaps.append(
                _gap(
                    GapKind.ERROR,
                    item.account_id,
                    item.region,
                    where,
                    f"cannot read the configuration item: {type(exc).__name__}: {exc}",
                )
            )
            continue
        if got is not None:
            resources.append(dataclasses.replace(got, source=SOURCE))
    types: Counter[str] = Counter()
    for (account, region, rtype), n in sorted(unread.items()):
        types[rtype] += n
        gaps.append(
            _gap(
                GapKind.UNSUPPORTED,
                account,
                region,
                rtype,
                f"{n} {rtype} item(s) not read: secpillar does not map this type from AWS Config yet",
            )
        )
    accounts = sorted({i.account_id for i in items} | {p.account for p in read.problems if p.account})
    partitions = {i.account_id: i.partition for i in items if i.arn}
    # Every account gets its pseudo resource: account-wide checks judged from recorded items (the
    # roles an account has) run for all; its keys AWS Config does not record stay unknown.
    resources += [
        dataclasses.replace(account_resource(a, "", partitions.get(a, "aws")), source=SOURCE)
        for a in accounts
    ]
    merged = merge_resources(resources)
    for account in accounts:
        for service, what in NOT_RECORDED.items():
            gaps.append(
                Gap(
                    GapKind.UNSUPPORTED,
                    account,
                    "global",
                    service,
                    "AWS Config snapshot",
                    f"AWS Config does not record {what}: checks that need it are not evaluated",
                )
            )
    regions = sorted({r.region for r in merged if r.region != "global"})
    inventory = Inventory(
        resources=merged,
        gaps=gaps,
        accounts={a: Account(account_id=a, name=a) for a in accounts},
        regions=regions,
    )
    return SnapshotLoad(inventory, read.files, len(read.items), list(read.snapshot_ids), types)


def evaluable(checks: Iterable[Check]) -> tuple[list[Check], dict[str, list[str]]]:
    """The checks whose resource types (judged and read) a snapshot can give, and the others by
    the first type it cannot."""
    ok: list[Check] = []
    skipped: dict[str, list[str]] = {}
    for check in checks:
        missing = [t for t in (*check.resource_types, *check.reads) if t not in SNAPSHOT_TYPES]
        if missing:
            skipped.setdefault(missing[0], []).append(check.id)
        else:
            ok.append(check)
    return ok, skipped


def skipped_gaps(skipped: Mapping[str, list[str]]) -> list[Gap]:
    """One gap per resource type a snapshot cannot give, naming the checks not evaluated."""
    return [
        _gap(
            GapKind.UNSUPPORTED,
            "",
            "global",
            rtype,
            f"AWS Config snapshots do not give {rtype} (not recorded, or not read by secpillar yet): "
            f"{len(ids)} check(s) not evaluated: {', '.join(sorted(ids))}",
        )
        for rtype, ids in sorted(skipped.items())
    ]


__all__ = [
    "MAPPERS",
    "SNAPSHOT_TYPES",
    "SOURCE",
    "ConfigItem",
    "ReadResult",
    "SnapshotLoad",
    "config_resource_types",
    "evaluable",
    "load",
    "read_files",
    "read_objects",
    "skipped_gaps",
    "snapshot_files",
]
