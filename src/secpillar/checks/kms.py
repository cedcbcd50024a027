"""Checks for KMS customer managed keys: rotation and public key policies."""

from __future__ import annotations

from collections.abc import Iterable

from secpillar.checks.registry import Check, CheckContext, Result, register
from secpillar.checks.s3 import public_statements
from secpillar.model import Resource, Severity

KEY = "AWS::KMS::Key"
_PENDING = {"PendingDeletion", "PendingReplicaDeletion"}


@register
class KeyRotationEnabled(Check):
    id = "aws.kms.key-rotation-enabled"
    title = "KMS customer managed keys rotate their key material automatically"
    severity = Severity.MEDIUM
    resource_types = (KEY,)
    wa = ("SEC08-BP01",)
    cis = ("3.6",)
    fsbp = ("KMS.4",)
    risk = "Key material that never rotates widens the window in which a leaked or broken key decrypts data."
    remediation = "Enable automatic rotation on the key (aws kms enable-key-rotation --key-id KEY)."

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        cfg = resource.configuration
        if cfg.get("keyManager", "CUSTOMER") != "CUSTOMER":
            return
        if cfg.get("keySpec", cfg.get("customerMasterKeySpec")) != "SYMMETRIC_DEFAULT":
            return
        if cfg.get("keyUsage", "ENCRYPT_DECRYPT") != "ENCRYPT_DECRYPT":
            return
        if cfg.get("origin", "AWS_KMS") != "AWS_KMS" or cfg.get("keyState") != "Enabled":
            return
        if "keyRotationEnabled" not in cfg:
            return
        name = resource.display_name
        if cfg["keyRotationEnabled"]:
            yield self.passed(f"KMS key '{name}' rotates its key material automatically.")
        else:
            yield self.failed(
                f"KMS key '{name}' does not rotate its key material: data stays protected by the same "
                "material for as long as the key exists.",
                keyId=resource.resource_id,
            )


@register
class KeyPolicyNoPublic(Check):
    id = "aws.kms.key-policy-no-public"
    title = "KMS key policies do not grant access to everyone"
    severity = Severity.HIGH
    resource_types = (KEY,)
    wa = ("SEC08-BP01", "SEC03-BP07")
    fsbp = ("KMS.5",)
    risk = (
        "A key policy that allows Principal '*' lets any AWS account use or manage the key and "
        "decrypt what it protects."
    )
    remediation = (
        "Replace Principal '*' with the account's root or specific roles, or add a restricting condition "
        "such as kms:CallerAccount or aws:PrincipalOrgID."
    )

    def evaluate(self, resource: Resource, ctx: CheckContext) -> Iterable[Result]:
        if resource.configuration.get("keyState") in _PENDING:
            return
        kp = resource.supplementary.get("KeyPolicy")
        if kp is None:
            return
        name = resource.display_name
        stmts = public_statements(kp.get("policyText"), action_prefix="kms:")
        if not stmts:
            yield self.passed(f"KMS key '{name}' grants nothing to everyone in its key policy.")
            return
        acts = sorted({a for s in stmts for a in s["actions"]})
        yield self.failed(
            f"KMS key '{name}' allows {', '.join(acts)} to Principal '*' without a restricting condition: "
            "any AWS account can use the key and decrypt the data it protects.",
            statements=stmts,
        )
