"""Inventory: the resources of one scan, indexed, plus the gaps (what could not be read)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from secpillar.model.resource import Resource


class GapKind(StrEnum):
    """Why something could not be read."""

    DENIED = "denied"
    NOT_FOUND = "not_found"
    THROTTLED = "throttled"
    NOT_ENABLED = "not_enabled"
    UNSUPPORTED = "unsupported"
    ASSUME_ROLE_FAILED = "assume_role_failed"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Gap:
    """Something the scan could not read: reported, never silently dropped."""

    kind: GapKind
    account_id: str
    region: str
    service: str
    operation: str
    message: str
    code: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind.value,
            "account": self.account_id,
            "region": self.region,
            "service": self.service,
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Gap:
        return cls(
            kind=GapKind(d["kind"]),
            account_id=str(d["account"]),
            region=str(d["region"]),
            service=str(d["service"]),
            operation=str(d["operation"]),
            message=str(d["message"]),
            code=str(d.get("code", "")),
        )


@dataclass(frozen=True, slots=True)
class Account:
    """An AWS account in the scan (from Organizations, or the caller's own)."""

    account_id: str
    name: str = ""
    email: str = ""
    status: str = "ACTIVE"
    is_management: bool = False
    parent_ids: tuple[str, ...] = ()
    """The organization path from the root to the account's OU (root id first)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.account_id,
            "name": self.name,
            "email": self.email,
            "status": self.status,
            "isManagement": self.is_management,
            "parentIds": list(self.parent_ids),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Account:
        return cls(
            account_id=str(d["id"]),
            name=str(d.get("name", "")),
            email=str(d.get("email", "")),
            status=str(d.get("status", "ACTIVE")),
            is_management=bool(d.get("isManagement", False)),
            parent_ids=tuple(d.get("parentIds", ())),
        )


@dataclass
class Inventory:
    """The resources of a scan with lookups by type, account and ARN.

    ``accounts`` lists every account the scan targeted (read or not), ``organization`` holds the
    organization description when the scan ran against one (id, management account, …)."""

    resources: list[Resource] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    accounts: dict[str, Account] = field(default_factory=dict)
    organization: dict[str, Any] = field(default_factory=dict)
    regions: list[str] = field(default_factory=list)
    _by_type: dict[str, list[Resource]] = field(default_factory=lambda: defaultdict(list), repr=False)
    _by_arn: dict[str, Resource] = field(default_factory=dict, repr=False)
    _by_account: dict[str, list[Resource]] = field(default_factory=lambda: defaultdict(list), repr=False)

    def __post_init__(self) -> None:
        existing, self.resources = self.resources, []
        self.extend(existing)

    def add(self, resource: Resource) -> None:
        self.resources.append(resource)
        self._by_type[resource.resource_type].append(resource)
        self._by_account[resource.account_id].append(resource)
        if resource.arn:
            self._by_arn[resource.arn] = resource

    def extend(self, resources: Iterable[Resource]) -> None:
        for r in resources:
            self.add(r)

    def __len__(self) -> int:
        return len(self.resources)

    def __iter__(self) -> Iterator[Resource]:
        return iter(self.resources)

    def by_type(self, resource_type: str) -> list[Resource]:
        return list(self._by_type.get(resource_type, ()))

    def by_account(self, account_id: str, resource_type: str | None = None) -> list[Resource]:
        items = self._by_account.get(account_id, ())
        return [r for r in items if resource_type is None or r.resource_type == resource_type]

    def get(self, arn: str) -> Resource | None:
        return self._by_arn.get(arn)

    def find(
        self, resource_type: str, resource_id: str, account_id: str | None = None, region: str | None = None
    ) -> Resource | None:
        """The resource of that type and id (optionally in that account and region)."""
        for r in self._by_type.get(resource_type, ()):
            if r.resource_id != resource_id:
                continue
            if account_id is not None and r.account_id != account_id:
                continue
            if region is not None and r.region != region:
                continue
            return r
        return None

    def types(self) -> list[str]:
        return sorted(self._by_type)

    def account_name(self, account_id: str) -> str:
        acct = self.accounts.get(account_id)
        return acct.name if acct and acct.name else account_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "organization": self.organization,
            "accounts": [a.to_dict() for a in self.accounts.values()],
            "regions": list(self.regions),
            "resources": [r.to_dict() for r in self.resources],
            "gaps": [g.to_dict() for g in self.gaps],
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Inventory:
        accounts = [Account.from_dict(a) for a in d.get("accounts", ())]
        return cls(
            resources=[Resource.from_dict(r) for r in d.get("resources", ())],
            gaps=[Gap.from_dict(g) for g in d.get("gaps", ())],
            accounts={a.account_id: a for a in accounts},
            organization=dict(d.get("organization") or {}),
            regions=list(d.get("regions") or ()),
        )
