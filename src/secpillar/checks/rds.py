"""Checks for RDS DB instances (and DB clusters where the setting is the cluster's): encryption at
rest, public accessibility, private subnets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secpillar.checks.ec2 import ROUTE_TABLE, SUBNET, internet_routes, route_table_for_subnet
from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import Resource, Severity

DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"


def _kind(resource: Resource) -> str:
    return "DB cluster" if resource.resource_type == DB_CLUSTER else "DB instance"


@register
class RdsStorageEncrypted(Check):
    id = "aws.rds.storage-encrypted"
    title = "RDS DB instances and clusters are encrypted at rest"
    severity = Severity.HIGH
    resource_types = (DB_INSTANCE, DB_CLUSTER)
    wa = ("SEC08-BP02",)
    cis = ("2.2.1",)
    fsbp = ("RDS.3",)
    risk = (
        "An unencrypted database stores its data, automated backups, read replicas and snapshots in the "
        "clear; a shared or leaked snapshot discloses all of it."
    )
    remediation = (
        "Encryption cannot be turned on in place: snapshot the instance, copy the snapshot with a KMS key, "
        "restore a new encrypted instance from it and switch the application over."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        encrypted = resource.configuration.get("storageEncrypted")
        if encrypted is None:
            return
        name = resource.display_name
        if encrypted:
            yield self.passed(
                f"{_kind(resource)} '{name}' is encrypted at rest.",
                kmsKeyId=resource.configuration.get("kmsKeyId"),
            )
        else:
            yield self.failed(
                f"{_kind(resource)} '{name}' is not encrypted at rest: its storage, backups and snapshots "
                "hold the data unencrypted.",
                storageEncrypted=False,
                engine=resource.configuration.get("engine"),
            )


@register
class RdsNotPubliclyAccessible(Check):
    id = "aws.rds.not-publicly-accessible"
    title = "RDS DB instances (and Multi-AZ DB clusters) are not publicly accessible"
    severity = Severity.CRITICAL
    resource_types = (DB_INSTANCE, DB_CLUSTER)
    wa = ("SEC05-BP01", "SEC05-BP02")
    cis = ("2.2.3",)
    fsbp = ("RDS.2",)
    risk = (
        "A publicly accessible instance gets an internet-resolvable address; one permissive security "
        "group rule then exposes the database listener to the world."
    )
    remediation = (
        "Modify the instance with PubliclyAccessible=false and keep it in private subnets; reach it from "
        "the application tier or through a bastion/Session Manager tunnel."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        public = resource.configuration.get("publiclyAccessible")
        if public is None:
            return
        name = resource.display_name
        if public:
            endpoint = resource.configuration.get("endpoint")  # a cluster's is the host name itself
            if isinstance(endpoint, dict):
                endpoint = endpoint.get("address")
            yield self.failed(
                f"{_kind(resource)} '{name}' is publicly accessible: its endpoint resolves to a public "
                "address, so the database listener is one security-group rule away from the internet.",
                publiclyAccessible=True,
                endpoint=endpoint,
            )
        else:
            yield self.passed(f"{_kind(resource)} '{name}' is not publicly accessible.")


@register
class RdsInPrivateSubnets(Check):
    id = "aws.rds.in-private-subnets"
    title = "RDS DB instances are placed only in private subnets"
    severity = Severity.HIGH
    resource_types = (DB_INSTANCE,)
    reads = (SUBNET, ROUTE_TABLE)
    wa = ("SEC05-BP01",)
    risk = (
        "A DB subnet group that contains a subnet routed to an internet gateway puts the database in the "
        "public network layer: a failover or a new instance can land where the internet reaches it."
    )
    remediation = (
        "Build the DB subnet group only from private subnets (no route to an internet gateway) and move "
        "the instance to it."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterator[Result]:
        group = resource.configuration.get("dbSubnetGroup")
        if not group or not group.get("subnets"):
            return
        public: list[dict[str, Any]] = []
        for entry in group["subnets"]:
            sid = entry.get("subnetIdentifier")
            subnet = ctx.inventory.find(SUBNET, str(sid), resource.account_id, resource.region)
            if subnet is None:
                return  # not collected: cannot tell
            table = route_table_for_subnet(ctx.inventory, subnet)
            if table is None:
                return
            routes = internet_routes(table)
            if routes:
                public.append(
                    {
                        "subnet": sid,
                        "routeTable": table.resource_id,
                        "routes": [
                            {
                                "destination": r.get("destinationCidrBlock")
                                or r.get("destinationIpv6CidrBlock"),
                                "gateway": r.get("gatewayId"),
                            }
                            for r in routes
                        ],
                    }
                )
        name = resource.display_name
        group_name = group.get("dbSubnetGroupName", "?")
        if public:
            listed = ", ".join(f"{p['subnet']} (route table {p['routeTable']})" for p in public)
            yield self.failed(
                f"DB instance '{name}' uses subnet group '{group_name}' whose subnet(s) {listed} route to an "
                "internet gateway: the database can be placed in a public subnet.",
                publicSubnets=public,
            )
        else:
            yield self.passed(
                f"DB instance '{name}' uses subnet group '{group_name}' whose subnets have no route to an "
                "internet gateway."
            )
