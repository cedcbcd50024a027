"""secpillar scan against Prowler on the sandbox organization, in the same run.

Serves the sandbox (moto on 127.0.0.1), seeds the example organization with its planted flaws
(MGMT, LOGS, TEST, STG, PROD), installs Prowler into its own virtual environment
(``bench/.venv-prowler``, once, from PyPI) and then, on the same services and region:

    secpillar scan --org --regions us-east-1 --exclude-checks fis,identitycenter ...
                                   (one process: discovers the organization, assumes
                                    OrganizationAccountAccessRole in each member account)
    prowler aws -f us-east-1 --services ... --scan-unused-services -M json-ocsf
                                   (once per account, as Prowler scans one account a run:
                                    MGMT with the caller's credentials, each member account
                                    with --role .../OrganizationAccountAccessRole)

Both run as subprocesses (process start included) pointed at the sandbox (``AWS_ENDPOINT_URL``
and dummy credentials for Prowler, ``--endpoint-url`` for secpillar). Wall time is the best of
``--repeat``; peak memory is the child's maximum resident set size (``wait4``). Prowler's
organization time is the sum of its account runs and its peak the largest of them; the same
figures for one account alone (TEST: secpillar ``--accounts TEST``) are printed too.

Then, for every planted flaw in scope (``secpillar.sandbox.manifest``), whether each tool FAILed
that resource: secpillar with the manifest's check, Prowler with any of the checks mapped below
(on the resource, on a policy attached to the IAM principal, or account-wide for account-level
flaws); and where their verdicts differ on the shared check families outside the manifest.

Fairness notes, printed with the figures:
- ``--scan-unused-services``: Prowler by default skips resources it deems unused (security groups
  without interfaces, …); secpillar judges every resource, so Prowler is asked to as well
  (``--prowler-default-scope`` keeps Prowler's default).
- moto ignores ``OwnerIds=["self"]`` on ``DescribeSnapshots`` and lists its ~1,300 pre-made public
  snapshots to every account; AWS returns only the account's own. The benchmark's sandbox honours
  ``OwnerIds`` so that Prowler is not charged for an emulator quirk (secpillar's collector already
  adds an ``owner-id`` filter). ``--moto-snapshots`` keeps moto's behaviour.

Not part of the test suite (a full run takes several minutes: Prowler needs ~1.5-2 minutes per
account on 2 cores).

    python bench/scan_vs_prowler.py                         # all shared services
    python bench/scan_vs_prowler.py --services s3,ec2,iam   # a quicker look
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _peer import peer_tool

HERE = Path(__file__).parent
VENV = HERE / ".venv-prowler"
REGION = "us-east-1"
ACCOUNTS = ("MGMT", "LOGS", "TEST", "STG", "PROD")
ROLE = "OrganizationAccountAccessRole"
ONE_ACCOUNT = "TEST"

# secpillar check service (the second part of a check id) -> the Prowler services that read the
# same AWS APIs. The first one decides whether a check service is in a ``--services`` subset.
SERVICES: dict[str, tuple[str, ...]] = {
    "accessanalyzer": ("accessanalyzer",),
    "acm": ("acm",),
    "backup": ("backup",),
    "classification": ("s3", "kms"),
    "cloudfront": ("cloudfront",),
    "cloudtrail": ("cloudtrail",),
    "cloudwatch": ("cloudwatch",),
    "codebuild": ("codebuild",),
    "config": ("config",),
    "ec2": ("ec2", "vpc"),
    "ecr": ("ecr",),
    "elb": ("elbv2",),
    "events": ("eventbridge",),
    "guardduty": ("guardduty",),
    "iam": ("iam", "sqs", "sns", "secretsmanager", "awslambda"),
    "inspector": ("inspector2",),
    "kms": ("kms",),
    "lambda": ("awslambda",),
    "logs": ("cloudwatch",),
    "macie": ("macie",),
    "net": ("ec2", "vpc", "elbv2", "rds"),
    "organizations": ("organizations",),
    "rds": ("rds",),
    "s3": ("s3",),
    "secretsmanager": ("secretsmanager",),
    "securityhub": ("securityhub",),
    "ssm": ("ssm",),
    "tagging": ("s3", "organizations"),
    "wafv2": ("wafv2",),
}
# Check services Prowler has no service for: left out of secpillar's run too.
NO_PROWLER_SERVICE = ("fis", "identitycenter")

_SG_OPEN = (
    "ec2_securitygroup_allow_ingress_from_internet_to_all_ports",
    "ec2_securitygroup_allow_ingress_from_internet_to_any_port",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22",
    "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_3389",
)
_PASSWORD = tuple(
    f"iam_password_policy_{p}"
    for p in ("minimum_length_14", "reuse_24", "lowercase", "uppercase", "number", "symbol")
)
# The planted flaws' checks -> the Prowler checks that judge the same defect (CIS v5 / FSBP
# mappings of both tools where they exist, by reading both checks' logic otherwise). An empty
# tuple: Prowler 5.x has no check for it.
PROWLER: dict[str, tuple[str, ...]] = {
    "aws.acm.certificate-expiry": ("acm_certificates_expiration_check",),
    "aws.acm.certificate-key-strength": ("acm_certificates_with_secure_key_algorithms",),
    "aws.acm.certificate-no-wildcard": (),
    "aws.backup.plan-exists": ("backup_plans_exist",),
    "aws.backup.vault-lock": (),
    "aws.classification.confidential-cmk": ("s3_bucket_kms_encryption",),
    "aws.classification.confidential-versioned": ("s3_bucket_object_versioning",),
    "aws.cloudfront.origin-bucket-not-public": (),
    "aws.cloudfront.s3-origin-access-control": ("cloudfront_distributions_s3_origin_access_control",),
    "aws.cloudfront.viewer-https": ("cloudfront_distributions_https_enabled",),
    "aws.cloudtrail.central-bucket": (),
    "aws.cloudtrail.kms-encryption": ("cloudtrail_kms_encryption_enabled",),
    "aws.cloudtrail.log-file-validation": ("cloudtrail_log_file_validation_enabled",),
    "aws.cloudtrail.logging": (
        "cloudtrail_multi_region_enabled",
        "cloudtrail_multi_region_enabled_logging_management_events",
    ),
    "aws.cloudtrail.multi-region": (
        "cloudtrail_multi_region_enabled",
        "cloudtrail_multi_region_enabled_logging_management_events",
    ),
    "aws.cloudwatch.alarm-actions": (
        "cloudwatch_alarm_actions_enabled",
        "cloudwatch_alarm_actions_alarm_state_configured",
    ),
    "aws.cloudwatch.alarm-cloudtrail-changes": (
        "cloudwatch_log_metric_filter_and_alarm_for_cloudtrail_configuration_changes_enabled",
    ),
    "aws.cloudwatch.alarm-iam-policy-changes": ("cloudwatch_log_metric_filter_policy_changes",),
    "aws.codebuild.no-secrets-in-environment": ("codebuild_project_no_secrets_in_variables",),
    "aws.codebuild.privileged-mode-off": (),
    "aws.codebuild.source-no-credentials": ("codebuild_project_source_repo_url_no_sensitive_credentials",),
    "aws.config.recorder-enabled": ("config_recorder_all_regions_enabled",),
    "aws.ec2.approved-ami": (),
    "aws.ec2.default-sg-restricts-all": ("ec2_securitygroup_default_restrict_traffic",),
    "aws.ec2.ebs-default-encryption": ("ec2_ebs_default_encryption",),
    "aws.ec2.ebs-volume-encrypted": ("ec2_ebs_volume_encryption",),
    "aws.ec2.image-not-public": ("ec2_ami_public",),
    "aws.ec2.imdsv2-required": ("ec2_instance_imdsv2_enabled",),
    "aws.ec2.instance-no-key-pair": (),
    "aws.ec2.instance-no-public-ip": ("ec2_instance_public_ip",),
    "aws.ec2.instance-profile-attached": ("ec2_instance_profile_attached",),
    "aws.ec2.nacl-admin-ports-open": (
        "ec2_networkacl_allow_ingress_any_port",
        "ec2_networkacl_allow_ingress_tcp_port_22",
        "ec2_networkacl_allow_ingress_tcp_port_3389",
    ),
    "aws.ec2.sg-admin-ports-ipv4": _SG_OPEN,
    "aws.ec2.sg-admin-ports-ipv6": _SG_OPEN,
    "aws.ec2.sg-all-traffic-open": (*_SG_OPEN[:2], "ec2_securitygroup_allow_wide_open_public_ipv4"),
    "aws.ec2.snapshot-encrypted": ("ec2_ebs_snapshots_encrypted",),
    "aws.ec2.snapshot-not-public": ("ec2_ebs_public_snapshot",),
    "aws.ec2.vpc-flow-logs": ("vpc_flow_logs_enabled",),
    "aws.ecr.no-critical-image-findings": ("ecr_repositories_scan_vulnerabilities_in_latest_image",),
    "aws.ecr.registry-enhanced-scanning": ("ecr_registry_enhanced_scanning_enabled",),
    "aws.ecr.scan-on-push": (
        "ecr_repositories_scan_images_on_push_enabled",
        "ecr_registry_scan_images_on_push_enabled",
    ),
    "aws.ecr.tag-immutability": ("ecr_repositories_tag_immutability",),
    "aws.events.threat-findings-routed": (),
    "aws.guardduty.enabled": ("guardduty_is_enabled",),
    "aws.iam.break-glass-role": (),
    "aws.iam.console-users-centralized": ("iam_check_saml_providers_sts",),
    "aws.iam.credential-exposure-unrestricted": (),
    "aws.iam.incident-response-role": ("iam_support_role_created",),
    "aws.iam.password-policy-strong": _PASSWORD,
    "aws.iam.policy-no-admin-star": (
        "iam_customer_attached_policy_no_administrative_privileges",
        "iam_customer_unattached_policy_no_administrative_privileges",
        "iam_inline_policy_no_administrative_privileges",
    ),
    "aws.iam.policy-no-service-wildcard": (),
    "aws.iam.privilege-escalation-path": (
        "iam_policy_allows_privilege_escalation",
        "iam_inline_policy_allows_privilege_escalation",
    ),
    "aws.iam.resource-shared-outside-org": (
        "s3_bucket_cross_account_access",
        "s3_bucket_public_access",
        "sqs_queues_not_publicly_accessible",
        "sns_topics_not_publicly_accessible",
        "kms_key_not_publicly_accessible",
        "secretsmanager_not_publicly_accessible",
        "secretsmanager_has_restrictive_resource_policy",
    ),
    "aws.iam.role-trust-no-wildcard": (),
    "aws.iam.role-trust-outside-organization": (),
    "aws.iam.role-trust-requires-mfa": (),
    "aws.iam.root-mfa-enabled": ("iam_root_mfa_enabled", "iam_root_hardware_mfa_enabled"),
    "aws.iam.server-certificates-not-expired": ("iam_no_expired_server_certificates_stored",),
    "aws.iam.user-console-mfa": ("iam_user_mfa_enabled_console_access",),
    "aws.iam.user-in-group": (),
    "aws.iam.user-no-access-keys": (),
    "aws.iam.user-no-direct-policies": ("iam_policy_attached_only_to_group_or_roles",),
    "aws.iam.user-one-active-key": ("iam_user_two_active_access_key",),
    "aws.inspector.ec2-scanning": ("inspector2_is_enabled",),
    "aws.kms.key-policy-no-public": ("kms_key_not_publicly_accessible",),
    "aws.kms.key-rotation-enabled": ("kms_cmk_rotation_enabled",),
    "aws.kms.key-shared-within-organization": (),
    "aws.lambda.no-secrets-in-environment": ("awslambda_function_no_secrets_in_variables",),
    "aws.lambda.supported-runtime": ("awslambda_function_using_supported_runtimes",),
    "aws.logs.kms-encryption": ("cloudwatch_log_group_kms_encryption_enabled",),
    "aws.logs.retention": ("cloudwatch_log_group_retention_policy_specific_days_enabled",),
    "aws.net.admin-ports-reachable-from-internet": (
        "ec2_instance_port_ssh_exposed_to_internet",
        "ec2_instance_port_rdp_exposed_to_internet",
    ),
    "aws.net.db-reachable-from-internet": ("rds_instance_no_public_access",),
    "aws.net.environments-connected": (),
    "aws.net.lb-http-without-https": ("elbv2_ssl_listeners",),
    "aws.net.private-subnet-routes-to-igw": (),
    "aws.organizations.management-account-no-workloads": (),
    "aws.organizations.scp-guardrails": (),
    "aws.organizations.scp-on-every-ou": (),
    "aws.organizations.scp-protects-security-services": (),
    "aws.organizations.security-services-delegated": (
        "securityhub_delegated_admin_enabled_all_regions",
        "guardduty_delegated_admin_enabled_all_regions",
    ),
    "aws.rds.in-private-subnets": (),
    "aws.rds.not-publicly-accessible": ("rds_instance_no_public_access",),
    "aws.rds.storage-encrypted": ("rds_instance_storage_encrypted",),
    "aws.s3.account-public-access-block": ("s3_account_level_public_access_blocks",),
    "aws.s3.bucket-access-logging": ("s3_bucket_server_access_logging_enabled",),
    "aws.s3.bucket-acl-not-public": (
        "s3_bucket_public_access",
        "s3_bucket_public_list_acl",
        "s3_bucket_public_write_acl",
    ),
    "aws.s3.bucket-encryption-at-rest": ("s3_bucket_default_encryption",),
    "aws.s3.bucket-policy-not-public": ("s3_bucket_public_access", "s3_bucket_policy_public_write_access"),
    "aws.s3.bucket-public-access-block": ("s3_bucket_level_public_access_block",),
    "aws.s3.bucket-shared-within-organization": ("s3_bucket_cross_account_access",),
    "aws.s3.bucket-tls-only": ("s3_bucket_secure_transport_policy",),
    "aws.s3.bucket-versioning": ("s3_bucket_object_versioning",),
    "aws.s3.log-bucket-lifecycle": ("s3_bucket_lifecycle_enabled",),
    "aws.secretsmanager.rotation-enabled": ("secretsmanager_automatic_rotation_enabled",),
    "aws.securityhub.enabled": ("securityhub_enabled",),
    "aws.ssm.response-runbooks": (),
    "aws.tagging.data-classification": (),
    "aws.wafv2.logging": ("wafv2_webacl_logging_enabled",),
    "aws.wafv2.webacl-has-rules": ("wafv2_webacl_with_rules",),
}

# The sandbox server, with two emulator quirks put right (see the docstring): DescribeSnapshots
# honours OwnerIds as AWS does, and an API moto does not serve (it answers 500, which every AWS SDK
# retries with back-off) answers 501, which SDKs do not retry; each such call is logged to argv[1].
SERVER = """
import sys, time
from moto.core.responses import ActionResult
from moto.ec2.responses.elastic_block_store import ElasticBlockStore
import secpillar.sandbox.server as srv

LOG, FLAGS = sys.argv[1], sys.argv[2:]

def describe_snapshots(self):
    snaps = self.ec2_backend.describe_snapshots(
        snapshot_ids=self._get_param("SnapshotIds", []), filters=self._filters_from_querystring()
    )
    owners = self._get_param("OwnerIds", []) or []
    if owners and all(o == "self" or o.isdigit() for o in owners):
        keep = {self.current_account if o == "self" else o for o in owners}
        snaps = [s for s in snaps if s.owner_id in keep]
    return ActionResult({"Snapshots": snaps})

def unserved(environ):
    auth = environ.get("HTTP_AUTHORIZATION", "")
    service = auth.split("Credential=", 1)[-1].split("/")[3] if "Credential=" in auth else "?"
    what = environ.get("HTTP_X_AMZ_TARGET") or environ.get("PATH_INFO", "")
    with open(LOG, "a") as log:
        log.write(f"{time.time():.3f} {service} {environ.get('REQUEST_METHOD')} {what[:60]}\\n")

def not_implemented(app):
    def wrapped(environ, start_response):
        failed = []
        def respond(status, headers, exc_info=None):
            if status.startswith("500"):
                failed.append(status)
                return start_response("501 Not Implemented", [("Content-Length", "0")])
            return start_response(status, headers, exc_info)
        try:
            body = app(environ, respond)
        except Exception:
            unserved(environ)
            start_response("501 Not Implemented", [("Content-Length", "0")])
            return [b""]
        if failed:
            unserved(environ)
            getattr(body, "close", lambda: None)()
            return [b""]
        return body
    return wrapped

if "--moto-snapshots" not in FLAGS:
    ElasticBlockStore.describe_snapshots = describe_snapshots
if "--moto-errors" not in FLAGS:
    make_app = srv.make_app
    srv.make_app = lambda cloudtrail=True: not_implemented(make_app(cloudtrail))
sys.exit(srv.main(["--port", "0"]))
"""


# Imported by Prowler's interpreter at start (``sitecustomize`` on its PYTHONPATH): S3 Control's
# endpoint rules put the account id in front of the host (``123456789012.127.0.0.1``), which does
# not resolve; take it off again, as secpillar's own client factory does for the sandbox. Nothing
# else in Prowler is touched.
PROWLER_SHIM = """
import botocore.session

_create = botocore.session.Session.create_client

def _strip_account_host(request, **_):
    scheme, _, rest = request.url.partition("://")
    host, sep, path = rest.partition("/")
    first, dot, tail = host.partition(".")
    if first.isdigit() and len(first) == 12 and tail.startswith(("127.0.0.1", "localhost")):
        request.url = f"{scheme}://{tail}{sep}{path}"

def create_client(self, service_name, *args, **kwargs):
    client = _create(self, service_name, *args, **kwargs)
    if service_name == "s3control":
        client.meta.events.register_first("before-sign.s3-control", _strip_account_host)
    return client

botocore.session.Session.create_client = create_client
"""


@dataclass
class Run:
    seconds: float
    peak_bytes: int
    unserved: int = 0
    """Calls the emulator could not serve (answered 501) during the run."""


@dataclass
class Sandbox:
    url: str
    proc: subprocess.Popen[str]
    manifest: Any
    unserved_log: Path
    related: dict[str, set[str]] = field(default_factory=dict)

    def unserved(self) -> list[str]:
        if not self.unserved_log.exists():
            return []
        return self.unserved_log.read_text().splitlines()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


@dataclass
class Scope:
    prowler_services: list[str]
    check_services: list[str]
    """secpillar check services for ``--checks``; empty: every service but NO_PROWLER_SERVICE."""

    def covers(self, check_id: str) -> bool:
        service = check_id.split(".")[1]
        if self.check_services:
            return service in self.check_services
        return service not in NO_PROWLER_SERVICE

    @classmethod
    def of(cls, services: str | None) -> Scope:
        if not services:
            return cls(sorted({p for ps in SERVICES.values() for p in ps}), [])
        subset = set(services.split(","))
        return cls(sorted(subset), sorted(s for s, p in SERVICES.items() if p[0] in subset))


def start_sandbox(work: Path, flags: list[str]) -> Sandbox:
    from secpillar.sandbox.seed import seed

    log = work / "unserved.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "false"}
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(log), *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("SECPILLAR-SANDBOX-READY"):
        proc.kill()
        raise SystemExit("the sandbox server did not start")
    url = line.split()[1]
    started = time.perf_counter()
    manifest = seed(url)
    print(
        f"sandbox {url}: seeded {len(manifest.accounts)} accounts, {len(manifest.flaws)} planted flaws "
        f"in {time.perf_counter() - started:.0f}s",
        flush=True,
    )
    (work / "manifest.json").write_text(json.dumps(manifest.to_dict(), indent=1))
    sb = Sandbox(url, proc, manifest, log)
    principal_links(sb)
    return sb


def principal_links(sb: Sandbox) -> None:
    """For planted flaws on IAM users and roles: the groups and managed policies through which
    they get their permissions (Prowler judges the policy, secpillar the principal)."""
    from secpillar.sandbox.seed import SeedOrg

    org = SeedOrg(sb.url, manifest=sb.manifest)
    for flaw in sb.manifest.flaws:
        kind, _, name = flaw.arn.rpartition(":")[2].partition("/")
        if kind not in ("user", "role") or flaw.arn in sb.related:
            continue
        iam = org.client(flaw.account, "iam")
        if kind == "user":
            got = iam.list_attached_user_policies(UserName=name)["AttachedPolicies"]
            arns = {p["PolicyArn"] for p in got}
            for g in iam.list_groups_for_user(UserName=name)["Groups"]:
                arns.add(g["Arn"])
                got = iam.list_attached_group_policies(GroupName=g["GroupName"])["AttachedPolicies"]
                arns |= {p["PolicyArn"] for p in got}
        else:
            got = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
            arns = {p["PolicyArn"] for p in got}
        sb.related[flaw.arn] = arns


def measured(sb: Sandbox, cmd: list[str], env: dict[str, str], log: Path) -> tuple[Run, int]:
    """Run ``cmd`` to completion: wall seconds, the child's peak RSS (``wait4``), and how many
    calls the emulator could not serve meanwhile."""
    before = len(sb.unserved())
    with log.open("w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = rc = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss * 1024, len(sb.unserved()) - before), rc


def run_secpillar(sb: Sandbox, scope: Scope, out: Path, env: dict[str, str], accounts: str = "") -> Run:
    cmd = [sys.executable, "-m", "secpillar.cli.main", "scan", "--endpoint-url", sb.url, "--org"]
    cmd += ["--regions", REGION, "--format", "json", "--out", str(out)]
    if scope.check_services:
        cmd += ["--checks", ",".join(scope.check_services)]
    else:
        cmd += ["--exclude-checks", ",".join(NO_PROWLER_SERVICE)]
    if accounts:
        cmd += ["--accounts", accounts]
    shutil.rmtree(out, ignore_errors=True)
    log = out.with_suffix(".log")
    run, rc = measured(sb, cmd, env, log)
    if rc not in (0, 3):
        raise SystemExit(f"secpillar scan failed ({rc}): {log.read_text()[-2000:]}")
    return run


def run_prowler(exe: Path, sb: Sandbox, account: str, scope: Scope, out: Path, env: dict[str, str]) -> Run:
    cmd = [str(exe), "aws", "--no-banner", "-f", REGION, "--services", *scope.prowler_services]
    cmd += ["-M", "json-ocsf", "-o", str(out), "--log-level", "ERROR", "--log-file", str(out / "errors.log")]
    if env.get("BENCH_PROWLER_UNUSED") == "1":
        cmd.append("--scan-unused-services")
    if account != "MGMT":
        cmd += ["--role", f"arn:aws:iam::{sb.manifest.accounts[account]}:role/{ROLE}"]
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    shim = out.parent / "prowler-shim"
    shim.mkdir(exist_ok=True)
    (shim / "sitecustomize.py").write_text(PROWLER_SHIM)
    log = out.with_suffix(".log")
    run, rc = measured(sb, cmd, {**env, "PYTHONPATH": str(shim)}, log)
    if rc not in (0, 3):
        raise SystemExit(f"prowler failed on {account} ({rc}): {log.read_text()[-2000:]}")
    return run


def best(runs: list[Run]) -> Run:
    return Run(min(r.seconds for r in runs), max(r.peak_bytes for r in runs), max(r.unserved for r in runs))


@dataclass
class Timings:
    org: list[Run] = field(default_factory=list)
    one: list[Run] = field(default_factory=list)
    prowler_org: list[Run] = field(default_factory=list)
    prowler_one: list[Run] = field(default_factory=list)
    prowler_out: dict[str, Path] = field(default_factory=dict)


def measure(exe: Path, sb: Sandbox, scope: Scope, work: Path, env: dict[str, str], repeat: int) -> Timings:
    t = Timings()
    for i in range(repeat):
        t.org.append(run_secpillar(sb, scope, work / "secpillar", env))
        t.one.append(run_secpillar(sb, scope, work / "secpillar-one", env, ONE_ACCOUNT))
        per: list[Run] = []
        for account in ACCOUNTS:
            t.prowler_out[account] = out = work / f"prowler-{account}"
            run = run_prowler(exe, sb, account, scope, out, env)
            per.append(run)
            if account == ONE_ACCOUNT:
                t.prowler_one.append(run)
            print(
                f"  run {i + 1}: Prowler {account:5} {run.seconds:6.1f} s {run.peak_bytes / MIB:6.0f} MiB"
                f" ({run.unserved} calls not served)",
                flush=True,
            )
        t.prowler_org.append(
            Run(sum(r.seconds for r in per), max(r.peak_bytes for r in per), sum(r.unserved for r in per))
        )
        print(
            f"  run {i + 1}: secpillar org {t.org[-1].seconds:.1f} s, {ONE_ACCOUNT} "
            f"{t.one[-1].seconds:.1f} s; Prowler org {t.prowler_org[-1].seconds:.1f} s",
            flush=True,
        )
    return t


MIB = 2**20


def report_timings(t: Timings, repeat: int) -> tuple[float, float]:
    ours, prow, one, p_one = best(t.org), best(t.prowler_org), best(t.one), best(t.prowler_one)
    print(f"\n{'':28} {'wall s':>8} {'peak MiB':>9} {'not served':>11}")
    for label, r in (
        ("secpillar, organization", ours),
        ("Prowler, 5 account runs", prow),
        (f"secpillar, {ONE_ACCOUNT} only", one),
        (f"Prowler, {ONE_ACCOUNT} only", p_one),
    ):
        print(f"{label:28} {r.seconds:8.1f} {r.peak_bytes / MIB:9.0f} {r.unserved:11}")
    speed, speed_one = prow.seconds / ours.seconds, p_one.seconds / one.seconds
    print(
        f"\nwall-time ratio (Prowler / secpillar):   organization {speed:.1f}x, "
        f"one account {speed_one:.1f}x (target >= 5x)"
    )
    print(
        f"peak-memory ratio (Prowler / secpillar): organization {prow.peak_bytes / ours.peak_bytes:.2f}, "
        f"one account {p_one.peak_bytes / one.peak_bytes:.2f}"
    )
    print(
        f"(best of {repeat}; process start included; Prowler's organization time is its 5 runs in a row,"
        " its peak the largest run's)"
    )
    return speed, speed_one


def prowler_errors(outs: list[Path]) -> dict[str, int]:
    """Errors Prowler logged, by the module that logged them."""
    counts: dict[str, int] = defaultdict(int)
    for out in outs:
        log = out / "errors.log"
        if log.exists():
            for m in re.finditer(
                r'"filename": "([\w]+)\.py:\d+", "level": "ERROR"', log.read_text(errors="replace")
            ):
                counts[m.group(1)] += 1
    return counts


def load_secpillar(out: Path) -> list[dict[str, Any]]:
    data = json.loads((out / "findings.json").read_text())
    findings: list[dict[str, Any]] = data if isinstance(data, list) else data["findings"]
    return findings


def load_prowler(outs: list[Path]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for out in outs:
        for path in out.glob("*.ocsf.json"):
            for f in json.loads(path.read_text() or "[]"):
                res = f["resources"][0]
                account = f["cloud"]["account"]["uid"]
                found.append(
                    {
                        "check": f["metadata"]["event_code"],
                        "status": f["status_code"],
                        "uid": res["uid"].removesuffix(":*"),
                        "account": account,
                        "account_level": res.get("name") == account or res["uid"].endswith(":root"),
                    }
                )
    return found


def _account_level(arn: str) -> bool:
    return arn.endswith((":root", ":account"))


def _key(arn: str) -> str:
    """An ARN without its account field: EC2 image ARNs carry no account in AWS's format, Prowler
    writes one."""
    parts = arn.split(":", 5)
    return ":".join(parts[:4] + parts[5:]) if len(parts) == 6 else arn


def _accountless(arn: str) -> bool:
    parts = arn.split(":", 5)
    return len(parts) == 6 and not parts[4]


def _same(uid: str, arn: str) -> bool:
    """The same resource: equal ARNs, or equal but for the account where one of them has none."""
    return uid == arn or ((_accountless(uid) or _accountless(arn)) and _key(uid) == _key(arn))


def prowler_verdict(
    flaw: Any, acct: str, targets: set[str], by_check: dict[str, list[dict[str, Any]]]
) -> str:
    """FAIL when a mapped Prowler check FAILs the flaw's resource (or a policy or group that gives
    the principal its permissions, or account-wide); PASS when it judged it and passed; '' when
    Prowler gave no verdict on it."""
    verdict = ""
    for check in PROWLER.get(flaw.check_id, ()):
        for f in by_check[check]:
            on_it = any(_same(f["uid"], t) for t in targets)
            account_wide = f["account"] == acct and (f["account_level"] or _account_level(flaw.arn))
            if not (on_it or account_wide):
                continue
            if f["status"] == "FAIL":
                return "FAIL"
            if f["status"] == "PASS":
                verdict = "PASS"
    return verdict


def compare_flaws(
    sb: Sandbox, flaws: list[Any], ours: list[dict[str, Any]], theirs: list[dict[str, Any]]
) -> tuple[int, int]:
    our_fails = {(f["check_id"], f["resource"]["arn"]) for f in ours if f["status"] == "FAIL"}
    by_check: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in theirs:
        by_check[f["check"]].append(f)
    rows = []
    for flaw in flaws:
        targets = {flaw.arn} | sb.related.get(flaw.arn, set())
        theirs_v = prowler_verdict(flaw, sb.manifest.accounts[flaw.account], targets, by_check)
        rows.append((flaw, (flaw.check_id, flaw.arn) in our_fails, theirs_v))
    n_ours, n_theirs = sum(1 for r in rows if r[1]), sum(1 for r in rows if r[2] == "FAIL")
    equivalent = [r for r in rows if PROWLER.get(r[0].check_id)]
    print(f"\nplanted flaws in scope: {len(rows)}")
    print(f"  found by secpillar: {n_ours} / {len(rows)}")
    print(
        f"  found by Prowler:   {n_theirs} / {len(rows)} (it has an equivalent check for {len(equivalent)})"
    )
    missed = [(r[0], r[2]) for r in equivalent if r[1] and r[2] != "FAIL"]
    print(f"\nfound by secpillar, missed by Prowler although it has an equivalent check ({len(missed)}):")
    print("  (Prowler PASS: it judged the resource and passed it; no verdict: it produced no finding there)")
    for flaw, verdict in missed:
        print(
            f"  {flaw.check_id:42} {flaw.account:5} {flaw.resource[:28]:28} "
            f"{verdict or 'no verdict':10} {' '.join(PROWLER[flaw.check_id])[:56]}"
        )
    where: dict[str, list[str]] = defaultdict(list)
    for flaw, a, _ in rows:
        if a and not PROWLER.get(flaw.check_id):
            where[flaw.check_id].append(f"{flaw.account} {flaw.resource}")
    print(f"\nfound by secpillar, no equivalent Prowler check ({sum(map(len, where.values()))}):")
    for check, places in sorted(where.items()):
        print(f"  {check:42} {'; '.join(places)[:90]}")
    for title, pick in (
        ("found by Prowler, missed by secpillar", lambda r: r[2] == "FAIL" and not r[1]),
        ("found by neither", lambda r: not r[1] and r[2] != "FAIL"),
    ):
        chosen = [r[0] for r in rows if pick(r)]
        print(f"\n{title} ({len(chosen)}):")
        for flaw in chosen:
            print(f"  {flaw.check_id:42} {flaw.account:5} {flaw.resource}")
    return n_ours, n_theirs


def compare_families(ours: list[dict[str, Any]], theirs: list[dict[str, Any]], checks: set[str]) -> None:
    """Beyond the manifest: every resource a mapped Prowler check FAILs, and secpillar's verdict on
    it from the checks mapped to that Prowler check (on the ARN, or account-wide)."""
    mapped: dict[str, set[str]] = defaultdict(set)
    for check in checks:
        for p in PROWLER.get(check, ()):
            mapped[p].add(check)
    verdict: dict[tuple[str, str], str] = {}
    for f in ours:
        if f["status"] not in ("FAIL", "PASS"):
            continue
        arn = f["resource"]["arn"]
        keys = [(f["check_id"], arn)] + ([(f["check_id"], _key(arn))] if _accountless(arn) else [])
        if _account_level(arn):
            keys.append((f["check_id"], f["resource"]["account"]))
        for key in keys:
            if verdict.get(key) != "FAIL":
                verdict[key] = f["status"]
    total = agree = 0
    rows: list[str] = []
    for p, ours_checks in sorted(mapped.items()):
        fails = {(f["uid"], f["account"]) for f in theirs if f["check"] == p and f["status"] == "FAIL"}
        counts = {"FAIL": 0, "PASS": 0, "": 0}
        passed: list[str] = []
        for uid, acct in fails:
            got = {
                verdict.get((c, uid)) or verdict.get((c, _key(uid))) or verdict.get((c, acct)) or ""
                for c in ours_checks
            }
            v = "FAIL" if "FAIL" in got else "PASS" if "PASS" in got else ""
            counts[v] += 1
            if v == "PASS":
                passed.append(uid)
        total += len(fails)
        agree += counts["FAIL"]
        if counts["PASS"] or counts[""]:
            rows.append(
                f"  {p[:62]:62} {len(fails):4} -> {counts['FAIL']:4} / {counts['PASS']:3} / {counts['']:3}"
            )
            rows += [f"      secpillar PASS on {u}" for u in sorted(passed)[:2]]
    print(
        f"\nbeyond the manifest: Prowler FAILs {total} resources in the shared families; secpillar FAILs "
        f"{agree} of them. Where not (Prowler check: its FAILs -> secpillar FAIL / PASS / no verdict):"
    )
    print("\n".join(rows) if rows else "  (none)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--services", help="comma-separated Prowler services (default: all shared)")
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs per tool (default 1)")
    ap.add_argument("--prowler-default-scope", action="store_true", help="let Prowler skip unused resources")
    ap.add_argument("--moto-snapshots", action="store_true", help="keep moto's DescribeSnapshots quirk")
    ap.add_argument("--moto-errors", action="store_true", help="keep moto's 500 for APIs it does not serve")
    ap.add_argument("--keep", type=Path, help="write both tools' outputs here and keep them")
    args = ap.parse_args()
    exe = peer_tool(VENV, "prowler", "prowler", "a few minutes")
    version = subprocess.run(
        [str(exe), "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    scope = Scope.of(args.services)
    tmp = Path(tempfile.mkdtemp(prefix="prowler-bench-"))
    work = args.keep or tmp
    work.mkdir(parents=True, exist_ok=True)
    flags = [
        f for f, on in (("--moto-snapshots", args.moto_snapshots), ("--moto-errors", args.moto_errors)) if on
    ]
    sb = start_sandbox(work, flags)
    try:
        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": sb.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "BENCH_PROWLER_UNUSED": "0" if args.prowler_default_scope else "1",
        }
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            env.pop(name, None)
        print(f"{version}; secpillar on {sys.executable}")
        print(f"scope: region {REGION}, accounts {', '.join(ACCOUNTS)}")
        print(f"  Prowler services: {' '.join(scope.prowler_services)}")
        every = "every service but " + ", ".join(NO_PROWLER_SERVICE)
        print(f"  secpillar checks: {', '.join(scope.check_services) or every}")
        print(
            f"  Prowler {'skips' if args.prowler_default_scope else 'judges'} unused resources; sandbox: "
            f"DescribeSnapshots {'as moto answers' if args.moto_snapshots else 'honours OwnerIds'}, "
            f"unserved APIs answer {'500 (retried)' if args.moto_errors else '501 (not retried)'}",
            flush=True,
        )
        t = measure(exe, sb, scope, work, env, args.repeat)
        speed, speed_one = report_timings(t, args.repeat)
        errors = prowler_errors(list(t.prowler_out.values()))
        if errors:
            print(
                "Prowler logged errors, last run, by module (mostly APIs the emulator does not serve): "
                + ", ".join(f"{m} {n}" for m, n in sorted(errors.items()))
            )
        kinds: dict[str, int] = defaultdict(int)
        for line in sb.unserved():
            kinds[" ".join(line.split()[1:])] += 1
        if kinds:
            top = sorted(kinds.items(), key=lambda kv: -kv[1])[:8]
            print(
                "calls the emulator did not serve, per run of both tools: "
                + "; ".join(f"{k} x{n // args.repeat}" for k, n in top)
            )
        flaws = [f for f in sb.manifest.flaws if scope.covers(f.check_id)]
        ours_f, theirs_f = load_secpillar(work / "secpillar"), load_prowler(list(t.prowler_out.values()))
        n_ours, n_theirs = compare_flaws(sb, flaws, ours_f, theirs_f)
        if len(flaws) < len(sb.manifest.flaws):
            print(f"({len(sb.manifest.flaws) - len(flaws)} planted flaws are outside the compared services)")
        compare_families(ours_f, theirs_f, {f.check_id for f in flaws})
        ours, prow = best(t.org), best(t.prowler_org)
        print(
            f"\nsummary: secpillar {speed:.1f}x faster on the organization "
            f"({speed_one:.1f}x on one account), "
            f"peak memory {ours.peak_bytes / MIB:.0f} vs {prow.peak_bytes / MIB:.0f} MiB; planted flaws "
            f"found: secpillar {n_ours}/{len(flaws)}, Prowler {n_theirs}/{len(flaws)}"
        )
    finally:
        sb.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
