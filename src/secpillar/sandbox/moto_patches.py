"""Small fidelity fixes to moto, applied only inside the sandbox server process.

Each patch makes moto answer as AWS does where moto drops data the checks need; each is
idempotent and checked by a functional test. Nothing here changes what secpillar's collectors
do against real AWS.

- CloudFront: moto 5.2 forgets an origin's ``S3OriginConfig`` and ``OriginAccessControlId`` (it
  parses them but never returns them), so every distribution would look like one without OAC/OAI.
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


def apply_all() -> None:
    patch_cloudfront_origins()
