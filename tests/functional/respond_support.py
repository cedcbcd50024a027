"""Helpers of the respond tests: CloudTrail-shaped EventBridge events and an action context."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

from secpillar.aws.session import ClientFactory, base_session
from secpillar.respond.actions import ActionContext
from secpillar.respond.changes import ChangeStore

ACCOUNT = "123456789012"
REGION = "us-east-1"
MALLORY = {
    "type": "IAMUser",
    "principalId": "AIDAEXAMPLEMALLORY",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory",
    "accountId": ACCOUNT,
    "accessKeyId": "AKIAEXAMPLEMALLORY1",
    "userName": "mallory",
}


def api_call(
    source: str, name: str, params: dict[str, Any], identity: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """An 'AWS API Call via CloudTrail' event as EventBridge delivers it (AWS CloudTrail User Guide,
    CloudTrail record contents; EventBridge User Guide, events from AWS services)."""
    service = source.split(".", 1)[1]
    eid = str(uuid.uuid4())
    detail = {
        "eventVersion": "1.09",
        "userIdentity": identity or MALLORY,
        "eventTime": "2026-11-28T12:00:00Z",
        "eventSource": f"{service}.amazonaws.com",
        "eventName": name,
        "awsRegion": REGION,
        "sourceIPAddress": "203.0.113.9",
        "userAgent": "aws-cli/2.15",
        "requestParameters": params,
        "responseElements": None,
        "eventID": eid,
        "eventType": "AwsApiCall",
        "recipientAccountId": ACCOUNT,
        **extra,
    }
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail",
        "source": source,
        "account": ACCOUNT,
        "time": "2026-11-28T12:00:01Z",
        "region": REGION,
        "resources": [],
        "detail": detail,
    }


def context(endpoint: str, state: Path) -> ActionContext:
    clients = ClientFactory(base_session(endpoint_url=endpoint), endpoint_url=endpoint)
    return ActionContext(store=ChangeStore(state).init(), clients=clients)


def bucket_policy(bucket: str, principal: str = f"arn:aws:iam::{ACCOUNT}:root") -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Owner",
                    "Effect": "Allow",
                    "Principal": {"AWS": principal},
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def public_policy(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Public",
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": f"arn:aws:s3:::{bucket}/*",
                }
            ],
        }
    )


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class SmtpSink:
    """A real SMTP server (aiosmtpd) on loopback that keeps every message it receives."""

    def __init__(self) -> None:
        import email
        import email.policy
        import threading

        from aiosmtpd.controller import Controller

        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self._lock = threading.Lock()
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with sink._lock:
                    sink.messages.append(msg)
                    sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                return "250 Message accepted for delivery"

        self.port = free_port()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Any]:
        import time

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.05)
        raise AssertionError(f"expected {count} e-mail(s), got {len(self.messages)}")


class WebhookSink:
    """A real HTTP server on loopback that records every POSTed JSON body (a Slack stand-in)."""

    def __init__(self, status: int = 200) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.posts: list[tuple[str, dict[str, str], Any]] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(size))
                sink.posts.append((self.path, dict(self.headers), body))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
