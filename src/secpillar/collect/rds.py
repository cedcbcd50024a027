"""RDS: DB instances (encryption, public accessibility, subnet group, security groups, tags)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import Relationship, Resource

DB_INSTANCE = "AWS::RDS::DBInstance"


def transform_db_instance(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    """One ``DescribeDBInstances`` item -> ``AWS::RDS::DBInstance`` (configuration camelized:
    ``dbSubnetGroup.subnets``, ``storageEncrypted``, ``publiclyAccessible``, ``vpcSecurityGroups`` …)."""
    name = str(raw["DBInstanceIdentifier"])
    arn = str(raw.get("DBInstanceArn") or f"arn:{partition}:rds:{region}:{account_id}:db:{name}")
    rels: list[Relationship] = []
    group = raw.get("DBSubnetGroup") or {}
    if group.get("VpcId"):
        rels.append(Relationship("Is contained in Vpc", "AWS::EC2::VPC", str(group["VpcId"])))
    for sub in group.get("Subnets") or ():
        if sub.get("SubnetIdentifier"):
            rels.append(
                Relationship("Is associated with Subnet", "AWS::EC2::Subnet", str(sub["SubnetIdentifier"]))
            )
    for sg in raw.get("VpcSecurityGroups") or ():
        if sg.get("VpcSecurityGroupId"):
            rels.append(
                Relationship(
                    "Is associated with SecurityGroup",
                    "AWS::EC2::SecurityGroup",
                    str(sg["VpcSecurityGroupId"]),
                )
            )
    return Resource(
        resource_type=DB_INSTANCE,
        resource_id=str(raw.get("DbiResourceId") or name),
        arn=arn,
        account_id=account_id,
        region=region,
        name=name,
        configuration=camelize(dict(raw)),
        tags=tag_dict(raw.get("TagList")),
        relationships=tuple(rels),
    )


@register
class RdsCollector(Collector):
    id = "rds"
    scope = Scope.REGIONAL
    resource_types = (DB_INSTANCE,)
    permissions = ("rds:DescribeDBInstances",)

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        rds = ctx.client("rds")
        for db in ctx.paginate(rds, "describe_db_instances", "DBInstances") or ():
            yield transform_db_instance(db, ctx.account_id, ctx.region, ctx.partition)
