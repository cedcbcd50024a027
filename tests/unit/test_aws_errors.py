from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from secpillar.aws.errors import classify, short_message
from secpillar.model import GapKind


def client_error(code: str, status: int = 400, message: str = "msg") -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "Op"
    )


@pytest.mark.parametrize(
    ("code", "status", "kind"),
    [
        ("AccessDenied", 403, GapKind.DENIED),
        ("AccessDeniedException", 400, GapKind.DENIED),
        ("UnauthorizedOperation", 403, GapKind.DENIED),
        ("Throttling", 400, GapKind.THROTTLED),
        ("TooManyRequestsException", 429, GapKind.THROTTLED),
        ("InvalidAccessException", 400, GapKind.NOT_ENABLED),
        ("OptInRequired", 403, GapKind.NOT_ENABLED),
        ("NoSuchEntity", 404, GapKind.UNSUPPORTED),
        ("NoSuchEntity", 400, GapKind.NOT_FOUND),
        ("ResourceNotFoundException", 400, GapKind.NOT_FOUND),
        ("InternalFailure", 500, GapKind.UNSUPPORTED),
        ("ValidationError", 400, GapKind.ERROR),
    ],
)
def test_client_errors_are_classified(code: str, status: int, kind: GapKind) -> None:
    assert classify(client_error(code, status)) is kind


def test_other_errors() -> None:
    assert classify(NotImplementedError()) is GapKind.UNSUPPORTED
    assert classify(EndpointConnectionError(endpoint_url="http://x")) is GapKind.ERROR


def test_short_message_is_one_line_and_bounded() -> None:
    msg = short_message(client_error("X", message="a\n  b " + "c" * 500))
    assert "\n" not in msg and len(msg) <= 300 and msg.startswith("a b")
