"""Handle one event: match the rules, run their actions, notify, and record every change.

The same :class:`Responder` serves the SQS worker, the lake follower, the Lambda entry point and
``respond test --mode plan|apply``. For each rule an event fires (in file order):

1. the rate limit (``{max, per_seconds}``, per rule, in this process) is checked;
2. each remediation action finds its targets and, per target, plans a change (read-only calls);
   in ``dry-run`` the plan is recorded and nothing is written to AWS; in ``apply`` the change is
   recorded as ``applying``, made, and recorded as ``applied``;
3. each notification action reports the rule's changes (also in dry-run: that is how a dry-run
   tells you what it would have done).

Change ids derive from (event id, rule, action, target, mode): a redelivered event finds its
changes already final and does not act again; a change left ``applying`` by a crash is checked
against AWS (``is_applied``) before it is made again. One failing action never stops the others;
a *transient* failure (throttling, a connection error) marks the outcome ``retry`` so that the
worker leaves the message on the queue.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from secpillar.aws.errors import classify, short_message
from secpillar.errors import AwsError, UsageError
from secpillar.model import GapKind
from secpillar.respond.actions import REGISTRY, ActionContext, ActionError, Invocation, ResponseAction
from secpillar.respond.actions.base import Target, event_id
from secpillar.respond.actions.notify import NotifyAction
from secpillar.respond.changes import FINAL, Change, ChangeStore
from secpillar.respond.notify.message import build_notification
from secpillar.respond.rules import Action, Rule, RuleSet

MODES = ("rules", "dry-run", "apply")
# What an action may raise and be recorded for; anything else is a bug and propagates (the worker
# leaves the message for another delivery, then the dead-letter queue).
EXPECTED = (ActionError, ClientError, BotoCoreError, OSError, ValueError, KeyError)


def retryable(exc: BaseException) -> bool:
    """Transient failures worth another delivery: throttling, connection trouble, timeouts."""
    if isinstance(exc, ClientError):
        return classify(exc) is GapKind.THROTTLED or exc.response.get("ResponseMetadata", {}).get(
            "HTTPStatusCode"
        ) in (502, 503, 504)
    return isinstance(exc, BotoCoreError | ConnectionError | TimeoutError) or (
        isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError | PermissionError)
    )


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        return f"{classify(exc).value}: {short_message(exc)}"
    return short_message(exc)


@dataclass
class Outcome:
    """What handling one event did."""

    event_id: str
    matched: list[str] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    retry: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "matched": self.matched,
            "retry": self.retry,
            "changes": [
                {
                    "id": c.id,
                    "rule": c.rule,
                    "action": c.action,
                    "target": c.target,
                    "status": c.status,
                    "description": c.description,
                    "reason": c.reason,
                    "error": c.error,
                }
                for c in self.changes
            ],
        }


class Responder:
    """Rules + actions + change store: ``handle(event) -> Outcome``."""

    def __init__(
        self,
        rules: RuleSet,
        ctx: ActionContext,
        *,
        mode: str = "rules",
        notify: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if mode not in MODES:
            raise UsageError(f"mode must be one of {', '.join(MODES)}")
        for rule in rules.rules:
            for a in rule.actions:
                REGISTRY.get(a.type)  # unknown action ids fail before the first event
        self.rules = rules
        self.ctx = ctx
        self.mode = mode
        self.notify = notify
        self._clock = clock
        self._fired: dict[str, deque[float]] = {}

    def effective_mode(self, rule: Rule) -> str:
        return rule.mode if self.mode == "rules" else self.mode

    def fired(self, event: Mapping[str, Any]) -> list[Rule]:
        """Pattern rules the event matches, then the ``detection`` rules of the alert it carries
        (an event from ``secpillar.detect`` names its detection in ``detail.detection_id``)."""
        rules = self.rules.match(event)
        det = detection_of(event)
        if det:
            rules += [r for r in self.rules.rules if r.detection == det and r.conditions.allow(event)]
        return rules

    def handle(self, event: Mapping[str, Any]) -> Outcome:
        out = Outcome(event_id(event))
        for rule in self.fired(event):
            out.matched.append(rule.name)
            mode = self.effective_mode(rule)
            limited = self._rate_limited(rule)
            remediations: list[Change] = []
            for a in rule.actions:
                action = REGISTRY.get(a.type)
                if isinstance(action, NotifyAction):
                    continue
                remediations += self._run_action(action, a, rule, event, mode, limited, out)
            out.changes += remediations
            for a in rule.actions:
                action = REGISTRY.get(a.type)
                if isinstance(action, NotifyAction):
                    out.changes += self._run_notify(action, a, rule, event, mode, remediations, limited, out)
        return out

    # -- rate limits ----------------------------------------------------------------------------------
    def _rate_limited(self, rule: Rule) -> str:
        if rule.rate_limit is None:
            return ""
        now = self._clock()
        window = self._fired.setdefault(rule.name, deque())
        while window and window[0] <= now - rule.rate_limit.per_seconds:
            window.popleft()
        if len(window) >= rule.rate_limit.max:
            return f"rate limit: at most {rule.rate_limit.max} firings per {rule.rate_limit.per_seconds} s"
        window.append(now)
        return ""

    # -- remediation ------------------------------------------------------------------------------------
    def _targets(
        self, action: ResponseAction, a: Action, inv: Invocation, out: Outcome
    ) -> tuple[list[Target], Change | None]:
        try:
            return action.targets(inv.event, a.params), None
        except ActionError as exc:
            ch = action.change({"error": "no target"}, inv, action.title, reason=str(exc))
            ch.status = "skipped"
            return [], ch

    def _run_action(
        self,
        action: ResponseAction,
        a: Action,
        rule: Rule,
        event: Mapping[str, Any],
        mode: str,
        limited: str,
        out: Outcome,
    ) -> list[Change]:
        inv = Invocation(rule.name, event, a.params, mode)
        targets, skipped = self._targets(action, a, inv, out)
        if skipped is not None:
            return [self._keep(skipped)]
        return [self._run_one(action, t, inv, limited, out) for t in targets]

    def _keep(self, change: Change) -> Change:
        existing = self.ctx.store.get(change.id)
        if existing is not None and existing.status in FINAL:
            return existing
        return self.ctx.store.save(change)

    def _run_one(
        self, action: ResponseAction, target: Target, inv: Invocation, limited: str, out: Outcome
    ) -> Change:
        store = self.ctx.store
        probe = action.change(target, inv, action.title)
        existing = store.get(probe.id)
        if existing is not None and existing.status in FINAL:
            return existing
        if limited:
            probe.status, probe.reason = "skipped", limited
            return store.save(probe)
        if existing is not None and _was_planned(existing):
            change = existing  # keep the prior state saved by the first plan
            if existing.status == "applying":
                try:
                    if action.is_applied(change, self.ctx):
                        return store.save(change, "applied", note="found applied after a restart")
                except (ClientError, BotoCoreError, ActionError, OSError):
                    pass
        else:
            try:
                change = action.plan(target, inv, self.ctx)
            except EXPECTED as exc:
                return self._failed(probe, exc, out, "plan")
            if change.status in ("noop", "skipped"):
                return store.save(change)
            until = store.exempt_until(action.id, target, datetime.now(UTC))
            if until:
                change.reason = f"exempted until {until} (a rollback undid this action on this target)"
                return store.save(change, "skipped")
            if inv.mode != "apply":
                return store.save(change, "dry-run")
            store.save(change, "planned")
        if inv.mode != "apply":
            return store.save(change, "dry-run")
        store.save(change, "applying")
        try:
            action.apply(change, self.ctx)
        except EXPECTED as exc:
            return self._failed(change, exc, out, "apply")
        return store.save(change, "applied")

    def _failed(self, change: Change, exc: Exception, out: Outcome, step: str) -> Change:
        if isinstance(exc, ActionError):
            change.reason = str(exc)
            return self.ctx.store.save(change, "skipped")
        change.error = f"{step}: {describe_error(exc)}"
        if retryable(exc):
            out.retry = True
            return self.ctx.store.save(change, "error")
        return self.ctx.store.save(change, "failed")

    # -- notifications ------------------------------------------------------------------------------------
    def _run_notify(
        self,
        action: NotifyAction,
        a: Action,
        rule: Rule,
        event: Mapping[str, Any],
        mode: str,
        remediations: list[Change],
        limited: str,
        out: Outcome,
    ) -> list[Change]:
        inv = Invocation(rule.name, event, a.params, mode)
        target = action.targets(event, a.params)[0]
        change = action.change(target, inv, f"notify {target['to']}")
        existing = self.ctx.store.get(change.id)
        if existing is not None and existing.status in FINAL:
            return [existing]
        if limited:
            change.status, change.reason = "skipped", limited
            return [self.ctx.store.save(change)]
        if remediations and all(c.status == "noop" for c in remediations):
            # nothing happened and nothing would: the echo of our own remediation, for instance
            change.status, change.reason = "skipped", "nothing to report: every action was a no-op"
            return [self.ctx.store.save(change)]
        if not self.notify:
            change.description = f"would notify {target['to']}"
            return [self.ctx.store.save(change, "dry-run")]
        note = build_notification(event, rule.name, mode, remediations)
        try:
            change.description = action.send(note, inv, self.ctx, change.id)
        except EXPECTED as exc:
            return [self._failed(change, exc, out, "send")]
        return [self.ctx.store.save(change, "sent")]


ALERT_SOURCE = "secpillar.detect"
ALERT_DETAIL_TYPE = "secpillar Detection Finding"


def detection_of(event: Mapping[str, Any]) -> str:
    """The detection id of an alert event (``source`` ``secpillar.detect``), else ``""``."""
    if event.get("source") != ALERT_SOURCE:
        return ""
    detail = event.get("detail")
    det = detail.get("detection_id") if isinstance(detail, dict) else None
    return det if isinstance(det, str) else ""


def _was_planned(change: Change) -> bool:
    """A change left unfinished after its plan was recorded (a crash, or a transient failure)."""
    return change.status in ("planned", "applying", "error") and any(
        h.get("status") == "planned" for h in change.history
    )


def rollback(store: ChangeStore, ctx: ActionContext, cid: str, exempt_seconds: int = 3600) -> Change:
    """Undo an applied change from its saved prior state; exempt (action, target) from automatic
    re-remediation for ``exempt_seconds`` so that the worker does not undo the rollback."""
    change = store.require(cid)
    if not change.reversible:
        raise UsageError(f"{cid} ({change.action}) cannot be rolled back")
    if change.status not in ("applied", "rollback-failed"):
        raise UsageError(f"{cid} is {change.status}: only applied changes can be rolled back")
    action = REGISTRY.get(change.action)
    try:
        action.rollback(change, ctx)
    except (ClientError, BotoCoreError) as exc:
        change.error = f"rollback: {describe_error(exc)}"
        store.save(change, "rollback-failed")
        raise AwsError(f"rollback of {cid} failed: {describe_error(exc)}", code=classify(exc).value) from None
    if exempt_seconds > 0:
        store.exempt(change.action, change.target, datetime.now(UTC) + timedelta(seconds=exempt_seconds))
    return store.save(change, "rolled-back", note=f"prior state restored; exempt for {exempt_seconds} s")
