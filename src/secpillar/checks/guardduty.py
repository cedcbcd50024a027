"""GuardDuty checks: threat detection on in every account and region."""

from __future__ import annotations

from collections.abc import Iterable

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.model import ACCOUNT_REGION_TYPE, Resource, Severity


@register
class GuardDutyEnabled(Check):
    """An ENABLED GuardDuty detector exists in the account and region. Unknown when the detectors
    could not be listed, or none is known to be enabled while some could not be read."""

    id = "aws.guardduty.enabled"
    title = "GuardDuty is enabled in every region"
    severity = Severity.HIGH
    resource_types = (ACCOUNT_REGION_TYPE,)
    wa = ("SEC04-BP01", "SEC04-BP03")
    fsbp = ("GuardDuty.1",)
    risk = (
        "Without GuardDuty, credential misuse, crypto-mining, reconnaissance and data exfiltration in the "
        "region raise no finding."
    )
    remediation = (
        "Enable GuardDuty organization-wide from a delegated administrator (the security account) with "
        "auto-enable for new accounts, in every region."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        detectors = resource.supplementary.get("GuardDutyDetectors")
        if detectors is None:
            return
        where = resource.display_name
        if not detectors:
            yield self.failed(
                f"GuardDuty has no detector in {where}: threats there (credential misuse, crypto-mining, "
                "exfiltration) go undetected."
            )
            return
        for det in detectors:
            if det.get("status") == "ENABLED":
                yield self.passed(f"GuardDuty detector {det.get('detectorId')} is enabled in {where}.")
                return
        if any("status" not in d for d in detectors):
            return
        states = ", ".join(f"{d.get('detectorId')}: {d.get('status')}" for d in detectors)
        yield self.failed(
            f"GuardDuty's detector in {where} is not enabled ({states}): threats there go undetected.",
            detectors=[{"detectorId": d.get("detectorId"), "status": d.get("status")} for d in detectors],
        )
