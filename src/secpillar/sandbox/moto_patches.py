"""Small fidelity fixes to moto, applied only inside the sandbox server process.

Each patch makes moto answer as AWS does where moto drops data the checks need; each is
idempotent and checked by a functional test. Nothing here changes what secpillar's collectors
do against real AWS.

- CloudFront: moto 5.2 forgets an origin's ``S3OriginConfig`` and ``OriginAccessControlId`` (it
  parses them but never returns them), so every distribution would look like one without OAC/OAI.
- EventBridge: moto's default target input (no InputTransformer) leaves out ``account``, which
  EventBridge delivers; the CloudTrail recorder's events go through it to SQS targets (moto's SQS
  target already writes ``time`` as ISO-8601).
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


def apply_all() -> None:
    patch_cloudfront_origins()
    patch_events_default_input()
