"""Read ``terraform show -json PLANFILE`` output into resource instances.

The JSON plan representation (format_version 1.x): ``planned_values.root_module`` lists every
resource that will exist after apply (``address``, ``mode``, ``type``, ``name``, ``values``) and
its ``child_modules``; ``resource_changes[].change.after_unknown`` marks, with the same shape as
the values, the attributes known only after apply; ``configuration`` keeps the expressions with
their ``references``. Unknown attributes become UNKNOWN; an unknown attribute that refers to
another resource of the plan (``vpc_id = aws_vpc.main.id``) resolves to that resource's stand-in
id so that folding (rules into groups, flow logs into VPCs) still works. Plans carry no line
numbers: the block is found in the ``.tf`` files beside the plan when they are there, else the
location is the plan file and the line of the resource's address in it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError, ValidationError
from secpillar.sources.terraform.expr import UNKNOWN
from secpillar.sources.terraform.ids import DEFAULT_REGION, PLACEHOLDER_ACCOUNT, identity
from secpillar.sources.terraform.model import TfConfig, TfResource

_BLOCK_LINE = re.compile(r'^\s*resource\s+"?([\w-]+)"?\s+"?([\w-]+)"?\s*\{', re.M)


def with_unknown(values: Any, unknown: Any) -> Any:
    """``values`` with UNKNOWN wherever ``after_unknown`` says ``true``."""
    if unknown is True:
        return UNKNOWN
    if isinstance(unknown, Mapping):
        base = dict(values) if isinstance(values, Mapping) else {}
        for k, u in unknown.items():
            base[k] = with_unknown(base.get(k), u)
        return base
    if isinstance(unknown, list):
        base_l = list(values) if isinstance(values, list) else []
        out = []
        for i in range(max(len(base_l), len(unknown))):
            v = base_l[i] if i < len(base_l) else None
            out.append(with_unknown(v, unknown[i]) if i < len(unknown) else v)
        return out
    return values


def _walk_modules(module: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    yield module
    for child in module.get("child_modules") or ():
        yield from _walk_modules(child)


def _config_modules(module: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    yield prefix, module
    for name, call in (module.get("module_calls") or {}).items():
        yield from _config_modules(call.get("module") or {}, f"{prefix}module.{name}.")


def _module_dirs(config: Mapping[str, Any], base: Path) -> dict[str, Path]:
    dirs = {"": base}

    def visit(module: Mapping[str, Any], prefix: str, here: Path) -> None:
        for name, call in (module.get("module_calls") or {}).items():
            src = call.get("source")
            if isinstance(src, str) and src.startswith(("./", "../")):
                d = (here / src).resolve()
                dirs[f"{prefix}module.{name}."] = d
                visit(call.get("module") or {}, f"{prefix}module.{name}.", d)

    visit(config.get("root_module") or {}, "", base)
    return dirs


def _block_lines(directory: Path) -> dict[tuple[str, str], tuple[str, int]]:
    out: dict[tuple[str, str], tuple[str, int]] = {}
    if not directory.is_dir():
        return out
    for f in sorted(directory.glob("*.tf")):
        text = f.read_text(encoding="utf-8")
        for m in _BLOCK_LINE.finditer(text):
            out[(m.group(1), m.group(2))] = (str(f), text.count("\n", 0, m.start(1)) + 1)
    return out


def _module_prefix(address: str) -> str:
    """``module.a.module.b[0].aws_x.y`` -> ``module.a.module.b.`` (config path, no keys)."""
    parts = re.findall(r"module\.([\w-]+)(?:\[[^\]]*\])?\.", address)
    return "".join(f"module.{p}." for p in parts)


def _instance_prefix(address: str) -> str:
    m = re.match(r"((?:module\.[\w-]+(?:\[[^\]]*\])?\.)*)", address)
    return m.group(1) if m else ""


def load_plan(  # noqa: PLR0915 - values, locations, references in one pass
    path: str | Path, tf_dir: str | Path | None = None, account: str = PLACEHOLDER_ACCOUNT
) -> TfConfig:
    """Read a plan in ``terraform show -json`` form (``tf_dir``: where its .tf files are, for
    line numbers; default the plan's folder)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
        doc = json.loads(text)
    except OSError as exc:
        raise UsageError(f"cannot read plan {p}: {exc.strerror}") from None
    except ValueError as exc:
        raise ValidationError(f"not JSON: {exc}", where=str(p)) from None
    if not isinstance(doc, dict) or "format_version" not in doc or "planned_values" not in doc:
        raise ValidationError(
            "not a `terraform show -json` plan (no format_version/planned_values)", where=str(p)
        )
    config = doc.get("configuration") or {}
    region = DEFAULT_REGION
    aws = (config.get("provider_config") or {}).get("aws") or {}
    const = ((aws.get("expressions") or {}).get("region") or {}).get("constant_value")
    if isinstance(const, str) and const:
        region = const
    changes = {rc.get("address"): rc.get("change") or {} for rc in doc.get("resource_changes") or ()}
    refs_by_module: dict[str, dict[tuple[str, str], dict[str, list[str]]]] = {}
    for prefix, module in _config_modules(config.get("root_module") or {}):
        table: dict[tuple[str, str], dict[str, list[str]]] = {}
        for r in module.get("resources") or ():
            refs = {
                k: [str(x) for x in (e.get("references") or [])]
                for k, e in (r.get("expressions") or {}).items()
                if isinstance(e, Mapping)
            }
            table[(str(r.get("type")), str(r.get("name")))] = refs
        refs_by_module[prefix] = table
    base = Path(tf_dir) if tf_dir else p.parent
    dirs = _module_dirs(config, base)
    lines_by_module = {prefix: _block_lines(d) for prefix, d in dirs.items()}
    resources: list[TfResource] = []
    for module in _walk_modules((doc.get("planned_values") or {}).get("root_module") or {}):
        for r in module.get("resources") or ():
            address = str(r.get("address"))
            unknown = (changes.get(address) or {}).get("after_unknown") or {}
            values = with_unknown(r.get("values") or {}, unknown)
            mprefix = _module_prefix(address)
            rtype, name = str(r.get("type")), str(r.get("name"))
            configured = refs_by_module.get(mprefix, {}).get((rtype, name))
            if configured is not None:
                # Unknown and not set in the configuration: the provider computes it, which is
                # what leaving the argument out of HCL means (the mapper applies that default).
                values = {k: (None if v is UNKNOWN and k not in configured else v) for k, v in values.items()}
            file, line = lines_by_module.get(mprefix, {}).get((rtype, name), ("", 0))
            if not file:
                file, line = (
                    str(p),
                    text.count(
                        "\n",
                        0,
                        max(text.find(f'"address":"{address}"'), text.find(f'"address": "{address}"'), 0),
                    )
                    + 1,
                )
            resources.append(
                TfResource(
                    address=address,
                    mode=str(r.get("mode", "managed")),
                    type=rtype,
                    name=name,
                    values=values,
                    file=file,
                    line=line,
                    module=_instance_prefix(address).rstrip("."),
                    refs=refs_by_module.get(mprefix, {}).get((rtype, name), {}),
                )
            )
    by_address = {r.address: r for r in resources}
    for r in resources:
        r.computed = identity(r.type, r.address, _known_only(r.values), region, account)
    for r in resources:
        prefix = _instance_prefix(r.address)
        for key, targets in r.refs.items():
            if r.values.get(key) is not UNKNOWN:
                continue
            for t in targets:
                m = re.match(r"^((?:data\.)?[\w-]+\.[\w-]+)(?:\[[^\]]*\])?\.([\w-]+)$", t)
                if not m:
                    continue
                target = by_address.get(prefix + m.group(1)) or by_address.get(prefix + m.group(1) + "[0]")
                if target is not None:
                    v = target.values.get(m.group(2))
                    if v is None or v is UNKNOWN:
                        v = target.computed.get(m.group(2), UNKNOWN)
                    r.values[key] = v
                    break
    return TfConfig(resources=resources, region=region, account=account, root=str(p), kind="plan")


def _known_only(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not UNKNOWN}
