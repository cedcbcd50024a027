"""Who made a sandbox request: the access key that signed it -> CloudTrail's ``userIdentity``.

moto keeps every key it issued: IAM users' keys in the IAM backend of their account, and the
temporary keys of ``AssumeRole`` sessions in the STS backend (with the role ARN and session
name). A key moto never issued (the sandbox's default ``testing`` credentials) acts in moto's
default account; the recorder names that caller the IAM user ``sandbox-admin`` of that account
(``$SECPILLAR_SANDBOX_DEFAULT_USER`` renames it). A key whose id starts with ``ROOT`` is recorded
as the account's root user, so that root-credential use can be simulated.

Runs only inside the sandbox server process (it reads moto's backends).
"""

from __future__ import annotations

import hashlib
import os
import threading
from datetime import datetime
from typing import Any

ROOT_KEY_PREFIX = "ROOT"
DEFAULT_USER_ENV = "SECPILLAR_SANDBOX_DEFAULT_USER"
_first_seen: dict[str, datetime] = {}
_lock = threading.Lock()


def _iso(value: datetime) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def _stable_id(prefix: str, seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).hexdigest().upper()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    return prefix + "".join(alphabet[int(digest[i : i + 2], 16) % 32] for i in range(0, 34, 2))


def _seen(key: str, when: datetime) -> datetime:
    with _lock:
        return _first_seen.setdefault(key, when)


def default_account() -> str:
    from moto.core.models import DEFAULT_ACCOUNT_ID

    return str(DEFAULT_ACCOUNT_ID)


def root_identity(account: str, access_key: str | None = None) -> dict[str, Any]:
    ident: dict[str, Any] = {
        "type": "Root",
        "principalId": account,
        "arn": f"arn:aws:iam::{account}:root",
        "accountId": account,
    }
    if access_key:
        ident["accessKeyId"] = access_key
    return ident


def user_identity(account: str, user_name: str, user_id: str, access_key: str | None) -> dict[str, Any]:
    ident: dict[str, Any] = {
        "type": "IAMUser",
        "principalId": user_id,
        "arn": f"arn:aws:iam::{account}:user/{user_name}",
        "accountId": account,
        "userName": user_name,
    }
    if access_key:
        ident["accessKeyId"] = access_key
    return ident


def resolve(access_key: str | None, when: datetime) -> dict[str, Any]:
    """The ``userIdentity`` of a request signed with ``access_key`` (``None``: unsigned)."""
    from moto.iam.models import get_account_id_from, iam_backends
    from moto.sts.models import sts_backends

    if not access_key:
        return {"type": "AWSAccount", "principalId": "", "accountId": "anonymous"}
    if access_key.startswith(ROOT_KEY_PREFIX):
        return root_identity(default_account(), access_key)
    account = get_account_id_from(access_key)
    assumed = sts_backends[account]["aws"].get_assumed_role_from_access_key(access_key)
    if assumed is not None:
        role_name = assumed.role_arn.split("/")[-1]
        user_id = str(assumed.user_id)
        role_id = user_id.split(":", 1)[0]
        created = getattr(assumed.access_key, "create_date", None) or _seen(access_key, when)
        return {
            "type": "AssumedRole",
            "principalId": user_id,
            "arn": str(assumed.arn),
            "accountId": account,
            "accessKeyId": access_key,
            "sessionContext": {
                "sessionIssuer": {
                    "type": "Role",
                    "principalId": role_id,
                    "arn": assumed.role_arn,
                    "accountId": assumed.role_arn.split(":")[4] or account,
                    "userName": role_name,
                },
                "attributes": {"creationDate": _iso(created), "mfaAuthenticated": "false"},
            },
        }
    iam = iam_backends[account]["aws"]
    key = iam.access_keys.get(access_key)
    user_name = getattr(key, "user_name", None)
    user = iam.users.get(user_name) if user_name else None
    if user is not None:
        return user_identity(account, str(user.name), str(user.id), access_key)
    name = os.environ.get(DEFAULT_USER_ENV, "sandbox-admin")
    return user_identity(account, name, _stable_id("AIDA", f"{account}/{name}"), access_key)


def console_identity(account: str, user_name: str) -> dict[str, Any]:
    """The identity of a console sign-in: the root user (``root``) or an IAM user of ``account``
    (a user unknown to IAM is still recorded: CloudTrail records failed sign-ins of any name)."""
    from moto.iam.models import iam_backends

    if user_name == "root":
        return root_identity(account)
    user = iam_backends[account]["aws"].users.get(user_name)
    user_id = str(user.id) if user is not None else _stable_id("AIDA", f"{account}/{user_name}")
    return user_identity(account, user_name, user_id, None)
