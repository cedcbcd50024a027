"""Slack-compatible incoming webhooks: ``POST {"text": …}`` as JSON.

A webhook URL is a secret (its path is the token): give it as ``url_env`` (the name of an
environment variable) rather than ``url`` in the rules file; descriptions show the host only.
Text is escaped as Slack asks (``&``, ``<``, ``>``), so values from events cannot form links or
mentions.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from secpillar.respond.notify.message import Notification


def slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_url(params: Mapping[str, Any]) -> str:
    if isinstance(params.get("url_env"), str):
        url = os.environ.get(params["url_env"], "")
        if not url:
            raise ValueError(f"environment variable {params['url_env']} (the webhook URL) is not set")
        return url
    if isinstance(params.get("url"), str):
        return str(params["url"])
    raise ValueError("notify.webhook needs params.url_env (or params.url)")


def payload(note: Notification) -> dict[str, Any]:
    return {
        "text": slack_escape(f"*{note.subject}*\n```{note.text}```"),
        "secpillar": note.fields,
    }


def send_webhook(note: Notification, params: Mapping[str, Any], change_id: str = "") -> str:
    url = webhook_url(params)
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise ValueError("the webhook URL must be http(s)")
    body = json.dumps(payload(note)).encode("utf-8")
    req = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "X-Secpillar-Notification": change_id},
    )
    with urllib.request.urlopen(req, timeout=float(params.get("timeout", 10))) as resp:
        status = resp.status
    if not 200 <= status < 300:
        raise ValueError(f"the webhook answered HTTP {status}")
    return f"webhook to {parts.hostname}"
