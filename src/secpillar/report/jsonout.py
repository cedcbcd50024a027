"""JSON renderers: ``findings.json`` (a JSON array of findings) and ``inventory.json``."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from secpillar.model import Finding, Inventory


def findings_json(findings: Iterable[Finding]) -> str:
    return json.dumps([f.to_dict() for f in findings], indent=2, sort_keys=False, default=str) + "\n"


def inventory_json(inventory: Inventory, extra: dict[str, Any] | None = None) -> str:
    data = inventory.to_dict()
    if extra:
        data["scan"] = extra
    return json.dumps(data, indent=2, default=str) + "\n"
