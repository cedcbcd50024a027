"""Seed the example organization into a running sandbox.

The organization: the caller's account becomes the management account MGMT; member accounts
LOGS, TEST, STG and PROD are created through the Organizations API, and every seeder reaches them
through ``OrganizationAccountAccessRole`` like any user would. Seeders (``sandbox/seeders/``)
plant resources and flaws and record each in the :class:`Manifest`.

Seeding is deterministic: moto's random generator is seeded first (``/moto-api/seed``), and the
seeders run one after the other in a fixed order, so the same ids come out every time.
"""

from __future__ import annotations

import importlib
import json
import threading
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.session import prepare_client
from secpillar.errors import SandboxError
from secpillar.sandbox.manifest import Manifest

REGION = "us-east-1"
SECOND_REGION = "eu-west-1"
MEMBER_ACCOUNTS = ("LOGS", "TEST", "STG", "PROD")
ENVIRONMENTS = ("TEST", "STG", "PROD")
ROLE = "OrganizationAccountAccessRole"
RANDOM_SEED = 20261128

SEEDER_MODULES: tuple[str, ...] = (
    "secpillar.sandbox.seeders.iam",
    "secpillar.sandbox.seeders.escalation",
    "secpillar.sandbox.seeders.network",
    "secpillar.sandbox.seeders.transit",
    "secpillar.sandbox.seeders.storage",
    "secpillar.sandbox.seeders.logging",
    "secpillar.sandbox.seeders.coverage",
    "secpillar.sandbox.seeders.sharing",
)

_CREDS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@dataclass
class SeedOrg:
    """Clients into each account of the sandbox organization, and the manifest to fill."""

    endpoint_url: str
    manifest: Manifest = field(default_factory=Manifest)
    region: str = REGION
    organization_id: str = ""
    root_id: str = ""
    ou_ids: dict[str, str] = field(default_factory=dict)
    _sessions: dict[str, Any] = field(default_factory=dict, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def accounts(self) -> dict[str, str]:
        return self.manifest.accounts

    def account_id(self, name: str) -> str:
        return self.manifest.accounts[name]

    def _session(self, account: str) -> Any:
        with self._lock:
            if account not in self._sessions:
                if account == "MGMT":
                    self._sessions[account] = boto3.Session(region_name=self.region, **_CREDS)
                else:
                    sts = (
                        self.client("MGMT", "sts")
                        if "MGMT" in self._sessions
                        else boto3.Session(region_name=self.region, **_CREDS).client(
                            "sts", endpoint_url=self.endpoint_url
                        )
                    )
                    role = f"arn:aws:iam::{self.account_id(account)}:role/{ROLE}"
                    creds = sts.assume_role(RoleArn=role, RoleSessionName="secpillar-seed")["Credentials"]
                    self._sessions[account] = boto3.Session(
                        aws_access_key_id=creds["AccessKeyId"],
                        aws_secret_access_key=creds["SecretAccessKey"],
                        aws_session_token=creds["SessionToken"],
                        region_name=self.region,
                    )
            return self._sessions[account]

    def client(self, account: str, service: str, region: str | None = None) -> Any:
        """A boto3 client acting in ``account`` (a name: MGMT, LOGS, TEST, STG, PROD)."""
        cfg = Config(inject_host_prefix=service != "s3control", retries={"max_attempts": 3})
        client = self._session(account).client(
            service, region_name=region or self.region, endpoint_url=self.endpoint_url, config=cfg
        )
        return prepare_client(client, service)


def _post(url: str) -> None:
    req = urllib.request.Request(url, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10):
        pass


def seed_random(endpoint_url: str, seed: int = RANDOM_SEED) -> bool:
    """Make moto's ids deterministic; False when the endpoint is not a moto server."""
    try:
        _post(f"{endpoint_url}/moto-api/seed?a={seed}")
    except OSError:
        return False
    return True


def create_organization(org: SeedOrg) -> None:
    """MGMT becomes the management account of a new organization with LOGS, TEST, STG, PROD in
    OUs Security, NonProd and Prod."""
    mgmt = org.client("MGMT", "organizations")
    ident = org.client("MGMT", "sts").get_caller_identity()
    org.manifest.accounts["MGMT"] = ident["Account"]
    desc = mgmt.create_organization(FeatureSet="ALL")["Organization"]
    org.organization_id = desc["Id"]
    org.root_id = mgmt.list_roots()["Roots"][0]["Id"]
    for ou in ("Security", "Workloads"):
        org.ou_ids[ou] = mgmt.create_organizational_unit(ParentId=org.root_id, Name=ou)["OrganizationalUnit"][
            "Id"
        ]
    for ou in ("NonProd", "Prod"):
        org.ou_ids[ou] = mgmt.create_organizational_unit(ParentId=org.ou_ids["Workloads"], Name=ou)[
            "OrganizationalUnit"
        ]["Id"]
    placement = {"LOGS": "Security", "TEST": "NonProd", "STG": "NonProd", "PROD": "Prod"}
    for name in MEMBER_ACCOUNTS:
        status = mgmt.create_account(Email=f"{name.lower()}@example.org", AccountName=name)[
            "CreateAccountStatus"
        ]
        acct = status["AccountId"]
        org.manifest.accounts[name] = acct
        mgmt.move_account(
            AccountId=acct, SourceParentId=org.root_id, DestinationParentId=org.ou_ids[placement[name]]
        )


def seed(endpoint_url: str, progress: Callable[[str], None] | None = None) -> Manifest:
    """Seed the example organization into the sandbox at ``endpoint_url`` and return the manifest."""
    seed_random(endpoint_url)
    org = SeedOrg(endpoint_url)
    try:
        create_organization(org)
        for name in SEEDER_MODULES:
            if progress is not None:
                progress(name.rsplit(".", 1)[-1])
            importlib.import_module(name).seed(org)
    except (ClientError, BotoCoreError) as exc:
        raise SandboxError(f"seeding failed: {exc}") from exc
    return org.manifest


def policy(*statements: dict[str, Any]) -> str:
    """A policy document as JSON text."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})
