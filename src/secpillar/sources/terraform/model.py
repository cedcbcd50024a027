"""What both Terraform readers (HCL folder, plan JSON) hand to the mappers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class TfResource:
    """One resource instance: its address, type and evaluated attributes.

    ``values`` holds the attributes as the AWS provider names them, nested blocks as lists of
    dicts (the shape of ``terraform show -json``); a value Terraform knows only after apply is
    :data:`~secpillar.sources.terraform.expr.UNKNOWN`. ``computed`` holds the stand-ins for the
    attributes the provider computes (``id``, ``arn`` …); ``refs`` the resource addresses each
    top-level attribute refers to (used to resolve unknown ids in plans)."""

    address: str
    mode: str
    type: str
    name: str
    values: dict[str, Any]
    file: str
    line: int
    module: str = ""
    computed: dict[str, Any] = field(default_factory=dict)
    refs: dict[str, list[str]] = field(default_factory=dict)

    def attr(self, key: str) -> Any:
        """The configured value of ``key``, else its computed stand-in, else None."""
        v = self.values.get(key)
        if v is None:
            return self.computed.get(key)
        return v


@dataclass
class TfConfig:
    """Everything read from one Terraform root: resource instances and where they came from."""

    resources: list[TfResource]
    region: str
    account: str
    root: str
    kind: str = "hcl"
    """``hcl`` or ``plan``."""
    warnings: list[str] = field(default_factory=list)
