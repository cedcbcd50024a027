"""The seed manifest: every planted flaw and every resource meant to be clean.

Seeders record what they plant here, with the real ARN the sandbox gave the resource; the e2e
test scans the sandbox and holds the findings to this manifest, and ``docs/sandbox.md`` lists the
same rows (a test keeps the two in step)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Flaw:
    """A deliberate flaw: ``check_id`` must FAIL on ``arn``."""

    check_id: str
    account: str
    """Account name (MGMT, LOGS, TEST, STG, PROD)."""
    resource: str
    """A human name of the resource (bucket name, ``sg web-ssh``, ``user alice`` …)."""
    arn: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {
            "check_id": self.check_id,
            "account": self.account,
            "resource": self.resource,
            "arn": self.arn,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class Clean:
    """A resource built to pass every check that reads it: no FAIL may name ``arn``."""

    account: str
    resource: str
    arn: str
    description: str

    def to_dict(self) -> dict[str, str]:
        return {
            "account": self.account,
            "resource": self.resource,
            "arn": self.arn,
            "description": self.description,
        }


@dataclass
class Manifest:
    accounts: dict[str, str] = field(default_factory=dict)
    """Account name -> account id."""
    flaws: list[Flaw] = field(default_factory=list)
    clean: list[Clean] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def flaw(self, check_id: str, account: str, resource: str, arn: str, description: str) -> None:
        with self._lock:
            self.flaws.append(Flaw(check_id, account, resource, arn, description))

    def clean_resource(self, account: str, resource: str, arn: str, description: str) -> None:
        with self._lock:
            self.clean.append(Clean(account, resource, arn, description))

    def to_dict(self) -> dict[str, Any]:
        return {
            "accounts": dict(self.accounts),
            "flaws": [f.to_dict() for f in self.flaws],
            "clean": [c.to_dict() for c in self.clean],
        }
