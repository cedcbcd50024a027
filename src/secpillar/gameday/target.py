"""Where a game day attacks: a fresh sandbox (seeded, attacked in its PROD account), a running
endpoint, or a real AWS account — the last two only when the caller names the account id
(``--confirm-account``), so that nobody attacks an account by mistake.

A :class:`Target` holds the client factory that acts in the attacked account, where that
account's CloudTrail files land (:class:`TrailLogs`), how to make a sandbox deliver them now, and
the detection parameters that describe the organization (its accounts and regions)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.assume import assume_role_factory
from secpillar.aws.errors import short_message
from secpillar.aws.session import ClientFactory, base_session
from secpillar.detect.registry import ParamValue
from secpillar.errors import AwsError, SandboxError, UsageError

SANDBOX = "sandbox"
REAL_AWS = "aws"
SANDBOX_ACCOUNT = "PROD"
"""The sandbox account the game day attacks (through OrganizationAccountAccessRole from MGMT)."""
SANDBOX_POLICIES = "AdministratorAccess"
"""AWS managed policies the game day's sandbox loads (an attacker attaches AdministratorAccess)."""
ROLE = "OrganizationAccountAccessRole"


@dataclass(frozen=True)
class TrailLogs:
    """CloudTrail files of the attacked account: ``s3://bucket/base<account>/CloudTrail/<region>/…``
    (``base`` is ``[prefix/]AWSLogs/[o-id/]``), read with ``reader``."""

    bucket: str
    base: str
    accounts: tuple[str, ...]
    reader: ClientFactory


@dataclass
class Target:
    kind: str
    """``sandbox``, ``endpoint`` or ``aws``."""
    label: str
    account_id: str
    region: str
    clients: ClientFactory
    """Acts in the attacked account (the attacker's and the responder's calls)."""
    trail: TrailLogs
    endpoint_url: str | None = None
    sandbox_url: str | None = None
    """A secpillar sandbox (console sign-ins, root keys, flush on demand), else ``None``."""
    params: dict[str, dict[str, ParamValue]] = field(default_factory=dict)
    scan_accounts: tuple[str, ...] = ()
    close: Callable[[], None] = lambda: None


def caller_account(clients: ClientFactory) -> str:
    try:
        return str(clients.client("sts").get_caller_identity()["Account"])
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(f"cannot tell which account the credentials belong to: {short_message(exc)}") from None


def confirm(account: str, confirmed: str | None, label: str) -> None:
    """A target other than the sandbox is attacked only when ``--confirm-account`` names it."""
    if not confirmed:
        raise UsageError(
            f"{label} is account {account}: a game day really attacks it; "
            f"run again with --confirm-account {account} if that is what you want"
        )
    if confirmed.strip() != account:
        raise UsageError(
            f"--confirm-account {confirmed.strip()} does not match the target's account {account}: "
            "nothing was run"
        )


def is_secpillar_sandbox(url: str) -> bool:
    """Whether ``url`` serves the sandbox's API (``/secpillar-api/flush-cloudtrail``)."""
    from secpillar.sandbox.console import flush_cloudtrail

    try:
        flush_cloudtrail(url)
    except (OSError, ValueError):
        return False
    return True


def discover_trail(clients: ClientFactory, account: str, override: str = "") -> TrailLogs:
    """Where the account's CloudTrail files land: ``override`` (``s3://bucket/base``), else the
    first logging trail that covers the account (its own, or its organization's)."""
    if override:
        if not override.startswith("s3://"):
            raise UsageError(f"--trail-logs expects s3://BUCKET/PREFIX, got {override!r}")
        bucket, _, base = override[5:].partition("/")
        base = base if not base or base.endswith("/") else base + "/"
        return TrailLogs(bucket, base, (account,), clients)
    ct = clients.client("cloudtrail")
    try:
        trails = ct.describe_trails(includeShadowTrails=True)["trailList"]
        for trail in sorted(trails, key=lambda t: (not t.get("IsOrganizationTrail"), t["Name"])):
            if not trail.get("S3BucketName"):
                continue
            status = ct.get_trail_status(Name=trail["TrailARN"])
            if not status.get("IsLogging"):
                continue
            prefix = f"{trail['S3KeyPrefix'].strip('/')}/" if trail.get("S3KeyPrefix") else ""
            org = ""
            if trail.get("IsOrganizationTrail"):
                desc = clients.client("organizations").describe_organization()["Organization"]
                org = f"{desc['Id']}/"
            return TrailLogs(str(trail["S3BucketName"]), f"{prefix}AWSLogs/{org}", (account,), clients)
    except (ClientError, BotoCoreError) as exc:
        raise AwsError(f"cannot find the account's CloudTrail trail: {short_message(exc)}") from None
    raise UsageError(
        f"no logging CloudTrail trail covers account {account}: a game day needs one "
        "(or give --trail-logs s3://BUCKET/PREFIX/AWSLogs/…)"
    )


def from_credentials(
    target: str,
    confirmed: str | None,
    *,
    profile: str | None = None,
    region: str = "us-east-1",
    trail_logs: str = "",
) -> Target:
    """``aws`` (real AWS with the profile or environment credentials) or an endpoint URL."""
    endpoint = None if target == REAL_AWS else target
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise UsageError(f"--target expects 'sandbox', 'aws' or an endpoint URL, got {target!r}")
    clients = ClientFactory(base_session(profile, region, endpoint), endpoint_url=endpoint)
    account = caller_account(clients)
    confirm(account, confirmed, "the target" if endpoint is None else f"the endpoint {endpoint}")
    sandbox = endpoint if endpoint is not None and is_secpillar_sandbox(endpoint) else None
    return Target(
        kind="endpoint" if endpoint else REAL_AWS,
        label=endpoint or f"AWS account {account}",
        account_id=account,
        region=region,
        clients=clients,
        trail=discover_trail(clients, account, trail_logs),
        endpoint_url=endpoint,
        sandbox_url=sandbox,
        scan_accounts=(account,),
    )


def start_sandbox(progress: Callable[[str], None] | None = None) -> Target:
    """A fresh sandbox in a child process, seeded; the game day attacks its PROD account."""
    from secpillar.sandbox.moto_patches import MANAGED_POLICIES_ENV
    from secpillar.sandbox.seed import REGION, SECOND_REGION, seed
    from secpillar.sandbox.server import SandboxProcess

    saved = os.environ.get(MANAGED_POLICIES_ENV)
    os.environ[MANAGED_POLICIES_ENV] = SANDBOX_POLICIES
    try:
        proc = SandboxProcess().start()
    finally:
        if saved is None:
            os.environ.pop(MANAGED_POLICIES_ENV, None)
        else:
            os.environ[MANAGED_POLICIES_ENV] = saved
    try:
        manifest = seed(proc.url, progress=progress)
        return sandbox_target(proc.url, manifest.accounts, close=proc.stop, regions=(REGION, SECOND_REGION))
    except BaseException:
        proc.stop()
        raise


def sandbox_target(
    url: str,
    accounts: dict[str, str],
    *,
    close: Callable[[], None] = lambda: None,
    regions: tuple[str, ...] = ("us-east-1", "eu-west-1"),
) -> Target:
    """A seeded sandbox at ``url`` (``accounts``: name -> id, as the seed manifest lists them)."""
    if SANDBOX_ACCOUNT not in accounts or "MGMT" not in accounts:
        raise SandboxError("the sandbox is not seeded with the example organization (no PROD account)")
    mgmt = ClientFactory(base_session(None, regions[0], url), endpoint_url=url)
    prod = accounts[SANDBOX_ACCOUNT]
    clients = assume_role_factory(mgmt, f"arn:aws:iam::{prod}:role/{ROLE}", "secpillar-gameday")
    org_trail = discover_trail(mgmt, accounts["MGMT"])
    trail = TrailLogs(org_trail.bucket, org_trail.base, (prod, accounts["MGMT"]), mgmt)
    org_accounts = tuple(sorted(accounts.values()))
    return Target(
        kind=SANDBOX,
        label=f"sandbox {url} (account PROD {prod})",
        account_id=prod,
        region=regions[0],
        clients=clients,
        trail=trail,
        endpoint_url=url,
        sandbox_url=url,
        params={
            # The organization is known exactly: no need to derive it from the lake.
            **{
                det: {"org_accounts": org_accounts}
                for det in (
                    "ct.s3-bucket-policy-outside-account",
                    "ct.role-trust-outside-account",
                    "ct.ebs-snapshot-shared",
                    "ct.ami-shared",
                    "ct.rds-snapshot-shared",
                )
            },
            "ct.unused-region": {"allowed_regions": regions},
        },
        scan_accounts=(prod,),
        close=close,
    )
