"""Run collectors over accounts and regions with a bounded thread pool."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.session import AwsTarget
from secpillar.collect.base import CollectContext, Collector, GapSink, Scope
from secpillar.model import GLOBAL, Gap, GapKind, Resource


@dataclass(frozen=True)
class Job:
    target: AwsTarget
    collector: Collector
    region: str

    @property
    def label(self) -> str:
        where = self.region if self.collector.scope is Scope.REGIONAL else "global"
        return f"{self.target.name or self.target.account_id} {self.collector.id} {where}"


@dataclass
class CollectResult:
    resources: list[Resource] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    api_calls: int = 0
    jobs: int = 0


def plan_jobs(
    targets: Sequence[AwsTarget],
    collectors: Iterable[Collector],
    regions: Sequence[str],
    management_account: str | None,
) -> list[Job]:
    """One job per (account, collector) for account-scoped collectors, per (account, collector,
    region) for regional ones, and one in the management account for organization collectors."""
    home = regions[0] if regions else "us-east-1"
    jobs: list[Job] = []
    collectors = list(collectors)
    for target in targets:
        for c in collectors:
            if c.scope is Scope.ORGANIZATION:
                if management_account and target.account_id == management_account:
                    jobs.append(Job(target, c, home))
            elif c.scope is Scope.ACCOUNT:
                jobs.append(Job(target, c, home))
            else:
                jobs.extend(Job(target, c, r) for r in regions)
    return jobs


def merge_resources(resources: Iterable[Resource]) -> list[Resource]:
    """Merge resources with the same type and ARN (pseudo resources several collectors fill)."""
    merged: dict[tuple[str, str], Resource] = {}
    order: list[tuple[str, str]] = []
    for r in resources:
        key = (r.resource_type, r.arn or f"{r.account_id}/{r.region}/{r.resource_id}")
        prev = merged.get(key)
        if prev is None:
            merged[key] = r
            order.append(key)
            continue
        merged[key] = Resource(
            resource_type=prev.resource_type,
            resource_id=prev.resource_id,
            arn=prev.arn,
            account_id=prev.account_id,
            region=prev.region,
            name=prev.name or r.name,
            configuration={**prev.configuration, **r.configuration},
            supplementary={**prev.supplementary, **r.supplementary},
            tags={**prev.tags, **r.tags},
            relationships=prev.relationships + r.relationships,
            source=prev.source,
            location=prev.location,
        )
    return [merged[k] for k in order]


def run_collectors(
    jobs: Sequence[Job],
    *,
    partition: str = "aws",
    organization: dict[str, Any] | None = None,
    max_workers: int = 8,
    on_done: Callable[[Job], None] | None = None,
) -> CollectResult:
    """Run every job; a job that fails becomes a gap and the others go on."""
    sink = GapSink()
    out = CollectResult(jobs=len(jobs))
    produced: list[Resource] = []

    def work(job: Job) -> tuple[list[Resource], int]:
        region = job.region
        ctx = CollectContext(
            account_id=job.target.account_id,
            account_name=job.target.name,
            region=region,
            clients=job.target.clients,
            sink=sink,
            partition=partition,
            organization=dict(organization or {}),
        )
        try:
            items = list(job.collector.collect(ctx))
        except (ClientError, BotoCoreError) as exc:
            ctx.gap(job.collector.id, "collect", exc)
            return [], ctx.calls
        except Exception as exc:  # noqa: BLE001 - a broken collector is a gap, not a crash
            gap_region = region if job.collector.scope is Scope.REGIONAL else GLOBAL
            sink.add(
                Gap(
                    GapKind.ERROR,
                    job.target.account_id,
                    gap_region,
                    job.collector.id,
                    "collect",
                    f"collector failed: {type(exc).__name__}: {exc}",
                )
            )
            return [], ctx.calls
        return items, ctx.calls

    with ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="collect") as pool:
        futures = {pool.submit(work, job): job for job in jobs}
        for fut in as_completed(futures):
            items, calls = fut.result()
            produced.extend(items)
            out.api_calls += calls
            if on_done is not None:
                on_done(futures[fut])
    out.resources = merge_resources(produced)
    out.gaps = sink.gaps
    return out
