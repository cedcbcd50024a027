"""Who makes a request (the caller), and the ``Principal``/``NotPrincipal`` element that names callers.

Callers: an IAM user ``arn:aws:iam::A:user/path/name``, a role ``arn:aws:iam::A:role/path/name``, an
assumed-role session ``arn:aws:sts::A:assumed-role/ROLE/SESSION``, a federated user
``arn:aws:sts::A:federated-user/NAME``, the root user ``arn:aws:iam::A:root``, a service principal
``s3.amazonaws.com``, or anonymous (no principal, ``*`` or ``anonymous``).

A ``Principal`` entry matches a caller in one of three ways, which the evaluator needs to tell apart
(IAM User Guide, policy evaluation logic, resource-based policies within one account):
``direct`` (the user, the session itself, or ``*``), ``role`` (the role ARN of an assumed-role
session) and ``account`` (the account, which only delegates to the account's own policies).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from secpillar.errors import ValidationError

_ACCOUNT = re.compile(r"^\d{12}$")
DIRECT, ROLE, ACCOUNT = "direct", "role", "account"


@dataclass(frozen=True, slots=True)
class Caller:
    arn: str  # "" for anonymous
    kind: str  # user, role, session, federated, root, service, anonymous, other
    account: str  # "" when the caller has no account (anonymous, service)
    partition: str = "aws"
    role_key: str = ""  # account/role-name of a role or session (role path dropped)
    name: str = ""  # user name, role name, federated user name
    service_linked: bool = False

    @property
    def root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root" if self.account else ""

    @property
    def role_arn(self) -> str:
        if not self.role_key:
            return ""
        acct, name = self.role_key.split("/", 1)
        return f"arn:{self.partition}:iam::{acct}:role/{name}"

    @property
    def in_account(self) -> bool:
        return self.kind in ("user", "role", "session", "federated", "root", "other")


@functools.lru_cache(maxsize=4096)
def parse_caller(text: str | None) -> Caller:
    t = (text or "").strip()
    if t in ("", "*", "anonymous", "Anonymous"):
        return Caller("", "anonymous", "")
    if not t.startswith("arn:"):
        if _ACCOUNT.match(t):
            return Caller(f"arn:aws:iam::{t}:root", "root", t)
        return Caller(t, "service", "")  # s3.amazonaws.com, lambda.amazonaws.com, ...
    parts = t.split(":", 5)
    if len(parts) != 6:
        raise ValidationError(f"malformed principal ARN {t!r}", where="request.principal")
    _, partition, service, _region, account, res = parts
    if service == "iam" and res == "root":
        return Caller(t, "root", account, partition)
    if service == "iam" and res.startswith("user/"):
        return Caller(t, "user", account, partition, name=res.rsplit("/", 1)[-1])
    if service == "iam" and res.startswith("role/"):
        name = res.rsplit("/", 1)[-1]
        slr = res.startswith("role/aws-service-role/")
        return Caller(t, "role", account, partition, f"{account}/{name}", name, slr)
    if service == "sts" and res.startswith("assumed-role/"):
        bits = res.split("/")
        name = bits[1] if len(bits) > 1 else ""
        slr = name.startswith("AWSServiceRoleFor")
        return Caller(t, "session", account, partition, f"{account}/{name}", name, slr)
    if service == "sts" and res.startswith("federated-user/"):
        return Caller(t, "federated", account, partition, name=res.split("/", 1)[1])
    return Caller(t, "other", account, partition)


def _role_key(arn: str) -> str:
    """``arn:aws:iam::A:role/path/name`` -> ``A/name``; "" when not a role ARN."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[2] == "iam" and parts[5].startswith("role/"):
        return f"{parts[4]}/{parts[5].rsplit('/', 1)[-1]}"
    return ""


def _account_of(entry: str) -> str:
    """The account an ``AWS`` entry names as a whole (``123456789012`` or ``arn:...:iam::A:root``)."""
    if _ACCOUNT.match(entry):
        return entry
    parts = entry.split(":", 5)
    if len(parts) == 6 and parts[2] == "iam" and parts[5] == "root":
        return parts[4]
    return ""


@dataclass(frozen=True, slots=True)
class PrincipalSpec:
    """A ``Principal`` or ``NotPrincipal`` element."""

    wildcard: bool
    aws: frozenset[str]
    accounts: frozenset[str]
    roles: frozenset[str]  # role keys A/name
    services: frozenset[str]  # lower-cased
    federated: frozenset[str]
    canonical: frozenset[str]

    def match(self, c: Caller) -> str | None:
        """How this element names the caller: DIRECT, ROLE, ACCOUNT, or None."""
        if self.wildcard:
            return DIRECT
        k = c.kind
        if k == "anonymous":
            return None
        if k == "service":  # a service, or a web identity provider in Federated
            return DIRECT if c.arn.lower() in self.services or c.arn in self.federated else None
        if k == "role" and c.role_key in self.roles:
            return ROLE  # a role acts through sessions: a grant to its ARN is a role grant
        if c.arn in self.aws or c.arn in self.federated or c.arn in self.canonical:
            return DIRECT
        if c.role_key and c.role_key in self.roles:
            return ROLE
        if c.account and c.account in self.accounts:
            return DIRECT if k == "root" else ACCOUNT
        return None

    def excludes(self, c: Caller) -> bool:
        """For ``NotPrincipal``: the caller is excluded only when every identity it carries is listed
        (the session, its role and its account; a user and its account)."""
        if self.wildcard:
            return True
        k = c.kind
        if k == "anonymous":
            return False
        if k == "service":
            return c.arn.lower() in self.services
        checks = [c.arn in self.aws or c.arn in self.federated or c.arn in self.canonical]
        if k == "session":
            checks.append(c.role_key in self.roles)
        if k == "role":
            checks = [c.role_key in self.roles or c.arn in self.aws]
        if c.account and k != "root":
            checks.append(c.account in self.accounts)
        elif k == "root":
            checks = [c.account in self.accounts]
        return all(checks)


_KEYS = {"AWS", "Service", "Federated", "CanonicalUser"}


def parse_principal(raw: object, where: str) -> PrincipalSpec:
    if raw == "*":
        return PrincipalSpec(
            True, frozenset(), frozenset(), frozenset(), frozenset(), frozenset(), frozenset()
        )
    if not isinstance(raw, dict) or not raw:
        raise ValidationError(
            'Principal must be "*" or an object with AWS/Service/Federated/CanonicalUser', where
        )
    vals: dict[str, list[str]] = {}
    for key, v in raw.items():
        if key not in _KEYS:
            raise ValidationError(f"unknown principal type {key!r}", where)
        items = v if isinstance(v, list) else [v]
        if not items or not all(isinstance(x, str) and x for x in items):
            raise ValidationError(f"Principal.{key} must be a non-empty string or list of strings", where)
        vals[key] = [x.strip() for x in items]
    aws = vals.get("AWS", [])
    for a in aws:
        if a != "*" and not (a.startswith("arn:") or _ACCOUNT.match(a)):
            raise ValidationError(f"Principal.AWS {a!r} is not an ARN, an account id or *", where)
    return PrincipalSpec(
        wildcard="*" in aws,
        aws=frozenset(aws),
        accounts=frozenset(x for x in (_account_of(a) for a in aws) if x),
        roles=frozenset(x for x in (_role_key(a) for a in aws) if x),
        services=frozenset(s.lower() for s in vals.get("Service", [])),
        federated=frozenset(vals.get("Federated", [])),
        canonical=frozenset(vals.get("CanonicalUser", [])),
    )
