"""``data "aws_iam_policy_document"`` -> the JSON policy it renders (its ``json`` attribute).

Follows the provider's documented rendering: ``effect`` defaults to Allow; ``principals`` blocks
of one type merge, one identifier renders as a string and type ``*`` with identifier ``*`` as
``Principal: "*"``; each ``condition`` block adds ``{test: {variable: values}}``;
``source_policy_documents`` come first and ``override_policy_documents`` replace statements
with the same ``sid``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from secpillar.sources.terraform.expr import UNKNOWN, contains_unknown


def _one_or_list(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _principals(blocks: Any) -> Any:
    merged: dict[str, list[Any]] = {}
    for b in blocks or ():
        if not isinstance(b, Mapping):
            continue
        ptype = str(b.get("type", ""))
        ids = b.get("identifiers") or []
        ids = ids if isinstance(ids, list) else [ids]
        if ptype == "*":
            return "*"
        merged.setdefault(ptype, []).extend(ids)
    return {k: _one_or_list(v) for k, v in merged.items()}


def _statement(st: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if st.get("sid"):
        out["Sid"] = st["sid"]
    out["Effect"] = st.get("effect") or "Allow"
    for key, name in (
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ):
        v = st.get(key)
        if v:
            out[name] = _one_or_list(list(v)) if isinstance(v, list) else v
    for key, name in (("principals", "Principal"), ("not_principals", "NotPrincipal")):
        if st.get(key):
            out[name] = _principals(st[key])
    cond: dict[str, dict[str, Any]] = {}
    for c in st.get("condition") or ():
        if not isinstance(c, Mapping):
            continue
        values = c.get("values") or []
        values = values if isinstance(values, list) else [values]
        cond.setdefault(str(c.get("test")), {})[str(c.get("variable"))] = _one_or_list(values)
    if cond:
        out["Condition"] = cond
    return out


def render_policy_document(values: Mapping[str, Any]) -> Any:
    """The policy JSON text, or UNKNOWN when a part of it is unknown."""
    if contains_unknown(values.get("statement")) or contains_unknown(values.get("source_policy_documents")):
        return UNKNOWN
    stmts: list[dict[str, Any]] = []
    for src in (values.get("source_policy_documents") or []) + [values.get("source_json")]:
        if isinstance(src, str) and src:
            try:
                doc = json.loads(src)
            except ValueError:
                return UNKNOWN
            s = doc.get("Statement") if isinstance(doc, dict) else None
            stmts.extend(s if isinstance(s, list) else [s] if isinstance(s, dict) else [])
    for st in values.get("statement") or ():
        if isinstance(st, Mapping):
            new = _statement(st)
            stmts = [s for s in stmts if not (new.get("Sid") and s.get("Sid") == new["Sid"])]
            stmts.append(new)
    overrides = (values.get("override_policy_documents") or []) + [values.get("override_json")]
    if contains_unknown(overrides):
        return UNKNOWN
    for src in overrides:
        if isinstance(src, str) and src:
            try:
                doc = json.loads(src)
            except ValueError:
                return UNKNOWN
            for s in doc.get("Statement") or [] if isinstance(doc, dict) else []:
                sid = s.get("Sid") if isinstance(s, dict) else None
                replaced = False
                if sid:
                    for i, old in enumerate(stmts):
                        if old.get("Sid") == sid:
                            stmts[i] = s
                            replaced = True
                if not replaced:
                    stmts.append(s)
    doc_out: dict[str, Any] = {"Version": values.get("version") or "2012-10-17", "Statement": stmts}
    if values.get("policy_id"):
        doc_out["Id"] = values["policy_id"]
    return json.dumps(doc_out)
