"""Shared fixtures: a moto server started by the tests themselves (no mocks in-process)."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from secpillar.sandbox.server import SandboxProcess

REGION = "us-east-1"


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto server process for the functional tests; reset before each test that uses it."""
    with SandboxProcess() as proc:
        yield proc.url


@pytest.fixture
def moto_endpoint(moto_server: str) -> str:
    """The URL of a moto server with empty state (every backend reset)."""
    req = urllib.request.Request(f"{moto_server}/moto-api/reset", data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=30):
        pass
    return moto_server


@pytest.fixture
def aws_client(moto_endpoint: str) -> Any:
    """``aws_client("s3")`` -> a boto3 client of the default account against the test server."""

    def make(service: str, region: str = REGION) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=moto_endpoint,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return make
