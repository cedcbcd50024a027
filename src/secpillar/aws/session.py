"""Sessions and clients: profile, environment or an explicit endpoint (the sandbox).

``ClientFactory`` hands out boto3 clients with adaptive retries and a connection pool sized for
the scan's thread pool. The same code runs against the sandbox and real AWS; only
``endpoint_url`` differs.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:  # boto3 is imported when a session is made, not when this module is (iac needs none)
    import boto3

DEFAULT_REGION = "us-east-1"
# Services whose client must not get the account id prepended to the host (S3 Control);
# against a loopback endpoint this would make the host unresolvable.
_NO_HOST_PREFIX = {"s3control"}


def strip_account_host(request: Any, **_: Any) -> None:
    """S3 Control's endpoint rules put the account id in front of the host even with
    ``inject_host_prefix=False`` (botocore 1.44); against a loopback endpoint (the sandbox) that
    host does not resolve, so take it off again. Real AWS hosts are left alone."""
    parts = urlsplit(request.url)
    host = parts.hostname or ""
    first, _sep, rest = host.partition(".")
    if not (first.isdigit() and len(first) == 12 and rest):
        return
    if rest != "localhost":
        try:
            ipaddress.ip_address(rest)
        except ValueError:
            return
    request.url = urlunsplit(parts._replace(netloc=parts.netloc.replace(host, rest, 1)))


def prepare_client(client: Any, service: str) -> Any:
    """Hooks every client of the seam gets (the S3 Control loopback fix)."""
    if service == "s3control":
        client.meta.events.register_first(
            "before-sign.s3-control", strip_account_host, unique_id="secpillar-s3control-loopback"
        )
    return client


def base_session(
    profile: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> boto3.Session:
    """A session from a profile, the environment, or (for an endpoint with no credentials
    configured) the sandbox's dummy credentials."""
    import boto3

    session = (
        boto3.Session(profile_name=profile, region_name=region)
        if profile
        else boto3.Session(region_name=region)
    )
    if endpoint_url and session.get_credentials() is None:
        session = boto3.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            region_name=region or DEFAULT_REGION,
        )
    return session


def sibling_session(base: Any, **kwargs: Any) -> boto3.Session:
    """A session with other credentials (``kwargs``, as for ``boto3.Session``) that shares
    ``base``'s botocore data loader: otherwise every session parses each service's model and
    endpoint rules again, about 70 MB per account of an organization scan."""
    import boto3
    import botocore.session

    core = botocore.session.Session()
    base_core = getattr(base, "_session", None)
    if base_core is not None:
        core.register_component("data_loader", base_core.get_component("data_loader"))
    return boto3.Session(botocore_session=core, **kwargs)


@dataclass
class ClientFactory:
    """Creates (and caches per thread) clients for one set of credentials."""

    session: Any
    endpoint_url: str | None = None
    max_pool: int = 16
    default_region: str = DEFAULT_REGION
    _local: threading.local = field(default_factory=threading.local, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def client(self, service: str, region: str | None = None, *, attempts: int | None = None) -> Any:
        """A client of ``service`` in ``region``; ``attempts`` caps the tries of each call (a
        probe of a service that may not be offered answers fast instead of retrying for seconds)."""
        region = region or self.session.region_name or self.default_region
        cache: dict[tuple[str, str, int | None], Any] = getattr(self._local, "cache", None) or {}
        self._local.cache = cache
        key = (service, region, attempts)
        if key not in cache:
            from botocore.config import Config

            cfg = Config(
                retries={"mode": "adaptive", "max_attempts": attempts or 8},
                max_pool_connections=self.max_pool,
                inject_host_prefix=service not in _NO_HOST_PREFIX,
                connect_timeout=10,
                read_timeout=60,
            )
            with self._lock:  # boto3 sessions are not thread-safe; clients are
                cache[key] = prepare_client(
                    self.session.client(
                        service, region_name=region, endpoint_url=self.endpoint_url, config=cfg
                    ),
                    service,
                )
        return cache[key]


@dataclass(frozen=True)
class AwsTarget:
    """One account to scan, with the clients to scan it."""

    account_id: str
    name: str
    clients: ClientFactory
