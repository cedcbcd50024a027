"""Read a folder of Terraform HCL into resource instances (python-hcl2 does the parsing).

Supported: variables (defaults, ``terraform.tfvars``, ``*.auto.tfvars``, extra var files and
``-var`` values), ``locals``, modules from local paths (inputs and outputs), ``count`` and
``for_each`` where they resolve, ``dynamic`` blocks, references between resources (to configured
attributes, or to the stand-ins of :mod:`ids`), and the ``aws_iam_policy_document``,
``aws_caller_identity``, ``aws_region`` and ``aws_partition`` data sources. Anything else Terraform
only knows at apply is UNKNOWN. Remote module sources are skipped with a warning.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from secpillar.errors import UsageError, ValidationError
from secpillar.sources.terraform.expr import (
    UNKNOWN,
    Instances,
    Scope,
    evaluate_value,
    to_string,
)
from secpillar.sources.terraform.ids import DEFAULT_REGION, PLACEHOLDER_ACCOUNT, data_identity, identity
from secpillar.sources.terraform.model import TfConfig, TfResource
from secpillar.sources.terraform.parse import parse_file
from secpillar.sources.terraform.policydoc import render_policy_document

_META_ARGS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
_BLOCK_LINE = re.compile(r'^\s*(resource|data)\s+"?([\w-]+)"?\s+"?([\w-]+)"?\s*\{', re.M)
_MODULE_LINE = re.compile(r'^\s*module\s+"?([\w-]+)"?\s*\{', re.M)
MAX_MODULE_DEPTH = 16


def _unquote(k: str) -> str:
    return k[1:-1] if len(k) >= 2 and k[0] == '"' and k[-1] == '"' else k


def _is_block_list(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(b, dict) and b.get("__is_block__") for b in v)


class _Block:
    def __init__(self, kind: str, rtype: str, name: str, body: dict[str, Any], file: str, line: int) -> None:
        self.kind, self.type, self.name, self.body, self.file, self.line = kind, rtype, name, body, file, line


class _Instance(Mapping[str, Any]):
    """A resource instance as references see it: lazily evaluated attributes, then stand-ins."""

    def __init__(self, module: _Module, block: _Block, key: Any, address: str) -> None:
        self.module, self.block, self.key, self.address = module, block, key, address
        self._values: dict[str, Any] | None = None
        self._busy = False
        self._computed: dict[str, Any] | None = None

    def scope(self) -> Scope:
        names: dict[str, Any] = {}
        if "count" in self.block.body:
            names["count"] = {"index": self.key}
        if "for_each" in self.block.body:
            v = self.module.for_each_values(self.block).get(str(self.key), UNKNOWN)
            names["each"] = {"key": self.key, "value": v}
        return self.module.scope.child(names)

    def values(self) -> dict[str, Any]:  # type: ignore[override]
        if self._values is None:
            if self._busy:
                return {}
            self._busy = True
            try:
                self._values = self.module.eval_body(self.block.body, self.scope())
            finally:
                self._busy = False
        return self._values

    def computed(self) -> dict[str, Any]:
        if self._computed is None:
            vals = self.values()
            mod = self.module
            if self.block.kind == "data":
                comp = data_identity(self.block.type, mod.region, mod.account)
                if self.block.type == "aws_iam_policy_document":
                    doc = render_policy_document(vals)
                    comp.update(json=doc, minified_json=doc, id="policy")
            else:
                comp = identity(self.block.type, self.address, vals, mod.region, mod.account)
            self._computed = comp
        return self._computed

    def __getitem__(self, key: str) -> Any:
        vals = self.values()
        v = vals.get(key)
        if v is not None:
            return v
        return self.computed().get(key, UNKNOWN)

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self.values())

    def __len__(self) -> int:
        return len(self.values())


class _Module:
    def __init__(
        self,
        directory: Path,
        prefix: str,
        inputs: Mapping[str, Any],
        region: str,
        account: str,
        warnings: list[str],
        depth: int = 0,
        files: list[Path] | None = None,
    ) -> None:
        self.files = files
        self.dir, self.prefix, self.inputs = directory, prefix, dict(inputs)
        self.region, self.account, self.warnings, self.depth = region, account, warnings, depth
        self.blocks: list[_Block] = []
        self.variables: dict[str, dict[str, Any]] = {}
        self.local_exprs: dict[str, Any] = {}
        self.outputs: dict[str, Any] = {}
        self.module_calls: dict[str, tuple[dict[str, Any], str, int]] = {}
        self.providers: list[dict[str, Any]] = []
        self._locals: dict[str, Any] = {}
        self._locals_busy: set[str] = set()
        self._instances: dict[tuple[str, str, str], Any] = {}
        self._children: dict[str, Any] = {}
        self._for_each: dict[int, dict[str, Any]] = {}
        self._by_type: dict[tuple[str, str], dict[str, Any]] = {}
        self.tfvars: dict[str, Any] = {}
        self.scope = Scope(self._lookup, str(directory))
        self._read()

    # -- reading ----------------------------------------------------------------------------

    def _read(self) -> None:
        files = self.files if self.files is not None else sorted(self.dir.glob("*.tf"))
        errors: list[ValidationError] = []
        for path in files:
            try:
                text = path.read_text(encoding="utf-8")
                doc = parse_file(path)
            except (ValidationError, OSError, UnicodeDecodeError) as exc:
                # One unreadable file never aborts the folder: reported, the rest is read.
                err = exc if isinstance(exc, ValidationError) else ValidationError(str(exc), str(path))
                errors.append(err)
                self.warnings.append(f"{err}; file skipped")
                continue
            lines = {
                (m.group(1), m.group(2), m.group(3)): text.count("\n", 0, m.start(1)) + 1
                for m in _BLOCK_LINE.finditer(text)
            }
            mod_lines = {m.group(1): text.count("\n", 0, m.start(1)) + 1 for m in _MODULE_LINE.finditer(text)}
            for kind in ("resource", "data"):
                for entry in doc.get(kind) or ():
                    for rtype, named in entry.items():
                        for name, body in named.items():
                            t, n = _unquote(rtype), _unquote(name)
                            line = lines.get((kind, t, n), 1)
                            self.blocks.append(_Block(kind, t, n, body, str(path), line))
            for entry in doc.get("variable") or ():
                for name, body in entry.items():
                    self.variables[_unquote(name)] = body
            for entry in doc.get("locals") or ():
                for k, v in entry.items():
                    if not k.startswith("__"):
                        self.local_exprs[k] = v
            for entry in doc.get("output") or ():
                for name, body in entry.items():
                    self.outputs[_unquote(name)] = body.get("value")
            for entry in doc.get("module") or ():
                for name, body in entry.items():
                    n = _unquote(name)
                    self.module_calls[n] = (body, str(path), mod_lines.get(n, 1))
            for entry in doc.get("provider") or ():
                for name, body in entry.items():
                    if _unquote(name) == "aws":
                        self.providers.append(body)
        if files and len(errors) == len(files):
            raise errors[0]

    # -- names ------------------------------------------------------------------------------

    def _lookup(self, name: str) -> Any:
        if name == "var":
            return _LazyMap(self.var_value, list(self.variables))
        if name == "local":
            return _LazyMap(self.local_value, list(self.local_exprs))
        if name == "module":
            return _LazyMap(self.module_value, list(self.module_calls))
        if name == "data":
            return _LazyMap(lambda t: self.resource_type_value("data", t), [])
        if name == "path":
            return {"module": str(self.dir), "root": str(self.dir), "cwd": os.getcwd()}
        if name == "terraform":
            return {"workspace": "default"}
        if name.startswith("aws_") or any(b.type == name for b in self.blocks):
            return self.resource_type_value("resource", name)
        return UNKNOWN

    def var_value(self, name: str) -> Any:
        if name in self.inputs:
            return self.inputs[name]
        if name in self.tfvars:
            return self.tfvars[name]
        body = self.variables.get(name)
        if body is None or "default" not in body:
            return UNKNOWN
        return evaluate_value(body["default"], Scope(lambda n: UNKNOWN, str(self.dir)))

    def local_value(self, name: str) -> Any:
        if name in self._locals:
            return self._locals[name]
        if name not in self.local_exprs or name in self._locals_busy:
            return UNKNOWN
        self._locals_busy.add(name)
        try:
            value = evaluate_value(self.local_exprs[name], self.scope)
        finally:
            self._locals_busy.discard(name)
        self._locals[name] = value
        return value

    def resource_type_value(self, kind: str, rtype: str) -> Any:
        key = (kind, rtype)
        if key not in self._by_type:
            blocks = [b for b in self.blocks if b.kind == kind and b.type == rtype]
            self._by_type[key] = {b.name: self.instances_value(b) for b in blocks}
        return self._by_type[key]

    def for_each_values(self, block: _Block) -> dict[str, Any]:
        key = id(block)
        if key not in self._for_each:
            self._for_each[key] = {}
            raw = evaluate_value(block.body["for_each"], self.scope)
            if isinstance(raw, Mapping):
                self._for_each[key] = {str(k): v for k, v in raw.items()}
            elif isinstance(raw, list) and all(isinstance(x, str) for x in raw):
                self._for_each[key] = {x: x for x in raw}
            else:
                self._for_each[key] = {"__unknown__": UNKNOWN}
        return self._for_each[key]

    def instance_keys(self, block: _Block) -> list[Any] | None:
        """The instance keys of ``block`` ([None] for a single instance; None when unknown)."""
        if "count" in block.body:
            n = evaluate_value(block.body["count"], self.scope)
            if isinstance(n, bool) or not isinstance(n, int | float):
                return None
            return list(range(int(n)))
        if "for_each" in block.body:
            fe = self.for_each_values(block)
            if "__unknown__" in fe:
                return None
            return list(fe)
        return [None]

    def address(self, block: _Block, key: Any) -> str:
        base = f"{block.type}.{block.name}" if block.kind == "resource" else f"data.{block.type}.{block.name}"
        if isinstance(key, int):
            base += f"[{key}]"
        elif isinstance(key, str):
            base += f'["{key}"]'
        return self.prefix + base

    def instance(self, block: _Block, key: Any) -> _Instance:
        k = (block.kind, f"{block.type}.{block.name}", repr(key))
        inst = self._instances.get(k)
        if inst is None:
            inst = self._instances[k] = _Instance(self, block, key, self.address(block, key))
        return inst

    def instances_value(self, block: _Block) -> Any:
        keys = self.instance_keys(block)
        if keys is None:
            return UNKNOWN
        if "count" in block.body:
            return [self.instance(block, k) for k in keys]
        if "for_each" in block.body:
            return Instances({str(k): self.instance(block, k) for k in keys})
        return self.instance(block, None)

    # -- modules ----------------------------------------------------------------------------

    def child(self, name: str, key: Any = None) -> _Module | None:
        ck = f"{name}|{key!r}"
        if ck in self._children:
            return self._children[ck]  # type: ignore[no-any-return]
        body, file, _line = self.module_calls[name]
        self._children[ck] = None
        source = evaluate_value(body.get("source"), Scope(lambda n: UNKNOWN))
        if not isinstance(source, str) or not source.startswith(("./", "../")):
            self.warnings.append(f"{file}: module {name!r} source {source!r} is not a local path; skipped")
            return None
        path = (self.dir / source).resolve()
        if not path.is_dir() or self.depth >= MAX_MODULE_DEPTH:
            self.warnings.append(f"{file}: module {name!r} folder {source!r} not found; skipped")
            return None
        names: dict[str, Any] = {}
        if "count" in body:
            names["count"] = {"index": key}
        if "for_each" in body:
            fe = evaluate_value(body["for_each"], self.scope)
            v = fe.get(str(key), UNKNOWN) if isinstance(fe, Mapping) else key
            names["each"] = {"key": key, "value": v}
        scope = self.scope.child(names)
        inputs = {
            k: evaluate_value(v, scope)
            for k, v in body.items()
            if not k.startswith("__") and k not in _META_ARGS and k not in ("source", "version", "providers")
        }
        suffix = f"[{key}]" if isinstance(key, int) else f'["{key}"]' if isinstance(key, str) else ""
        try:
            mod = _Module(
                path,
                f"{self.prefix}module.{name}{suffix}.",
                inputs,
                self.region,
                self.account,
                self.warnings,
                self.depth + 1,
            )
        except ValidationError as exc:
            self.warnings.append(f"{file}: module {name!r} skipped: {exc}")
            return None
        self._children[ck] = mod
        return mod

    def module_keys(self, name: str) -> list[Any] | None:
        body = self.module_calls[name][0]
        if "count" in body:
            n = evaluate_value(body["count"], self.scope)
            return list(range(int(n))) if isinstance(n, int | float) and not isinstance(n, bool) else None
        if "for_each" in body:
            fe = evaluate_value(body["for_each"], self.scope)
            if isinstance(fe, Mapping):
                return [str(k) for k in fe]
            if isinstance(fe, list) and all(isinstance(x, str) for x in fe):
                return list(fe)
            return None
        return [None]

    def module_value(self, name: str) -> Any:
        keys = self.module_keys(name)
        if keys is None:
            return UNKNOWN
        outs = []
        for k in keys:
            mod = self.child(name, k)
            outs.append(_LazyMap(mod.output_value, list(mod.outputs)) if mod else UNKNOWN)
        body = self.module_calls[name][0]
        if "count" in body:
            return outs
        if "for_each" in body:
            return Instances(dict(zip([str(k) for k in keys], outs, strict=True)))
        return outs[0]

    def output_value(self, name: str) -> Any:
        if name not in self.outputs:
            return UNKNOWN
        return evaluate_value(self.outputs[name], self.scope)

    # -- bodies -----------------------------------------------------------------------------

    def eval_body(self, body: Mapping[str, Any], scope: Scope) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in body.items():
            if k.startswith("__") or k in _META_ARGS:
                continue
            if k == "dynamic":
                for entry in v:
                    for label, dyn in entry.items():
                        out.setdefault(_unquote(label), [])
                        expanded = self._dynamic(_unquote(label), dyn, scope)
                        if expanded is UNKNOWN:
                            out[_unquote(label)] = UNKNOWN
                        elif out[_unquote(label)] is not UNKNOWN:
                            out[_unquote(label)].extend(expanded)
                continue
            if _is_block_list(v):
                blocks = [self.eval_body(b, scope) for b in v]
                if isinstance(out.get(k), list):
                    out[k].extend(blocks)
                else:
                    out[k] = blocks
            else:
                out[k] = evaluate_value(v, scope)
        return out

    def _dynamic(self, label: str, dyn: Mapping[str, Any], scope: Scope) -> Any:
        coll = evaluate_value(dyn.get("for_each"), scope)
        iterator = evaluate_value(dyn.get("iterator"), Scope(lambda n: n)) if "iterator" in dyn else label
        if coll is UNKNOWN:
            return UNKNOWN
        items = list(coll.items()) if isinstance(coll, Mapping) else list(enumerate(coll or []))
        out = []
        content = (dyn.get("content") or [{}])[0]
        for k, v in items:
            inner = scope.child({to_string(iterator): {"key": k, "value": v}})
            out.append(self.eval_body(content, inner))
        return out

    # -- walking ----------------------------------------------------------------------------

    def walk(self) -> Iterator[tuple[_Module, _Block, _Instance]]:
        for block in self.blocks:
            keys = self.instance_keys(block)
            if keys is None:
                self.warnings.append(
                    f"{block.file}:{block.line}: {block.type}.{block.name}: count/for_each unknown "
                    "until apply; judged as one instance"
                )
                keys = [None]
            for k in keys:
                yield self, block, self.instance(block, k)
        for name in self.module_calls:
            keys = self.module_keys(name) or [None]
            for k in keys:
                mod = self.child(name, k)
                if mod is not None:
                    yield from mod.walk()


class _LazyMap(Mapping[str, Any]):
    def __init__(self, fn: Any, names: list[str]) -> None:
        self._fn, self._names = fn, names

    def __getitem__(self, key: str) -> Any:
        return self._fn(key)

    def __contains__(self, key: object) -> bool:
        return True

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _tfvars(path: Path) -> dict[str, Any]:
    doc = parse_file(path)
    scope = Scope(lambda n: UNKNOWN, str(path.parent))
    return {k: evaluate_value(v, scope) for k, v in doc.items() if not k.startswith("__")}


def load_folder(
    path: str | Path,
    var_files: list[str] | None = None,
    variables: Mapping[str, Any] | None = None,
    account: str = PLACEHOLDER_ACCOUNT,
) -> TfConfig:
    """Read the Terraform root module in ``path`` (a folder, or one .tf file) and its local modules.

    A file that cannot be parsed is reported in ``warnings`` and skipped; only a root whose every
    file fails raises :class:`ValidationError`."""
    root = Path(path)
    files: list[Path] | None = None
    if root.is_file() and root.suffix == ".tf":
        root, files = root.parent, [root]
    elif not root.is_dir():
        raise UsageError(f"{root} is not a folder of Terraform files")
    elif not list(root.glob("*.tf")):
        raise UsageError(f"{root} holds no .tf files")
    warnings: list[str] = []
    mod = _Module(root, "", {}, DEFAULT_REGION, account, warnings, files=files)
    tfvars: dict[str, Any] = {}
    for f in [root / "terraform.tfvars", *sorted(root.glob("*.auto.tfvars"))]:
        if f.is_file():
            tfvars.update(_tfvars(f))
    for extra in var_files or ():
        tfvars.update(_tfvars(Path(extra)))
    tfvars.update(variables or {})
    mod.tfvars = tfvars
    for provider in mod.providers:
        if "alias" in provider:
            continue
        region = evaluate_value(provider.get("region"), mod.scope)
        if isinstance(region, str) and region:
            mod.region = region
    resources: list[TfResource] = []
    for m, block, inst in mod.walk():
        values = inst.values()
        resources.append(
            TfResource(
                address=inst.address,
                mode="managed" if block.kind == "resource" else "data",
                type=block.type,
                name=block.name,
                values=values,
                file=block.file,
                line=block.line,
                module=m.prefix.rstrip("."),
                computed=inst.computed(),
            )
        )
    return TfConfig(
        resources=resources,
        region=mod.region,
        account=account,
        root=str(files[0] if files else root),
        warnings=warnings,
    )
