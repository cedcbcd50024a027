"""requestParameters in CloudTrail's shapes, from the exact HTTP requests boto3 sends
(tests/fixtures/lake/request_parameters.yaml; botocore serializes each call, no server)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import botocore.session
import pytest
import yaml
from botocore import serialize

from secpillar.sandbox.cloudtrail import _RENAMED
from secpillar.sandbox.ct_params import lower_camel, read_only, request_parameters
from secpillar.sandbox.ct_route import Request, Signature, identify

CASES = yaml.safe_load(
    (Path(__file__).parents[2] / "fixtures" / "lake" / "request_parameters.yaml").read_text()
)
SESSION = botocore.session.get_session()
SIGNING = {"s3control": "s3"}


def raw_request(service: str, op: str, params: dict[str, Any]) -> Request:
    model = SESSION.get_service_model(service)
    wire = serialize.create_serializer(model.protocol, include_validation=False).serialize_to_request(
        params, model.operation_model(op)
    )
    headers = {k.lower(): str(v) for k, v in wire["headers"].items()}
    body = wire["body"]
    if isinstance(body, dict):
        body = urlencode(body).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif isinstance(body, str):
        body = body.encode()
    path, _, sub = wire["url_path"].partition("?")
    query = wire["query_string"]
    query = urlencode(query) if isinstance(query, dict) else query
    return Request(
        wire["method"], path, "&".join(q for q in (sub, query) if q), headers, body or b"", "127.0.0.1"
    )


def _subset(expected: Any, got: Any) -> bool:
    if isinstance(expected, dict):
        return isinstance(got, dict) and all(k in got and _subset(v, got[k]) for k, v in expected.items())
    return bool(expected == got)


@pytest.mark.parametrize("case", CASES, ids=[f"{c['service']}.{c['op']}-{i}" for i, c in enumerate(CASES)])
def test_request_parameters(case: dict[str, Any]) -> None:
    service = case["service"]
    req = raw_request(service, case["op"], case["params"])
    model = SESSION.get_service_model(service)
    signing = SIGNING.get(service) or model.metadata.get("signingName") or model.endpoint_prefix
    op = identify(req, Signature("AKIDEXAMPLE", "us-east-1", signing))
    assert op is not None and op.name == case["op"]
    assert _RENAMED.get((op.service, op.name), op.name) == case.get("event", case["op"])
    got = request_parameters(op, req)
    assert _subset(case["expect"], got), got
    for secret in ("Hunter2-Hunter2!", "p4ss"):
        assert secret not in repr(got)


@pytest.mark.parametrize(
    ("name", "camel"),
    [("DBSnapshotIdentifier", "dBSnapshotIdentifier"), ("CidrIp", "cidrIp"), ("ACL", "aCL"), ("", "")],
)
def test_lower_camel(name: str, camel: str) -> None:
    assert lower_camel(name) == camel


@pytest.mark.parametrize(
    ("op", "ro"),
    [("GetSecretValue", True), ("DescribeInstances", True), ("ListUsers", True), ("AssumeRole", True),
     ("CreateUser", False), ("StopLogging", False), ("PutBucketPolicy", False), ("ConsoleLogin", False)],
)  # fmt: skip
def test_read_only(op: str, ro: bool) -> None:
    assert read_only(op) is ro
