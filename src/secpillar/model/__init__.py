"""Plain, frozen data: Resource, Inventory, Gap, Finding, Severity, Status. No I/O here."""

from secpillar.model.finding import Finding, FindingResource, Severity, Status
from secpillar.model.inventory import Account, Gap, GapKind, Inventory
from secpillar.model.resource import (
    ACCOUNT_REGION_TYPE,
    ACCOUNT_TYPE,
    GLOBAL,
    Relationship,
    Resource,
    SourceLocation,
    account_arn,
    account_region_arn,
    account_region_resource,
    account_resource,
)

__all__ = [
    "ACCOUNT_REGION_TYPE",
    "ACCOUNT_TYPE",
    "GLOBAL",
    "Account",
    "Finding",
    "FindingResource",
    "Gap",
    "GapKind",
    "Inventory",
    "Relationship",
    "Resource",
    "Severity",
    "SourceLocation",
    "Status",
    "account_arn",
    "account_region_arn",
    "account_region_resource",
    "account_resource",
]
