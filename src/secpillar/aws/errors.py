"""Classify botocore errors into gap kinds (denied, not found, throttled, not enabled …)."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from secpillar.model import GapKind

_DENIED = {
    "AccessDenied",
    "AccessDeniedException",
    "UnauthorizedOperation",
    "UnauthorizedException",
    "AuthorizationError",
    "Forbidden",
    "403",
    "InvalidClientTokenId",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "UnrecognizedClientException",
    "AccountNotFoundException",
    "AWSOrganizationsNotInUseException",
}
_THROTTLED = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestLimitExceeded",
    "TooManyRequestsException",
    "SlowDown",
    "RequestThrottled",
    "RequestThrottledException",
    "ProvisionedThroughputExceededException",
}
_NOT_ENABLED = {
    "OptInRequired",
    "SubscriptionRequiredException",
    "InvalidAccessException",
    "AuthFailure",
    "NotSignedUp",
    "BadRequestException",
    "NoSuchConfigurationRecorderException",
}
_UNSUPPORTED = {
    "NotImplemented",
    "NotImplementedError",
    "InternalFailure",
    "InternalError",
    "500",
    "501",
    "404",
}


def error_code(exc: BaseException) -> str:
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code") or "")
        if not code:
            code = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        return code
    return type(exc).__name__


def classify(exc: BaseException) -> GapKind:
    """The gap kind of an error raised by a boto3 call."""
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in _DENIED or code.endswith("AccessDenied"):
            return GapKind.DENIED
        if code in _THROTTLED:
            return GapKind.THROTTLED
        if code in _NOT_ENABLED:
            return GapKind.NOT_ENABLED
        if code in _UNSUPPORTED or status in (404, 500, 501):
            return GapKind.UNSUPPORTED
        if code.startswith("NoSuch") or code.endswith("NotFound") or code.endswith("NotFoundException"):
            return GapKind.NOT_FOUND
        return GapKind.ERROR
    if isinstance(exc, NotImplementedError):
        return GapKind.UNSUPPORTED
    if isinstance(exc, EndpointConnectionError | BotoCoreError):
        return GapKind.ERROR
    return GapKind.ERROR


def short_message(exc: BaseException, limit: int = 300) -> str:
    """The error's message without response bodies, shortened; never contains credentials."""
    if isinstance(exc, ClientError):
        msg = str(exc.response.get("Error", {}).get("Message") or exc)
    else:
        msg = str(exc)
    msg = " ".join(msg.split())
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"
