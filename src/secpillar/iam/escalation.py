"""Privilege escalation to administrator, as a graph whose every edge the evaluator decided.

The methods are the documented ones (Rhino Security Labs' list of AWS IAM privilege escalation
methods; the IAM and service API references for what each call does):

* **become** another principal: ``iam:CreateAccessKey``, ``iam:CreateLoginProfile`` and
  ``iam:UpdateLoginProfile`` on another user; ``sts:AssumeRole`` (trust policy and identity side);
  ``iam:UpdateAssumeRolePolicy`` on a role (rewrite its trust, then assume it); ``iam:PassRole`` of a
  role to a service that runs code the caller controls: Lambda (``lambda:CreateFunction`` with
  ``lambda:InvokeFunction`` or ``lambda:CreateEventSourceMapping``), EC2 (``ec2:RunInstances`` with
  an instance profile), Glue (``glue:CreateDevEndpoint``), CloudFormation
  (``cloudformation:CreateStack``), Data Pipeline (``datapipeline:CreatePipeline`` +
  ``datapipeline:PutPipelineDefinition``) — the role must trust that service;
* **grant** administrator to oneself or to a principal one can become: ``iam:AttachUserPolicy``,
  ``iam:AttachGroupPolicy``, ``iam:AttachRolePolicy``, ``iam:PutUserPolicy``, ``iam:PutGroupPolicy``,
  ``iam:PutRolePolicy``, ``iam:CreatePolicyVersion`` (and ``iam:SetDefaultPolicyVersion`` when older
  versions exist) on a customer managed policy attached to it, ``iam:AddUserToGroup`` into an
  administrators' group.

An **administrator** is a principal allowed every one of :data:`ADMIN_PROBES` on ``*`` (the shape of
``AdministratorAccess``). Paths are shortest paths from each non-administrator to an administrator.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from secpillar.iam.evaluate import PolicySet, Request, evaluate
from secpillar.iam.inventory import OrgIam, Principal
from secpillar.iam.policy import parse_policy
from secpillar.iam.whocan import allow_sources, assume_graph, has_action

ADMIN = "admin"
ADMIN_POLICY = "arn:aws:iam::aws:policy/AdministratorAccess"
ADMIN_PROBES = (
    "iam:CreateUser", "iam:AttachRolePolicy", "iam:PutUserPolicy", "iam:CreateAccessKey", "iam:PassRole",
    "sts:AssumeRole", "s3:PutBucketPolicy", "ec2:RunInstances", "lambda:CreateFunction", "kms:CreateGrant",
    "dynamodb:DeleteTable", "secretsmanager:GetSecretValue",
)  # fmt: skip

_ALLOW_ALL = parse_policy(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@dataclass(frozen=True, slots=True)
class PassRoleMethod:
    id: str
    service: str  # the service principal the role must trust
    actions: tuple[str, ...]
    resources: tuple[str, ...]  # probe ARN templates ({region}, {account})
    text: str
    needs_instance_profile: bool = False


PASS_ROLE_METHODS = (
    PassRoleMethod("passrole-lambda", "lambda.amazonaws.com",
                   ("lambda:CreateFunction", "lambda:InvokeFunction"),
                   ("arn:aws:lambda:{region}:{account}:function:secpillar-probe",) * 2,
                   "create a Lambda function running as it and invoke it"),
    PassRoleMethod("passrole-lambda-esm", "lambda.amazonaws.com",
                   ("lambda:CreateFunction", "lambda:CreateEventSourceMapping"),
                   ("arn:aws:lambda:{region}:{account}:function:secpillar-probe", "*"),
                   "create a Lambda function running as it, triggered by an event source mapping"),
    PassRoleMethod("passrole-ec2", "ec2.amazonaws.com", ("ec2:RunInstances",),
                   ("arn:aws:ec2:{region}:{account}:instance/*",),
                   "launch an EC2 instance with its instance profile and read its credentials", True),
    PassRoleMethod("passrole-glue", "glue.amazonaws.com", ("glue:CreateDevEndpoint",),
                   ("arn:aws:glue:{region}:{account}:devEndpoint/secpillar-probe",),
                   "create a Glue development endpoint running as it and log in to it"),
    PassRoleMethod("passrole-cloudformation", "cloudformation.amazonaws.com", ("cloudformation:CreateStack",),
                   ("arn:aws:cloudformation:{region}:{account}:stack/secpillar-probe/*",),
                   "create a CloudFormation stack that acts as it"),
    PassRoleMethod("passrole-datapipeline", "datapipeline.amazonaws.com",
                   ("datapipeline:CreatePipeline", "datapipeline:PutPipelineDefinition"), ("*", "*"),
                   "create a Data Pipeline whose activities run as it"),
)  # fmt: skip

#: become another user: (action, words)
USER_TAKEOVER = (
    ("iam:CreateAccessKey", "create an access key for"),
    ("iam:CreateLoginProfile", "set a console password for"),
    ("iam:UpdateLoginProfile", "change the console password of"),
)


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str  # a principal ARN, or ADMIN
    kind: str  # become, grant, admin
    method: str
    explanation: str

    def to_dict(self) -> dict[str, str]:
        return {"from": self.source, "to": self.target, "kind": self.kind, "method": self.method,
                "explanation": self.explanation}  # fmt: skip


@dataclass(frozen=True, slots=True)
class EscalationPath:
    principal: str
    label: str
    steps: tuple[Edge, ...]

    @property
    def explanation(self) -> str:
        return (
            f"{self.label} can become an administrator: "
            + "; then ".join(s.explanation for s in self.steps)
            + "."
        )

    def to_dict(self) -> dict[str, Any]:
        return {"principal": self.principal, "name": self.label, "steps": [s.to_dict() for s in self.steps],
                "methods": [s.method for s in self.steps], "explanation": self.explanation}  # fmt: skip


@dataclass
class Escalation:
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    paths: dict[str, EscalationPath] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "nodes": [{"id": k, **v} for k, v in self.nodes.items()],
            "edges": [e.to_dict() for e in self.edges],
            "paths": [p.to_dict() for p in self.paths.values()],
            "issues": list(self.issues),
        }


class _Builder:
    def __init__(self, org: OrgIam) -> None:
        self.org = org
        self.region = org.inventory.regions[0] if org.inventory.regions else "us-east-1"
        self.admins: dict[str, bool] = {}
        self.trusts: dict[tuple[str, str], bool] = {}
        self.capped: dict[str, bool] = {}
        self.out = Escalation(issues=list(org.issues))

    def allowed(self, p: Principal, action: str, resource: str, **ctx: Any) -> str | None:
        """Why ``p`` may do it (its allowing policies), or None."""
        if not has_action(p, action.lower()):
            return None
        d = self.org.evaluate(p.arn, action, resource, self.org.context_for(p.arn, ctx))
        return allow_sources(self.org, p.arn, action, resource, d) if d.allowed else None

    def is_admin(self, p: Principal) -> bool:
        got = self.admins.get(p.arn)
        if got is None:
            got = all(self.allowed(p, a, "*") is not None for a in ADMIN_PROBES)
            self.admins[p.arn] = got
        return got

    def admin_group(self, group_arn: str) -> bool:
        g = self.org.groups.get(group_arn)
        if g is None or not g.policies:
            return False
        ps = PolicySet(identity=tuple(r.policy for r in g.policies), scps=self.org.scps_for(g.account))
        probe = f"arn:aws:iam::{g.account}:user/secpillar-probe"
        mgmt = self.org.management_account or None
        return all(evaluate(Request(probe, a, "*", g.account, {}, mgmt), ps).allowed for a in ADMIN_PROBES)

    def could_be_admin(self, t: Principal) -> bool:
        """Whether ``t`` with AdministratorAccess attached would be an administrator: its permissions
        boundary and the SCPs above its account still apply to whatever is granted."""
        got = self.capped.get(t.arn)
        if got is None:
            ps = PolicySet(
                identity=(_ALLOW_ALL,),
                boundaries=(t.boundary.policy,) if t.boundary else (),
                scps=self.org.scps_for(t.account),
            )
            mgmt = self.org.management_account or None
            got = all(
                evaluate(Request(t.arn, a, "*", t.account, self.org.context_for(t.arn), mgmt), ps).allowed
                for a in ADMIN_PROBES
            )
            self.capped[t.arn] = got
        return got

    def trusted_by(self, role: Principal, service: str) -> bool:
        key = (role.arn, service)
        if key not in self.trusts:
            self.trusts[key] = self.org.evaluate(service, "sts:AssumeRole", role.arn, {}).allowed
        return self.trusts[key]

    def add(self, edge: Edge) -> None:
        self.out.edges.append(edge)

    def become_edges(self, p: Principal, same_account: list[Principal]) -> list[Edge]:
        edges = [Edge(s.source, s.target, "become", s.method, s.explanation)
                 for s in assume_graph(self.org).get(p.arn, ())]  # fmt: skip
        for t in same_account:
            if t.arn == p.arn or t.service_linked:
                continue
            if t.kind == "user":
                for action, words in USER_TAKEOVER:
                    if action == "iam:CreateLoginProfile" and t.has_login_profile is True:
                        continue
                    if action == "iam:UpdateLoginProfile" and t.has_login_profile is False:
                        continue
                    why = self.allowed(p, action, t.arn)
                    if why:
                        text = (
                            f"{p.label} can {words} {t.label} ({action}, allowed by {why}) and sign in as it"
                        )
                        edges.append(Edge(p.arn, t.arn, "become", action, text))
                continue
            why = self.allowed(p, "iam:UpdateAssumeRolePolicy", t.arn)
            if why:
                text = (f"{p.label} can rewrite the trust policy of {t.label} (iam:UpdateAssumeRolePolicy, "
                        f"allowed by {why}) to trust itself, then assume it")  # fmt: skip
                edges.append(Edge(p.arn, t.arn, "become", "iam:UpdateAssumeRolePolicy", text))
            edges.extend(self.pass_role_edges(p, t))
        return edges

    def pass_role_edges(self, p: Principal, t: Principal) -> Iterable[Edge]:
        for m in PASS_ROLE_METHODS:
            if not self.trusted_by(t, m.service):
                continue
            if m.needs_instance_profile and not t.instance_profiles:
                continue
            passed = self.allowed(p, "iam:PassRole", t.arn, **{"iam:PassedToService": m.service})
            if not passed:
                continue
            whys = [self.allowed(p, a, r.format(region=self.region, account=p.account))
                    for a, r in zip(m.actions, m.resources, strict=True)]  # fmt: skip
            if all(whys):
                acts = " + ".join(("iam:PassRole", *m.actions))
                text = (f"{p.label} can pass {t.label} (trusted by {m.service}) and {m.text} ({acts}, "
                        f"allowed by {passed})")  # fmt: skip
                yield Edge(p.arn, t.arn, "become", m.id, text)

    def grant_edges(self, p: Principal, targets: Iterable[Principal]) -> list[Edge]:
        """``p`` can give administrator to each target (itself, or a principal it can become)."""
        out: list[Edge] = []
        ctx = {"iam:PolicyARN": ADMIN_POLICY}
        for t in targets:
            if t.account != p.account or t.service_linked or not self.could_be_admin(t):
                continue  # IAM has no resource policies; a boundary or SCP would cap what is granted
            who = "itself" if t.arn == p.arn else t.label
            options: list[tuple[str, str]] = []
            if t.kind == "user":
                options += [("iam:AttachUserPolicy", t.arn), ("iam:PutUserPolicy", t.arn)]
                for garn in t.groups:
                    options += [("iam:AttachGroupPolicy", garn), ("iam:PutGroupPolicy", garn)]
            else:
                options += [("iam:AttachRolePolicy", t.arn), ("iam:PutRolePolicy", t.arn)]
            for ref in t.policies:
                if ref.arn and ":aws:policy/" not in ref.arn:
                    options.append(("iam:CreatePolicyVersion", ref.arn))
                    res = self.org.inventory.get(ref.arn)
                    if res is not None and len(res.configuration.get("policyVersionList") or ()) > 1:
                        options.append(("iam:SetDefaultPolicyVersion", ref.arn))
            for action, resource in dict.fromkeys(options):
                why = self.allowed(p, action, resource, **ctx)
                if why:
                    on = resource.rsplit(":", 1)[-1]
                    text = f"{p.label} can give {who} administrator with {action} on {on} (allowed by {why})"
                    out.append(Edge(p.arn, t.arn, "grant", action, text))
                    break
            if t.kind == "user" and has_action(p, "iam:addusertogroup"):
                for g in self.org.groups.values():
                    if g.account == t.account and g.arn not in t.groups and self.admin_group(g.arn):
                        why = self.allowed(p, "iam:AddUserToGroup", g.arn)
                        if why:
                            text = (f"{p.label} can add {who} to the administrators' group {g.name} "
                                    f"(iam:AddUserToGroup, allowed by {why})")  # fmt: skip
                            out.append(Edge(p.arn, t.arn, "grant", "iam:AddUserToGroup", text))
                            break
        return out


_CACHE: weakref.WeakKeyDictionary[OrgIam, Escalation] = weakref.WeakKeyDictionary()


def escalation(org: OrgIam) -> Escalation:
    """The escalation graph and each non-administrator's shortest path (computed once per OrgIam)."""
    got = _CACHE.get(org)
    if got is not None:
        return got
    b = _Builder(org)
    out = b.out
    people = [p for p in org.principals() if not p.service_linked]
    by_account: dict[str, list[Principal]] = {}
    for p in people:
        by_account.setdefault(p.account, []).append(p)
    become: dict[str, list[Edge]] = {}
    grant: dict[str, list[Edge]] = {}
    for p in people:
        admin = b.is_admin(p)
        out.nodes[p.arn] = {"name": p.label, "kind": p.kind, "account": p.account, "admin": admin}
        if admin:
            b.add(Edge(p.arn, ADMIN, "admin", "administrator", f"{p.label} is an administrator"))
            continue
        become[p.arn] = b.become_edges(p, by_account.get(p.account, []))
        direct = [org.principal(e.target) for e in become[p.arn]]
        grant[p.arn] = b.grant_edges(p, [p, *(t for t in direct if t is not None)])
        for e in (*become[p.arn], *grant[p.arn]):
            b.add(e)
    out.nodes[ADMIN] = {"name": "administrator", "kind": "admin", "account": "", "admin": True}
    for p in people:
        if not out.nodes[p.arn]["admin"]:
            path = _shortest(b, p, become, grant)
            if path:
                out.paths[p.arn] = EscalationPath(p.arn, p.label, path)
    used = {e.source for e in out.edges} | {e.target for e in out.edges}
    out.nodes = {k: v for k, v in out.nodes.items() if k in used}
    _CACHE[org] = out
    return out


def _shortest(
    b: _Builder, start: Principal, become: dict[str, list[Edge]], grant: dict[str, list[Edge]]
) -> tuple[Edge, ...]:
    """Breadth first over become edges; stop at an administrator or a grant edge."""
    chain: dict[str, tuple[Edge, ...]] = {start.arn: ()}
    queue = deque([start.arn])
    while queue:
        node = queue.popleft()
        here = chain[node]
        who = b.org.principal(node)
        if who is not None and node != start.arn and b.is_admin(who):
            return (*here, Edge(node, ADMIN, "admin", "administrator", f"{who.label} is an administrator"))
        for g in grant.get(node, ()):
            if g.target == node:
                return (*here, g)
            hop = next((e for e in become.get(node, ()) if e.target == g.target), None)
            if hop is not None:
                return (*here, g, hop)
        for e in become.get(node, ()):
            if e.target not in chain:
                chain[e.target] = (*here, e)
                queue.append(e.target)
    return ()
