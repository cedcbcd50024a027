"""Markers of the detection tests."""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: runs queries on PySpark in local mode (needs Java 17)")
