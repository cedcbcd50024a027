"""``secpillar permissions`` is complete and sufficient, shown on the seeded sandbox organization.

1. Completeness: every collector runs against the sandbox with a botocore ``before-call`` hook;
   each API operation it actually calls maps (``aws.actions``) to an IAM action it declares.
2. Sufficiency, two ways:
   - secpillar's own IAM evaluator allows every recorded call under the generated policy (exact
     AWS action names), and the fan-out's ``sts:AssumeRole`` only on the audit role;
   - moto enforces IAM once ``/moto-api/reset-auth`` is set to 0: a role holding only the
     generated policy (in every account) scans the organization with no AccessDenied gap and sees
     the same resources as an unrestricted collection. moto names a few actions its own way
     (``MOTO_DIALECT``): for those the role also gets moto's name, so that the check tests our
     policy rather than moto's action table. A role missing one action does get the gap.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from tests.cli_process import run_cli
from tests.functional.moto_auth import set_auth

from secpillar.aws.actions import iam_action
from secpillar.aws.org import discover
from secpillar.aws.session import ClientFactory
from secpillar.checks import load_all as load_checks
from secpillar.collect import load_all as load_collectors
from secpillar.collect.base import CollectContext, GapSink
from secpillar.collect.permissions import scanner_permissions
from secpillar.collect.runner import plan_jobs, run_collectors
from secpillar.collect.s3 import S3Collector
from secpillar.iam.evaluate import Request, evaluate_documents
from secpillar.sandbox.seed import REGION, SeedOrg, seed
from secpillar.sandbox.seed import policy as policy_text
from secpillar.sandbox.server import SandboxProcess

pytestmark = pytest.mark.functional

AUDIT_ROLE = "SecpillarAudit"

MOTO_DIALECT: dict[str, str] = {
    # AWS's action (what the policy must hold) -> the name moto 5.2 checks instead
    "cloudwatch:DescribeAlarms": "monitoring:DescribeAlarms",  # moto uses the signing name
    "s3:GetAccountPublicAccessBlock": "s3:GetPublicAccessBlock",  # moto's S3 Control action map
    "s3:GetBucketPublicAccessBlock": "s3:ListBucket",  # moto's S3 ACTION_MAP has no entry: ListBucket
    "s3:GetEncryptionConfiguration": "s3:ListBucket",
    "s3:GetBucketObjectLockConfiguration": "s3:ListBucket",
}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[dict[str, Any]]:
    with SandboxProcess() as proc:
        manifest = seed(proc.url)
        try:
            yield {"url": proc.url, "manifest": manifest}
        finally:
            set_auth(proc.url, "inf")


@pytest.fixture(scope="module")
def recorded(sandbox: dict[str, Any]) -> dict[str, Any]:
    """Run every collector over the organization (one collector at a time) and record the
    (service, signing name, operation) of each call it makes."""
    current: list[str] = ["discovery"]
    calls: dict[str, set[tuple[str, str, str]]] = defaultdict(set)

    def hook(model: Any, **_: Any) -> None:
        sm = model.service_model
        calls[current[0]].add((sm.service_name, sm.signing_name, model.name))

    def session(**kwargs: Any) -> boto3.Session:
        s = boto3.Session(**kwargs)
        s._session.register("before-call", hook)
        return s

    base = ClientFactory(
        session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION),
        sandbox["url"],
    )
    found = discover(base, use_org=True, session_factory=session)
    mgmt = found.organization.get("managementAccountId") or None
    resources: set[tuple[str, str]] = set()
    for collector in load_collectors():
        current[0] = collector.id
        jobs = plan_jobs(found.targets, [collector], [REGION], mgmt)
        out = run_collectors(jobs, partition=found.partition, organization=found.organization)
        resources |= {(r.resource_type, r.arn) for r in out.resources}
    return {"calls": dict(calls), "resources": resources, "accounts": len(found.targets)}


def _actions(calls: set[tuple[str, str, str]]) -> set[str]:
    return {a for svc, sign, op in calls if (a := iam_action(svc, sign, op)) is not None}


def test_every_call_a_collector_makes_is_declared(recorded: dict[str, Any]) -> None:
    assert recorded["accounts"] == 5
    for collector in load_collectors():
        made = recorded["calls"].get(collector.id, set())
        assert made, f"collector {collector.id} made no call"
        missing = _actions(made) - set(collector.permissions)
        assert not missing, f"{collector.id} calls {sorted(missing)} but declares {collector.permissions}"
    discovery = _actions(recorded["calls"]["discovery"])
    assert discovery == {
        "organizations:DescribeOrganization",
        "organizations:ListAccounts",
        "organizations:ListParents",
        "sts:AssumeRole",
    }


def test_the_evaluator_allows_every_recorded_call(recorded: dict[str, Any]) -> None:
    doc = scanner_permissions(list(load_checks()), load_collectors(), role=AUDIT_ROLE).policy()
    every = set().union(*recorded["calls"].values())
    actions = _actions(every) - {"sts:AssumeRole"}
    assert len(actions) > 100
    for action in sorted(actions):
        decision = evaluate_documents(Request("arn:aws:iam::111122223333:role/x", action), {"identity": doc})
        assert decision.allowed, f"the generated policy does not allow {action}"
    # The member role trusts the management account; the identity policy must allow the call too.
    scanner = f"arn:aws:iam::111122223333:role/{AUDIT_ROLE}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "sts:*"}
        ],
    }
    for role, allowed in ((AUDIT_ROLE, True), ("Admin", False)):
        assume = Request(scanner, "sts:AssumeRole", f"arn:aws:iam::444455556666:role/{role}")
        assert evaluate_documents(assume, {"identity": doc, "resource": trust}).allowed is allowed, role
    write = Request(scanner, "s3:PutBucketPolicy", "arn:aws:s3:::b")
    assert not evaluate_documents(write, {"identity": doc}).allowed


def _moto_dialect(doc: dict[str, Any]) -> dict[str, Any]:
    actions = {a for s in doc["Statement"] for a in s["Action"]}
    extra = sorted({MOTO_DIALECT[a] for a in actions if a in MOTO_DIALECT})
    statement = {"Sid": "MotoDialect", "Effect": "Allow", "Action": extra, "Resource": "*"}
    return {**doc, "Statement": [*doc["Statement"], statement]}


def _generated_policy() -> dict[str, Any]:
    proc = run_cli("permissions", "--role", AUDIT_ROLE, timeout=120)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def _grant(org: SeedOrg, role: str, doc: dict[str, Any]) -> None:
    trust = policy_text(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{org.account_id('MGMT')}:root"},
            "Action": "sts:AssumeRole",
        }
    )
    for name in org.accounts:
        iam = org.client(name, "iam")
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)
        iam.put_role_policy(RoleName=role, PolicyName="secpillar-scan", PolicyDocument=json.dumps(doc))


def test_a_scan_under_only_the_generated_policy_has_no_access_denied_gap(
    sandbox: dict[str, Any], recorded: dict[str, Any], tmp_path: Path
) -> None:
    org = SeedOrg(sandbox["url"], manifest=sandbox["manifest"])
    doc = _generated_policy()
    _grant(org, AUDIT_ROLE, _moto_dialect(doc))
    # The same policy without s3:GetBucketPolicy: the control that shows a missing action is caught.
    lacking = json.loads(json.dumps(_moto_dialect(doc)))
    for st in lacking["Statement"]:
        st["Action"] = [a for a in st["Action"] if a != "s3:GetBucketPolicy"]
    _grant(org, "SecpillarAuditLacking", lacking)
    sts = org.client("MGMT", "sts")
    mgmt = org.account_id("MGMT")
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{mgmt}:role/{AUDIT_ROLE}", RoleSessionName="scan")
    logs = org.account_id("LOGS")  # holds buckets with and without policies
    lacking_creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{logs}:role/SecpillarAuditLacking", RoleSessionName="scan"
    )
    key = creds["Credentials"]
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env.update(
        AWS_ACCESS_KEY_ID=key["AccessKeyId"],
        AWS_SECRET_ACCESS_KEY=key["SecretAccessKey"],
        AWS_SESSION_TOKEN=key["SessionToken"],
        AWS_DEFAULT_REGION=REGION,
    )
    args = ["scan", "--endpoint-url", sandbox["url"], "--org", "--role", AUDIT_ROLE, "--regions", REGION]
    args += ["--out", str(tmp_path), "--format", "json"]
    set_auth(sandbox["url"], "0")
    try:
        proc = run_cli(*args, env=env)
        # Enforcement is real: the scanner may not write, and a role lacking one action gets a gap.
        s3 = boto3.client(
            "s3",
            endpoint_url=sandbox["url"],
            region_name=REGION,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
            aws_session_token=key["SessionToken"],
        )
        with pytest.raises(s3.exceptions.ClientError, match="AccessDenied"):
            s3.create_bucket(Bucket="not-allowed-to-create")
        lk = lacking_creds["Credentials"]
        factory = ClientFactory(
            boto3.Session(
                aws_access_key_id=lk["AccessKeyId"],
                aws_secret_access_key=lk["SecretAccessKey"],
                aws_session_token=lk["SessionToken"],
                region_name=REGION,
            ),
            sandbox["url"],
        )
        ctx = CollectContext(logs, "LOGS", REGION, factory, GapSink())
        list(S3Collector().collect(ctx))
    finally:
        set_auth(sandbox["url"], "inf")
    assert proc.returncode == 0, proc.stderr[-3000:]
    lacking_gaps = {(g.kind.value, g.operation) for g in ctx.sink.gaps}
    assert ("denied", "get_bucket_policy") in lacking_gaps, lacking_gaps
    inventory = json.loads((tmp_path / "inventory.json").read_text())
    bad = [g for g in inventory["gaps"] if g["kind"] in ("denied", "assume_role_failed")]
    assert not bad, json.dumps(bad[:10], indent=1)
    seen = {
        (r["resourceType"], r["arn"])
        for r in inventory["resources"]
        if f":role/{AUDIT_ROLE}" not in r["arn"]  # the roles this test made
    }
    assert len({r["accountId"] for r in inventory["resources"]}) == 5
    assert seen == recorded["resources"], (
        sorted(recorded["resources"] - seen)[:10],
        sorted(seen - recorded["resources"])[:10],
    )
