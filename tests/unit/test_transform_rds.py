"""RDS transforms on responses recorded from moto (tests/fixtures/responses/rds/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secpillar.collect.rds import DB_INSTANCE, transform_db_instance

FIXTURES = Path(__file__).parent.parent / "fixtures" / "responses" / "rds"


def instances() -> dict[str, Any]:
    data = json.loads((FIXTURES / "describe_db_instances.json").read_text())
    return {d["DBInstanceIdentifier"]: d for d in data["DBInstances"]}


def test_db_instance_shape() -> None:
    raw = instances()["prod-reporting-db"]
    acct = raw["DBInstanceArn"].split(":")[4]
    r = transform_db_instance(raw, acct, "us-east-1")
    assert r.resource_type == DB_INSTANCE
    assert r.arn == f"arn:aws:rds:us-east-1:{acct}:db:prod-reporting-db"
    assert r.name == "prod-reporting-db"
    assert r.resource_id == raw["DbiResourceId"]
    cfg = r.configuration
    assert cfg["storageEncrypted"] is True
    assert cfg["publiclyAccessible"] is False
    assert cfg["dbSubnetGroup"]["dbSubnetGroupName"] == "prod-db-reporting"
    assert len(cfg["dbSubnetGroup"]["subnets"]) == 2
    assert cfg["dbSubnetGroup"]["subnets"][0]["subnetIdentifier"].startswith("subnet-")
    assert cfg["vpcSecurityGroups"][0]["vpcSecurityGroupId"].startswith("sg-")
    assert r.tags == {"Environment": "PROD", "Name": "prod-reporting-db"}
    kinds = [rel.resource_type for rel in r.relationships]
    assert kinds.count("AWS::EC2::Subnet") == 2
    assert "AWS::EC2::VPC" in kinds and "AWS::EC2::SecurityGroup" in kinds


def test_unencrypted_instance() -> None:
    raw = instances()["test-db"]
    r = transform_db_instance(raw, raw["DBInstanceArn"].split(":")[4], "us-east-1")
    assert r.configuration["storageEncrypted"] is False
    assert r.account_id == raw["DBInstanceArn"].split(":")[4]


def test_arn_built_when_missing() -> None:
    raw = {k: v for k, v in instances()["test-db"].items() if k not in ("DBInstanceArn", "DbiResourceId")}
    r = transform_db_instance(raw, "111122223333", "eu-west-1")
    assert r.arn == "arn:aws:rds:eu-west-1:111122223333:db:test-db"
    assert r.resource_id == "test-db"
    assert r.configuration.get("masterUserPassword") is None
