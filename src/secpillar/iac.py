"""The infrastructure-as-code pipeline: Terraform -> Resources -> the registered checks -> findings.

``run_iac`` reads a ``terraform show -json`` plan, one ``.tf`` file, or a folder: every folder
under PATH that holds ``.tf`` files is a root module of its own (folders that another one calls
as a local module are read as modules, not as roots), so a repository of several stacks, or a
corpus of samples, is read in one run without their addresses colliding. Each root is mapped onto
the Resource model the live collectors produce and checked with the same registered checks
(:func:`secpillar.checks.engine.run_checks`). Findings carry ``source="iac"`` and a ``location``
with the file, line and Terraform address of the resource block. A check that cannot decide
because a value is unknown until apply gives no finding; those pairs are listed in
``IacResult.unknown``. A file or root that cannot be parsed is reported in ``warnings``; the
others are still checked. The mute list applies after evaluation, as in ``secpillar scan``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from secpillar.checks import Check, CheckContext, load_all
from secpillar.checks.engine import run_checks
from secpillar.checks.mutelist import MuteList, apply_mutelist
from secpillar.errors import UsageError, ValidationError
from secpillar.model import Finding, Inventory, Severity, Status
from secpillar.sources.terraform.hcl import load_folder
from secpillar.sources.terraform.mapping import Mapped, map_config
from secpillar.sources.terraform.model import TfConfig
from secpillar.sources.terraform.parse import prefetch
from secpillar.sources.terraform.plan import load_plan

ACCOUNT_WIDE = {"AWS::::Account", "AWS::::AccountRegion"}
JUDGED_ON_ACCOUNT = {"aws.s3.account-public-access-block", "aws.ec2.ebs-default-encryption"}
"""A module is not the whole account: on the account pseudo resources only the checks of the
account settings a module can declare (``aws_s3_account_public_access_block``,
``aws_ebs_encryption_by_default``) are judged; "does the account have a trail / an alarm / … anywhere"
is a question for the live scan."""

_LOCAL_SOURCE = re.compile(r'^\s*source\s*=\s*"(\.{1,2}/[^"]*)"', re.M)
_SKIP_DIRS = {".terraform", ".git", "node_modules", ".venv"}


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
    mutelist: MuteList | None = None
    rego_dirs: list[str] = field(default_factory=list)
    """Folders of conftest-style Rego policies, evaluated on plan JSON (``secpillar.iac_rego``)."""


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
class IacRoot:
    """One root module (or plan) as read and mapped."""

    config: TfConfig
    mapped: Mapped
    inventory: Inventory

    @property
    def resource_count(self) -> int:
        return len(self.inventory) - len(self.mapped.assumed)


@dataclass
class IacResult:
    findings: list[Finding]
    unknown: list[Unknown]
    roots: list[IacRoot]
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def addresses(self) -> dict[str, str]:
        """ARN -> Terraform address, over every root."""
        out: dict[str, str] = {}
        for root in self.roots:
            out.update(root.mapped.address)
        return out

    @property
    def resource_count(self) -> int:
        return sum(r.resource_count for r in self.roots)

    @property
    def unmapped(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for root in self.roots:
            for k, v in root.mapped.unmapped.items():
                counts[k] = counts.get(k, 0) + v
        return dict(sorted(counts.items()))

    def address_of(self, finding: Finding) -> str:
        loc = finding.location or {}
        return str(loc.get("address") or self.addresses.get(finding.resource.arn, ""))

    def count(self, status: Status) -> int:
        return sum(1 for f in self.findings if f.status is status)

    def to_dict(self) -> dict[str, Any]:
        findings = []
        for f in self.findings:
            d = f.to_dict()
            d["address"] = self.address_of(f)
            findings.append(d)
        return {
            "source": [
                {"kind": r.config.kind, "path": r.config.root, "region": r.config.region} for r in self.roots
            ],
            "resources": self.resource_count,
            "unmapped": self.unmapped,
            "warnings": list(self.warnings),
            "summary": {s.value: self.count(s) for s in Status} | {"UNKNOWN": len(self.unknown)},
            "findings": findings,
            "unknown": [u.to_dict() for u in self.unknown],
        }

    def to_json(self) -> str:
        # orjson: the same document as json.dumps(indent=2), ~10x faster on a large folder's findings
        return orjson.dumps(self.to_dict(), default=str, option=orjson.OPT_INDENT_2).decode()


def find_roots(path: Path) -> list[Path]:
    """The root modules under ``path``: every folder holding ``.tf`` files, except folders that
    another folder calls as a local module (``source = "./modules/x"``) and hidden/tool folders."""
    dirs: list[Path] = []
    called: set[Path] = set()
    for here, subdirs, files in os.walk(path):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not d.startswith("."))
        tf = sorted(f for f in files if f.endswith(".tf"))
        if not tf:
            continue
        d = Path(here)
        dirs.append(d)
        for name in tf:
            try:
                text = (d / name).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for m in _LOCAL_SOURCE.finditer(text):
                called.add((d / m.group(1)).resolve())
    root = path.resolve()
    return [d for d in dirs if d.resolve() == root or d.resolve() not in called]


def _tf_dirs(path: Path) -> Iterator[Path]:
    for here, subdirs, files in os.walk(path):
        subdirs[:] = sorted(d for d in subdirs if d not in _SKIP_DIRS and not d.startswith("."))
        if any(f.endswith(".tf") for f in files):
            yield Path(here)


def _configs(options: IacOptions, warnings: list[str]) -> Iterator[TfConfig]:
    path = Path(options.path)
    if not path.exists():
        raise UsageError(f"{path} does not exist")
    if options.plan or (path.is_file() and path.suffix == ".json"):
        yield load_plan(path, options.tf_dir)
        return
    if path.is_file():
        if path.suffix != ".tf":
            raise UsageError(f"{path} is neither a .tf file, a folder of them, nor plan JSON (--plan)")
        yield load_folder(path, options.var_files, options.variables)
        return
    roots = find_roots(path)
    if not roots:
        raise UsageError(f"{path} holds no .tf files")
    prefetch([f for d in _tf_dirs(path) for f in sorted(d.glob("*.tf"))])
    errors: list[ValidationError] = []
    for root in roots:
        try:
            yield load_folder(root, options.var_files, options.variables)
        except ValidationError as exc:
            errors.append(exc)
            warnings.append(f"{exc}; root module skipped")
    if errors and len(errors) == len(roots):
        raise errors[0]


def load_terraform(options: IacOptions) -> TfConfig:
    """The first root of ``options.path`` (kept for callers that read one root)."""
    return next(_configs(options, []))


def _check_root(config: TfConfig, checks: list[Check]) -> tuple[IacRoot, list[Finding], list[Unknown]]:
    mapped = map_config(config)
    inventory = Inventory(resources=list(mapped.resources), regions=[config.region])
    ctx = CheckContext(inventory=inventory)
    findings: list[Finding] = []
    for raw in run_checks(checks, ctx):
        if raw.resource.arn in mapped.assumed:
            continue
        if raw.resource.type in ACCOUNT_WIDE and raw.check_id not in JUDGED_ON_ACCOUNT:
            continue
        address = mapped.address.get(raw.resource.arn)
        if address and raw.location is not None:
            findings.append(dataclasses.replace(raw, location={**raw.location, "address": address}))
        else:
            findings.append(raw)
    decided = {(f.check_id, f.resource.arn) for f in findings}
    unknown: list[Unknown] = []
    for check in checks:
        for rtype in check.resource_types:
            if rtype in ACCOUNT_WIDE and check.id not in JUDGED_ON_ACCOUNT:
                continue
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
    return IacRoot(config, mapped, inventory), findings, unknown


def select(options: IacOptions) -> list[Check]:
    return load_all().select(
        include=options.checks,
        exclude=options.exclude_checks,
        predicate=lambda c: c.severity >= options.min_severity,
    )


def run_iac(options: IacOptions) -> IacResult:
    started = time.perf_counter()
    checks = select(options)
    warnings: list[str] = []
    roots: list[IacRoot] = []
    findings: list[Finding] = []
    unknown: list[Unknown] = []
    for config in _configs(options, warnings):
        root, found, unk = _check_root(config, checks)
        roots.append(root)
        findings.extend(found)
        unknown.extend(unk)
        warnings.extend(config.warnings)
        warnings.extend(root.mapped.errors)
    if options.rego_dirs:
        from secpillar.iac_rego import evaluate_rego

        plans = [r.config for r in roots if r.config.kind == "plan"]
        if not plans:
            warnings.append("--rego evaluates plan JSON: give a `terraform show -json` file")
        for config in plans:
            findings.extend(evaluate_rego(options.rego_dirs, Path(config.root), config, warnings))
    result = IacResult(findings, unknown, roots, warnings)
    findings = apply_mutelist(findings, options.mutelist, addresses=result.addresses)
    findings.sort(key=lambda f: (f.status is not Status.FAIL, -f.severity.rank, f.check_id, f.resource.arn))
    result.findings = findings
    result.seconds = time.perf_counter() - started
    return result


def exit_code(result: IacResult, fail_on: Severity | None) -> int:
    """3 when a FAIL at or above ``fail_on`` was found (the CI gate; MUTED never counts), else 0."""
    from secpillar.errors import EXIT_FINDINGS

    if fail_on is None:
        return 0
    bad = any(f.status is Status.FAIL and f.severity >= fail_on for f in result.findings)
    return EXIT_FINDINGS if bad else 0
