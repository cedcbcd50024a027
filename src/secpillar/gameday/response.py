"""The response side of a game day: the built-in rules (alerts of a detection -> remediation), and
the respond engine run on a technique's own events and alerts, as ``respond watch --lake
--follow`` runs it (the same :class:`~secpillar.respond.handler.Responder`, in apply mode).

``--respond external`` runs no engine here: a worker or Lambda function you deployed must act, and
the game day only checks the result."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from secpillar.aws.session import ClientFactory
from secpillar.detect.runner import Alert
from secpillar.respond.actions import ActionContext
from secpillar.respond.changes import ChangeStore
from secpillar.respond.context import load_checked_rules, registry_params
from secpillar.respond.follow import alert_event, envelope
from secpillar.respond.handler import Responder
from secpillar.respond.rules import RuleSet, parse_rules

MODES = ("local", "external", "off")

_RULES: tuple[tuple[str, str, tuple[dict[str, Any], ...]], ...] = (
    ("cloudtrail-stopped", "ct.cloudtrail-stopped", ({"type": "cloudtrail.start-logging"},)),
    (
        "bucket-block-public-access-removed",
        "ct.s3-block-public-access-removed",
        ({"type": "s3.enable-block-public-access"},),
    ),
    (
        "bucket-policy-public",
        "ct.s3-bucket-policy-public",
        ({"type": "s3.restore-bucket-policy"}, {"type": "s3.enable-block-public-access"}),
    ),
    (
        "bucket-policy-outside-account",
        "ct.s3-bucket-policy-outside-account",
        ({"type": "s3.restore-bucket-policy"},),
    ),
    ("bucket-acl-public", "ct.s3-bucket-acl-public", ({"type": "s3.enable-block-public-access"},)),
    (
        "security-group-open-to-world",
        "ct.security-group-open-to-world",
        ({"type": "ec2.revoke-world-ingress"},),
    ),
    (
        "access-key-for-other-user",
        "ct.iam-access-key-for-other-user",
        ({"type": "iam.deactivate-access-key", "params": {"key": "created"}},),
    ),
    ("kms-key-deletion", "ct.kms-key-deletion", ({"type": "kms.cancel-key-deletion"},)),
    (
        "instance-credentials-outside-aws",
        "ct.instance-credentials-outside-aws",
        ({"type": "iam.quarantine-principal"},),
    ),
)


def builtin_rules_document() -> dict[str, Any]:
    """The game day's rules as a respond rules document (``secpillar gameday rules`` prints it)."""
    return {
        "version": 1,
        "rules": [
            {
                "name": f"gameday-{name}",
                "description": f"Alerts of {detection} are remediated at once.",
                "detection": detection,
                "mode": "apply",
                "actions": [dict(a) for a in actions],
            }
            for name, detection, actions in _RULES
        ],
    }


def builtin_rules_yaml() -> str:
    return yaml.safe_dump(builtin_rules_document(), sort_keys=False)


def load_rules(path: Path | None) -> RuleSet:
    """The rules file ``path`` (checked as ``respond validate`` checks it), else the built-in rules."""
    if path is not None:
        return load_checked_rules(path)
    return parse_rules(builtin_rules_document(), action_params=registry_params())


def actions_for(rules: RuleSet, detections: Iterable[str]) -> set[str]:
    """Action ids the rules run on alerts of ``detections``."""
    wanted = set(detections)
    return {a.type for r in rules.rules if r.detection in wanted for a in r.actions}


class LocalResponder:
    """The respond engine, acting in the attacked account with its own (untagged) clients."""

    def __init__(self, rules: RuleSet, clients: ClientFactory, state: Path) -> None:
        caller = str(clients.client("sts").get_caller_identity().get("Arn", ""))
        store = ChangeStore(state).init()
        self.ctx = ActionContext(store=store, clients=clients, caller_arn=caller)
        self.responder = Responder(rules, self.ctx, mode="rules", notify=False)

    def baseline_bucket(self, bucket: str) -> None:
        """Record the bucket's policy now as the known good one (what a restore puts back)."""
        from secpillar.respond.baseline import take_bucket_baseline

        take_bucket_baseline(self.ctx, [bucket])

    def handle(
        self,
        records: Iterable[Mapping[str, Any]],
        alerts: Iterable[Alert],
        by_id: Mapping[str, Mapping[str, Any]],
    ) -> list[dict[str, Any]]:
        """Hand each CloudTrail record (as EventBridge delivers it) and each alert (with the record
        that raised it) to the responder; return the changes it made."""
        changes: list[dict[str, Any]] = []
        events = [envelope(r) for r in records]
        for alert in alerts:
            trigger = next((by_id[e] for e in alert.event_ids if e in by_id), None)
            events.append(alert_event(_finding(alert), trigger))
        for event in events:
            outcome = self.responder.handle(event)
            changes += outcome.to_dict()["changes"]
        return changes


def _finding(alert: Alert) -> dict[str, Any]:
    """The columns of the lake's findings row that :func:`alert_event` reads."""
    return {
        "finding_uid": alert.uid,
        "detection_id": alert.detection_id,
        "title": alert.title,
        "severity": alert.severity.value,
        "principal": alert.principal,
        "source_ip": alert.source_ip,
        "resource": alert.resource,
        "account": alert.account,
        "region": alert.region,
        "first_seen": alert.first_seen.isoformat() if alert.first_seen else "",
        "detected_at": alert.last_seen.isoformat() if alert.last_seen else "",
    }
