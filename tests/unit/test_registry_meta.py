"""Walk the registries: unique ids, complete metadata, real Well-Architected ids."""

from __future__ import annotations

import re

import pytest

from secpillar.checks import Check, CheckRegistry, load_all
from secpillar.checks.frameworks import wa_best_practices
from secpillar.collect import load_all as load_collectors
from secpillar.errors import RegistryError, UsageError
from secpillar.model import Severity

ID_RE = re.compile(r"^aws\.[a-z0-9]+\.[a-z0-9]+(?:-[a-z0-9]+)*$")
CHECKS = list(load_all())


def test_there_are_at_least_40_checks() -> None:
    assert len(CHECKS) >= 40


@pytest.mark.parametrize("check", CHECKS, ids=[c.id for c in CHECKS])
def test_metadata_complete(check: Check) -> None:
    assert ID_RE.match(check.id), check.id
    assert check.title and check.title[0].isupper()
    assert isinstance(check.severity, Severity)
    assert check.resource_types and all("::" in t for t in check.resource_types)
    assert check.wa, "every check cites at least one best practice"
    real = wa_best_practices()
    assert all(bp in real for bp in check.wa), [bp for bp in check.wa if bp not in real]
    assert len(check.risk) > 20 and len(check.remediation) > 20
    for cis in check.cis:
        assert re.match(r"^\d+(\.\d+)+$", cis), cis
    for ctl in check.fsbp:
        assert re.match(r"^[A-Za-z0-9]+\.\d+$", ctl), ctl


def test_collectors_produce_what_checks_read() -> None:
    produced = {t for c in load_collectors() for t in c.resource_types}
    read = {t for c in CHECKS for t in (*c.resource_types, *c.reads)}
    assert read <= produced, f"no collector produces {sorted(read - produced)}"


def test_collector_permissions_are_iam_actions() -> None:
    for c in load_collectors():
        assert c.permissions, c.id
        for p in c.permissions:
            assert re.match(r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$", p), (c.id, p)


def test_duplicate_id_is_an_error() -> None:
    reg = CheckRegistry()

    class One(Check):
        id = "aws.test.one"

    reg.register(One)
    with pytest.raises(RegistryError, match="duplicate"):
        reg.register(One)


def test_select_patterns() -> None:
    reg = load_all()
    s3 = reg.select(include=["s3"])
    assert s3 and all(c.id.startswith("aws.s3.") for c in s3)
    assert all(not c.id.startswith("aws.s3.") for c in reg.select(exclude=["aws.s3.*"]))
    with pytest.raises(UsageError, match="no check matches"):
        reg.select(include=["aws.nope.nothing"])
