"""A request's ``requestParameters`` and ``responseElements`` in CloudTrail's shapes.

CloudTrail writes the parameters of an API call as a JSON object whose keys are the API's member
names in lowerCamelCase (``userName``, ``policyArn``, ``groupId``); EC2 writes lists as
``{"items": [...]}`` (``ipPermissions.items[].ipRanges.items[].cidrIp``); S3 writes ``bucketName``,
``Host``, the subresource (``"policy": ""``), request headers such as ``x-amz-acl`` as lists, and
an XML body as a dict of its elements (``PublicAccessBlockConfiguration``); PutBucketPolicy's
policy document appears parsed as ``bucketPolicy``. The input and output shapes come from
botocore's service models, which also mark the sensitive members: those are written as
``HIDDEN_DUE_TO_SECURITY_REASONS`` in parameters and left out of response elements, as are secret
access keys, session tokens, passwords and secret values by name. Read-only calls have
``responseElements`` null.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import Shape, StructureShape
from botocore.parsers import create_parser

from secpillar.sandbox.ct_route import Operation, Request, form_params

HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SECRET_NAMES = re.compile(
    r"(secretaccesskey|sessiontoken|password|secretstring|secretbinary|plaintext|privatekey|"
    r"credentials?$|authtoken|clientsecret)",
    re.IGNORECASE,
)
_READ_PREFIXES = (
    "Get", "List", "Describe", "Head", "Lookup", "Search", "Check", "Query", "Scan", "BatchGet",
    "Select", "Simulate", "Estimate", "Preview", "Validate", "Verify", "Decrypt", "Encrypt",
    "GenerateDataKey", "GenerateRandom", "AssumeRole", "GetCallerIdentity", "Test",
)  # fmt: skip


def lower_camel(name: str) -> str:
    """CloudTrail's key for a member: its name with the first letter lowercased
    (``DBSnapshotIdentifier`` -> ``dBSnapshotIdentifier``, ``CidrIp`` -> ``cidrIp``)."""
    return name[:1].lower() + name[1:]


def read_only(op_name: str) -> bool:
    return op_name.startswith(_READ_PREFIXES)


def _secret(name: str, shape: Shape | None) -> bool:
    return bool(_SECRET_NAMES.search(name)) or bool(shape is not None and shape.metadata.get("sensitive"))


def _scalar(shape: Shape, raw: str) -> Any:
    t = shape.type_name
    try:
        if t in ("integer", "long"):
            return int(raw)
        if t in ("float", "double"):
            return float(raw)
    except ValueError:
        return raw
    if t == "boolean":
        return raw.lower() == "true"
    return raw


def _query_name(member: str, shape: Shape, ec2: bool) -> str:
    if ec2:
        qn = shape.serialization.get("queryName")
        if qn:
            return str(qn)
        ln = shape.serialization.get("name")
        return str(ln[:1].upper() + ln[1:]) if ln else member
    return str(shape.serialization.get("name") or member)


def _from_query(shape: Shape, params: dict[str, str], prefix: str, ec2: bool) -> Any:
    t = shape.type_name
    if t == "structure":
        assert isinstance(shape, StructureShape)
        out: dict[str, Any] = {}
        for member, mshape in shape.members.items():
            name = _query_name(member, mshape, ec2)
            key = f"{prefix}.{name}" if prefix else name
            value = _from_query(mshape, params, key, ec2)
            if value is not None:
                out[lower_camel(member)] = HIDDEN if _secret(member, mshape) else value
        return out or None
    if t == "list":
        elem = shape.member
        flattened = ec2 or shape.serialization.get("flattened")
        base = prefix if flattened else f"{prefix}.{elem.serialization.get('name') or 'member'}"
        items = []
        i = 1
        while True:
            value = _from_query(elem, params, f"{base}.{i}", ec2)
            if value is None:
                break
            items.append(value)
            i += 1
        if not items:
            return None
        return {"items": items} if ec2 else items
    if t == "map":
        result: dict[str, Any] = {}
        i = 1
        while f"{prefix}.entry.{i}.key" in params:
            result[params[f"{prefix}.entry.{i}.key"]] = params.get(f"{prefix}.entry.{i}.value")
            i += 1
        return result or None
    if prefix in params:
        return _scalar(shape, params[prefix])
    return None


def shaped(shape: Shape | None, value: Any, ec2: bool = False, response: bool = False) -> Any:
    """A value parsed by botocore (member names as in the model) -> CloudTrail's casing, with
    sensitive members hidden (parameters) or dropped (responses)."""
    if shape is None:
        return _plain(value)
    t = shape.type_name
    if t == "structure" and isinstance(value, dict):
        assert isinstance(shape, StructureShape)
        out: dict[str, Any] = {}
        for member, mshape in shape.members.items():
            if member not in value:
                continue
            if _secret(member, mshape):
                if not response:
                    out[lower_camel(member)] = HIDDEN
                continue
            name = member
            if ec2 and response:
                name = str(mshape.serialization.get("name") or member)
                name = "_return" if name == "return" else name
            out[lower_camel(name)] = shaped(mshape, value[member], ec2, response)
        return out
    if t == "list" and isinstance(value, list):
        items = [shaped(shape.member, v, ec2, response) for v in value]
        return {"items": items} if ec2 else items
    if t == "map" and isinstance(value, dict):
        return {str(k): shaped(shape.value, v, ec2, response) for k, v in value.items()}
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, bytes):
        return HIDDEN
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


_XSI = "{http://www.w3.org/2001/XMLSchema-instance}"


def _xml_value(elem: ET.Element) -> Any:
    children = list(elem)
    attrs = {k.replace(_XSI, "xsi:"): v for k, v in elem.attrib.items()}
    if attrs:
        attrs = {"xmlns:xsi": _XSI[1:-1], **attrs} if any(k.startswith("xsi:") for k in attrs) else attrs
    if not children and not attrs:
        text = (elem.text or "").strip()
        if text in ("true", "false"):
            return text == "true"
        return text
    out: dict[str, Any] = dict(attrs)
    for child in children:
        tag = child.tag.split("}", 1)[-1]
        value = _xml_value(child)
        if tag in out:
            existing = out[tag]
            out[tag] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            out[tag] = value
    return out


def xml_body(body: bytes) -> dict[str, Any] | None:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    tag = root.tag.split("}", 1)[-1]
    value = _xml_value(root)
    # an empty element (PutBucketLogging's <BucketLoggingStatus/> turning logging off) keeps only its
    # namespace: {"BucketLoggingStatus": {"xmlns": "http://s3.amazonaws.com/doc/2006-03-01/"}}
    inner: dict[str, Any] = value if isinstance(value, dict) else ({"value": value} if value else {})
    if root.tag.startswith("{"):
        inner = {"xmlns": root.tag[1:].split("}", 1)[0], **inner}
    return {tag: inner}


def _s3_params(op: Operation, req: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if "Bucket" in op.labels:
        params["bucketName"] = op.labels["Bucket"]
    params["Host"] = req.headers.get("host", "")
    if op.service == "s3control" and req.headers.get("x-amz-account-id"):
        params["accountId"] = req.headers["x-amz-account-id"]
    uri = str(op.model.http.get("requestUri", ""))
    for part in uri.partition("?")[2].split("&"):
        key, _, value = part.partition("=")
        if key:
            params[key] = value
    for key, value in parse_qsl(req.query, keep_blank_values=True):
        if not key.startswith("X-Amz-") and key not in params:
            params[key] = value
    for header, value in req.headers.items():
        if header.startswith("x-amz-") and header not in (
            "x-amz-date", "x-amz-content-sha256", "x-amz-security-token", "x-amz-user-agent",
            "x-amz-checksum-crc32", "x-amz-sdk-checksum-algorithm", "x-amz-account-id",
        ):  # fmt: skip
            params[header] = [value]
    body = req.body
    if body and op.name == "PutBucketPolicy":
        try:
            params["bucketPolicy"] = json.loads(body)
        except ValueError:
            params["bucketPolicy"] = body.decode("utf-8", "replace")
    elif body and body.lstrip().startswith(b"<"):
        parsed = xml_body(body)
        if parsed:
            params.update(parsed)
    return params


def _json_params(op: Operation, req: Request) -> dict[str, Any] | None:
    shape = op.model.input_shape
    value: dict[str, Any] = {}
    if req.body:
        try:
            loaded = json.loads(req.body)
        except ValueError:
            loaded = None
        if isinstance(loaded, dict):
            value.update(loaded)
    if shape is not None:
        assert isinstance(shape, StructureShape)
        query = dict(parse_qsl(req.query, keep_blank_values=True))
        for member, mshape in shape.members.items():
            loc = mshape.serialization.get("location")
            name = mshape.serialization.get("name") or member
            if loc is None and name != member and name in value and member not in value:
                # REST-JSON bodies name members by their wire name (GuardDuty's "enable" is Enable)
                value[member] = value.pop(name)
            elif loc == "uri" and name in op.labels:
                value[member] = _scalar(mshape, op.labels[name])
            elif loc == "querystring" and name in query:
                value[member] = _scalar(mshape, query[name])
            elif loc == "header" and name.lower() in req.headers:
                value[member] = _scalar(mshape, req.headers[name.lower()])
    result = shaped(shape, value) if value else None
    return result if isinstance(result, dict) and result else None


def _permission_change(perm_key: str, attribute_type: str, groups_key: str) -> Any:
    """ModifySnapshotAttribute / ModifyImageAttribute: CloudTrail writes the change as
    ``{perm_key: {"add"|"remove": {"items": [{"userId"|"group": …}]}}, "attributeType": …}``
    whether the call used the structure or ``OperationType`` + ``UserIds``/groups."""

    def fix(params: dict[str, Any]) -> dict[str, Any]:
        attribute = params.pop("attribute", None)
        operation = str(params.pop("operationType", "add"))
        users = (params.pop("userIds", None) or {}).get("items", [])
        groups = (params.pop(groups_key, None) or {}).get("items", [])
        items = [{"userId": u} for u in users] + [{"group": g} for g in groups]
        if items:
            change = params.setdefault(perm_key, {}).setdefault(operation, {"items": []})
            change.setdefault("items", []).extend(items)
        if perm_key in params or attribute:
            params["attributeType"] = attribute_type
        return params

    return fix


def _nacl_entry(params: dict[str, Any]) -> dict[str, Any]:
    if "protocol" in params:  # CloudTrail names the entry's protocol aclProtocol
        params["aclProtocol"] = params.pop("protocol")
    return params


def _group_description(params: dict[str, Any]) -> dict[str, Any]:
    """CreateSecurityGroup's Description is the API's GroupDescription (``groupDescription``)."""
    if "description" in params:
        params["groupDescription"] = params.pop("description")
    return params


_EC2_SHAPES: dict[str, Any] = {
    "CreateSecurityGroup": _group_description,
    "ModifySnapshotAttribute": _permission_change(
        "createVolumePermission", "CREATE_VOLUME_PERMISSION", "groupNames"
    ),
    "ModifyImageAttribute": _permission_change("launchPermission", "launchPermission", "userGroups"),
    "CreateNetworkAclEntry": _nacl_entry,
    "ReplaceNetworkAclEntry": _nacl_entry,
}


_EC2_WRAPPED = frozenset({"CreateFlowLogs", "DeleteFlowLogs"})
"""EC2 calls CloudTrail records in the ``<Op>Request`` form: the query parameters as sent, a list
element as ``{"content": …, "tag": N}`` (real DeleteFlowLogs records:
``{"DeleteFlowLogsRequest": {"FlowLogId": {"content": "fl-…", "tag": 1}}}``), and the response as
its XML elements under ``<Op>Response``."""


def _wrapped_request(op: Operation, req: Request) -> dict[str, Any]:
    params = form_params(req)
    shape = op.model.input_shape
    members = {
        _query_name(m, ms, True): ms
        for m, ms in (shape.members.items() if isinstance(shape, StructureShape) else ())
    }
    out: dict[str, Any] = {}
    for key in sorted(params, key=lambda k: [int(p) if p.isdigit() else p for p in k.split(".")]):
        head, _, rest = key.partition(".")
        mshape = members.get(head)
        if not rest:
            value = params[key]
            scalar = _scalar(mshape, value) if mshape is not None else value
            out[head] = HIDDEN if _secret(head, mshape) else scalar
        elif rest.isdigit():
            item = {"content": params[key], "tag": int(rest)}
            prior = out.get(head)
            out[head] = item if prior is None else [*(prior if isinstance(prior, list) else [prior]), item]
        else:
            out[key] = params[key]
    return {f"{op.name}Request": out}


def _ec2_describe(params: dict[str, Any], op_name: str) -> dict[str, Any]:
    """EC2 Describe* calls keep the API's XML names: ``filterSet.items[].valueSet.items[].value``,
    and DescribeInstances always lists ``instancesSet`` and ``filterSet`` (real records:
    ``{"instancesSet": {}, "filterSet": {}}`` for a call without parameters)."""
    filters = params.pop("filters", None)
    if filters is not None or op_name == "DescribeInstances":
        items = [
            {
                "name": f.get("name"),
                "valueSet": {"items": [{"value": v} for v in (f.get("values") or {}).get("items", [])]},
            }
            for f in (filters or {}).get("items", [])
        ]
        params["filterSet"] = {"items": items} if items else {}
    if op_name == "DescribeInstances":
        ids = (params.pop("instanceIds", None) or {}).get("items", [])
        params = {"instancesSet": {"items": [{"instanceId": i} for i in ids]} if ids else {}, **params}
    return params


def request_parameters(op: Operation, req: Request) -> dict[str, Any] | None:
    """CloudTrail's ``requestParameters`` of a call (``None`` when it has none)."""
    if op.service in ("s3", "s3control"):
        return _s3_params(op, req)
    protocol = op.protocol
    if protocol == "ec2" and op.name in _EC2_WRAPPED:
        return _wrapped_request(op, req)
    if protocol in ("query", "ec2"):
        shape = op.model.input_shape
        if shape is None:
            return None
        value = _from_query(shape, form_params(req), "", protocol == "ec2")
        if protocol == "ec2" and op.name.startswith("Describe"):
            value = _ec2_describe(value if isinstance(value, dict) else {}, op.name)
        if not isinstance(value, dict) or not value:
            return None
        fix = _EC2_SHAPES.get(op.name) if protocol == "ec2" else None
        return fix(value) if fix else value
    if protocol == "smithy-rpc-v2-cbor" and "cbor" in req.headers.get("content-type", ""):
        return _cbor_params(op, req)
    return _json_params(op, req)  # JSON, or a CBOR-modelled service called over awsJson (CloudWatch)


def _cbor_params(op: Operation, req: Request) -> dict[str, Any] | None:
    """RPC v2 CBOR (CloudWatch): the body is a CBOR map of the input's members."""
    if not req.body:
        return None
    from botocore.parsers import RpcV2CBORParser

    parser = RpcV2CBORParser()
    loaded = parser.parse_data_item(parser.get_peekable_stream_from_bytes(req.body))
    if not isinstance(loaded, dict) or not loaded:
        return None
    result = shaped(op.model.input_shape, loaded)
    return result if isinstance(result, dict) and result else None


def parse_response(op: Operation, req: Request) -> dict[str, Any]:
    """The response as botocore parses it (model member names, typed values)."""
    headers = {k: v for k, v in req.extra.get("response_headers", {}).items()}
    protocol = op.protocol
    if protocol == "smithy-rpc-v2-cbor" and "json" in str(headers.get("content-type", "")):
        protocol = "json"  # the client chose the service's awsJson protocol
    parser = create_parser(protocol)
    response = {"body": req.response, "headers": headers, "status_code": req.status}
    parsed: dict[str, Any] = parser.parse(response, op.model.output_shape)
    return parsed


def error_of(op: Operation | None, req: Request) -> tuple[str, str] | None:
    """(errorCode, errorMessage) of a failed call."""
    if req.status < 400:
        return None
    if op is not None:
        try:
            err = parse_response(op, req).get("Error", {})
        except Exception:  # noqa: BLE001 - an unparsable error body still yields an error code
            err = {}
        if err.get("Code"):
            return str(err["Code"]), str(err.get("Message") or "")
    return f"HTTP{req.status}", req.response[:200].decode("utf-8", "replace")


def _ec2_xml_response(req: Request) -> dict[str, Any] | None:
    """An EC2 response CloudTrail writes from its XML: ``requestId`` and ``return`` (as
    ``_return``) of a call without modeled output (ModifySnapshotAttribute, CreateNetworkAclEntry:
    ``{"requestId": …, "_return": true}``)."""
    parsed = xml_body(req.response)
    if not parsed:
        return None
    body = next(iter(parsed.values()))
    if not isinstance(body, dict):
        return None
    out: dict[str, Any] = {}
    if body.get("requestId"):
        out["requestId"] = body["requestId"]
    # The API reference documents `return` ("true if the request succeeds") for these calls; the
    # emulator leaves it out of some responses, so a successful call records it as AWS does.
    out["_return"] = body.get("return", True)
    return out


def response_elements(op: Operation, req: Request) -> dict[str, Any] | None:
    """CloudTrail's ``responseElements`` of a successful call that changes something."""
    if read_only(op.name) or op.service in ("s3", "s3control"):
        return None
    if op.protocol == "ec2" and op.name in _EC2_WRAPPED:
        return xml_body(req.response)
    if op.protocol == "ec2" and op.model.output_shape is None:
        return _ec2_xml_response(req)
    if op.model.output_shape is None:
        return None
    try:
        parsed = parse_response(op, req)
    except Exception:  # noqa: BLE001 - a response botocore cannot parse is recorded without elements
        return None
    parsed.pop("ResponseMetadata", None)
    value = shaped(op.model.output_shape, parsed, ec2=op.protocol == "ec2", response=True)
    if isinstance(value, dict) and op.protocol == "ec2":
        request_id = req.extra.get("request_id")
        value = {"requestId": request_id, **value} if request_id else value
    return value if isinstance(value, dict) and value else None
