"""Users' own conftest-style Rego policies on a Terraform plan (``secpillar iac --rego DIR``).

A team that already checks plans with OPA/conftest keeps its policies: every ``*.rego`` file
under the folders (``*_test.rego`` excepted) is loaded into regopy (the OPA-compatible Rego
interpreter, Rego v1 syntax and the older ``deny[msg] { … }`` form alike), the input is the plan
JSON as ``terraform show -json`` wrote it, and each package's rules named as conftest names them
are read: ``deny``, ``violation`` and ``warn``, also with a suffix (``deny_public_bucket``).

Each message becomes a FAIL finding with the check id ``rego.<package>.<rule>``: ``deny`` and
``violation`` at severity high, ``warn`` at low (a result object may carry its own ``severity``).
A message is attributed to a resource when the result object names it (``address`` or
``resource``) or when its text contains a resource address of the plan: the finding then has
that resource and the file and line of its block. Otherwise it points at the plan file.
A policy file that does not compile is reported in ``warnings`` and skipped.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError
from secpillar.model import Finding, FindingResource, Severity, Status
from secpillar.sources.terraform.model import TfConfig, TfResource

_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)", re.M)
_RULE = re.compile(r"^(deny|violation|warn)(_\w+)?$")
SEVERITY = {"deny": Severity.HIGH, "violation": Severity.HIGH, "warn": Severity.LOW}


_ERRMSG = re.compile(r"\(errormsg \d+:([^)]*)\)")


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """The Rego library prints compile errors on file descriptor 1; keep them off our output
    (they are reported as warnings instead)."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _error_text(exc: Exception) -> str:
    found = _ERRMSG.findall(str(exc))
    return "; ".join(found) if found else (str(exc).strip().splitlines() or ["error"])[0]


def policy_files(dirs: Iterable[str]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        p = Path(d)
        if p.is_file() and p.suffix == ".rego":
            files.append(p)
        elif p.is_dir():
            files.extend(f for f in sorted(p.rglob("*.rego")) if not f.name.endswith("_test.rego"))
        else:
            raise UsageError(f"--rego {d}: not a folder or .rego file")
    return files


def _messages(value: Any) -> Iterator[Any]:
    """The results of one rule: a set (list) of messages/objects, or the object a v0 partial
    rule ``warn[msg] { … }`` becomes (messages as keys)."""
    if isinstance(value, list):
        yield from value
    elif isinstance(value, Mapping):
        for k, v in value.items():
            if v is not True:
                continue
            try:  # an object member of a v0 partial set arrives as its JSON text
                obj = json.loads(k) if k.startswith("{") else k
            except ValueError:
                obj = k
            yield obj
    elif isinstance(value, str):
        yield value


def _text(item: Any) -> tuple[str, dict[str, Any]]:
    if isinstance(item, Mapping):
        msg = item.get("msg") or item.get("message") or json.dumps(item, sort_keys=True)
        return str(msg), dict(item)
    return str(item), {}


def _attribute(msg: str, meta: Mapping[str, Any], by_address: Mapping[str, TfResource]) -> TfResource | None:
    for key in ("address", "resource"):
        named = meta.get(key)
        if isinstance(named, str) and named in by_address:
            return by_address[named]
    hits = [a for a in by_address if a in msg]
    return by_address[max(hits, key=len)] if hits else None


def evaluate_rego(
    dirs: Iterable[str], plan_path: Path, config: TfConfig, warnings: list[str]
) -> list[Finding]:
    """Findings of the conftest-style rules in ``dirs`` on the plan at ``plan_path``."""
    from regopy import Input, Interpreter, RegoError

    files = policy_files(dirs)
    plan = json.loads(plan_path.read_text(encoding="utf-8"))
    by_package: dict[str, list[Path]] = {}
    for f in files:
        m = _PACKAGE.search(f.read_text(encoding="utf-8"))
        if m is None:
            warnings.append(f"{f}: no package declaration; skipped")
            continue
        by_package.setdefault(m.group(1), []).append(f)
    by_address = {r.address: r for r in config.resources if r.mode == "managed"}
    stamp = datetime.now(UTC).isoformat()
    findings: list[Finding] = []
    for package, pfiles in sorted(by_package.items()):
        rego = Interpreter()
        loaded = 0
        for f in pfiles:
            try:
                with _quiet_stdout():
                    rego.add_module(str(f), f.read_text(encoding="utf-8"))
                loaded += 1
            except RegoError as exc:
                warnings.append(f"{f}: Rego does not compile ({_error_text(exc)}); skipped")
        if not loaded:
            continue
        try:
            with _quiet_stdout():
                rego.set_input(Input(plan))
                out = rego.query(f"data.{package}")
            doc = json.loads(str(out)).get("expressions", [{}])[0] if out.ok() else {}
        except (RegoError, ValueError) as exc:
            warnings.append(f"rego package {package}: evaluation failed: {_error_text(exc)}")
            continue
        for rule, value in sorted((doc or {}).items()):
            m = _RULE.match(rule)
            if not m:
                continue
            for item in _messages(value):
                msg, meta = _text(item)
                findings.append(
                    _finding(package, rule, m.group(1), msg, meta, by_address, plan_path, config, stamp)
                )
    return findings


def _finding(
    package: str,
    rule: str,
    kind: str,
    msg: str,
    meta: Mapping[str, Any],
    by_address: Mapping[str, TfResource],
    plan_path: Path,
    config: TfConfig,
    stamp: str,
) -> Finding:
    tf = _attribute(msg, meta, by_address)
    try:
        severity = Severity.parse(str(meta["severity"])) if "severity" in meta else SEVERITY[kind]
    except ValueError:
        severity = SEVERITY[kind]
    if tf is not None:
        resource = FindingResource(
            arn=f"terraform:{tf.address}",
            type=tf.type,
            account=config.account,
            region=config.region,
            name=tf.name,
        )
        location: dict[str, Any] = {"file": tf.file, "line": tf.line, "address": tf.address}
    else:
        resource = FindingResource(
            arn=f"terraform:{plan_path.name}",
            type="terraform_plan",
            account=config.account,
            region=config.region,
        )
        location = {"file": str(plan_path), "line": 1}
    return Finding(
        check_id=f"rego.{package}.{rule}",
        title=f"Rego policy {package}.{rule}",
        status=Status.FAIL,
        severity=severity,
        resource=resource,
        message=msg,
        source="iac",
        evidence={k: v for k, v in meta.items() if k not in ("msg", "message")},
        time=stamp,
        location=location,
    )
