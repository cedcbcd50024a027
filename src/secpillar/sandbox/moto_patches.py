"""Small fidelity fixes to moto, applied only inside the sandbox server process.

Each patch makes moto answer as AWS does where moto drops data the checks need; each is
idempotent and checked by a functional test. Nothing here changes what secpillar's collectors
do against real AWS.

- CloudFront: moto 5.2 forgets an origin's ``S3OriginConfig`` and ``OriginAccessControlId`` (it
  parses them but never returns them), so every distribution would look like one without OAC/OAI.
- EventBridge: moto's default target input (no InputTransformer) leaves out ``account``, which
  EventBridge delivers; the CloudTrail recorder's events go through it to SQS targets (moto's SQS
  target already writes ``time`` as ISO-8601).
- S3 bucket policies: moto evaluates them without request context, so the usual
  ``Deny … {"Bool": {"aws:SecureTransport": "false"}}`` statement denies every object request.
  The sandbox stands in for AWS's HTTPS endpoints: such statements are left out of moto's check
  (reading the organization's CloudTrail bucket then works, as it does over HTTPS).
- IAM enforcement (``/moto-api/reset-auth``): moto recomputes a request's SigV4 signature with
  parsed form/header dict as the payload when the body is empty, so every REST ``GET`` (Lambda,
  GuardDuty, Backup, CloudFront …) failed with ``SignatureDoesNotMatch``; the client signed
  the empty body, so for bodiless GET/HEAD/DELETE the check now hashes that.
- AWS managed policies: every AWS account has them (``arn:aws:iam::aws:policy/AdministratorAccess``);
  moto loads all ~1,600 only with ``MOTO_IAM_LOAD_MANAGED_POLICIES`` (seconds per account).
  ``$SECPILLAR_SANDBOX_AWS_MANAGED_POLICIES=AdministratorAccess,ReadOnlyAccess`` loads just those
  (the game day's sandbox attaches AdministratorAccess as an attacker would).
"""

from __future__ import annotations

from typing import Any

_MARK = "_secpillar_patched"


def patch_cloudfront_origins() -> None:
    from moto.cloudfront import models

    original = models.Origin.__init__
    if getattr(original, _MARK, False):
        return

    def __init__(self: Any, origin: dict[str, Any]) -> None:
        original(self, origin)
        if "S3OriginConfig" in origin:
            oai = origin["S3OriginConfig"].get("OriginAccessIdentity") or ""
            self.s3_origin_config = {"OriginAccessIdentity": oai}
        self.origin_access_control_id = origin.get("OriginAccessControlId") or ""

    setattr(__init__, _MARK, True)
    models.Origin.__init__ = __init__  # type: ignore[method-assign]


def patch_events_default_input() -> None:
    from moto.events import utils

    original = utils.EventTemplateParser.parse
    if getattr(original, _MARK, False):
        return

    def parse(input_template: str, input_paths_map: dict[str, Any], event: Any) -> dict[str, Any]:
        if input_template:
            result: dict[str, Any] = original(input_template, input_paths_map, event)
            return result
        keys = ("version", "id", "detail-type", "source", "account", "time", "region", "resources", "detail")
        out = {k: event.get(k) for k in keys}
        out["version"] = out["version"] or "0"
        return out

    setattr(parse, _MARK, True)
    utils.EventTemplateParser.parse = staticmethod(parse)  # type: ignore[method-assign]


def _insecure_transport_deny(stmt: Any) -> bool:
    if not isinstance(stmt, dict) or stmt.get("Effect") != "Deny":
        return False
    cond = stmt.get("Condition") or {}
    if set(cond) != {"Bool"} or set(cond["Bool"]) != {"aws:SecureTransport"}:
        return False
    value = cond["Bool"]["aws:SecureTransport"]
    values = value if isinstance(value, list) else [value]
    return [str(v).lower() for v in values] == ["false"]


def patch_s3_secure_transport() -> None:
    import json

    from moto.s3 import models

    original = models.FakeBucket.get_permission
    if getattr(original, _MARK, False):
        return

    def get_permission(self: Any, action: str, resource: str) -> Any:
        from moto.iam.access_control import IAMPolicy, PermissionResult

        if self.policy is None:
            return PermissionResult.NEUTRAL
        try:
            doc = json.loads(self.policy)
        except ValueError:
            return original(self, action, resource)
        stmts = doc.get("Statement") if isinstance(doc, dict) else None
        if isinstance(stmts, dict):
            stmts = [stmts]
        if not isinstance(stmts, list):
            return original(self, action, resource)
        kept = [s for s in stmts if not _insecure_transport_deny(s)]
        if not kept:
            return PermissionResult.NEUTRAL
        return IAMPolicy(json.dumps({**doc, "Statement": kept})).is_action_permitted(action, resource)

    setattr(get_permission, _MARK, True)
    models.FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


def patch_iam_auth_empty_body() -> None:
    from botocore.awsrequest import AWSRequest
    from moto.iam import access_control

    original = access_control.IAMRequestBase._create_aws_request
    if getattr(original, _MARK, False):
        return

    def _create_aws_request(self: Any) -> Any:
        if self._body or self._method not in ("GET", "HEAD", "DELETE"):
            return original(self)  # a form POST's body is in the parsed data
        signed = self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"]).split(";")
        headers = self._create_headers_for_aws_request(signed, self._headers)
        request = AWSRequest(method=self._method, url=self._path, data=b"", headers=headers)
        request.context["timestamp"] = headers["X-Amz-Date"]
        return request

    setattr(_create_aws_request, _MARK, True)
    access_control.IAMRequestBase._create_aws_request = _create_aws_request  # type: ignore[method-assign]


MANAGED_POLICIES_ENV = "SECPILLAR_SANDBOX_AWS_MANAGED_POLICIES"


def patch_iam_aws_managed_policies() -> None:
    import json
    import os

    from moto.iam import models

    original = models.IAMBackend._init_aws_policies
    if getattr(original, _MARK, False):
        return

    def _init_aws_policies(self: Any) -> list[Any]:
        names = [n.strip() for n in os.environ.get(MANAGED_POLICIES_ENV, "").split(",") if n.strip()]
        loaded: list[Any] = original(self)
        if loaded or not names:
            return loaded
        from moto.iam.aws_managed_policies import aws_managed_policies_data

        data = json.loads(aws_managed_policies_data)
        return [
            models.AWSManagedPolicy.from_data(n, self.account_id, self.region_name, data[n])
            for n in names
            if n in data
        ]

    setattr(_init_aws_policies, _MARK, True)
    models.IAMBackend._init_aws_policies = _init_aws_policies  # type: ignore[method-assign]


def apply_all() -> None:
    patch_cloudfront_origins()
    patch_events_default_input()
    patch_s3_secure_transport()
    patch_iam_auth_empty_body()
    patch_iam_aws_managed_policies()
