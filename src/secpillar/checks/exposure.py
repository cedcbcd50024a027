"""Resources shared outside the organization, judged by the IAM engine's exposure analysis: for every
resource-based policy (S3 bucket policies and ACLs, KMS key, SQS queue, SNS topic, Lambda function, ECR
repository and Secrets Manager secret policies), the evaluator decides whether anonymous users, any
AWS account, a named outside account or principal, or a service acting for an outside account can use
it, under the conditions they can meet (:mod:`secpillar.iam.exposure`).

Role trust policies are analysed by ``secpillar iam exposure`` too; as a posture check they are judged
by ``aws.iam.role-trust-outside-organization`` already. The analysis runs once per inventory.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable

from secpillar.checks.iam_analysis import org_iam
from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.iam.exposure import Exposure, exposure
from secpillar.iam.inventory import ORG_POLICY, OU
from secpillar.model import ACCOUNT_TYPE, Inventory, Resource, Severity

#: resource type -> the supplementary key its collector fills with the policy (present = collected)
POLICY_KEYS: dict[str, str] = {
    "AWS::S3::Bucket": "BucketPolicy",
    "AWS::KMS::Key": "KeyPolicy",
    "AWS::SQS::Queue": "QueuePolicy",
    "AWS::SNS::Topic": "TopicPolicy",
    "AWS::Lambda::Function": "FunctionPolicy",
    "AWS::ECR::Repository": "RepositoryPolicy",
    "AWS::SecretsManager::Secret": "SecretPolicy",
}
_CACHE: list[tuple[weakref.ref[Inventory], int, tuple[dict[str, Exposure], set[str]]]] = []


def exposures(inventory: Inventory) -> tuple[dict[str, Exposure], set[str]]:
    """(exposure by ARN, ARNs examined) of ``inventory``, computed once per inventory."""
    for ref, size, got in _CACHE:
        if ref() is inventory and size == len(inventory):
            return got
    rep = exposure(org_iam(inventory))
    got = ({e.target.arn: e for e in rep.exposures}, {t.arn for t in rep.examined})
    _CACHE[:] = [(r, n, g) for r, n, g in _CACHE if r() is not None][-3:]
    _CACHE.append((weakref.ref(inventory), len(inventory), got))
    return got


@register
class ResourceSharedOutsideOrg(Check):
    id = "aws.iam.resource-shared-outside-org"
    title = "Resource policies share nothing with principals outside the organization or anonymous users"
    severity = Severity.HIGH
    resource_types = tuple(POLICY_KEYS)
    reads = (ORG_POLICY, OU, ACCOUNT_TYPE)  # RCPs, their targets, the account's S3 public access block
    wa = ("SEC03-BP07", "SEC03-BP08")
    risk = (
        "A resource policy that lets anonymous users, any AWS account, an account outside the organization "
        "or a service acting for one use a bucket, key, queue, topic, function, repository or secret hands "
        "its data (or its use) to whoever controls that party."
    )
    remediation = (
        "Remove the outside principal, or bind the statement to the organization with aws:PrincipalOrgID "
        "(aws:SourceOrgID / aws:SourceAccount / aws:SourceArn for service principals); guard the whole "
        "organization with an RCP that denies principals outside it. Share with a third party only "
        "through a role it assumes with sts:ExternalId. `secpillar iam exposure --inventory FILE --prove` "
        "shows who gets in, under which conditions, with a proof."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        found, examined = exposures(ctx.inventory)
        name = resource.display_name
        e = found.get(resource.arn)
        if e is not None:
            yield self.failed(e.explanation(), grants=[g.to_dict() for g in e.grants], notes=e.notes)
            return
        if resource.arn in examined:
            yield self.passed(f"No principal outside the organization can use {name} through its policy.")
            return
        key = POLICY_KEYS[resource.resource_type]
        if key in resource.supplementary and not resource.supplementary.get(f"{key}Error"):
            yield self.passed(f"{name} has no resource policy: nothing is shared through one.")
