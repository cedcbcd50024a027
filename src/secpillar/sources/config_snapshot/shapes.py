"""AWS Config's key spellings <-> the boto3 API shapes, guided by botocore's service models (pure).

AWS Config records most resources as the service's describe output, but spelled as the AWS SDK
for Java's beans spell it: ``dBInstanceIdentifier``, ``iAMDatabaseAuthenticationEnabled``,
``ipPermissions``. secpillar's collectors camelize boto3's ``DBInstanceIdentifier`` to
``dbInstanceIdentifier``. Both lower-case to the same string, so :func:`to_api` walks a value
along the botocore shape of the API's answer (``rds`` ``DBInstance``, ``ec2`` ``SecurityGroup`` …)
and gives every member its exact boto3 name, whichever spelling it came in. Map shapes keep their
keys (tags, environment variables, policy documents are never renamed); keys the shape does not
know are kept, first letter upper-cased, without recursing into their values.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any


@functools.cache
def _model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


@functools.cache
def shape(service: str, name: str) -> Any:
    """The botocore shape ``name`` of ``service`` (``("ec2", "SecurityGroup")``)."""
    return _model(service).shape_for(name)


@functools.cache
def _member_index(shape_obj: Any) -> dict[str, str]:
    return {str(name).lower(): str(name) for name in shape_obj.members}


def to_api(value: Any, shape_obj: Any) -> Any:
    """``value`` (AWS Config's or secpillar's camelCase) with the member names of ``shape_obj``."""
    if shape_obj is None:
        return value
    kind = shape_obj.type_name
    if kind == "structure" and isinstance(value, Mapping):
        index = _member_index(shape_obj)
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = index.get(str(key).lower())
            if name is None:
                out[str(key)[:1].upper() + str(key)[1:]] = item
            else:
                out[name] = to_api(item, shape_obj.members[name])
        return out
    if kind == "list" and isinstance(value, list):
        return [to_api(v, shape_obj.member) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: to_api(v, shape_obj.value) for k, v in value.items()}
    return value


def only_members(value: Any, shape_obj: Any) -> Any:
    """``value`` without the keys ``shape_obj`` does not have (recursively): what secpillar's
    collectors add to a configuration beyond the describe output (derived keys, other calls'
    answers) is not what AWS Config records."""
    if shape_obj is None:
        return value
    kind = shape_obj.type_name
    if kind == "structure" and isinstance(value, Mapping):
        index = _member_index(shape_obj)
        return {
            k: only_members(v, shape_obj.members[index[str(k).lower()]])
            for k, v in value.items()
            if str(k).lower() in index
        }
    if kind == "list" and isinstance(value, list):
        return [only_members(v, shape_obj.member) for v in value]
    if kind == "map" and isinstance(value, Mapping):
        return {k: only_members(v, shape_obj.value) for k, v in value.items()}
    return value
