"""AWS Config snapshots as AWS delivers them -> the Resource model -> the same checks.

Fixtures: tests/fixtures/config_snapshot/ (see its README for what each file holds and expects)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from secpillar.checks import load_all
from secpillar.cli.main import app
from secpillar.model import GapKind, Status
from secpillar.scan import evaluate
from secpillar.sources.config_snapshot import (
    SnapshotLoad,
    evaluable,
    load,
    read_files,
    read_objects,
    snapshot_files,
)
from secpillar.sources.config_snapshot.dump import snapshot_documents
from secpillar.sources.config_snapshot.reader import where

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "config_snapshot"
ACCOUNT = "111122223333"
PUBLIC = "arn:aws:s3:::public-assets-111122223333"
SECURE = "arn:aws:s3:::secure-logs-111122223333"


@pytest.fixture(scope="module")
def good() -> SnapshotLoad:
    return load(read_files(snapshot_files(FIXTURES / "good")))


def _findings(loaded: SnapshotLoad) -> dict[tuple[str, str], Status]:
    checks, _ = evaluable(load_all())
    return {(f.check_id, f.resource.arn): f.status for f in evaluate(loaded.inventory, checks)}


def test_reads_plain_and_gzip_files_and_skips_history_and_deleted(good: SnapshotLoad) -> None:
    inv = good.inventory
    assert good.files == 2
    arns = {r.arn for r in inv.resources}
    assert {PUBLIC, SECURE, "arn:aws:s3:::eu-archive-111122223333"} <= arns
    assert "arn:aws:s3:::deleted-bucket-111122223333" not in arns
    assert "arn:aws:s3:::history-only" not in arns
    assert all(r.source == "snapshot" for r in inv.resources)
    assert list(inv.accounts) == [ACCOUNT] and inv.regions == ["eu-west-1", "us-east-1"]
    role = inv.get("arn:aws:iam::111122223333:role/ci-deploy")
    # the newer us-east-1 capture of the global role wins over the older eu-west-1 one
    assert role.configuration["assumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": "*"}


def test_s3_supplementary_configuration_is_mapped(good: SnapshotLoad) -> None:
    inv = good.inventory
    public, secure = inv.get(PUBLIC), inv.get(SECURE)
    grants = public.supplementary["AccessControlList"]["grants"]
    assert {"grantee": {"type": "Group", "uri": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "permission": "READ"} in grants  # fmt: skip
    assert public.supplementary["BucketPolicy"]["policyText"]["Statement"][0]["Principal"] == "*"
    assert public.supplementary["PublicAccessBlockConfiguration"] is None
    assert public.supplementary["BucketLoggingConfiguration"] is None
    assert public.supplementary["BucketVersioningConfiguration"]["status"] == "Off"
    assert public.tags == {"team": "web"}
    assert secure.supplementary["PublicAccessBlockConfiguration"]["restrictPublicBuckets"] is True
    rule = secure.supplementary["ServerSideEncryptionConfiguration"]["rules"][0]
    assert rule["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert secure.supplementary["ObjectLockConfiguration"]["objectLockEnabled"] == "Enabled"
    assert secure.supplementary["BucketLifecycleConfiguration"]["rules"][0]["status"] == "Enabled"
    account = inv.get("arn:aws:iam::111122223333:root")
    assert account.supplementary["S3AccountPublicAccessBlock"]["restrictPublicBuckets"] is False


def test_java_bean_spelling_and_security_group_ranges(good: SnapshotLoad) -> None:
    inv = good.inventory
    db = inv.get("arn:aws:rds:us-east-1:111122223333:db:orders-db")
    assert db.configuration["dbInstanceIdentifier"] == "orders-db"
    assert db.configuration["iamDatabaseAuthenticationEnabled"] is False
    sg = inv.by_type("AWS::EC2::SecurityGroup")[0]
    assert sg.configuration["ipPermissions"][0]["ipRanges"] == [{"cidrIp": "0.0.0.0/0"}]
    user = inv.get("arn:aws:iam::111122223333:user/alice")
    assert user.configuration["userPolicies"][0]["policyDocument"]["Statement"][0]["Action"] == "*"
    assert "accessKeys" not in user.configuration  # not recorded by AWS Config: unknown


EXPECTED = [
    ("aws.s3.bucket-policy-not-public", PUBLIC, Status.FAIL),
    ("aws.s3.bucket-public-access-block", PUBLIC, Status.FAIL),
    ("aws.s3.bucket-versioning", PUBLIC, Status.FAIL),
    ("aws.s3.bucket-access-logging", PUBLIC, Status.FAIL),
    ("aws.s3.bucket-tls-only", PUBLIC, Status.FAIL),
    ("aws.s3.bucket-policy-not-public", SECURE, Status.PASS),
    ("aws.s3.bucket-public-access-block", SECURE, Status.PASS),
    ("aws.s3.bucket-versioning", SECURE, Status.PASS),
    ("aws.s3.bucket-access-logging", SECURE, Status.PASS),
    ("aws.s3.bucket-tls-only", SECURE, Status.PASS),
    ("aws.s3.bucket-encryption-at-rest", SECURE, Status.PASS),
    ("aws.s3.account-public-access-block", "arn:aws:iam::111122223333:root", Status.FAIL),
    ("aws.ec2.sg-admin-ports-ipv4", "arn:aws:ec2:us-east-1:111122223333:security-group/sg-0a1b2c3d4e5f60718",
     Status.FAIL),
    ("aws.ec2.ebs-volume-encrypted", "arn:aws:ec2:us-east-1:111122223333:volume/vol-0abc1234def567890",
     Status.FAIL),
    ("aws.rds.not-publicly-accessible", "arn:aws:rds:us-east-1:111122223333:db:orders-db", Status.FAIL),
    ("aws.rds.storage-encrypted", "arn:aws:rds:us-east-1:111122223333:db:orders-db", Status.FAIL),
    ("aws.iam.policy-no-admin-star", "arn:aws:iam::111122223333:user/alice", Status.FAIL),
    ("aws.iam.user-no-direct-policies", "arn:aws:iam::111122223333:user/alice", Status.FAIL),
    ("aws.iam.user-in-group", "arn:aws:iam::111122223333:user/alice", Status.FAIL),
    ("aws.iam.role-trust-no-wildcard", "arn:aws:iam::111122223333:role/ci-deploy", Status.FAIL),
]  # fmt: skip


@pytest.mark.parametrize(
    ("check", "arn", "status"), EXPECTED, ids=[f"{c}:{a.rsplit(':', 1)[-1]}" for c, a, _ in EXPECTED]
)
def test_checks_on_the_fixture_snapshot(good: SnapshotLoad, check: str, arn: str, status: Status) -> None:
    assert _findings(good).get((check, arn)) is status


def test_unrecorded_inputs_give_no_result(good: SnapshotLoad) -> None:
    found = _findings(good)
    user = "arn:aws:iam::111122223333:user/alice"
    assert ("aws.iam.user-console-mfa", user) not in found  # MFA devices are not in the item
    assert not [k for k in found if k[0] == "aws.cloudtrail.enabled-in-account"]  # logging unknown
    kinds = {(g.service, g.kind) for g in good.inventory.gaps}
    assert ("cloudtrail", GapKind.UNSUPPORTED) in kinds and ("iam", GapKind.UNSUPPORTED) in kinds
    sqs = [g for g in good.inventory.gaps if g.operation == "AWS::SQS::Queue"]
    assert len(sqs) == 1 and sqs[0].kind is GapKind.UNSUPPORTED and "1 AWS::SQS::Queue" in sqs[0].message


def test_checks_whose_types_a_snapshot_lacks_are_listed() -> None:
    ok, skipped = evaluable(load_all())
    assert "aws.s3.bucket-versioning" in {c.id for c in ok}
    assert "aws.guardduty.enabled" in skipped["AWS::::AccountRegion"]
    assert not any(c.id == "aws.guardduty.enabled" for c in ok)


def test_bad_input_becomes_gaps_and_is_never_fatal() -> None:
    loaded = load(read_files(snapshot_files(FIXTURES / "bad")))
    errors = [g for g in loaded.inventory.gaps if g.kind is GapKind.ERROR]
    text = "\n".join(f"{g.operation} {g.message}" for g in errors)
    assert "truncated.json.gz" in text and "not a readable gzip file" in text
    assert "invalid.json" in text and "not valid JSON" in text
    assert "no configurationItems" in text
    assert "unknown resourceType 'AWS::Made::Up'" in text
    assert "no resourceType or resourceId" in text
    assert "configuration is text but not valid JSON" in text
    assert len(errors) == 6
    assert [r.resource_id for r in loaded.inventory.by_type("AWS::EC2::Volume")] == ["vol-0fine"]


def test_delivery_key_gives_account_and_region() -> None:
    key = "s3://b/AWSLogs/111122223333/Config/eu-west-1/2025/3/14/ConfigSnapshot/x.json.gz"
    assert where(key) == ("111122223333", "eu-west-1")
    assert where("AWSLogs/o-abc123def4/111122223333/Config/us-east-2/2025/1/1/ConfigSnapshot/y") == (
        "111122223333",
        "us-east-2",
    )


def test_dump_then_read_gives_the_same_resources(good: SnapshotLoad) -> None:
    inv = good.inventory
    docs = snapshot_documents(inv.resources)
    for key, data in docs.items():
        assert key.startswith(f"AWSLogs/{ACCOUNT}/Config/") and "/ConfigSnapshot/" in key
        doc = json.loads(gzip.decompress(data))
        assert doc["fileVersion"] == "1.0" and doc["configSnapshotId"]
        for item in doc["configurationItems"]:
            assert item["configurationItemVersion"] == "1.3" and item["awsAccountId"] == ACCOUNT
    again = load(read_objects(docs.items())).inventory
    assert {(r.resource_type, r.arn) for r in again} == {(r.resource_type, r.arn) for r in inv}
    for r in inv:
        other = again.get(r.arn)
        assert other is not None
        assert dict(other.configuration) == dict(r.configuration), r.arn
        assert dict(other.supplementary) == dict(r.supplementary), r.arn
    assert _findings(good) == _findings(load(read_objects(docs.items())))


def test_cli_scans_a_snapshot_folder(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        ["scan", "--config-snapshot", str(FIXTURES / "good"), "--format", "json", "--out", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output
    findings = json.loads((tmp_path / "findings.json").read_text())
    assert findings and {f["source"] for f in findings} == {"snapshot"}
    assert any(f["check_id"] == "aws.s3.bucket-versioning" and f["status"] == "FAIL" for f in findings)
    inv = json.loads((tmp_path / "inventory.json").read_text())
    assert inv["scan"]["configSnapshot"] == str(FIXTURES / "good")
    assert any(g["operation"] == "AWS::::AccountRegion" for g in inv["gaps"])
    bad = CliRunner().invoke(app, ["scan", "--config-snapshot", str(tmp_path / "nope")])
    assert bad.exit_code == 2


def test_accounts_and_regions_narrow_a_snapshot_scan(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        ["scan", "--config-snapshot", str(FIXTURES / "good"), "--regions", "eu-west-1", "--format", "json",
         "--out", str(tmp_path)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    arns = {f["resource"]["arn"] for f in json.loads((tmp_path / "findings.json").read_text())}
    assert "arn:aws:s3:::eu-archive-111122223333" in arns and PUBLIC not in arns
    assert "arn:aws:iam::111122223333:user/alice" in arns  # global resources stay
    other = CliRunner().invoke(
        app,
        ["scan", "--config-snapshot", str(FIXTURES / "good"), "--accounts", "444455556666",
         "--format", "json", "--out", str(tmp_path / "none")],
    )  # fmt: skip
    assert other.exit_code == 0, other.output
    assert json.loads((tmp_path / "none" / "findings.json").read_text()) == []
