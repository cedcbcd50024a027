"""Switch moto's IAM enforcement on a running sandbox server (tests only)."""

from __future__ import annotations

import urllib.request


def set_auth(url: str, count: str) -> None:
    """POST ``count`` to moto's ``/moto-api/reset-auth``: after that many unauthenticated calls
    the server enforces IAM identity policies ("0": from the next call on)."""
    req = urllib.request.Request(
        f"{url}/moto-api/reset-auth",
        data=count.encode(),
        method="POST",
        headers={"Content-Type": "text/plain"},
    )
    with urllib.request.urlopen(req, timeout=10):
        pass
