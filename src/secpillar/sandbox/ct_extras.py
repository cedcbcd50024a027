"""Record fields beyond parameters and response: S3's ``additionalEventData`` and the
``resources`` of S3 bucket and KMS key calls (see :mod:`secpillar.sandbox.ct_params`)."""

from __future__ import annotations

from typing import Any

from secpillar.sandbox.ct_route import Operation, Request


def additional_event_data(op: Operation, req: Request) -> dict[str, Any] | None:
    """S3 records carry how the request was signed and how many bytes moved (Amazon S3 User Guide,
    "CloudTrail log file entries for Amazon S3": ``SignatureVersion``, ``CipherSuite``,
    ``AuthenticationMethod``; current records add ``bytesTransferredIn``/``Out`` and ``x-amz-id-2``)."""
    if op.service not in ("s3", "s3control"):
        return None
    presigned = "X-Amz-Credential" in req.query
    out: dict[str, Any] = {
        "SignatureVersion": "SigV4",
        "CipherSuite": "TLS_AES_128_GCM_SHA256",
        "bytesTransferredIn": len(req.body),
        "AuthenticationMethod": "QueryString" if presigned else "AuthHeader",
    }
    amz_id = req.extra.get("response_headers", {}).get("x-amz-id-2")
    if amz_id:
        out["x-amz-id-2"] = amz_id
    out["bytesTransferredOut"] = len(req.response)
    return out


def resources(
    op: Operation, account: str, region: str, params: Any, response: Any
) -> list[dict[str, str]] | None:
    """The ``resources`` of S3 bucket and KMS key calls (``{"accountId", "type", "ARN"}``, as the S3
    and KMS guides' example records show)."""
    if op.service == "s3" and isinstance(params, dict) and isinstance(params.get("bucketName"), str):
        return [
            {"accountId": account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{params['bucketName']}"}
        ]
    if op.service == "kms":
        key = ""
        for source in (response, params):
            if isinstance(source, dict) and isinstance(source.get("keyId"), str):
                key = source["keyId"]
                break
        if key.startswith("arn:"):
            return [{"accountId": account, "type": "AWS::KMS::Key", "ARN": key}]
        if key and not key.startswith("alias/"):
            arn = f"arn:aws:kms:{region}:{account}:key/{key}"
            return [{"accountId": account, "type": "AWS::KMS::Key", "ARN": arn}]
    return None
