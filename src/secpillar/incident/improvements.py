"""Improvements a post-mortem proposes, from what the timeline shows, ranked by severity; each names
the Security Pillar best practice it would strengthen (ids from the Well-Architected Framework).

Each rule is a small registered class: a stable id, a severity, the best practice, the text, and
``applies(items)`` returning the timeline references that are its evidence.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from secpillar.errors import RegistryError

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "informational": 4}
Items = list[dict[str, Any]]


@dataclass(frozen=True)
class Improvement:
    id: str
    severity: str
    wa: str
    title: str
    text: str
    evidence: tuple[str, ...]


class Lesson:
    id: ClassVar[str]
    severity: ClassVar[str]
    wa: ClassVar[str]
    title: ClassVar[str]
    text: ClassVar[str]

    def applies(self, items: Items) -> list[str]:
        raise NotImplementedError


LESSONS: dict[str, Lesson] = {}


def lesson(cls: type[Lesson]) -> type[Lesson]:
    if cls.id in LESSONS:
        raise RegistryError(f"duplicate lesson id {cls.id!r}")
    LESSONS[cls.id] = cls()
    return cls


def _calls(items: Items, names: Iterable[str], ok_only: bool = True) -> list[str]:
    wanted = set(names)
    return [
        str(i["ref"])
        for i in items
        if i["kind"] == "api-call" and i.get("event_name") in wanted and (not ok_only or i["outcome"] == "ok")
    ]


@lesson
class AccountPublicAccessBlock(Lesson):
    id = "public-bucket-policy"
    severity = "high"
    wa = "SEC03-BP07"
    title = "Block public bucket policies before they land"
    text = (
        "A bucket policy or its public-access settings were changed. Turn on S3 Block Public Access "
        "for the whole account (and forbid turning it off with an SCP), and review public and "
        "cross-account access continuously."
    )

    def applies(self, items: Items) -> list[str]:
        return _calls(items, ("PutBucketPolicy", "DeleteBucketPublicAccessBlock", "PutBucketAcl"))


@lesson
class LoggingTampered(Lesson):
    id = "logging-tampered"
    severity = "critical"
    wa = "SEC04-BP01"
    title = "Protect the audit trail from being stopped or deleted"
    text = (
        "CloudTrail logging was stopped or changed. Deny cloudtrail:StopLogging, DeleteTrail and "
        "UpdateTrail to everyone but a break-glass role with an SCP, and deliver logs to a separate "
        "log-archive account."
    )

    def applies(self, items: Items) -> list[str]:
        return _calls(items, ("StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors"))


@lesson
class LongTermKeys(Lesson):
    id = "long-term-keys"
    severity = "high"
    wa = "SEC02-BP02"
    title = "Replace long-term access keys with temporary credentials"
    text = (
        "The actor used an IAM user's long-term access key (or created one). Move people to "
        "federation (IAM Identity Center) and workloads to roles, so that a leaked key expires by itself."
    )

    def applies(self, items: Items) -> list[str]:
        refs = _calls(items, ("CreateAccessKey",))
        refs += [
            str(i["ref"])
            for i in items
            if i["kind"] == "action"
            and i.get("action") == "iam.deactivate-access-key"
            and i["outcome"] == "applied"
        ]
        refs += [str(i["ref"]) for i in items if i["kind"] == "api-call" and ":user/" in str(i["actor"])][:5]
        return refs


@lesson
class PrivilegeChanges(Lesson):
    id = "privilege-changes"
    severity = "high"
    wa = "SEC03-BP05"
    title = "Put guardrails on who can change permissions"
    text = (
        "The actor changed IAM permissions. Use permission boundaries and SCPs so that only the "
        "identity pipeline can attach policies or create credentials."
    )

    def applies(self, items: Items) -> list[str]:
        return _calls(
            items,
            (
                "AttachUserPolicy",
                "AttachRolePolicy",
                "PutUserPolicy",
                "PutRolePolicy",
                "CreatePolicyVersion",
                "AddUserToGroup",
                "UpdateAssumeRolePolicy",
            ),
        )


@lesson
class NetworkExposure(Lesson):
    id = "network-exposure"
    severity = "high"
    wa = "SEC05-BP02"
    title = "Keep security groups closed to the internet"
    text = (
        "Ingress was opened to the world. Manage security groups as code, deny world-open ingress on "
        "administrative ports with AWS Firewall Manager or an SCP, and keep the automatic revoke."
    )

    def applies(self, items: Items) -> list[str]:
        return _calls(items, ("AuthorizeSecurityGroupIngress",))


@lesson
class KeyDeletion(Lesson):
    id = "key-deletion"
    severity = "high"
    wa = "SEC08-BP01"
    title = "Restrict who can schedule KMS key deletion"
    text = (
        "A KMS key was scheduled for deletion. Allow kms:ScheduleKeyDeletion only to key administrators "
        "in the key policy and alarm on it."
    )

    def applies(self, items: Items) -> list[str]:
        return _calls(items, ("ScheduleKeyDeletion", "DisableKey"))


@lesson
class DryRunOnly(Lesson):
    id = "dry-run-only"
    severity = "medium"
    wa = "SEC04-BP04"
    title = "Let tested remediations act on their own"
    text = (
        "Some responses only ran in dry-run, so a person had to act. Once a rule has proven itself in "
        "dry-run, set it to apply mode."
    )

    def applies(self, items: Items) -> list[str]:
        return [str(i["ref"]) for i in items if i["kind"] == "action" and i["outcome"] == "dry-run"]


@lesson
class FailedResponses(Lesson):
    id = "failed-responses"
    severity = "medium"
    wa = "SEC10-BP05"
    title = "Give the responder the access it needs before an incident"
    text = (
        "A response action failed or was skipped. Pre-provision the responder's role with the "
        "permissions `secpillar respond actions` lists, and test it."
    )

    def applies(self, items: Items) -> list[str]:
        return [
            str(i["ref"])
            for i in items
            if i["kind"] == "action" and i["outcome"] in ("failed", "skipped", "error")
        ]


@lesson
class AlertsWithoutResponse(Lesson):
    id = "alerts-without-response"
    severity = "medium"
    wa = "SEC10-BP04"
    title = "Write playbooks for the alerts that had no automatic response"
    text = "Alerts fired that no response rule handled. Write a playbook (and a rule) for each of them."

    def applies(self, items: Items) -> list[str]:
        alerts = [i for i in items if i["kind"] == "alert"]
        acted = any(i["kind"] == "action" for i in items)
        return [str(i["ref"]) for i in alerts] if alerts and not acted else []


@lesson
class DeniedCalls(Lesson):
    id = "denied-calls"
    severity = "low"
    wa = "SEC03-BP04"
    title = "Review what the actor tried and was denied"
    text = (
        "Calls were denied: the actor probed beyond their permissions. Check whether the permissions "
        "they do have are still needed, and remove the rest."
    )

    def applies(self, items: Items) -> list[str]:
        return [str(i["ref"]) for i in items if i["kind"] == "api-call" and "Denied" in str(i["outcome"])]


@lesson
class LearnFromIt(Lesson):
    id = "post-incident-review"
    severity = "low"
    wa = "SEC10-BP08"
    title = "Hold the post-incident review and track these items"
    text = "Review this timeline with the people involved, agree owners and dates for each improvement."

    def applies(self, items: Items) -> list[str]:
        return ["timeline"] if items else []


@lesson
class Rehearse(Lesson):
    id = "rehearse"
    severity = "low"
    wa = "SEC10-BP07"
    title = "Rehearse this scenario in a game day"
    text = "Replay this incident against the sandbox (`secpillar gameday`) to check detection and response."

    def applies(self, items: Items) -> list[str]:
        return ["timeline"] if any(i["kind"] == "alert" for i in items) else []


def improvements(items: Items) -> list[Improvement]:
    """The lessons that apply, most severe first (then by id, for a stable order)."""
    out = []
    for les in LESSONS.values():
        refs = les.applies(items)
        if refs:
            out.append(
                Improvement(les.id, les.severity, les.wa, les.title, les.text, tuple(dict.fromkeys(refs)))
            )
    return sorted(out, key=lambda i: (SEVERITY_ORDER.get(i.severity, 9), i.id))


def impact(items: Items) -> list[Mapping[str, Any]]:
    """Resources touched: the targets of successful write calls and of response actions."""
    seen: dict[str, dict[str, Any]] = {}
    for i in items:
        if not i.get("target"):
            continue
        if i["kind"] == "api-call" and (i.get("read_only") or i["outcome"] != "ok"):
            continue
        if i["kind"] not in ("api-call", "action"):
            continue
        row = seen.setdefault(str(i["target"]), {"resource": i["target"], "by": set(), "what": set()})
        row["by"].add("responder" if i["kind"] == "action" else str(i["actor"]))
        row["what"].add(str(i.get("event_name") or i.get("action") or i["what"]))
    return [
        {"resource": r["resource"], "by": sorted(r["by"]), "what": sorted(r["what"])}
        for r in sorted(seen.values(), key=lambda r: str(r["resource"]))
    ]
