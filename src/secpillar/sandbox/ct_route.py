"""Which AWS operation a raw HTTP request is, and its parameters, from botocore's service models.

A request signed with SigV4 names its service in the credential scope
(``Credential=AKID/20240101/us-east-1/s3/aws4_request``). The operation comes from ``Action=``
(query and EC2 protocols), ``X-Amz-Target`` (JSON), the ``/operation/<Op>`` path (RPC v2 CBOR) or
the method and URI template of the REST protocols (``PUT /{Bucket}?policy`` is PutBucketPolicy).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import botocore.session
from botocore.model import OperationModel, ServiceModel

_CRED = re.compile(r"Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request")
_SIGNING_ALIASES: dict[str, tuple[str, ...]] = {
    "s3": ("s3", "s3control"),
    "monitoring": ("cloudwatch",),
    "email": ("ses", "sesv2"),
    "elasticloadbalancing": ("elbv2", "elb"),
    "elasticfilesystem": ("efs",),
    "states": ("stepfunctions",),
    "execute-api": (),
    "es": ("es", "opensearch"),
    "dynamodb": ("dynamodb", "dynamodbstreams"),
    "ses": ("ses", "sesv2"),
    "securityhub": ("securityhub",),
    "sso": ("sso-admin", "sso"),
}


@dataclass
class Request:
    """What the recorder keeps of one HTTP request."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    source_ip: str
    status: int = 0
    response: bytes = b""
    response_type: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Signature:
    access_key: str
    region: str
    signing_name: str


def signature(headers: dict[str, str], query: str) -> Signature | None:
    """The SigV4 credential scope of a request (header or presigned query), if signed."""
    auth = headers.get("authorization", "")
    match = _CRED.search(auth)
    if match is None and "X-Amz-Credential" in query:
        cred = dict(parse_qsl(query)).get("X-Amz-Credential", "")
        match = _CRED.search(f"Credential={cred}")
    if match is None:
        return None
    return Signature(match.group(1), match.group(3), match.group(4))


@functools.lru_cache(maxsize=1)
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@functools.lru_cache(maxsize=256)
def service_model(name: str) -> ServiceModel | None:
    try:
        return _session().get_service_model(name)
    except Exception:  # noqa: BLE001 - an unknown service name is simply not recorded
        return None


def candidates(signing_name: str) -> tuple[str, ...]:
    return _SIGNING_ALIASES.get(signing_name, (signing_name,))


@dataclass(frozen=True)
class _Route:
    op: str
    method: str
    segments: tuple[str, ...]
    query: tuple[tuple[str, str | None], ...]
    score: int


def _compile(uri: str, op: str, method: str) -> _Route:
    path, _, qs = uri.partition("?")
    segments = tuple(s for s in path.split("/") if s)
    query = []
    for part in qs.split("&") if qs else ():
        key, eq, value = part.partition("=")
        query.append((key, value if eq else None))
    literal = sum(1 for s in segments if not s.startswith("{"))
    greedy = any(s.endswith("+}") for s in segments)
    return _Route(op, method, segments, tuple(query), literal * 4 + len(query) * 3 + len(segments) - greedy)


@functools.lru_cache(maxsize=64)
def _routes(name: str) -> tuple[_Route, ...]:
    model = service_model(name)
    if model is None:
        return ()
    out = []
    for op in model.operation_names:
        http = model.operation_model(op).http
        out.append(_compile(http.get("requestUri", "/"), op, http.get("method", "POST")))
    return tuple(sorted(out, key=lambda r: -r.score))


def _match_rest(route: _Route, method: str, path: str, query: dict[str, str]) -> dict[str, str] | None:
    if route.method != method:
        return None
    for key, value in route.query:
        if key not in query or (value is not None and query[key] != value):
            return None
    parts = [unquote(p) for p in path.split("/") if p]
    labels: dict[str, str] = {}
    for i, seg in enumerate(route.segments):
        if seg.startswith("{") and seg.endswith("+}"):
            if i >= len(parts):
                return None
            labels[seg[1:-2]] = "/".join(parts[i:])
            return labels
        if i >= len(parts):
            return None
        if seg.startswith("{"):
            labels[seg[1:-1]] = parts[i]
        elif seg != parts[i]:
            return None
    return labels if len(parts) == len(route.segments) else None


@dataclass(frozen=True)
class Operation:
    service: str
    model: OperationModel
    labels: dict[str, str]

    @property
    def name(self) -> str:
        return str(self.model.name)

    @property
    def protocol(self) -> str:
        return str(self.model.service_model.protocol)


def identify(req: Request, sig: Signature) -> Operation | None:
    """The operation a request invokes, or ``None`` when no model of its service matches."""
    query = dict(parse_qsl(req.query, keep_blank_values=True))
    target = req.headers.get("x-amz-target", "")
    form: dict[str, str] = {}
    if req.method == "POST" and "x-www-form-urlencoded" in req.headers.get("content-type", ""):
        form = dict(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
    action = form.get("Action") or query.get("Action")
    names = candidates(sig.signing_name)
    if sig.signing_name == "s3" and req.path.startswith("/v20180820/"):
        names = ("s3control",)  # S3 Control's REST paths start with its API version
    for name in names:
        model = service_model(name)
        if model is None:
            continue
        if target and "." in target:
            op = target.rsplit(".", 1)[1]
            if op in model.operation_names:
                return Operation(name, model.operation_model(op), {})
            continue
        if "/operation/" in req.path:
            op = req.path.rstrip("/").rsplit("/", 1)[1]
            if op in model.operation_names:
                return Operation(name, model.operation_model(op), {})
            continue
        if action:
            if action in model.operation_names:
                return Operation(name, model.operation_model(action), {})
            continue
        for route in _routes(name):
            labels = _match_rest(route, req.method, req.path, query)
            if labels is not None:
                return Operation(name, model.operation_model(route.op), labels)
    return None


def form_params(req: Request) -> dict[str, str]:
    """Query-protocol parameters (query string plus form body), without Action/Version."""
    params = dict(parse_qsl(req.query, keep_blank_values=True))
    if "x-www-form-urlencoded" in req.headers.get("content-type", ""):
        params.update(parse_qsl(req.body.decode("utf-8", "replace"), keep_blank_values=True))
    for key in ("Action", "Version"):
        params.pop(key, None)
    return {k: v for k, v in params.items() if not k.startswith("X-Amz-")}
