"""`iam.exposure`: who outside the organization reaches which resource, decided by the evaluator.

Each case cites the AWS rule it exercises: IAM User Guide "Cross-account policy evaluation logic"
(a resource policy naming an outside account, or "*", lets it in when its own identity policies allow),
"AWS global condition context keys" (aws:PrincipalOrgID, aws:SourceIp, aws:SourceAccount/SourceArn for
service principals, the confused deputy), Amazon S3 "Blocking public access" (RestrictPublicBuckets,
IgnorePublicAcls) and "Access control list (ACL) overview" (AllUsers, AuthenticatedUsers), AWS
Organizations "Resource control policies". Each exposure found is checked against the solver, which
must refute "no outside principal can ACTION" for it.
"""

from __future__ import annotations

from typing import Any

import pytest
from tests.unit.iam.orgfix import DEV, MGMT, ORG_ID, PROD, ROOT_ID, bucket, doc, org_inventory, role, trust

from secpillar.iam.exposure import exposure
from secpillar.iam.inventory import OrgIam
from secpillar.iam.smt import PROVED, REFUTED, UNKNOWN, boundary_of, prove_target
from secpillar.model import Resource

OUTSIDE = "999988887777"


def stmt(
    principal: Any, action: Any, resource: Any = "*", effect: str = "Allow", **extra: Any
) -> dict[str, Any]:
    p = principal if principal == "*" or isinstance(principal, dict) else {"AWS": principal}
    return {"Effect": effect, "Principal": p, "Action": action, "Resource": resource, **extra}


def res(rtype: str, arn: str, key: str, policy: dict[str, Any], account: str = DEV) -> Resource:
    return Resource(rtype, arn.rsplit(":", 1)[-1], arn, account, "us-east-1", arn.rsplit(":", 1)[-1], {},
                    {key: {"policyText": policy}})  # fmt: skip


QUEUE = f"arn:aws:sqs:us-east-1:{DEV}:intake"
TOPIC = f"arn:aws:sns:us-east-1:{DEV}:alerts"
KEY = f"arn:aws:kms:us-east-1:{DEV}:key/k1"
FUNC = f"arn:aws:lambda:us-east-1:{DEV}:function:hook"
SECRET = f"arn:aws:secretsmanager:us-east-1:{DEV}:secret:db-AbCdEf"
B = "arn:aws:s3:::data"
CF = f"arn:aws:cloudfront::{DEV}:*"
GH = f"arn:aws:iam::{PROD}:oidc-provider/token.actions.githubusercontent.com"
PAB = "PublicAccessBlockConfiguration"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


def queue(policy: dict[str, Any]) -> Resource:
    return res("AWS::SQS::Queue", QUEUE, "QueuePolicy", policy)


# (case, resources, {arn: {who, ...}} expected exposures, rule cited)
CASES: list[tuple[str, list[Resource], dict[str, set[str]]]] = [
    ("bucket grants an outside account GetObject (cross-account resource policy)",
     [bucket(DEV, "data", doc(stmt(OUTSIDE, "s3:GetObject", f"{B}/*")))], {B: {"account"}}),
    ("bucket grants an account of the organization: not outside",
     [bucket(DEV, "data", doc(stmt(PROD, "s3:GetObject", f"{B}/*")))], {}),
    ("bucket public read: anonymous and every account (Principal *)",
     [bucket(DEV, "data", doc(stmt("*", "s3:GetObject", f"{B}/*")))], {B: {"anonymous"}}),
    ("bucket public read limited to the organization by aws:PrincipalOrgID",
     [bucket(DEV, "data", doc(stmt("*", "s3:GetObject", f"{B}/*",
                                    Condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})))], {}),
    ("bucket public read limited by aws:PrincipalOrgPaths under the organization",
     [bucket(DEV, "data", doc(stmt("*", "s3:GetObject", f"{B}/*", Condition={
         "ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG_ID}/*"}})))], {}),
    ("StringNotEquals aws:PrincipalOrgID in an Allow lets every outsider in",
     [bucket(DEV, "data", doc(stmt("*", "s3:GetObject", f"{B}/*",
                                    Condition={"StringNotEquals": {"aws:PrincipalOrgID": ORG_ID}})))],
     {B: {"anonymous"}}),
    ("explicit Deny for everyone outside the organization wins over a public Allow",
     [bucket(DEV, "data", doc(stmt("*", "s3:GetObject", f"{B}/*"),
                              stmt("*", "s3:*", "*", "Deny", Condition={
                                  "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                                  "Bool": {"aws:PrincipalIsAWSService": "false"}})))], {B: {"anonymous"}}),
    ("Deny unless from the organization's VPC endpoint: outsiders cannot use it",
     [bucket(DEV, "data", doc(stmt("*", "s3:GetObject", f"{B}/*"),
                              stmt("*", "s3:*", "*", "Deny", Condition={
                                  "StringNotEquals": {"aws:SourceVpce": "vpce-0org"}})))], {}),
    ("public read from one IP range is still an exposure (the caller picks its address)",
     [bucket(DEV, "data", doc(stmt("*", "s3:GetObject", f"{B}/*",
                                    Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})))],
     {B: {"anonymous"}}),
    ("service principal without aws:SourceAccount: any account's use of the service (confused deputy)",
     [bucket(DEV, "data", doc(stmt({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject", f"{B}/*")))],
     {B: {"service"}}),
    ("service principal bound to an organization account by aws:SourceAccount",
     [bucket(DEV, "data", doc(stmt({"Service": "cloudtrail.amazonaws.com"}, "s3:PutObject", f"{B}/*",
                                    Condition={"StringEquals": {"aws:SourceAccount": DEV}})))], {}),
    ("service principal bound by aws:SourceArn to an organization resource",
     [bucket(DEV, "data", doc(stmt({"Service": "cloudfront.amazonaws.com"}, "s3:GetObject", f"{B}/*",
                                    Condition={"ArnLike": {"aws:SourceArn": CF}})))],
     {}),
    ("KMS key policy lets an outside account decrypt",
     [res("AWS::KMS::Key", KEY, "KeyPolicy", doc(stmt(f"arn:aws:iam::{DEV}:root", "kms:*"),
                                                 stmt(f"arn:aws:iam::{OUTSIDE}:root", "kms:Decrypt")))],
     {KEY: {"account"}}),
    ("KMS key policy naming only its own account",
     [res("AWS::KMS::Key", KEY, "KeyPolicy", doc(stmt(f"arn:aws:iam::{DEV}:root", "kms:*")))], {}),
    ("SQS queue open to * without condition: anonymous SendMessage (SQS serves unsigned requests)",
     [queue(doc(stmt("*", "sqs:SendMessage")))], {QUEUE: {"anonymous"}}),
    ("SQS queue open to * only within the organization (aws:PrincipalOrgID)",
     [queue(doc(stmt("*", "sqs:SendMessage", Condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})))],
     {}),
    ("SNS topic open to *: any AWS account (SNS needs signed requests, no anonymous)",
     [res("AWS::SNS::Topic", TOPIC, "TopicPolicy", doc(stmt("*", "sns:Subscribe")))],
     {TOPIC: {"any-account"}}),
    ("Lambda permission for an outside role",
     [res("AWS::Lambda::Function", FUNC, "FunctionPolicy",
          doc(stmt(f"arn:aws:iam::{OUTSIDE}:role/caller", "lambda:InvokeFunction", FUNC)))],
     {FUNC: {"principal"}}),
    ("Secrets Manager secret shared with an outside account",
     [res("AWS::SecretsManager::Secret", SECRET, "SecretPolicy",
          doc(stmt(OUTSIDE, "secretsmanager:GetSecretValue")))], {SECRET: {"account"}}),
    ("role trusting an outside account with sts:ExternalId: still reachable by that account",
     [role(PROD, "vendor", trust(OUTSIDE, Condition={"StringEquals": {"sts:ExternalId": "x-1"}}))],
     {f"arn:aws:iam::{PROD}:role/vendor": {"account"}}),
    ("role trusting a service: services assume roles only when passed in the account (no exposure)",
     [role(PROD, "app", trust({"Service": "ec2.amazonaws.com"}))], {}),
    ("web identity trust without an audience condition: any Google user",
     [role(PROD, "web", trust({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity"))],
     {f"arn:aws:iam::{PROD}:role/web": {"federated"}}),
    ("web identity trust bound to the organization's app (accounts.google.com:aud)",
     [role(PROD, "web", trust({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity",
                              Condition={"StringEquals": {"accounts.google.com:aud": "our-app"}}))], {}),
    ("GitHub OIDC trust checking only the audience: every GitHub repository can assume it",
     [role(PROD, "ci", trust({"Federated": GH}, "sts:AssumeRoleWithWebIdentity", Condition={
         "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}))],
     {f"arn:aws:iam::{PROD}:role/ci": {"federated"}}),
    ("GitHub OIDC trust bound to the organization's repositories (sub)",
     [role(PROD, "ci", trust({"Federated": GH}, "sts:AssumeRoleWithWebIdentity", Condition={
         "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
         "StringLike": {"token.actions.githubusercontent.com:sub": "repo:our-org/*"}}))], {}),
    ("role trusting the management account: inside the organization",
     [role(PROD, "admin", trust(f"arn:aws:iam::{MGMT}:root"))], {}),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_exposure_cases(case: tuple[str, list[Resource], dict[str, set[str]]]) -> None:
    _, resources, expected = case
    org = OrgIam(org_inventory(*resources))
    rep = exposure(org)
    got = {e.target.arn: {g.who for g in e.grants} for e in rep.exposures}
    assert got == expected
    b = boundary_of(org)
    for e in rep.exposures:  # the solver agrees with every exposure the evaluator found
        for g in e.grants:
            if g.who == "federated":  # web identity is outside the solver's fragment
                assert prove_target(org, e.target, g.actions[0], boundary=b).verdict == UNKNOWN
                continue
            v = prove_target(org, e.target, g.actions[0], boundary=b)
            assert v.verdict == REFUTED, (g.actions[0], v.reason)
    exposed = {e.target.arn for e in rep.exposures}
    for t in rep.examined:  # ... and proves the clean ones for their headline action
        if t.arn not in exposed:
            assert prove_target(org, t, boundary=b).verdict == PROVED, t.arn


def test_conditions_and_levels_are_said_in_plain_words() -> None:
    pol = doc(stmt("*", ["s3:GetObject", "s3:ListBucket"], [B, f"{B}/*"],
                   Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}))  # fmt: skip
    rep = exposure(OrgIam(org_inventory(bucket(DEV, "data", pol))))
    (e,) = rep.exposures
    (g,) = e.grants
    assert g.levels == {"List": ("s3:ListBucket",), "Read": ("s3:GetObject",)}
    assert g.conditions == ("aws:SourceIp is in 203.0.113.0/24",)
    assert g.example["context"]["aws:SourceIp"] == "203.0.113.1"
    assert "anyone, anonymous users included can List: s3:ListBucket; Read: s3:GetObject" in e.explanation()
    assert "only when aws:SourceIp is in 203.0.113.0/24" in e.explanation()
    assert e.public and e.to_dict()["grants"][0]["who"] == "anonymous"


def test_restrict_public_buckets_leaves_only_services() -> None:
    """RestrictPublicBuckets: a public policy then admits only AWS service principals (and the owner's
    account); the outside account named next to "*" loses its access too."""
    b = bucket(DEV, "data", doc(stmt("*", "s3:GetObject", f"{B}/*"), stmt(OUTSIDE, "s3:PutObject", f"{B}/*")))
    b = Resource(b.resource_type, b.resource_id, b.arn, b.account_id, b.region, b.name, {},
                 {**b.supplementary, PAB: {"restrictPublicBuckets": True}})  # fmt: skip
    org = OrgIam(org_inventory(b))
    (e,) = exposure(org).exposures
    assert [(g.who, g.label, g.actions) for g in e.grants] == [
        ("service", "any AWS service acting for any account", ("s3:GetObject",))
    ]
    assert "RestrictPublicBuckets" in e.notes[0]
    v = prove_target(org, e.target, "s3:PutObject", only_services=True)
    assert v.verdict == PROVED
    v = prove_target(org, e.target, "s3:GetObject", only_services=True)
    assert v.verdict == REFUTED and v.counterexample and v.counterexample["kind"] == "service"


def test_acl_grants_to_all_users_unless_ignored() -> None:
    acl = {"owner": {"id": "own"}, "grants": [
        {"grantee": {"type": "Group", "uri": ALL_USERS}, "permission": "READ"},
        {"grantee": {"type": "CanonicalUser", "id": "own"}, "permission": "FULL_CONTROL"}]}  # fmt: skip
    b = Resource("AWS::S3::Bucket", "logs", "arn:aws:s3:::logs", DEV, "us-east-1", "logs", {},
                 {"AccessControlList": acl})  # fmt: skip
    (e,) = exposure(OrgIam(org_inventory(b))).exposures
    (g,) = e.grants
    assert (g.who, g.via, g.actions) == ("anonymous", "ACL", ("s3:ListBucket", "s3:ListBucketVersions"))
    ignored = Resource(b.resource_type, b.resource_id, b.arn, DEV, "us-east-1", "logs", {},
                       {"AccessControlList": acl, PAB: {"ignorePublicAcls": True}})  # fmt: skip
    assert exposure(OrgIam(org_inventory(ignored))).exposures == []


def rcp(name: str, document: dict[str, Any], *targets: str) -> Resource:
    arn = f"arn:aws:organizations::{MGMT}:policy/{ORG_ID}/resource_control_policy/p-{name.lower()}"
    cfg = {
        "type": "RESOURCE_CONTROL_POLICY",
        "content": document,
        "targets": [{"targetId": t} for t in targets],
    }
    return Resource("AWS::Organizations::Policy", f"p-{name.lower()}", arn, MGMT, "global", name, cfg)


def test_an_rcp_keeps_outsiders_out_of_a_public_bucket() -> None:
    public = bucket(DEV, "data", doc(stmt("*", "s3:GetObject", f"{B}/*")))
    guard = rcp("OrgOnly", doc(stmt("*", "*", "*"), stmt("*", "s3:*", "*", "Deny", Condition={
        "StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
        "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}})), ROOT_ID)  # fmt: skip
    org = OrgIam(org_inventory(public, guard))
    assert exposure(org).exposures == []
    t = next(t for t in exposure(org).examined if t.arn == B)
    assert prove_target(org, t).verdict == PROVED
    # SQS sits outside... no: SNS is not an RCP service, so the same RCP does not protect a topic
    topic = res("AWS::SNS::Topic", TOPIC, "TopicPolicy", doc(stmt("*", "sns:Publish")))
    org2 = OrgIam(org_inventory(topic, guard))
    assert [e.target.arn for e in exposure(org2).exposures] == [TOPIC]


def test_every_finding_carries_an_example_the_evaluator_allows() -> None:
    from secpillar.iam.evaluate import PolicySet, Request, evaluate
    from secpillar.iam.exposure import ALLOW_ALL

    org = OrgIam(org_inventory(*[r for _, rs, _ in CASES for r in rs if r.resource_type != "AWS::IAM::Role"]))
    for e in exposure(org).exposures:
        for g in e.grants:
            ex = g.example
            ps = PolicySet(identity=(ALLOW_ALL,), resource=(e.target.policy,))
            req = Request(
                ex["principal"], ex["action"], ex["resource"], e.target.account, ex["context"], MGMT
            )
            assert evaluate(req, ps).allowed
