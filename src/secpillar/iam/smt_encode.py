"""The z3 encoding behind :mod:`secpillar.iam.smt`: a symbolic outside caller, its request context,
and the evaluator's rules for one action over resource policies and RCPs (see ``smt``'s docstring for
the model and its fragment)."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import z3  # type: ignore[import-untyped]

from secpillar.iam.conditions import Clause, parse_date
from secpillar.iam.exposure_context import anonymous_possible
from secpillar.iam.matching import has_wildcard, string_like
from secpillar.iam.policy import Policy, Statement
from secpillar.iam.principals import PrincipalSpec
from secpillar.iam.variables import has_variables

ANON, USER, ROLE, SESSION, ROOT, SERVICE = range(6)
KIND_NAMES = ("anonymous", "user", "role", "session", "root", "service")
_ORG_VALUE_KEYS = ("aws:principalorgid", "aws:sourceorgid")
_ORG_PATH_KEYS = ("aws:principalorgpaths", "aws:sourceorgpaths")
_SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths",
                          "aws:sourceowner"})  # fmt: skip


#: a service principal's name: lower case (the evaluator compares it lower-cased), no colon or slash
_SVC_CHARS = z3.Union(z3.Range(" ", "."), z3.Range("0", "9"), z3.Range(";", "@"), z3.Range("[", "~"))


class Unsupported(Exception):
    """The policy uses something outside the encoded fragment."""


@dataclass(frozen=True, slots=True)
class Boundary:
    """The organization: its id, its accounts, its management account, and the ARNs it owns (values
    of ``aws:SourceArn`` no outsider can present)."""

    organization_id: str
    accounts: frozenset[str]
    management_account: str = ""
    owned_arns: frozenset[str] = frozenset()


def sval(text: str) -> z3.SeqRef:
    return z3.StringVal(text)


@dataclass
class Encoder:
    boundary: Boundary
    action: str
    resource: z3.SeqRef
    resource_account: str
    extra_chars: frozenset[str]
    variables: bool = True
    fixed_kind: int = ANON
    """One encoding per kind of caller: the solver sees no case split on it, which keeps the string
    reasoning small (the kinds are tried one after the other)."""
    acct: z3.SeqRef = field(default_factory=lambda: z3.String("account"))
    name: z3.SeqRef = field(default_factory=lambda: z3.String("name"))
    sess: z3.SeqRef = field(default_factory=lambda: z3.String("session"))
    svc: z3.SeqRef = field(default_factory=lambda: z3.String("service"))
    keys: dict[str, tuple[z3.BoolRef, Any, str]] = field(default_factory=dict)
    spelling: dict[str, str] = field(default_factory=dict)
    literals: dict[str, set[str]] = field(default_factory=dict)

    @property
    def kind(self) -> z3.ArithRef:
        return z3.IntVal(self.fixed_kind)

    # ---- regular expressions -------------------------------------------------------------------

    def _chars(self, colon: bool = True) -> z3.ReRef:
        parts = [z3.Range(" ", "9"), z3.Range(";", "~")] + [z3.Re(c) for c in sorted(self.extra_chars)]
        if colon:
            parts.append(z3.Re(":"))
        return z3.Union(*parts)

    @property
    def domain(self) -> z3.ReRef:
        """Every value a string may take: printable ASCII and the characters policy literals use."""
        return z3.Star(self._chars())

    def glob(self, pattern: str, arn: bool = False, colon_free: bool = False) -> z3.ReRef:
        """``*``/``?`` glob as a regex; ``arn``: wildcards before the fifth colon stay in their segment."""
        pieces: list[z3.ReRef] = []
        lit: list[str] = []
        colons = 0

        def flush() -> None:
            if lit:
                pieces.append(z3.Re("".join(lit)))
                lit.clear()

        for i, ch in enumerate(pattern):
            inside = colon_free or (arn and colons < 5)
            if ch == "*":
                flush()
                nxt = pattern[i + 1] if i + 1 < len(pattern) else ""
                free = not inside or (arn and not colon_free and nxt in (":", ""))
                pieces.append(z3.Star(self._chars(colon=free)))
            elif ch == "?":
                flush()
                pieces.append(self._chars(colon=not inside))
            else:
                colons += ch == ":"
                lit.append(ch)
        flush()
        if not pieces:
            return z3.Re("")
        return pieces[0] if len(pieces) == 1 else z3.Concat(*pieces)

    @staticmethod
    def nocase(text: str) -> z3.ReRef:
        parts = [
            z3.Union(z3.Re(c.lower()), z3.Re(c.upper())) if c.lower() != c.upper() else z3.Re(c) for c in text
        ]
        if not parts:
            return z3.Re("")
        return parts[0] if len(parts) == 1 else z3.Concat(*parts)

    def arn_condition(self, pattern: str, v: z3.SeqRef) -> z3.BoolRef:
        if pattern == "*":
            return z3.BoolVal(True)
        pp = pattern.split(":", 5)
        if len(pp) != 6:
            return z3.BoolVal(False)
        res = [self.glob(p, colon_free=True) for p in pp[:5]] + [self.glob(pp[5])]
        seq: list[z3.ReRef] = []
        for i, r in enumerate(res):
            seq.append(r)
            if i < 5:
                seq.append(z3.Re(":"))
        return z3.InRe(v, z3.Concat(*seq))

    # ---- the caller ----------------------------------------------------------------------------

    def in_account(self) -> z3.BoolRef:
        return z3.Or(self.kind == USER, self.kind == ROLE, self.kind == SESSION, self.kind == ROOT)

    def role_arn(self) -> z3.SeqRef:
        return z3.Concat(sval("arn:aws:iam::"), self.acct, sval(":role/"), self.name)

    def arn(self) -> z3.SeqRef:
        user = z3.Concat(sval("arn:aws:iam::"), self.acct, sval(":user/"), self.name)
        session = z3.Concat(
            sval("arn:aws:sts::"), self.acct, sval(":assumed-role/"), self.name, sval("/"), self.sess
        )
        root = z3.Concat(sval("arn:aws:iam::"), self.acct, sval(":root"))
        k = self.kind
        return z3.If(k == USER, user, z3.If(k == ROLE, self.role_arn(), z3.If(k == SESSION, session,
                     z3.If(k == ROOT, root, z3.If(k == SERVICE, self.svc, sval(""))))))  # fmt: skip

    def caller_constraints(self) -> list[z3.BoolRef]:
        k = self.fixed_kind
        out: list[z3.BoolRef] = []
        if k == ANON and not anonymous_possible(self.action):
            out.append(z3.BoolVal(False))
        if k in (USER, ROLE, SESSION, ROOT):
            # twelve digits, said as a length and a digit star: the same set as Loop(digit, 12, 12), which
            # the sequence solver handles far worse (seconds, at times a timeout) next to ARN patterns
            out += [z3.Length(self.acct) == 12, z3.InRe(self.acct, z3.Star(z3.Range("0", "9")))]
            out += [self.acct != sval(a) for a in sorted(self.boundary.accounts)]
        # names hold no "/" (the ARN would name a path) and a session's role is no service-linked role
        parts = (self.name, self.sess) if k == SESSION else (self.name,) if k in (USER, ROLE) else ()
        for part in parts:
            out += [z3.Length(part) >= 1, z3.Not(z3.Contains(part, sval("/"))), z3.InRe(part, self.domain)]
        if k == SESSION:
            out.append(z3.Not(z3.PrefixOf(sval("AWSServiceRoleFor"), self.name)))
        if k == SERVICE:
            out.append(z3.InRe(self.svc, z3.Concat(z3.Star(_SVC_CHARS), z3.Re(".amazonaws.com"))))
        return out

    def derived(self, lkey: str) -> tuple[z3.BoolRef, z3.SeqRef] | None:
        k, ia = self.kind, self.in_account()
        if lkey == "aws:principalaccount":
            return ia, self.acct
        if lkey == "aws:principalarn":
            return ia, z3.If(k == SESSION, self.role_arn(), self.arn())
        if lkey == "aws:principaltype":
            return ia, z3.If(k == USER, sval("User"), z3.If(k == ROOT, sval("Account"), sval("AssumedRole")))
        if lkey == "aws:principalisawsservice":
            return k != ANON, z3.If(k == SERVICE, sval("true"), sval("false"))
        if lkey == "aws:principalservicename":
            return k == SERVICE, self.svc
        if lkey == "aws:username":
            return k == USER, self.name
        if lkey == "aws:resourceaccount":
            return z3.BoolVal(bool(self.resource_account)), sval(self.resource_account)
        if lkey == "aws:userid":
            raise Unsupported("aws:userid is not modelled")
        return None

    # ---- context keys --------------------------------------------------------------------------

    def key(self, c: Clause, typ: str | None) -> tuple[z3.BoolRef, Any]:
        lk = c.lkey
        got = self.derived(lk)
        if got is not None:
            if typ not in (None, "str"):
                raise Unsupported(f"{c.key} compared as a {typ}")
            return got
        self.spelling.setdefault(lk, c.key)
        if lk not in self.keys:
            self.keys[lk] = (z3.Bool(f"present:{lk}"), None, "")
        present, var, have = self.keys[lk]
        if typ is not None and var is None:
            var = {"str": z3.String, "ip": lambda n: z3.BitVec(n, 32), "int": z3.Int}[typ](f"value:{lk}")
            self.keys[lk] = (present, var, typ)
        elif typ is not None and have != typ:
            raise Unsupported(f"{c.key} is compared both as a {have} and as a {typ}")
        if typ == "str":
            self.literals.setdefault(lk, set()).update(c.values)
        return present, var

    def clause(self, c: Clause) -> z3.BoolRef:
        op = c.op
        fam = op.family
        if self.variables and any(has_variables(v) for v in c.values) and fam not in ("null",):
            raise Unsupported(f"policy variables in the condition on {c.key}")
        if fam == "null":
            present, _ = self.key(c, None)
            want = {v.lower() for v in c.values}
            return z3.Or(z3.And(z3.BoolVal("true" in want), z3.Not(present)),
                         z3.And(z3.BoolVal("false" in want), present))  # fmt: skip
        if fam == "binary":
            raise Unsupported("BinaryEquals is not modelled")
        typ = "ip" if fam == "ip" else "int" if fam.startswith(("num", "date")) else "str"
        present, v = self.key(c, typ)
        parts = (
            self.principal_arn_parts() if c.lkey == "aws:principalarn" and fam in ("arn", "string") else None
        )
        if parts is not None:  # the caller's ARN has a known shape: match it part by part (much faster)
            m = (
                z3.Or(*[self.parts_match(fam, lit, parts) for lit in c.values])
                if c.values
                else z3.BoolVal(False)
            )
        else:
            m = z3.Or(*[self.value_match(fam, lit, v) for lit in c.values]) if c.values else z3.BoolVal(False)
        hit = z3.Not(m) if op.negated else m
        if op.if_exists or op.qualifier == "ForAllValues":
            absent = True
        elif op.qualifier == "ForAnyValue":
            absent = False
        else:
            absent = op.negated
        return z3.If(present, hit, z3.BoolVal(absent))

    def principal_arn_parts(self) -> list[Any] | None:
        """The six colon-separated parts of ``aws:PrincipalArn`` for this kind of caller."""
        res = {USER: z3.Concat(sval("user/"), self.name), ROLE: z3.Concat(sval("role/"), self.name),
               SESSION: z3.Concat(sval("role/"), self.name), ROOT: "root"}.get(self.fixed_kind)  # fmt: skip
        return None if res is None else ["arn", "aws", "iam", "", self.acct, res]

    def parts_match(self, fam: str, lit: str, parts: list[Any]) -> z3.BoolRef:
        """StringEquals / ArnLike of a literal against an ARN given as six parts (a part holds no colon,
        but the last)."""
        if fam == "arn" and lit == "*":
            return z3.BoolVal(True)
        pp = lit.split(":", 5)
        if len(pp) != 6:
            return z3.BoolVal(False)
        out: list[z3.BoolRef] = []
        for i, (pat, part) in enumerate(zip(pp, parts, strict=True)):
            if isinstance(part, str):
                out.append(z3.BoolVal(string_like(pat, part) if fam == "arn" else pat == part))
            elif fam == "arn":
                out.append(z3.InRe(part, self.glob(pat, colon_free=i < 5)))
            else:
                out.append(part == sval(pat))
        return z3.And(*out)

    def value_match(self, fam: str, lit: str, v: Any) -> z3.BoolRef:
        if fam == "string":
            return v == sval(lit)
        if fam in ("stringi", "bool"):
            return z3.InRe(v, self.nocase(lit))
        if fam == "like":
            return z3.InRe(v, self.glob(lit)) if has_wildcard(lit) else v == sval(lit)
        if fam == "arn":
            return self.arn_condition(lit, v)
        if fam == "ip":
            net = ipaddress.ip_network(lit.strip(), strict=False)
            if net.version != 4:
                return z3.BoolVal(False)
            mask = int(net.netmask)
            return (v & mask) == int(net.network_address)
        ref = float(lit) if fam.startswith("num") else parse_date(lit)
        if ref is None or ref != int(ref):
            raise Unsupported(f"non-integer reference value {lit!r}")
        r = int(ref)
        op = fam[4:] if fam.startswith("date") else fam[3:]
        return {"=": v == r, "<": v < r, "<=": v <= r, ">": v > r, ">=": v >= r}[op]

    def outsider_constraints(self) -> list[z3.BoolRef]:
        out: list[z3.BoolRef] = []
        b, k = self.boundary, self.kind
        str_domain = z3.Star(self._chars())
        for lk, (present, var, typ) in self.keys.items():
            if typ == "str":
                out.append(z3.InRe(var, str_domain))
            if lk.startswith("aws:principal") and lk not in ("aws:principalarn",):
                out.append(z3.Implies(z3.Or(k == ANON, k == SERVICE), z3.Not(present)))
            if lk in _SOURCE_KEYS:
                out.append(z3.Implies(k != SERVICE, z3.Not(present)))
            if var is None or typ != "str":
                continue
            if lk in _ORG_VALUE_KEYS and b.organization_id:
                out.append(z3.Implies(present, var != sval(b.organization_id)))
            if lk in _ORG_PATH_KEYS and b.organization_id:
                out.append(z3.Implies(present, z3.Not(z3.PrefixOf(sval(b.organization_id + "/"), var))))
            if lk in ("aws:sourceaccount", "aws:sourceowner"):
                out += [z3.Implies(present, var != sval(a)) for a in sorted(b.accounts)]
            if lk == "aws:sourcearn":
                for a in sorted(b.accounts):
                    owned = z3.InRe(var, z3.Concat(self.glob("arn:*:*:*:", arn=True), z3.Re(a), z3.Re(":"),
                                                   z3.Star(self._chars())))  # fmt: skip
                    out.append(z3.Implies(present, z3.Not(owned)))
                named = self.literals.get(lk, set())
                out += [z3.Implies(present, var != sval(x)) for x in sorted(named & b.owned_arns)]
            if lk in ("aws:sourcevpce", "aws:sourcevpc"):
                out += [z3.Implies(present, var != sval(x)) for x in sorted(self.literals.get(lk, ()))]
            if lk == "aws:resourceorgid" and b.organization_id:
                out += [present, var == sval(b.organization_id)]
        return out

    # ---- statements ----------------------------------------------------------------------------

    def arn_is(self, literal: str) -> z3.BoolRef:
        """The caller's ARN equals ``literal``: decided on the literal's shape (a modelled caller's ARN is
        always one of five shapes), which keeps the solver away from string equations over ``If``."""
        parts = literal.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[1] != "aws" or parts[3] != "":
            return z3.BoolVal(False)
        _, _, svc, _, acct, res = parts
        k = self.kind
        ok = self.acct == sval(acct)
        if svc == "iam" and res == "root":
            return z3.And(k == ROOT, ok)
        for prefix, kind in (("user/", USER), ("role/", ROLE)):
            if svc == "iam" and res.startswith(prefix) and "/" not in res[len(prefix) :]:
                return z3.And(k == kind, ok, self.name == sval(res[len(prefix) :]))
        bits = res.split("/")
        if svc == "sts" and len(bits) == 3 and bits[0] == "assumed-role":
            return z3.And(k == SESSION, ok, self.name == sval(bits[1]), self.sess == sval(bits[2]))
        return z3.BoolVal(False)

    def spec(self, p: PrincipalSpec) -> z3.BoolRef:
        if p.wildcard:
            return z3.BoolVal(True)
        k = self.kind
        svc = [self.svc == sval(x) for x in sorted(p.services | p.federated)]
        named = [self.arn_is(x) for x in sorted(p.aws | p.federated | p.canonical)]
        roles = [z3.And(z3.Or(k == ROLE, k == SESSION), self.acct == sval(r.split("/", 1)[0]),
                        self.name == sval(r.split("/", 1)[1])) for r in sorted(p.roles)]  # fmt: skip
        accts = [self.acct == sval(a) for a in sorted(p.accounts)]
        return z3.Or(z3.And(k == SERVICE, z3.Or(*svc) if svc else z3.BoolVal(False)),
                     z3.And(self.in_account(), z3.Or(*(named + roles + accts)) if named + roles + accts
                            else z3.BoolVal(False)))  # fmt: skip

    def excludes(self, p: PrincipalSpec) -> z3.BoolRef:
        if p.wildcard:
            return z3.BoolVal(True)
        k = self.kind

        def any_of(xs: list[z3.BoolRef]) -> z3.BoolRef:
            return z3.Or(*xs) if xs else z3.BoolVal(False)

        arn_in = any_of([self.arn_is(x) for x in sorted(p.aws | p.federated | p.canonical)])
        role_in = any_of([z3.And(self.acct == sval(r.split("/", 1)[0]), self.name == sval(r.split("/", 1)[1]))
                          for r in sorted(p.roles)])  # fmt: skip
        acct_in = any_of([self.acct == sval(a) for a in sorted(p.accounts)])
        aws_in = any_of([self.arn_is(x) for x in sorted(p.aws)])
        svc_in = any_of([self.svc == sval(x) for x in sorted(p.services)])
        other = z3.If(k == ROLE, z3.And(z3.Or(role_in, aws_in), acct_in), z3.And(arn_in, acct_in))
        other = z3.If(k == SESSION, z3.And(arn_in, role_in, acct_in), other)
        return z3.If(
            k == ANON, z3.BoolVal(False), z3.If(k == SERVICE, svc_in, z3.If(k == ROOT, acct_in, other))
        )

    def statement(self, st: Statement, fixed_resource: str | None) -> z3.BoolRef:
        parts: list[z3.BoolRef] = []
        m = st.resource_matcher
        if m is not None:
            if m.templates:
                raise Unsupported(f"policy variables in statement {st.sid or st.index}'s Resource")
            if fixed_resource is not None:
                hit: z3.BoolRef = z3.BoolVal(m.match(fixed_resource, {}))
            else:
                pats = st.resources or ()
                hit = z3.Or(*[z3.BoolVal(True) if p == "*" else z3.InRe(self.resource, self.glob(p, arn=True))
                              for p in pats])  # fmt: skip
            parts.append(z3.Not(hit) if st.not_resource else hit)
        if st.principal is not None:
            parts.append(self.spec(st.principal))
        elif st.not_principal is not None:
            parts.append(z3.Not(self.excludes(st.not_principal)))
        parts += [self.clause(c) for c in st.conditions]
        return z3.And(*parts) if parts else z3.BoolVal(True)


def extra_chars(policies: Sequence[Policy]) -> frozenset[str]:
    text = json.dumps([p.document for p in policies], ensure_ascii=False)
    return frozenset(c for c in text if not (" " <= c <= "~"))


def decision(
    enc: Encoder,
    policies: Sequence[Policy],
    rcps: tuple[tuple[Policy, ...], ...] | None,
    laction: str,
    fixed: str | None,
) -> z3.BoolRef:
    """The evaluator's "allowed" for an outside caller: no matching Deny, every RCP level allows (when
    RCPs apply), and a resource-policy Allow matches."""
    res_sts = [st for p in policies for st in p.for_action(laction)]
    if any(st.allow and st.principal is not None and st.principal.federated for st in res_sts):
        raise Unsupported("Federated (web identity, SAML) principals are not modelled")
    denies = [enc.statement(st, fixed) for st in res_sts if not st.allow]
    allows = [enc.statement(st, fixed) for st in res_sts if st.allow]
    levels: list[z3.BoolRef] = []
    for lv in rcps or ():
        sts = [st for p in lv for st in p.for_action(laction)]
        denies += [enc.statement(st, fixed) for st in sts if not st.allow]
        ok = [enc.statement(st, fixed) for st in sts if st.allow]
        levels.append(z3.Or(*ok) if ok else z3.BoolVal(False))
    no_deny = z3.Not(z3.Or(*denies)) if denies else z3.BoolVal(True)
    return z3.And(no_deny, *levels, z3.Or(*allows) if allows else z3.BoolVal(False))
