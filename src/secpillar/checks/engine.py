"""Run checks over an inventory and turn their results into findings (pure: no AWS)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from secpillar.checks.frameworks import CIS, FSBP
from secpillar.checks.registry import Check, CheckContext
from secpillar.model import Finding, FindingResource, Resource, Status


def finding_resource(resource: Resource) -> FindingResource:
    return FindingResource(
        arn=resource.arn,
        type=resource.resource_type,
        account=resource.account_id,
        region=resource.region,
        name=resource.display_name,
        tags=dict(resource.tags),
    )


def make_finding(
    check: Check,
    resource: Resource,
    status: Status,
    message: str,
    evidence: dict[str, object] | None = None,
    time: str = "",
) -> Finding:
    frameworks = {k: v for k, v in ((CIS, check.cis), (FSBP, check.fsbp)) if v}
    return Finding(
        check_id=check.id,
        title=check.title,
        status=status,
        severity=check.severity,
        resource=finding_resource(resource),
        message=message,
        source=resource.source,
        wa=tuple(check.wa),
        frameworks=frameworks,
        evidence=evidence or {},
        remediation=check.remediation,
        time=time,
        location=resource.location.to_dict() if resource.location else None,
    )


def run_checks(
    checks: Iterable[Check],
    ctx: CheckContext,
    on_check: Callable[[Check], None] | None = None,
) -> list[Finding]:
    """Evaluate each check on every resource of the types it reads.

    A check that raises on one resource yields an ERROR finding for that resource and goes on
    with the others: one bad item never aborts the run."""
    stamp = ctx.now.isoformat()
    findings: list[Finding] = []
    for check in checks:
        for rtype in check.resource_types:
            for resource in ctx.inventory.by_type(rtype):
                try:
                    results = list(check.evaluate(resource, ctx))
                except Exception as exc:  # noqa: BLE001 - reported as an ERROR finding, never swallowed
                    msg = f"check raised {type(exc).__name__}: {exc}"
                    findings.append(make_finding(check, resource, Status.ERROR, msg, time=stamp))
                    continue
                for r in results:
                    findings.append(
                        make_finding(check, resource, r.status, r.message, dict(r.evidence), stamp)
                    )
        if on_check is not None:
            on_check(check)
    return findings
