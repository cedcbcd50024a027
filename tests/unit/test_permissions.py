"""The scanner's IAM policy: every declared action is a real IAM action, every operation a collector
module names is declared, and the generated policy is well-formed, sorted and least-privilege."""

from __future__ import annotations

import ast
import importlib
import json
from functools import cache
from pathlib import Path

import botocore.session
import pytest
from typer.testing import CliRunner

from secpillar.aws.actions import iam_action
from secpillar.checks import load_all as load_checks
from secpillar.cli.main import app
from secpillar.collect import COLLECTOR_MODULES
from secpillar.collect import load_all as load_collectors
from secpillar.collect.base import Collector
from secpillar.collect.permissions import MANAGED_POLICY_LIMIT, collectors_for, scanner_permissions
from secpillar.iam.catalogue import action_info, lint_policy
from secpillar.iam.policy import parse_policy

COLLECTORS = list(load_collectors())


@pytest.mark.parametrize("collector", COLLECTORS, ids=[c.id for c in COLLECTORS])
def test_declared_actions_exist_in_the_iam_catalogue(collector: Collector) -> None:
    assert collector.permissions, f"{collector.id} declares no IAM action"
    for action in collector.permissions:
        info = action_info(action)
        assert info is not None, f"{collector.id}: {action} is not an IAM action"
        assert info.action == action, f"{collector.id}: spell {action} as {info.action}"
        assert info.access_level in ("List", "Read"), f"{collector.id}: {action} is {info.access_level}"


# ---- static completeness: every operation a collector module calls is declared -----------------


@cache
def _botocore() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def _operations(service: str) -> dict[str, str]:
    """snake_case method name -> API operation name of a boto3 service."""
    from botocore import xform_name

    model = _botocore().get_service_model(service)
    return {xform_name(op): op for op in model.operation_names}


def _module_calls(path: Path) -> tuple[set[str], set[str]]:
    """The services a module makes clients of and the operations it passes to ctx.call/paginate."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    services: set[str] = set()
    ops: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        args = node.args
        if node.func.attr == "client" and args and isinstance(args[0], ast.Constant):
            services.add(str(args[0].value))
        if node.func.attr in ("call", "paginate") and len(args) >= 2 and isinstance(args[1], ast.Constant):
            ops.add(str(args[1].value))
    return services, ops


MODULES = [m for m in COLLECTOR_MODULES]


@pytest.mark.parametrize("module", MODULES)
def test_every_operation_a_collector_module_names_is_declared(module: str) -> None:
    mod = importlib.import_module(module)
    path = Path(str(mod.__file__))
    services, ops = _module_calls(path)
    declared = {a for c in COLLECTORS if type(c).__module__ == module for a in c.permissions}
    assert ops, f"{module} makes no ctx.call/ctx.paginate call"
    for op in sorted(ops):
        candidates = []
        for svc in sorted(services):
            api = _operations(svc).get(op)
            if api is not None:
                model = _botocore().get_service_model(svc)
                candidates.append(iam_action(svc, model.signing_name, api))
        assert candidates, f"{module}: no service of {sorted(services)} has an operation {op!r}"
        assert any(a is None or a in declared for a in candidates), (
            f"{module} calls {op} ({' or '.join(str(a) for a in candidates)}) but declares {sorted(declared)}"
        )


# ---- the generated policy ------------------------------------------------------------------------


def test_policy_is_grouped_sorted_and_valid() -> None:
    checks = list(load_checks())
    perms = scanner_permissions(checks, load_collectors(), role="SecpillarAudit")
    policy = perms.policy()
    assert policy["Version"] == "2012-10-17"
    reads = [s for s in policy["Statement"] if s["Sid"].startswith("Read")]
    services = [s["Action"][0].split(":")[0] for s in reads]
    assert services == sorted(services) and len(set(services)) == len(services)
    for st in reads:
        assert st["Effect"] == "Allow" and st["Resource"] == "*"
        assert st["Action"] == sorted(st["Action"], key=str.lower)
        assert {a.split(":")[0] for a in st["Action"]} == {st["Action"][0].split(":")[0]}
    every = [a for s in reads for a in s["Action"]]
    assert len(every) == len(set(every))
    declared = {a for c in COLLECTORS for a in c.permissions}
    assert declared <= set(every)
    assert {"organizations:ListAccounts", "organizations:DescribeOrganization"} <= set(every)
    assume = [s for s in policy["Statement"] if "sts:AssumeRole" in s["Action"]]
    assert assume == [
        {
            "Sid": "AssumeAuditRoleInMemberAccounts",
            "Effect": "Allow",
            "Action": ["sts:AssumeRole"],
            "Resource": "arn:aws:iam::*:role/SecpillarAudit",
        }
    ]
    assert not any("*" in a for a in every), "no wildcard actions: least privilege"
    assert lint_policy(parse_policy(policy)) == []
    assert perms.size <= MANAGED_POLICY_LIMIT


def test_policy_follows_the_selected_checks() -> None:
    s3_checks = load_checks().select(include=["aws.s3.bucket-encryption-at-rest"])
    perms = scanner_permissions(s3_checks, load_collectors(), org=False, regions_given=True)
    ids = {c.id for c in collectors_for(s3_checks, load_collectors())}
    assert "s3" in ids and "ec2-network" not in ids
    assert "s3:GetEncryptionConfiguration" in perms.actions
    assert not any(a.startswith(("ec2:", "organizations:", "kms:")) for a in perms.actions)
    assert perms.assume_role_arn is None
    assert all("sts:AssumeRole" not in s["Action"] for s in perms.policy()["Statement"])
    hub = scanner_permissions(s3_checks, load_collectors(), security_hub=True)
    assert "securityhub:BatchImportFindings" in hub.actions
    assert "ec2:DescribeRegions" in hub.actions


def test_cli_prints_the_policy_and_the_reasons() -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["permissions", "--services", "kms", "--role", "Audit"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    actions = {a for s in doc["Statement"] for a in s["Action"]}
    assert "kms:GetKeyPolicy" in actions and "s3:GetBucketPolicy" not in actions
    assert doc["Statement"][-1]["Resource"] == "arn:aws:iam::*:role/Audit"
    text = runner.invoke(app, ["permissions", "--services", "kms", "--format", "text", "--no-org"])
    assert text.exit_code == 0, text.output
    assert "kms:GetKeyPolicy" in text.stdout and "collector kms" in text.stdout
    assert "sts:AssumeRole" not in text.stdout
    bad = runner.invoke(app, ["permissions", "--services", "nope"])
    assert bad.exit_code != 0
