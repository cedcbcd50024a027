"""Candidate outside callers and request contexts for the exposure analysis, and conditions in words.

The exposure analysis asks the real evaluator whether a caller outside the organization is allowed.
Which callers and contexts to try comes from the policy itself (IAM User Guide, "AWS global condition
context keys"):

* callers: anonymous, a principal of an account nobody names (``*``), every outside account, role or
  user a ``Principal`` names or a condition value mentions, and every service principal acting for an
  outside account (the confused deputy, "The confused deputy problem");
* contexts: for each condition key the statements test, "absent" plus values the outsider can really
  present. Keys the organization alone holds take an *outsider's* value: ``aws:PrincipalOrgID`` and
  ``aws:PrincipalOrgPaths`` (the caller's own organization), ``aws:SourceAccount``/``aws:SourceArn``/
  ``aws:SourceOrgID`` (the outside account the service acts for), ``aws:SourceVpce``/``aws:SourceVpc``
  (the endpoints a policy names are taken to be the organization's own), the claims of a web identity
  provider. Keys the caller controls (``aws:SourceIp``, ``aws:SecureTransport``, ``sts:ExternalId``,
  ``s3:prefix`` …) take the values the policy names, so that an exposure "from 203.0.113.0/24 only"
  is found and said.
"""

from __future__ import annotations

import ipaddress
import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from secpillar.iam.conditions import Clause
from secpillar.iam.matching import has_wildcard
from secpillar.iam.policy import Statement

OUTSIDER_ORG = "o-outsider0000"
OUTSIDER_PATH = f"{OUTSIDER_ORG}/r-out0/ou-out0-outsider0/"
OUTSIDER_VALUE = "secpillar-outsider"
#: stands for every service principal, which a wildcard Principal names too
ANY_SERVICE = "secpillar-any-service.amazonaws.com"
#: keys the evaluator derives from the caller and the resource (never put in a context)
DERIVED = frozenset(
    {"aws:principalaccount", "aws:principalarn", "aws:principaltype", "aws:principalisawsservice",
     "aws:principalservicename", "aws:username", "aws:userid", "aws:resourceaccount"}
)  # fmt: skip
#: keys only a service principal's request carries (the account and resource it acts for)
SOURCE_KEYS = frozenset(
    {"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths", "aws:sourceowner"}
)
_ORG_BOUND = {
    "aws:principalorgid": OUTSIDER_ORG,
    "aws:principalorgpaths": OUTSIDER_PATH,
    "aws:sourceorgid": OUTSIDER_ORG,
    "aws:sourceorgpaths": OUTSIDER_PATH,
    "aws:sourcevpce": "vpce-0outsider00000000",
    "aws:sourcevpc": "vpc-0outsider00000000",
}
_ACCOUNT_RX = re.compile(r"(?<!\d)(\d{12})(?!\d)")
_IP_PROBES = ("198.51.100.77", "203.0.113.99", "192.0.2.1", "8.8.8.8", "10.255.255.254")
MAX_CONTEXTS = 512
#: services that serve unsigned (anonymous) requests when a resource policy allows "*"
ANONYMOUS_SERVICES = frozenset({"s3", "sqs"})
ANONYMOUS_ACTIONS = frozenset({"lambda:invokefunctionurl"})


def anonymous_possible(action: str) -> bool:
    """Whether AWS accepts an unsigned request for ``action`` at all (S3 and SQS objects of a public
    policy, a Lambda function URL whose auth type is NONE); every other API needs a signature."""
    la = action.lower()
    return la.split(":", 1)[0] in ANONYMOUS_SERVICES or la in ANONYMOUS_ACTIONS


@dataclass(frozen=True, slots=True)
class Caller:
    """One outside caller to try: ``principal`` None is anonymous."""

    principal: str | None
    who: str  # anonymous, any-account, account, principal, service, federated
    label: str
    account: str = ""


def _is_provider_claim(lkey: str) -> bool:
    prefix = lkey.split(":", 1)[0]
    return "." in prefix  # accounts.google.com:aud, token.actions.githubusercontent.com:sub


def named_outsiders(
    statements: Iterable[Statement], org_accounts: frozenset[str]
) -> tuple[set[str], set[str]]:
    """(outside accounts, outside role/user ARNs) the statements name in Principal or in a condition."""
    accounts: set[str] = set()
    arns: set[str] = set()
    for st in statements:
        for spec in (st.principal, st.not_principal):
            if spec is None:
                continue
            accounts |= {a for a in spec.accounts if a not in org_accounts}
            for a in spec.aws:
                parts = a.split(":", 5)
                if len(parts) == 6 and parts[4] not in org_accounts and parts[5] != "root":
                    if parts[2] == "iam" and parts[5].startswith(("role/", "user/")):
                        arns.add(a)
                    accounts.add(parts[4])
        for c in st.conditions:
            for v in c.values:
                accounts |= {m for m in _ACCOUNT_RX.findall(v) if m not in org_accounts}
    return accounts, arns


def outside_callers(
    statements: Sequence[Statement], org_accounts: frozenset[str], trust: bool
) -> list[Caller]:
    """Every outside caller worth trying against these statements (see the module docstring)."""
    unnamed = next(
        f"{n:012d}" for n in range(999999999999, 0, -111111111111) if f"{n:012d}" not in org_accounts
    )
    out = [
        Caller(None, "anonymous", "anonymous users (no AWS credentials)"),
        Caller(f"arn:aws:iam::{unnamed}:role/secpillar-outsider", "any-account",
               "any AWS account's principals", unnamed),
    ]  # fmt: skip
    accounts, arns = named_outsiders(statements, org_accounts)
    for a in sorted(accounts):
        out.append(Caller(f"arn:aws:iam::{a}:role/secpillar-outsider", "account", f"account {a}", a))
    for arn in sorted(arns):
        out.append(Caller(arn, "principal", arn, arn.split(":")[4]))
    services: set[str] = set()
    federated: set[str] = set()
    for st in statements:
        if st.principal is not None:
            services |= st.principal.services
            federated |= {
                f for f in st.principal.federated if not f.startswith("arn:") or ":oidc-provider/" in f
            }
    if not trust:  # a service assumes a role only when someone in its account passes it (iam:PassRole)
        for s in sorted(services):
            out.append(Caller(s, "service", f"service {s} acting for any account", unnamed))
        if any(st.principal is not None and st.principal.wildcard for st in statements):
            out.append(Caller(ANY_SERVICE, "service", "any AWS service acting for any account", unnamed))
    for f in sorted(federated):
        out.append(Caller(f, "federated", f"any user of identity provider {f}"))
    return out


def _like_sample(pattern: str) -> str:
    return pattern.replace("*", "x").replace("?", "x")


def _ip_candidates(clauses: Sequence[Clause]) -> list[str]:
    nets = []
    for c in clauses:
        for v in c.values:
            try:
                nets.append(ipaddress.ip_network(v.strip(), strict=False))
            except ValueError:
                continue
    out = [str(n.network_address if n.num_addresses <= 2 else n.network_address + 1) for n in nets]
    outside = next((p for p in _IP_PROBES if not any(ipaddress.ip_address(p) in n for n in nets)), None)
    if outside:
        out.append(outside)
    return list(dict.fromkeys(out))


def _numeric_candidates(clauses: Sequence[Clause]) -> list[str]:
    out: list[str] = []
    for c in clauses:
        for v in c.values:
            try:
                x = float(v)
            except ValueError:
                out.append(v)
                continue
            out += [v, repr(x - 1), repr(x + 1)]
    return list(dict.fromkeys(out))


def key_candidates(lkey: str, clauses: Sequence[Clause], caller: Caller, org_id: str) -> list[str | None]:
    """Values to try for one context key (None = absent) for this caller."""
    if lkey in DERIVED:
        return []
    if lkey == "aws:resourceorgid":
        return [org_id] if org_id else [None]
    if lkey in SOURCE_KEYS:
        if caller.who != "service":
            return [None]
        acct = caller.account
        if lkey in ("aws:sourceaccount", "aws:sourceowner"):
            return [acct]
        if lkey == "aws:sourcearn":
            return [f"arn:aws:{caller.principal or 's'}:us-east-1:{acct}:outsider"]
        return [None, _ORG_BOUND[lkey]]
    if lkey in _ORG_BOUND:
        if caller.who in ("anonymous", "service", "federated") and lkey.startswith("aws:principal"):
            return [None]
        return [None, _ORG_BOUND[lkey]]
    if _is_provider_claim(lkey):
        # a claim binds the caller to the organization (its app, its repositories), except an audience
        # every user of the provider presents: GitHub's tokens for AWS all carry aud sts.amazonaws.com
        public = [v for c in clauses for v in c.values if lkey.endswith(":aud") and v == "sts.amazonaws.com"]
        return [None, OUTSIDER_VALUE, *public]
    families = {c.op.family for c in clauses}
    values: list[str | None] = [None]
    if "ip" in families:
        values += _ip_candidates([c for c in clauses if c.op.family == "ip"])
    if families & {"bool"}:
        values += ["true", "false"]
    if any(f.startswith(("num", "date")) for f in families):
        values += _numeric_candidates([c for c in clauses if c.op.family.startswith(("num", "date"))])
    for c in clauses:
        if c.op.family in ("string", "stringi", "like", "arn"):
            values += [_like_sample(v) if has_wildcard(v) else v for v in c.values]
    if families & {"string", "stringi", "like", "arn"}:
        values.append(OUTSIDER_VALUE)
    return list(dict.fromkeys(values))


def contexts(statements: Sequence[Statement], caller: Caller, org_id: str) -> Iterator[dict[str, str]]:
    """Request contexts to try, least demanding first (every key absent), at most MAX_CONTEXTS."""
    by_key: dict[str, list[Clause]] = {}
    for st in statements:
        for c in st.conditions:
            by_key.setdefault(c.lkey, []).append(c)
    base = {"aws:SecureTransport": "true"}
    if org_id:
        base["aws:ResourceOrgID"] = org_id
    keys, choices = [], []
    for k, clauses in sorted(by_key.items()):
        cands = key_candidates(k, clauses, caller, org_id)
        if cands:
            keys.append(clauses[0].key)
            choices.append(cands)
    for n, combo in enumerate(itertools.product(*choices)):
        if n >= MAX_CONTEXTS:
            return
        ctx = dict(base)
        for k, v in zip(keys, combo, strict=True):
            ctx = {x: y for x, y in ctx.items() if x.lower() != k.lower()}
            if v is not None:
                ctx[k] = v
        yield ctx


_OP_WORDS = {
    "string": "is", "stringi": "is (any case)", "like": "matches", "arn": "matches",
    "num=": "equals", "num<": "is below", "num<=": "is at most", "num>": "is above", "num>=": "is at least",
    "date=": "is", "date<": "is before", "date<=": "is at or before", "date>": "is after",
    "date>=": "is at or after", "bool": "is", "binary": "is", "ip": "is in",
}  # fmt: skip


def clause_words(c: Clause) -> str:
    """One condition clause in plain words (``aws:SourceIp is in 203.0.113.0/24``)."""
    vals = " or ".join(c.values)
    op = c.op
    if op.family == "null":
        absent = {v.lower() for v in c.values} == {"true"}
        return f"{c.key} is {'absent' if absent else 'present'}"
    verb = _OP_WORDS.get(op.family, "is")
    if op.negated:
        verb = {"is in": "is not in", "matches": "does not match", "is": "is not",
                "is (any case)": "is not (any case)"}.get(verb, f"not {verb}")  # fmt: skip
    quant = {"ForAllValues": "every value of ", "ForAnyValue": "some value of "}.get(op.qualifier, "")
    tail = " (or is absent)" if op.if_exists else ""
    return f"{quant}{c.key} {verb} {vals}{tail}"
