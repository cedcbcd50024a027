"""A whole scan: discover accounts, collect, evaluate checks. Returns data; prints nothing."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.errors import short_message
from secpillar.aws.org import DEFAULT_ROLE, discover, enabled_regions
from secpillar.aws.session import AwsTarget, ClientFactory, base_session
from secpillar.checks import Check, CheckContext, load_all
from secpillar.checks.engine import run_checks
from secpillar.checks.mutelist import MuteList, apply_mutelist
from secpillar.collect import load_all as load_collectors
from secpillar.collect.runner import Job, plan_jobs, run_collectors
from secpillar.errors import AwsError, UsageError
from secpillar.model import Finding, Gap, GapKind, Inventory, Severity

if TYPE_CHECKING:
    from secpillar.sources.config_snapshot.reader import ReadResult


@dataclass
class ScanOptions:
    profile: str | None = None
    endpoint_url: str | None = None
    use_org: bool = True
    role: str = DEFAULT_ROLE
    external_id: str | None = None
    accounts: Sequence[str] = ()
    regions: Sequence[str] = ()
    checks: Sequence[str] = ()
    exclude_checks: Sequence[str] = ()
    min_severity: Severity = Severity.INFORMATIONAL
    max_workers: int = 8
    settings: dict[str, Any] = field(default_factory=dict)
    mutelist: MuteList | None = None
    """Applied after evaluation: matching FAILs become MUTED (``checks.mutelist``)."""


@dataclass
class ScanResult:
    inventory: Inventory
    findings: list[Finding]
    checks: list[Check]
    started: datetime
    finished: datetime
    api_calls: int = 0
    targets: list[AwsTarget] = field(default_factory=list)
    """The accounts scanned, with their clients (for ``--security-hub`` import)."""

    @property
    def seconds(self) -> float:
        return (self.finished - self.started).total_seconds()


@dataclass
class Progress:
    """Callbacks the CLI hooks a progress bar to (all optional)."""

    on_plan: Callable[[int], None] | None = None
    on_job: Callable[[Job], None] | None = None
    on_phase: Callable[[str], None] | None = None


def select_checks(options: ScanOptions) -> list[Check]:
    registry = load_all()
    return registry.select(
        include=options.checks,
        exclude=options.exclude_checks,
        predicate=lambda c: c.severity >= options.min_severity,
    )


def evaluate(
    inventory: Inventory,
    checks: Sequence[Check],
    settings: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> list[Finding]:
    ctx = CheckContext(inventory=inventory, now=now or datetime.now(UTC), settings=settings or {})
    return run_checks(checks, ctx)


def read_config_snapshot(source: str, options: ScanOptions) -> ReadResult:
    """Snapshot files from a file, a folder, or ``s3://bucket/key-or-prefix`` (read with the
    scan's profile/endpoint); what cannot be read becomes a problem, reported as a gap."""
    from secpillar.sources.config_snapshot import read_files, read_objects, snapshot_files
    from secpillar.sources.config_snapshot.reader import Problem, where

    if source.startswith("s3://"):
        from secpillar.aws.config_snapshots import fetch_snapshot_objects

        session = base_session(options.profile, None, options.endpoint_url)
        objects, problems = fetch_snapshot_objects(ClientFactory(session, options.endpoint_url), source)
        read = read_objects(objects)
        read.problems += [Problem(w, msg, *where(w)) for w, msg in problems]
        return read
    path = Path(source)
    if not path.exists():
        raise UsageError(f"--config-snapshot: {source} does not exist")
    read = read_files(snapshot_files(path))
    if not read.files:
        read.problems.append(Problem(source, "no AWS Config snapshot file (*.json or *.json.gz) here"))
    return read


def _only(inventory: Inventory, accounts: Sequence[str], regions: Sequence[str]) -> Inventory:
    """The inventory restricted to ``--accounts`` (ids) and ``--regions`` (global resources stay)."""
    if not accounts and not regions:
        return inventory

    def keep(account: str, region: str) -> bool:
        in_region = not regions or region in regions or region in ("", "global")
        return (not accounts or account in accounts or account == "") and in_region

    return Inventory(
        resources=[r for r in inventory.resources if keep(r.account_id, r.region)],
        gaps=[g for g in inventory.gaps if keep(g.account_id, g.region)],
        accounts={k: v for k, v in inventory.accounts.items() if not accounts or k in accounts},
        organization=inventory.organization,
        regions=[r for r in inventory.regions if not regions or r in regions],
    )


def run_snapshot_scan(options: ScanOptions, source: str) -> ScanResult:
    """Run the selected checks on AWS Config snapshots instead of live accounts: the checks whose
    inputs a snapshot gives (the others are listed as gaps), findings with ``source="snapshot"``."""
    from secpillar.sources.config_snapshot import evaluable, load, skipped_gaps

    started = datetime.now(UTC)
    selected = select_checks(options)
    if not selected:
        raise UsageError("no check selected")
    loaded = load(read_config_snapshot(source, options))
    checks, skipped = evaluable(selected)
    inventory = _only(loaded.inventory, options.accounts, options.regions)
    inventory.gaps.extend(skipped_gaps(skipped))
    findings = apply_mutelist(evaluate(inventory, checks, options.settings), options.mutelist)
    return ScanResult(
        inventory=inventory,
        findings=findings,
        checks=checks,
        started=started,
        finished=datetime.now(UTC),
    )


def run_scan(options: ScanOptions, progress: Progress | None = None) -> ScanResult:
    """Discover the accounts, collect what the selected checks read, and evaluate them."""
    progress = progress or Progress()
    started = datetime.now(UTC)
    checks = select_checks(options)
    if not checks:
        raise UsageError("no check selected")
    needed = {t for c in checks for t in (*c.resource_types, *c.reads)}
    collectors = load_collectors().for_types(needed)
    if progress.on_phase:
        progress.on_phase("discovering accounts")
    session = base_session(options.profile, None, options.endpoint_url)
    base = ClientFactory(session, options.endpoint_url, max_pool=max(10, options.max_workers * 2))
    try:
        found = discover(
            base,
            use_org=options.use_org,
            role_name=options.role,
            accounts=options.accounts,
            external_id=options.external_id,
        )
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(f"cannot identify the caller (sts:GetCallerIdentity): {short_message(exc)}") from exc
    gaps: list[Gap] = list(found.gaps)
    regions = list(options.regions)
    if not regions:
        try:
            regions = enabled_regions(base)
        except (ClientError, BotoCoreError) as exc:
            regions = [session.region_name or "us-east-1"]
            gaps.append(
                Gap(
                    GapKind.DENIED,
                    found.caller_account,
                    "global",
                    "ec2",
                    "DescribeRegions",
                    short_message(exc),
                )
            )
    mgmt = found.organization.get("managementAccountId") or None
    jobs = plan_jobs(found.targets, collectors, regions, mgmt)
    if progress.on_plan:
        progress.on_plan(len(jobs))
    if progress.on_phase:
        progress.on_phase("collecting")
    collected = run_collectors(
        jobs,
        partition=found.partition,
        organization=found.organization,
        max_workers=options.max_workers,
        on_done=progress.on_job,
    )
    inventory = Inventory(
        resources=collected.resources,
        gaps=gaps + collected.gaps,
        accounts=found.accounts,
        organization=found.organization,
        regions=regions,
    )
    if progress.on_phase:
        progress.on_phase("evaluating")
    findings = evaluate(inventory, checks, options.settings)
    findings = apply_mutelist(findings, options.mutelist)
    return ScanResult(
        inventory=inventory,
        findings=findings,
        checks=checks,
        started=started,
        finished=datetime.now(UTC),
        api_calls=collected.api_calls,
        targets=list(found.targets),
    )
