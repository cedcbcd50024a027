"""The IAM engine: parse policies, evaluate requests exactly as AWS documents, know every action.

Pure: never calls AWS. The public API::

    from secpillar.iam import PolicySet, Request, evaluate, parse_policy
    ps = PolicySet(identity=(parse_policy(doc, "identity"),))
    evaluate(Request("arn:aws:iam::111122223333:user/ana", "s3:GetObject", "arn:aws:s3:::b/k"), ps)
"""

from secpillar.iam.batch import run_case, run_lines
from secpillar.iam.evaluate import (
    ALLOWED,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    Decision,
    PolicySet,
    Reason,
    Request,
    evaluate,
    evaluate_documents,
)
from secpillar.iam.policy import Policy, Statement, parse_policy, validation_errors

__all__ = [
    "ALLOWED",
    "EXPLICIT_DENY",
    "IMPLICIT_DENY",
    "Decision",
    "Policy",
    "PolicySet",
    "Reason",
    "Request",
    "Statement",
    "evaluate",
    "evaluate_documents",
    "parse_policy",
    "run_case",
    "run_lines",
    "validation_errors",
]
