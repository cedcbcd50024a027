"""The infrastructure-as-code pipeline: Terraform -> Resources -> the registered checks -> findings.

``run_iac`` reads a folder of HCL or a ``terraform show -json`` plan, maps the AWS resources onto
the Resource model the live collectors produce, and runs the same registered checks through
:func:`secpillar.checks.engine.run_checks`. Findings carry ``source="iac"`` and the file and line
of the resource block. A check that cannot decide because a value is unknown until apply gives no
finding; those resource/check pairs are listed in ``IacResult.unknown``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secpillar.checks import CheckContext, load_all
from secpillar.checks.engine import run_checks
from secpillar.errors import UsageError
from secpillar.model import Finding, Inventory, Severity, Status
from secpillar.sources.terraform.hcl import load_folder
from secpillar.sources.terraform.mapping import Mapped, map_config
from secpillar.sources.terraform.model import TfConfig
from secpillar.sources.terraform.plan import load_plan


@dataclass(frozen=True)
class IacOptions:
    path: str
    plan: bool = False
    """``path`` is a ``terraform show -json`` file (also detected from a ``.json`` suffix)."""
    checks: list[str] = field(default_factory=list)
    exclude_checks: list[str] = field(default_factory=list)
    var_files: list[str] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    tf_dir: str | None = None
    """For plans: the folder of the .tf files (line numbers); default the plan's folder."""
    min_severity: Severity = Severity.INFORMATIONAL


@dataclass(frozen=True)
class Unknown:
    """A check that could not decide on a resource because values are unknown until apply."""

    check_id: str
    arn: str
    address: str
    file: str
    line: int
    attributes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "status": "UNKNOWN",
            "resource": self.arn,
            "address": self.address,
            "location": {"file": self.file, "line": self.line},
            "unknown": list(self.attributes),
        }


@dataclass
class IacResult:
    findings: list[Finding]
    unknown: list[Unknown]
    inventory: Inventory
    config: TfConfig
    mapped: Mapped
    seconds: float = 0.0

    def address_of(self, finding: Finding) -> str:
        return self.mapped.address.get(finding.resource.arn, "")

    def to_dict(self) -> dict[str, Any]:
        findings = []
        for f in self.findings:
            d = f.to_dict()
            d["address"] = self.address_of(f)
            findings.append(d)
        return {
            "source": {"kind": self.config.kind, "path": self.config.root, "region": self.config.region},
            "resources": len(self.inventory) - len(self.mapped.assumed),
            "unmapped": self.mapped.unmapped,
            "warnings": list(self.config.warnings),
            "findings": findings,
            "unknown": [u.to_dict() for u in self.unknown],
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=False)


def load_terraform(options: IacOptions) -> TfConfig:
    path = Path(options.path)
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    if options.plan or (path.is_file() and path.suffix == ".json"):
        return load_plan(path, options.tf_dir)
    if path.is_file():
        raise UsageError(f"{path} is a file: give the folder of .tf files, or --plan for plan JSON")
    return load_folder(path, options.var_files, options.variables)


def run_iac(options: IacOptions) -> IacResult:
    started = time.perf_counter()
    config = load_terraform(options)
    mapped = map_config(config)
    inventory = Inventory(resources=list(mapped.resources), regions=[config.region])
    registry = load_all()
    checks = registry.select(
        include=options.checks,
        exclude=options.exclude_checks,
        predicate=lambda c: c.severity >= options.min_severity,
    )
    ctx = CheckContext(inventory=inventory)
    findings = [f for f in run_checks(checks, ctx) if f.resource.arn not in mapped.assumed]
    decided = {(f.check_id, f.resource.arn) for f in findings}
    unknown: list[Unknown] = []
    for check in checks:
        for rtype in check.resource_types:
            for r in inventory.by_type(rtype):
                paths = mapped.unknown.get(r.arn)
                if not paths or (check.id, r.arn) in decided or r.location is None:
                    continue
                unknown.append(
                    Unknown(
                        check.id,
                        r.arn,
                        mapped.address.get(r.arn, ""),
                        r.location.file,
                        r.location.line,
                        tuple(paths),
                    )
                )
    findings.sort(key=lambda f: (f.status is not Status.FAIL, -f.severity.rank, f.check_id, f.resource.arn))
    return IacResult(findings, unknown, inventory, config, mapped, time.perf_counter() - started)


def exit_code(result: IacResult, fail_on: Severity | None) -> int:
    """3 when a FAIL at or above ``fail_on`` was found (the CI gate), else 0."""
    from secpillar.errors import EXIT_FINDINGS

    if fail_on is None:
        return 0
    bad = any(f.status is Status.FAIL and f.severity >= fail_on for f in result.findings)
    return EXIT_FINDINGS if bad else 0
