"""Response actions: the registry, the context they run in, and what they share.

An action is a small class registered under a stable id (``s3.restore-bucket-policy``). It says
which IAM permissions it needs, finds its targets in an event, and then:

- ``plan(target, inv, ctx) -> Change``: read the current state (read-only calls), say what it
  will do and save the prior state it would restore on rollback. Dry-run stops here.
- ``apply(change, ctx)``: make the change.
- ``is_applied(change, ctx)``: whether AWS already holds the desired state (used after a crash
  between the call and the record, so that a change is never made twice).
- ``rollback(change, ctx)``: put the prior state back.

Notification actions (``kind = "notify"``) implement ``send`` instead and cannot be rolled back.
Every AWS client comes from the context's :class:`~secpillar.aws.session.ClientFactory`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, TypeVar

from botocore.exceptions import ClientError

from secpillar.aws.errors import error_code
from secpillar.aws.session import ClientFactory
from secpillar.errors import RegistryError, SecpillarError
from secpillar.respond.changes import Change, ChangeStore, change_id

Target = dict[str, Any]


class ActionError(SecpillarError):
    """An action cannot run on this event or target (missing data, unsupported principal …)."""


@dataclass
class ActionContext:
    """What actions may use: AWS clients (none offline), the change store, the lake directory.

    A target in another account than the responder's is acted on through ``role_name`` (assumed in
    that account, as ``scan --org`` does); without one, such a target is refused rather than
    looked for in the wrong account."""

    store: ChangeStore
    clients: ClientFactory | None = None
    lake: Path | None = None
    caller_arn: str = ""
    role_name: str = ""
    external_id: str = ""
    _accounts: dict[str, ClientFactory] = field(default_factory=dict, repr=False)

    @property
    def own_account(self) -> str:
        parts = self.caller_arn.split(":")
        return parts[4] if len(parts) > 4 else ""

    def client(self, service: str, region: str | None = None, account: str = "") -> Any:
        if self.clients is None:
            raise ActionError("this action needs AWS access (give --endpoint-url or AWS credentials)")
        return self._factory(account).client(service, region)

    def target_client(self, service: str, target: Mapping[str, Any]) -> Any:
        """A client in the target's account and region."""
        return self.client(service, str(target.get("region") or "") or None, str(target.get("account") or ""))

    def _factory(self, account: str) -> ClientFactory:
        assert self.clients is not None
        own = self.own_account
        if not account or not own or account == own:
            return self.clients
        if not self.role_name:
            raise ActionError(
                f"the target is in account {account}, the responder runs in {own}: "
                "give --role-name to act in other accounts"
            )
        if account not in self._accounts:
            from secpillar.aws.assume import assume_role_factory

            partition = self.caller_arn.split(":")[1]
            role_arn = f"arn:{partition}:iam::{account}:role/{self.role_name}"
            self._accounts[account] = assume_role_factory(
                self.clients, role_arn, "secpillar-respond", self.external_id
            )
        return self._accounts[account]


@dataclass(frozen=True)
class Invocation:
    """One rule's action on one event: the rule's name, the action's params and the mode."""

    rule: str
    event: Mapping[str, Any]
    params: Mapping[str, Any] = field(default_factory=dict)
    mode: str = "dry-run"


class ResponseAction:
    """Base of every action. Subclasses set the class attributes and the methods."""

    id: ClassVar[str]
    title: ClassVar[str]
    kind: ClassVar[str] = "remediate"
    permissions: ClassVar[tuple[str, ...]]
    """IAM actions the action needs (plan, apply and rollback), checked against the IAM catalogue."""
    params_schema: ClassVar[dict[str, Any]] = {}
    """JSON Schema ``properties`` of the action's ``params`` (unknown params are rejected)."""
    wa: ClassVar[tuple[str, ...]] = ("SEC10-BP06",)
    reversible: ClassVar[bool] = True

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        raise NotImplementedError

    def plan(self, target: Target, inv: Invocation, ctx: ActionContext) -> Change:
        raise NotImplementedError

    def apply(self, change: Change, ctx: ActionContext) -> None:
        raise NotImplementedError

    def is_applied(self, change: Change, ctx: ActionContext) -> bool:
        return False

    def rollback(self, change: Change, ctx: ActionContext) -> None:
        raise ActionError(f"{self.id} cannot be rolled back")

    # helpers ---------------------------------------------------------------------------------
    def change(
        self,
        target: Target,
        inv: Invocation,
        description: str,
        *,
        prior: Mapping[str, Any] | None = None,
        desired: Mapping[str, Any] | None = None,
        noop: bool = False,
        reason: str = "",
    ) -> Change:
        """A change for ``target``; ``noop`` when AWS already holds the desired state."""
        eid = event_id(inv.event)
        return Change(
            id=change_id(eid, inv.rule, self.id, target, inv.mode),
            action=self.id,
            target=dict(target),
            description=description,
            rule=inv.rule,
            event_id=eid,
            event=event_summary(inv.event),
            prior=dict(prior or {}),
            desired=dict(desired or {}),
            mode=inv.mode,
            status="noop" if noop else "planned",
            reversible=self.reversible,
            reason=reason,
        )


A = TypeVar("A", bound=type[ResponseAction])


class ActionRegistry:
    """Actions by id. Registering an id twice is an error."""

    def __init__(self) -> None:
        self._actions: dict[str, ResponseAction] = {}

    def register(self, cls: A) -> A:
        aid = getattr(cls, "id", None)
        if not aid:
            raise RegistryError(f"action class {cls.__name__} has no id")
        if aid in self._actions:
            raise RegistryError(f"duplicate action id {aid!r} ({cls.__name__})")
        self._actions[aid] = cls()
        return cls

    def get(self, aid: str) -> ResponseAction:
        try:
            return self._actions[aid]
        except KeyError:
            known = ", ".join(sorted(self._actions))
            raise RegistryError(f"unknown action {aid!r}; known: {known}") from None

    def __contains__(self, aid: object) -> bool:
        return aid in self._actions

    def __iter__(self) -> Iterator[ResponseAction]:
        return iter(sorted(self._actions.values(), key=lambda a: a.id))

    def __len__(self) -> int:
        return len(self._actions)

    def ids(self) -> list[str]:
        return sorted(self._actions)

    def params_schemas(self) -> dict[str, dict[str, Any]]:
        return {a.id: a.params_schema for a in self}


REGISTRY = ActionRegistry()
register = REGISTRY.register


# Event helpers shared by the actions and the notifications --------------------------------------
def event_id(event: Mapping[str, Any]) -> str:
    """EventBridge's ``id``; else the CloudTrail ``eventID`` of the detail; else a hash of the event."""
    eid = event.get("id")
    if isinstance(eid, str) and eid:
        return eid
    detail = event.get("detail")
    if isinstance(detail, dict) and isinstance(detail.get("eventID"), str):
        return str(detail["eventID"])
    import hashlib
    import json

    raw = json.dumps(event, sort_keys=True, default=str).encode("utf-8")
    return "sha256-" + hashlib.sha256(raw).hexdigest()[:32]


def detail(event: Mapping[str, Any]) -> dict[str, Any]:
    d = event.get("detail")
    return d if isinstance(d, dict) else {}


def request_params(event: Mapping[str, Any]) -> dict[str, Any]:
    rp = detail(event).get("requestParameters")
    return rp if isinstance(rp, dict) else {}


def actor(event: Mapping[str, Any]) -> str:
    """Who did it: the CloudTrail identity's ARN (or type and principal id), else ``unknown``."""
    ui = detail(event).get("userIdentity")
    if isinstance(ui, dict):
        for key in ("arn", "principalId"):
            if isinstance(ui.get(key), str) and ui[key]:
                return str(ui[key])
        if ui.get("type"):
            return str(ui["type"])
    return "unknown"


def event_summary(event: Mapping[str, Any]) -> dict[str, Any]:
    d = detail(event)
    return {
        "id": event_id(event),
        "source": event.get("source", ""),
        "detail_type": event.get("detail-type", ""),
        "name": d.get("eventName", "") or event.get("detail-type", ""),
        "time": d.get("eventTime") or event.get("time", ""),
        "account": event.get("account", ""),
        "region": event.get("region", ""),
        "actor": actor(event),
        "source_ip": d.get("sourceIPAddress", ""),
        "user_agent": d.get("userAgent", ""),
        "error_code": d.get("errorCode", ""),
        "resources": [r for r in event.get("resources") or [] if isinstance(r, str)],
    }


def where(event: Mapping[str, Any], target: Mapping[str, Any] | None = None) -> tuple[str, str]:
    """(account, region) for a target: the target's own, else the event's."""
    t = target or {}
    return str(t.get("account") or event.get("account") or ""), str(
        t.get("region") or event.get("region") or ""
    )


def arn_resources(event: Mapping[str, Any], kind: str) -> list[str]:
    """Resource ids of ``kind`` (``instance``, ``security-group`` …) in the envelope's ARNs."""
    out = []
    for arn in event.get("resources") or []:
        if isinstance(arn, str):
            m = re.match(rf"^arn:aws[a-z-]*:[a-z0-9-]+:[^:]*:[^:]*:{re.escape(kind)}/(.+)$", arn)
            if m:
                out.append(m.group(1))
    return out


def code_of(exc: ClientError) -> str:
    return error_code(exc)


def missing(exc: BaseException, *codes: str) -> bool:
    """Whether ``exc`` is a ClientError with one of ``codes`` (the 'does not exist' answers)."""
    return isinstance(exc, ClientError) and error_code(exc) in codes
