"""tests/fixtures/checks/network_reach.yaml is generated from the reference topology: keep it current."""

from __future__ import annotations

from tests.unit.net import gen_check_cases


def test_generated_check_cases_are_current() -> None:
    assert gen_check_cases.OUT.read_text() == gen_check_cases.render(), (
        "run: python tests/unit/net/gen_check_cases.py"
    )
