"""Clients in another account: assume a role there and hand back a :class:`ClientFactory`."""

from __future__ import annotations

from typing import Any

from secpillar.aws.session import ClientFactory, sibling_session


def assume_role_factory(
    base: ClientFactory, role_arn: str, session_name: str, external_id: str = ""
) -> ClientFactory:
    """A client factory with the credentials of ``role_arn`` (same endpoint and pool settings)."""
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if external_id:
        params["ExternalId"] = external_id
    creds = base.client("sts").assume_role(**params)["Credentials"]
    session = sibling_session(
        base.session,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=base.session.region_name,
    )
    return ClientFactory(session, base.endpoint_url, base.max_pool, base.default_region)
