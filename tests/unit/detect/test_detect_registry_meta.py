"""Walk the detection registry: unique ids, complete metadata, real ATT&CK/WA/GuardDuty ids, SQL
that renders, runs on DuckDB with the documented columns, and transpiles to Spark SQL."""

from __future__ import annotations

import re

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel

from secpillar.checks.frameworks import wa_best_practices
from secpillar.detect import ALERT_COLUMNS, Detection, DetectionRegistry, load_all
from secpillar.detect.registry import ID_RE, Param, parse_params
from secpillar.errors import RegistryError, UsageError
from secpillar.model import Severity

DETECTIONS = list(load_all())
ATTACK_RE = re.compile(r"^T\d{4}(\.\d{3})?$")
TACTICS = {
    "Initial Access",
    "Execution",
    "Persistence",
    "Privilege Escalation",
    "Defense Evasion",
    "Credential Access",
    "Discovery",
    "Lateral Movement",
    "Collection",
    "Exfiltration",
    "Impact",
}
# GuardDuty finding types, from the GuardDuty User Guide ("GuardDuty finding types": IAM, S3, EC2).
GUARDDUTY_TYPES = {
    "Stealth:IAMUser/CloudTrailLoggingDisabled",
    "Stealth:IAMUser/PasswordPolicyChange",
    "Stealth:S3/ServerAccessLoggingDisabled",
    "Policy:IAMUser/RootCredentialUsage",
    "Policy:S3/AccountBlockPublicAccessDisabled",
    "Policy:S3/BucketBlockPublicAccessDisabled",
    "Policy:S3/BucketAnonymousAccessGranted",
    "Policy:S3/BucketPublicAccessGranted",
    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
    "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.InsideAWS",
    "UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B",
    "UnauthorizedAccess:EC2/SSHBruteForce",
    "UnauthorizedAccess:EC2/RDPBruteForce",
    "Recon:EC2/Portscan",
    "Persistence:IAMUser/AnomalousBehavior",
    "PrivilegeEscalation:IAMUser/AnomalousBehavior",
    "CredentialAccess:IAMUser/AnomalousBehavior",
    "Discovery:IAMUser/AnomalousBehavior",
    "DefenseEvasion:IAMUser/AnomalousBehavior",
    "Impact:IAMUser/AnomalousBehavior",
}


def test_at_least_25_detections() -> None:
    assert len(DETECTIONS) >= 25


@pytest.mark.parametrize("det", DETECTIONS, ids=[d.id for d in DETECTIONS])
def test_metadata_complete(det: Detection) -> None:
    assert ID_RE.match(det.id), det.id
    assert det.id.startswith("flow.") == (det.source == "flowlogs")
    assert det.title and det.title[0].isupper()
    assert isinstance(det.severity, Severity)
    assert det.attack and all(ATTACK_RE.match(t) for t in det.attack), det.attack
    assert det.tactic in TACTICS
    real = wa_best_practices()
    assert det.wa and all(bp in real for bp in det.wa), [bp for bp in det.wa if bp not in real]
    assert det.guardduty is None or det.guardduty in GUARDDUTY_TYPES, det.guardduty
    assert len(det.description) > 40
    assert len({p.name for p in det.params}) == len(det.params)
    for p in det.params:
        assert p.description and re.match(r"^[a-z_]+$", p.name)


@pytest.mark.parametrize("det", DETECTIONS, ids=[d.id for d in DETECTIONS])
def test_sql_transpiles_to_spark(det: Detection) -> None:
    sql = det.render()
    assert "${" not in sql
    spark = sqlglot.transpile(sql, read="duckdb", write="spark", unsupported_level=ErrorLevel.RAISE)
    assert len(spark) == 1 and det.source in spark[0]


def test_duplicate_id_is_an_error() -> None:
    reg = DetectionRegistry()

    class One(Detection):
        id = "ct.test-one"

    reg.register(One)
    with pytest.raises(RegistryError, match="duplicate"):
        reg.register(One)


def test_params_parse_and_reject() -> None:
    reg = load_all()
    got = parse_params(["ct.console-brute-force-ip.threshold=3", "ct.unused-region.allowed_regions=a,b"], reg)
    assert got == {
        "ct.console-brute-force-ip": {"threshold": 3},
        "ct.unused-region": {"allowed_regions": ("a", "b")},
    }
    for bad in (
        "ct.console-brute-force-ip.threshold=x",
        "ct.nope.threshold=1",
        "ct.kms-key-deletion.x=1",
        "novalue",
    ):
        with pytest.raises(UsageError):
            parse_params([bad], reg)
    with pytest.raises(UsageError):
        reg.select(["ct.does-not-exist"])
    assert {d.id for d in reg.select(["ct.s3-*"])} >= {
        "ct.s3-bucket-policy-public",
        "ct.s3-bucket-acl-public",
    }


def test_param_rendering_quotes_and_derives() -> None:
    p = Param("xs", (), "x", derived="SELECT 1")
    assert p.render(()) == "(SELECT 1)"
    assert p.render(("a'b",)) == "('a''b')"
    assert Param("n", 1, "n").render(5) == "5"


def test_alert_columns_are_the_documented_ones() -> None:
    assert ALERT_COLUMNS[0] == "event_ids" and "first_seen" in ALERT_COLUMNS
