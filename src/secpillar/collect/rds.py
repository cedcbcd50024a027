"""RDS: DB instances and DB clusters (encryption, public accessibility, subnet group, security
groups, tags)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import Relationship, Resource

DB_INSTANCE = "AWS::RDS::DBInstance"
DB_CLUSTER = "AWS::RDS::DBCluster"


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


def transform_db_cluster(
    raw: Mapping[str, Any], account_id: str, region: str, partition: str = "aws"
) -> Resource:
    """One ``DescribeDBClusters`` item -> ``AWS::RDS::DBCluster`` (configuration camelized:
    ``storageEncrypted``, ``kmsKeyId``, ``engine``, and ``publiclyAccessible`` for Multi-AZ DB
    clusters, the only kind whose description carries it)."""
    name = str(raw["DBClusterIdentifier"])
    arn = str(raw.get("DBClusterArn") or f"arn:{partition}:rds:{region}:{account_id}:cluster:{name}")
    rels = tuple(
        Relationship(
            "Is associated with SecurityGroup", "AWS::EC2::SecurityGroup", str(sg["VpcSecurityGroupId"])
        )
        for sg in raw.get("VpcSecurityGroups") or ()
        if sg.get("VpcSecurityGroupId")
    )
    config = camelize(dict(raw))
    if str(raw.get("Engine", "")).startswith("aurora"):
        # An Aurora cluster is not public or private itself: its instances are (the API documents
        # PubliclyAccessible for Multi-AZ DB clusters only).
        config.pop("publiclyAccessible", None)
    return Resource(
        resource_type=DB_CLUSTER,
        resource_id=str(raw.get("DbClusterResourceId") or name),
        arn=arn,
        account_id=account_id,
        region=region,
        name=name,
        configuration=config,
        tags=tag_dict(raw.get("TagList")),
        relationships=rels,
    )


@register
class RdsCollector(Collector):
    id = "rds"
    scope = Scope.REGIONAL
    resource_types = (DB_INSTANCE, DB_CLUSTER)
    permissions = ("rds:DescribeDBInstances", "rds:DescribeDBClusters")

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        rds = ctx.client("rds")
        for db in ctx.paginate(rds, "describe_db_instances", "DBInstances") or ():
            yield transform_db_instance(db, ctx.account_id, ctx.region, ctx.partition)
        for cluster in ctx.paginate(rds, "describe_db_clusters", "DBClusters") or ():
            yield transform_db_cluster(cluster, ctx.account_id, ctx.region, ctx.partition)
