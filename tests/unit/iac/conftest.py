"""The iac tests parse without the user's HCL cache (each test that wants one sets its own)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_hcl_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECPILLAR_CACHE_DIR", "off")
