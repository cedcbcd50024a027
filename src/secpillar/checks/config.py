"""AWS Config checks: a configuration recorder records in every account and region."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, Severity


@register
class ConfigRecorderEnabled(Check):
    """A configuration recorder exists in the account and region and is recording (its last
    delivery did not fail). Unknown when the recorders or their status could not be read."""

    id = "aws.config.recorder-enabled"
    title = "AWS Config records resource changes in every region"
    severity = Severity.MEDIUM
    resource_types = (ACCOUNT_REGION_TYPE,)
    wa = ("SEC04-BP01",)
    cis = ("3.3",)
    fsbp = ("Config.1",)
    risk = (
        "Without a recording configuration recorder there is no history of resource configurations: "
        "changes made during an incident cannot be reconstructed and Config rules evaluate nothing."
    )
    remediation = (
        "Create a configuration recorder (all supported resource types, service-linked role) and a "
        "delivery channel to the central log bucket, then start it; deploy it to every account and "
        "region with a StackSet or AWS Control Tower."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        recorders = resource.supplementary.get("ConfigurationRecorders")
        if recorders is None:
            return
        where = resource.display_name
        if not recorders:
            yield self.failed(
                f"No AWS Config configuration recorder exists in {where}: resource configuration changes "
                "there are not recorded."
            )
            return
        statuses = [r.get("status") for r in recorders]
        for rec, status in zip(recorders, statuses, strict=True):
            if (
                isinstance(status, Mapping)
                and status.get("recording")
                and status.get("lastStatus") != "FAILURE"
            ):
                yield self.passed(
                    f"Configuration recorder '{rec.get('name')}' is recording in {where}.",
                    recorder=rec.get("name"),
                    lastStatus=status.get("lastStatus"),
                )
                return
        if any(not isinstance(s, Mapping) for s in statuses):
            return
        pairs = list(zip(recorders, statuses, strict=True))
        states = ", ".join(f"{r.get('name')}: {_state(s)}" for r, s in pairs)
        yield self.failed(
            f"The AWS Config recorder in {where} is not recording ({states}): resource configuration "
            "changes there are not recorded.",
            recorders=[{"name": r.get("name"), "recording": s.get("recording")} for r, s in pairs],
        )


def _state(status: Mapping[str, object]) -> str:
    if not status.get("recording"):
        return "stopped"
    return f"last delivery {status.get('lastStatus')}"
