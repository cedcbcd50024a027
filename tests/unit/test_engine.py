from __future__ import annotations

from collections.abc import Iterable

from secpillar.checks import Check, CheckContext, Result
from secpillar.checks.engine import run_checks
from secpillar.model import Inventory, Resource, Severity, Status


class Boom(Check):
    id = "aws.test.boom"
    title = "Explodes on one resource"
    severity = Severity.LOW
    resource_types = ("AWS::Test::Thing",)
    wa = ("SEC01-BP01",)
    risk = "A test check that raises on a resource named bad."
    remediation = "Nothing to do; this is a test."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if resource.name == "bad":
            raise KeyError("configuration")
        if resource.name == "skip":
            return
        yield self.failed(f"{resource.name} is wrong") if resource.name == "wrong" else self.passed("ok")


def thing(name: str) -> Resource:
    return Resource("AWS::Test::Thing", name, f"arn:aws:test:::{name}", "111111111111", "us-east-1", name)


def test_one_bad_resource_becomes_an_error_finding_and_the_rest_goes_on() -> None:
    inv = Inventory(resources=[thing("good"), thing("bad"), thing("wrong"), thing("skip")])
    findings = run_checks([Boom()], CheckContext(inventory=inv))
    by_name = {f.resource.name: f for f in findings}
    assert set(by_name) == {"good", "bad", "wrong"}
    assert by_name["good"].status is Status.PASS
    assert by_name["wrong"].status is Status.FAIL and by_name["wrong"].message == "wrong is wrong"
    assert by_name["bad"].status is Status.ERROR and "KeyError" in by_name["bad"].message
    assert all(f.wa == ("SEC01-BP01",) and f.resource.account == "111111111111" for f in findings)


class ReadsOthers(Check):
    id = "aws.test.reads"
    title = "Judges things, reads others"
    severity = Severity.LOW
    resource_types = ("AWS::Test::Thing",)
    reads = ("AWS::Test::Other",)
    wa = ("SEC01-BP01",)
    risk = "A test check that counts the other resources it can read."
    remediation = "Nothing to do; this is a test."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        yield self.passed(f"sees {len(ctx.inventory.by_type('AWS::Test::Other'))} others")


def test_read_types_are_available_but_never_judged() -> None:
    other = Resource("AWS::Test::Other", "o", "arn:aws:test:::o", "111111111111", "us-east-1", "o")
    inv = Inventory(resources=[thing("good"), other])
    findings = run_checks([ReadsOthers()], CheckContext(inventory=inv))
    assert [(f.resource.name, f.message) for f in findings] == [("good", "sees 1 others")]
