"""Resource: one configuration item, in the shape AWS Config records it.

``to_dict`` gives the AWS Config configuration-item keys (``resourceType``, ``resourceId``,
``resourceName``, ``arn``, ``accountId``, ``awsRegion``, ``configuration``,
``supplementaryConfiguration``, ``tags``, ``relationships``), so inventories written by secpillar
read like AWS Config snapshots and the other way round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GLOBAL = "global"
"""The ``awsRegion`` of resources that live in no region (IAM, the account itself)."""


@dataclass(frozen=True, slots=True)
class Relationship:
    """A link from one resource to another (AWS Config's ``relationships`` entry)."""

    name: str
    resource_type: str
    resource_id: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "resourceType": self.resource_type, "resourceId": self.resource_id}


@dataclass(frozen=True, slots=True)
class SourceLocation:
    """Where a resource was declared (Terraform file and line), when it comes from code."""

    file: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line}


@dataclass(frozen=True, slots=True)
class Resource:
    """One configuration item. ``configuration`` holds the service's own description of the
    resource with camelCase keys (as AWS Config records it); ``supplementary`` holds what other
    API calls add (bucket policy, public access block, …)."""

    resource_type: str
    resource_id: str
    arn: str
    account_id: str
    region: str
    name: str = ""
    configuration: Mapping[str, Any] = field(default_factory=dict)
    supplementary: Mapping[str, Any] = field(default_factory=dict)
    tags: Mapping[str, str] = field(default_factory=dict)
    relationships: tuple[Relationship, ...] = ()
    source: str = "live"
    location: SourceLocation | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.resource_id

    def to_dict(self) -> dict[str, Any]:
        item: dict[str, Any] = {
            "resourceType": self.resource_type,
            "resourceId": self.resource_id,
            "resourceName": self.name,
            "arn": self.arn,
            "accountId": self.account_id,
            "awsRegion": self.region,
            "configuration": dict(self.configuration),
            "supplementaryConfiguration": dict(self.supplementary),
            "tags": dict(self.tags),
            "relationships": [r.to_dict() for r in self.relationships],
            "source": self.source,
        }
        if self.location is not None:
            item["location"] = self.location.to_dict()
        return item

    @classmethod
    def from_dict(cls, item: Mapping[str, Any]) -> Resource:
        loc = item.get("location")
        return cls(
            resource_type=str(item["resourceType"]),
            resource_id=str(item["resourceId"]),
            arn=str(item.get("arn") or item.get("ARN") or ""),
            account_id=str(item["accountId"]),
            region=str(item.get("awsRegion") or GLOBAL),
            name=str(item.get("resourceName") or ""),
            configuration=dict(item.get("configuration") or {}),
            supplementary=dict(item.get("supplementaryConfiguration") or {}),
            tags={str(k): str(v) for k, v in (item.get("tags") or {}).items()},
            relationships=tuple(
                Relationship(str(r["name"]), str(r["resourceType"]), str(r["resourceId"]))
                for r in item.get("relationships") or ()
            ),
            source=str(item.get("source") or "live"),
            location=SourceLocation(str(loc["file"]), int(loc["line"])) if loc else None,
        )


ACCOUNT_TYPE = "AWS::::Account"
"""Pseudo resource type of an account's global settings (root user, password policy, S3 account
public access block …). AWS Config uses ``AWS::::Account`` for account-level evaluations."""

ACCOUNT_REGION_TYPE = "AWS::::AccountRegion"
"""Pseudo resource type of an account's settings in one region (EBS default encryption, Config
recorder, GuardDuty detector …), so that "is it on?" has a resource to fail on."""


def account_arn(account_id: str, partition: str = "aws") -> str:
    """The ARN findings on an account's global settings carry (the account's root principal)."""
    return f"arn:{partition}:iam::{account_id}:root"


def account_region_arn(account_id: str, region: str, partition: str = "aws") -> str:
    """The identifier of an account's settings in one region (no AWS ARN exists for it)."""
    return f"arn:{partition}::{region}:{account_id}:account"


def account_resource(
    account_id: str, account_name: str, partition: str = "aws", supplementary: Mapping[str, Any] | None = None
) -> Resource:
    """The ``AWS::::Account`` pseudo resource carrying ``supplementary``; several collectors emit
    it with their own keys and the collection runner merges them."""
    return Resource(
        resource_type=ACCOUNT_TYPE,
        resource_id=account_id,
        arn=account_arn(account_id, partition),
        account_id=account_id,
        region=GLOBAL,
        name=account_name or account_id,
        configuration={"accountId": account_id},
        supplementary=dict(supplementary or {}),
    )


def account_region_resource(
    account_id: str,
    account_name: str,
    region: str,
    partition: str = "aws",
    supplementary: Mapping[str, Any] | None = None,
) -> Resource:
    """The ``AWS::::AccountRegion`` pseudo resource carrying ``supplementary`` (merged likewise)."""
    return Resource(
        resource_type=ACCOUNT_REGION_TYPE,
        resource_id=f"{account_id}/{region}",
        arn=account_region_arn(account_id, region, partition),
        account_id=account_id,
        region=region,
        name=f"{account_name or account_id} {region}",
        configuration={"accountId": account_id, "region": region},
        supplementary=dict(supplementary or {}),
    )
