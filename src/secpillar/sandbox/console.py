"""Simulated AWS Management Console sign-ins (the sandbox has no console).

:func:`console_login_record` builds the ``ConsoleLogin`` record CloudTrail writes for a sign-in
(eventSource ``signin.amazonaws.com``, eventType ``AwsConsoleSignIn``, ``responseElements``
``{"ConsoleLogin": "Success" | "Failure"}``, ``additionalEventData`` with ``MFAUsed``, and
``errorMessage`` "Failed authentication" on failure, when an IAM user's identity has no ARN).
Root sign-ins are recorded in us-east-1.
:func:`simulate_console_login` asks a running sandbox to record one over HTTP
(``POST /secpillar-api/console-login``).
"""

from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import UTC, datetime
from typing import Any

CONSOLE_PATH = "/secpillar-api/console-login"
FLUSH_PATH = "/secpillar-api/flush-cloudtrail"
DEFAULT_AGENT = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"


def console_login_record(
    identity: dict[str, Any],
    success: bool,
    mfa: bool,
    source_ip: str,
    user_agent: str = DEFAULT_AGENT,
    region: str = "us-east-1",
    when: datetime | None = None,
) -> dict[str, Any]:
    when = when or datetime.now(UTC)
    account = str(identity.get("accountId"))
    identity = dict(identity)
    if identity.get("type") == "Root":
        identity.setdefault("accessKeyId", "")
    elif not success:
        # a failed IAM user sign-in names the user but has no ARN (CloudTrail User Guide examples)
        identity.pop("arn", None)
        identity["accessKeyId"] = ""
    extra: dict[str, Any] = {
        "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
        "MobileVersion": "No",
        "MFAUsed": "Yes" if mfa else "No",
    }
    if mfa and identity.get("arn"):
        name = identity.get("userName") or "root-account-mfa-device"
        extra["MFAIdentifier"] = f"arn:aws:iam::{account}:mfa/{name}"
    record: dict[str, Any] = {
        "eventVersion": "1.09",
        "userIdentity": identity,
        "eventTime": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "awsRegion": "us-east-1" if identity.get("type") == "Root" else region,
        "sourceIPAddress": source_ip,
        "userAgent": user_agent,
        "requestParameters": None,
        "responseElements": {"ConsoleLogin": "Success" if success else "Failure"},
        "additionalEventData": extra,
        "eventID": str(uuid.uuid4()),
        "readOnly": False,
        "eventType": "AwsConsoleSignIn",
        "managementEvent": True,
        "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {
            "tlsVersion": "TLSv1.3",
            "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": "signin.aws.amazon.com",
        },
    }
    if not success:
        record["errorMessage"] = "Failed authentication"
    return record


def _post(url: str, payload: dict[str, Any]) -> dict[str, Any]:
    req = urllib.request.Request(
        url, data=json.dumps(payload).encode(), method="POST", headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        result: dict[str, Any] = json.loads(resp.read() or b"{}")
        return result


def simulate_console_login(
    endpoint: str,
    user: str,
    success: bool = True,
    mfa: bool = False,
    source_ip: str = "203.0.113.10",
    account: str | None = None,
    user_agent: str = DEFAULT_AGENT,
    region: str = "us-east-1",
) -> dict[str, Any]:
    """Record a console sign-in of ``user`` (``root`` for the root user) in a running sandbox;
    returns the record (its ``eventID`` included)."""
    payload: dict[str, Any] = {
        "user": user,
        "success": success,
        "mfa": mfa,
        "source_ip": source_ip,
        "user_agent": user_agent,
        "region": region,
    }
    if account:
        payload["account"] = account
    return _post(endpoint.rstrip("/") + CONSOLE_PATH, payload)


def flush_cloudtrail(endpoint: str) -> dict[str, Any]:
    """Make a running sandbox deliver its pending CloudTrail records now; returns the counts."""
    return _post(endpoint.rstrip("/") + FLUSH_PATH, {})
