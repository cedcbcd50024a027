"""The cleanup guard and presence probe the techniques share: an AWS error naming one of the given
"does not exist" codes ends the block quietly; any other error goes on up."""

from __future__ import annotations

from typing import NoReturn

import pytest
from botocore.exceptions import ClientError

from secpillar.gameday.resources import ABSENT, PRESENT, presence
from secpillar.gameday.technique import unless_gone


def _fail(code: str) -> NoReturn:
    raise ClientError({"Error": {"Code": code, "Message": code}}, "Op")


def test_a_listed_code_ends_the_block_quietly() -> None:
    ran = []
    with unless_gone("NoSuchEntity", "NotFound"):
        ran.append(1)
        _fail("NotFound")
        ran.append(2)
    assert ran == [1]


def test_other_errors_go_on_up() -> None:
    with pytest.raises(ClientError), unless_gone("NoSuchEntity"):
        _fail("AccessDenied")
    with pytest.raises(KeyError), unless_gone("NoSuchEntity"):
        raise KeyError("x")


def test_presence() -> None:
    assert presence(lambda: None, "NoSuchEntity") == PRESENT
    assert presence(lambda: _fail("NoSuchEntity"), "NoSuchEntity") == ABSENT
    with pytest.raises(ClientError):
        presence(lambda: _fail("Throttling"), "NoSuchEntity")
