"""Attack techniques: the registry, the context a detonation runs in, and what they share.

A technique is a small class registered under a stable id ``aws.<tactic>.<technique>``
(``aws.defense-evasion.cloudtrail-stop``). It states what it is in class attributes (title,
MITRE ATT&CK technique and tactic, severity, the CloudTrail events its detonation writes, the
detections and response actions expected to react, the IAM permissions it needs) and runs in five
steps, each with real AWS API calls through :class:`Context` (clients from :mod:`secpillar.aws`):

- ``select(ctx)``: read-only discovery of what it will attack (an existing trail, key, detector …);
  raises :class:`Skip` when the account has nothing to attack;
- ``probe(ctx)``: the state of everything it touches, as plain data (taken before ``warm_up`` and
  after ``cleanup``; a difference is reported as left behind);
- ``warm_up(ctx)``: creates the prerequisites (a victim user, a bucket …), not part of the attack;
- ``detonate(ctx)``: the attack itself — the calls whose CloudTrail records the detections see;
- ``remediated(ctx)``: whether the expected response has made it safe again;
- ``cleanup(ctx)``: restores the state ``probe`` saw first (idempotent: it works whether or not a
  response already acted).

Techniques the sandbox cannot emulate are registered too, with ``not_emulated`` saying why, and are
skipped; ``sandbox_only`` marks those only the sandbox can simulate (console sign-ins, root keys).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from secpillar.errors import RegistryError, SecpillarError
from secpillar.model import Severity

OUTSIDE_ACCOUNT = "999988887777"
"""The 'attacker' account that sharing techniques grant access to (outside every organization)."""

TACTICS: dict[str, str] = {
    "initial-access": "Initial Access",
    "execution": "Execution",
    "persistence": "Persistence",
    "privilege-escalation": "Privilege Escalation",
    "defense-evasion": "Defense Evasion",
    "credential-access": "Credential Access",
    "discovery": "Discovery",
    "lateral-movement": "Lateral Movement",
    "collection": "Collection",
    "exfiltration": "Exfiltration",
    "impact": "Impact",
}
"""MITRE ATT&CK Enterprise tactics (cloud matrix) by the slug the technique ids use."""

ID_RE = re.compile(r"^aws\.([a-z]+(?:-[a-z]+)*)\.([a-z0-9]+(?:-[a-z0-9]+)*)$")
ATTACK_RE = re.compile(r"^T\d{4}(?:\.\d{3})?$")


class Skip(SecpillarError):
    """The technique cannot run here (nothing to attack, or only the sandbox can emulate it)."""


@dataclass
class SandboxHooks:
    """What only the sandbox can do: simulate console sign-ins, and sign calls as the root user."""

    console_login: Callable[..., dict[str, Any]]
    """``console_login(user=…, success=…, mfa=…, source_ip=…, user_agent=…)`` -> the record."""
    root_client: Callable[[str], Any]
    """A client whose calls the sandbox records as made by the account's root user."""


@dataclass
class Context:
    """What a technique may use while it runs: tagged clients, names, a scratch ``state``.

    Every call a client makes carries the user agent ``tag`` (``secpillar-gameday/<run>/<id>/<phase>``)
    so that the game day finds the technique's own CloudTrail records; in the sandbox, detonation
    calls also come from ``source_ip`` (a documentation address standing in for the attacker)."""

    run_id: str
    technique_id: str
    account_id: str
    region: str
    client_for: Callable[[str, str | None], Any]
    assume: Callable[[str, str], Callable[[str, str | None], Any]]
    """``assume(role_arn, session_name)`` -> a client getter for that role's session (tagged)."""
    sandbox: SandboxHooks | None = None
    partition: str = "aws"
    phase: str = "select"
    source_ip: str = ""
    state: dict[str, Any] = field(default_factory=dict)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.client_for(service, region)

    @property
    def tag(self) -> str:
        return f"secpillar-gameday/{self.run_id}/{self.technique_id}/{self.phase}"

    def name(self, kind: str, max_len: int = 63) -> str:
        """A name unique to this run and technique (lowercase; valid for buckets, users, roles,
        secrets, security groups): ``secpillar-gd-<run>-<4 hex of the technique id>-<kind>``."""
        digest = hashlib.sha256(self.technique_id.encode()).hexdigest()[:4]
        return f"secpillar-gd-{self.run_id}-{digest}-{kind}"[:max_len]

    def require_sandbox(self) -> SandboxHooks:
        if self.sandbox is None:
            raise Skip("only the sandbox can emulate this technique")
        return self.sandbox


class Technique:
    """Base class of every technique. Subclasses set the class attributes and the steps."""

    id: ClassVar[str]
    title: ClassVar[str]
    attack: ClassVar[str]
    """MITRE ATT&CK technique id (``T1562.008``)."""
    severity: ClassVar[Severity] = Severity.HIGH
    description: ClassVar[str]
    events: ClassVar[tuple[str, ...]] = ()
    """CloudTrail ``eventName``s the detonation writes (the game day waits for them)."""
    detections: ClassVar[tuple[str, ...]] = ()
    """Detection ids that claim to cover the technique (each must fire)."""
    responses: ClassVar[tuple[str, ...]] = ()
    """Response action ids the built-in rules run on those detections."""
    permissions: ClassVar[tuple[str, ...]] = ()
    """IAM actions the technique needs (select, warm-up, detonation, cleanup)."""
    regions: ClassVar[tuple[str, ...]] = ()
    """Regions besides the target's own that the technique acts in."""
    sandbox_only: ClassVar[str] = ""
    """Why only the sandbox can emulate it (empty: any account)."""
    not_emulated: ClassVar[str] = ""
    """Why it cannot be emulated at all (registered, always skipped)."""

    @property
    def tactic_slug(self) -> str:
        return self.id.split(".")[1]

    @property
    def tactic(self) -> str:
        return TACTICS.get(self.tactic_slug, self.tactic_slug)

    def select(self, ctx: Context) -> None:
        """Find what to attack (read-only); raise :class:`Skip` when there is nothing."""

    def probe(self, ctx: Context) -> dict[str, Any]:
        return {}

    def warm_up(self, ctx: Context) -> None:
        """Create the prerequisites (not part of the attack)."""

    def detonate(self, ctx: Context) -> None:
        raise NotImplementedError

    def remediated(self, ctx: Context) -> bool:
        return False

    def cleanup(self, ctx: Context) -> None:
        """Restore what ``probe`` saw first."""


T = TypeVar("T", bound=type[Technique])


class TechniqueRegistry:
    """Techniques by id. Registering an id twice is an error."""

    def __init__(self) -> None:
        self._items: dict[str, Technique] = {}

    def register(self, cls: T) -> T:
        tid = getattr(cls, "id", None)
        if not tid:
            raise RegistryError(f"technique class {cls.__name__} has no id")
        if tid in self._items:
            raise RegistryError(f"duplicate technique id {tid!r} ({cls.__name__})")
        self._items[tid] = cls()
        return cls

    def get(self, tid: str) -> Technique:
        try:
            return self._items[tid]
        except KeyError:
            raise RegistryError(f"unknown technique id {tid!r}; see `secpillar gameday list`") from None

    def __contains__(self, tid: object) -> bool:
        return tid in self._items

    def __iter__(self) -> Iterator[Technique]:
        return iter(sorted(self._items.values(), key=lambda t: t.id))

    def __len__(self) -> int:
        return len(self._items)

    def select(self, patterns: list[str] | tuple[str, ...] = ()) -> list[Technique]:
        """Techniques whose id equals a pattern, or starts with one ending in ``*``; all when empty."""
        if not patterns:
            return list(self)
        out: dict[str, Technique] = {}
        for pattern in patterns:
            hits = [
                t
                for t in self
                if (t.id.startswith(pattern[:-1]) if pattern.endswith("*") else t.id == pattern)
            ]
            if not hits:
                from secpillar.errors import UsageError

                raise UsageError(f"no technique matches {pattern!r}; see `secpillar gameday list`")
            out.update((t.id, t) for t in hits)
        return sorted(out.values(), key=lambda t: t.id)


REGISTRY = TechniqueRegistry()
register = REGISTRY.register


def client_error_code(exc: BaseException) -> str:
    """The AWS error code of a ``ClientError`` (``""`` for anything else)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", ""))
    return ""


def gone(exc: BaseException, *codes: str) -> bool:
    """Whether ``exc`` says the thing does not exist (cleanup of something already removed)."""
    return client_error_code(exc) in codes


@contextmanager
def unless_gone(*codes: str) -> Iterator[None]:
    """Run the block; an AWS error with one of ``codes`` (the thing does not exist: cleanup of
    something already removed) ends it quietly, any other error goes on up."""
    try:
        yield
    except Exception as exc:
        if not gone(exc, *codes):
            raise
