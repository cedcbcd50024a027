"""E-mail over SMTP (stdlib ``smtplib``). Credentials come from the environment only
(``SECPILLAR_SMTP_USER`` / ``SECPILLAR_SMTP_PASSWORD``), never from the rules file."""

from __future__ import annotations

import email.policy
import os
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from secpillar.respond.notify.message import Notification

ENV_HOST = "SECPILLAR_SMTP_HOST"
ENV_PORT = "SECPILLAR_SMTP_PORT"
ENV_USER = "SECPILLAR_SMTP_USER"
ENV_PASSWORD = "SECPILLAR_SMTP_PASSWORD"


def recipients(params: Mapping[str, Any]) -> list[str]:
    to = params.get("to")
    return [to] if isinstance(to, str) else [str(t) for t in to or []]


def build_email(note: Notification, sender: str, to: Sequence[str], change_id: str = "") -> EmailMessage:
    # RFC 5322 allows 998-character lines; folding a long subject only invites clients to misparse it
    msg = EmailMessage(policy=email.policy.SMTP.clone(max_line_length=998))
    msg["Subject"] = note.subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = make_msgid(domain="secpillar.local")
    if change_id:
        msg["X-Secpillar-Notification"] = change_id
    msg.set_content(note.text)
    return msg


def send_email(note: Notification, params: Mapping[str, Any], change_id: str = "") -> str:
    """Send; returns a description without secrets (``e-mail to a@b via host:port``)."""
    to = recipients(params)
    if not to:
        raise ValueError("notify.email needs params.to")
    host = str(params.get("host") or os.environ.get(ENV_HOST) or "localhost")
    port = int(params.get("port") or os.environ.get(ENV_PORT) or 25)
    timeout = float(params.get("timeout", 15))
    sender = str(params.get("from") or "secpillar@localhost")
    msg = build_email(note, sender, to, change_id)
    smtp: smtplib.SMTP
    if params.get("ssl"):
        smtp = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        smtp = smtplib.SMTP(host, port, timeout=timeout)
    with smtp:
        if params.get("starttls"):
            smtp.starttls(context=ssl.create_default_context())
        user, password = os.environ.get(ENV_USER), os.environ.get(ENV_PASSWORD)
        if user and password:
            smtp.login(user, password)
        smtp.send_message(msg)
    return f"e-mail to {', '.join(to)} via {host}:{port}"
