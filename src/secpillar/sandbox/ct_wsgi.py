"""The WSGI middleware that feeds the sandbox's CloudTrail recorder (see
:mod:`secpillar.sandbox.cloudtrail`) and serves the sandbox-only ``/secpillar-api/`` endpoints."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from secpillar.sandbox import ct_identity
from secpillar.sandbox.cloudtrail import Recorder
from secpillar.sandbox.console import CONSOLE_PATH, FLUSH_PATH, console_login_record
from secpillar.sandbox.ct_route import Request, signature

StartResponse = Callable[..., Any]
_TRAIL_CHANGES = ("StopLogging", "DeleteTrail", "StartLogging")


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    out = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            out[key[5:].replace("_", "-").lower()] = str(value)
    if environ.get("CONTENT_TYPE"):
        out["content-type"] = str(environ["CONTENT_TYPE"])
    if environ.get("CONTENT_LENGTH"):
        out["content-length"] = str(environ["CONTENT_LENGTH"])
    return out


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        body: bytes = stream.read(int(length))
    elif environ.get("wsgi.input_terminated"):
        body = stream.read()
    else:
        body = b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _s3_object_request(headers: dict[str, str], query: str, path: str) -> bool:
    """An S3 object-level call (``/bucket/key``): trails log those only as data events."""
    sig = signature(headers, query)
    if sig is None or sig.signing_name != "s3" or path.startswith("/v20180820/"):
        return False
    parts = [p for p in path.split("/") if p]
    return len(parts) >= 2


class CloudTrailMiddleware:
    """Records every signed request moto serves; answers ``/secpillar-api/…``."""

    def __init__(self, app: Any, recorder: Recorder) -> None:
        self.app = app
        self.recorder = recorder

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith("/secpillar-api/"):
            return self._api(path, environ, start_response)
        if path.startswith("/moto-api"):
            if path.startswith("/moto-api/reset"):
                self.recorder.reset()
            result: Iterable[bytes] = self.app(environ, start_response)
            return result
        headers = _headers(environ)
        query = str(environ.get("QUERY_STRING", ""))
        if "authorization" not in headers and "X-Amz-Credential" not in query:
            result = self.app(environ, start_response)
            return result
        if _s3_object_request(headers, query, path):
            result = self.app(environ, start_response)  # a data event: never recorded, never buffered
            return result
        body = _read_body(environ)
        target = headers.get("x-amz-target", "")
        trail_change = target.endswith(_TRAIL_CHANGES)
        if trail_change:
            self.recorder.refresh_trails()
        captured: dict[str, Any] = {}
        when = datetime.now(UTC)  # before moto runs: a StopLogging happens while the trail still logs

        def capture_start(status: str, response_headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = int(status.split(" ", 1)[0])
            captured["headers"] = {k.lower(): v for k, v in response_headers}
            return start_response(status, response_headers, exc_info)

        chunks = self.app(environ, capture_start)
        data = b"".join(chunks)
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
        resp_headers = captured.get("headers", {})
        req = Request(
            method=str(environ.get("REQUEST_METHOD", "GET")),
            path=path,
            query=str(environ.get("QUERY_STRING", "")),
            headers=headers,
            body=body,
            source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
            status=int(captured.get("status", 200)),
            response=data,
            extra={
                "response_headers": resp_headers,
                "request_id": resp_headers.get("x-amzn-requestid") or resp_headers.get("x-amz-request-id"),
            },
        )
        self.recorder.capture(req, when)
        if trail_change:
            self.recorder.refresh_trails()
        return [data]

    def _api(self, path: str, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = _read_body(environ)
        try:
            payload = json.loads(body) if body.strip() else {}
            if path == FLUSH_PATH:
                result: Any = self.recorder.flush()
            elif path == CONSOLE_PATH:
                result = self._console(payload)
            else:
                return self._reply(start_response, "404 Not Found", {"error": f"no endpoint {path}"})
        except (ValueError, KeyError, TypeError) as exc:
            return self._reply(start_response, "400 Bad Request", {"error": str(exc)})
        return self._reply(start_response, "200 OK", result)

    def _console(self, payload: dict[str, Any]) -> dict[str, Any]:
        user = str(payload["user"])
        account = str(payload.get("account") or ct_identity.default_account())
        record = console_login_record(
            ct_identity.console_identity(account, user),
            success=bool(payload.get("success", True)),
            mfa=bool(payload.get("mfa", False)),
            source_ip=str(payload.get("source_ip") or "203.0.113.10"),
            user_agent=str(payload.get("user_agent") or "Mozilla/5.0"),
            region=str(payload.get("region") or "us-east-1"),
        )
        self.recorder.add_record(record)
        return record

    @staticmethod
    def _reply(start_response: StartResponse, status: str, payload: Any) -> Iterable[bytes]:
        data = json.dumps(payload).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]
