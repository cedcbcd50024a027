"""secpillar Resources -> AWS Config snapshot files (pure): the reverse of :mod:`.mappers`.

Used to turn a live inventory into the snapshot AWS Config would deliver for it (the functional
test scans both and compares), and to write fixtures. Only what AWS Config records is written:
a configuration keeps the API shape's members (secpillar's derived keys and other calls' answers
are dropped), supplementary configuration is written for S3 buckets only, in AWS Config's own
spelling (ACL and policy as JSON text, ``grantList``, ``FullControl``, ``"AllUsers"``); policy
documents of IAM items are URL-encoded. A key secpillar did not know (its call failed) cannot be
told apart from "not configured" in AWS Config's format: dump inventories without such gaps.

Lambda environment variables: the inventory keeps only each name with a ``looksSecret``
verdict, so the dump writes a stand-in value (a dummy access key id for a secret-looking
variable, an empty value otherwise): never a real value.
"""

from __future__ import annotations

import gzip
import json
import urllib.parse
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from secpillar.model import ACCOUNT_TYPE, GLOBAL, Resource
from secpillar.sources.config_snapshot.mappers import GROUP_URIS, PERMISSIONS, SHAPES
from secpillar.sources.config_snapshot.shapes import only_members, shape

ITEM_VERSION = "1.3"
FILE_VERSION = "1.0"
STAND_IN_SECRET = "AKIAEXAMPLEEXAMPLE00"

_URI_GROUPS = {v: k for k, v in GROUP_URIS.items()}
_PERMISSION_NAMES = {v: k for k, v in PERMISSIONS.items()}


def _quote(doc: Any) -> Any:
    return urllib.parse.quote(json.dumps(doc, separators=(",", ":"))) if isinstance(doc, Mapping) else doc


def _inline(policies: Iterable[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
    return [
        {"policyName": p.get("policyName", ""), "policyDocument": _quote(p.get("policyDocument"))}
        for p in policies or ()
    ]


def _tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in sorted(tags.items())]


def _iam(r: Resource) -> dict[str, Any]:
    cfg = dict(r.configuration)
    for ours, theirs in (
        ("userPolicies", "userPolicyList"),
        ("rolePolicies", "rolePolicyList"),
        ("groupPolicies", "groupPolicyList"),
    ):
        if ours in cfg:
            cfg[theirs] = _inline(cfg.pop(ours))
    if "assumeRolePolicyDocument" in cfg:
        cfg["assumeRolePolicyDocument"] = _quote(cfg["assumeRolePolicyDocument"])
    if r.resource_type == "AWS::IAM::Policy":
        default = cfg.get("defaultVersionId")
        cfg["policyVersionList"] = [
            {**v, "document": _quote(cfg.get("document"))} if v.get("versionId") == default else dict(v)
            for v in cfg.get("policyVersionList") or ()
        ]
    cfg["tags"] = _tags(r.tags)
    return cfg


def _security_group(cfg: dict[str, Any]) -> dict[str, Any]:
    for key in ("ipPermissions", "ipPermissionsEgress"):
        rules = []
        for original in cfg.get(key) or ():
            rule = dict(original)
            ranges = list(rule.get("ipRanges") or ())
            rule["ipv4Ranges"] = ranges
            rule["ipRanges"] = [str(x.get("cidrIp")) for x in ranges if isinstance(x, Mapping)]
            rules.append(rule)
        cfg[key] = rules
    return cfg


def _lambda(r: Resource, cfg: dict[str, Any]) -> dict[str, Any]:
    variables = {
        str(v.get("name")): STAND_IN_SECRET if v.get("looksSecret") else ""
        for v in r.configuration.get("environmentVariables") or ()
    }
    if variables:
        cfg["environment"] = {"variables": variables}
    return cfg


def configuration(r: Resource) -> dict[str, Any]:
    """The ``configuration`` AWS Config records for ``r`` (its API shape's members)."""
    service, name = SHAPES[r.resource_type]
    base = _iam(r) if r.resource_type.startswith("AWS::IAM::") else dict(r.configuration)
    cfg: dict[str, Any] = only_members(base, shape(service, name))
    if r.resource_type == "AWS::EC2::SecurityGroup":
        cfg = _security_group(cfg)
    elif r.resource_type == "AWS::Lambda::Function":
        cfg = _lambda(r, cfg)
    return cfg


def _acl_text(acl: Mapping[str, Any]) -> str:
    grants = []
    for g in acl.get("grants") or ():
        who = g.get("grantee") or {}
        uri = who.get("uri") or who.get("URI")
        grantee: Any
        if uri:
            grantee = _URI_GROUPS.get(str(uri), str(uri))
        elif who.get("emailAddress"):
            grantee = {"identifier": who["emailAddress"], "typeIdentifier": "emailAddress"}
        else:
            grantee = {"id": who.get("id"), "displayName": who.get("displayName")}
        perm = str(g.get("permission") or "")
        grants.append({"grantee": grantee, "permission": _PERMISSION_NAMES.get(perm, perm)})
    owner = acl.get("owner") or {}
    doc = {
        "grantSet": None,
        "grantList": grants,
        "owner": {"displayName": owner.get("displayName"), "id": owner.get("id")},
        "isRequesterCharged": False,
    }
    return json.dumps(doc, separators=(",", ":"))


def _lifecycle(cfg: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not cfg:
        return None
    rules = []
    for rule in cfg.get("rules") or ():
        out: dict[str, Any] = {"id": rule.get("id"), "status": rule.get("status")}
        if (rule.get("expiration") or {}).get("days") is not None:
            out["expirationInDays"] = rule["expiration"]["days"]
        if (rule.get("noncurrentVersionExpiration") or {}).get("noncurrentDays") is not None:
            out["noncurrentVersionExpirationInDays"] = rule["noncurrentVersionExpiration"]["noncurrentDays"]
        if rule.get("transitions"):
            out["transitions"] = [
                {"days": t.get("days"), "storageClass": t.get("storageClass")} for t in rule["transitions"]
            ]
        rules.append(out)
    return {"rules": rules}


def bucket_supplementary(sup: Mapping[str, Any]) -> dict[str, Any]:
    """A bucket's supplementary configuration in AWS Config's spelling."""
    out: dict[str, Any] = {"IsRequesterPaysEnabled": False}
    if isinstance(sup.get("AccessControlList"), Mapping):
        out["AccessControlList"] = _acl_text(sup["AccessControlList"])
    policy = (sup.get("BucketPolicy") or {}).get("policyText")
    out["BucketPolicy"] = {"policyText": json.dumps(policy) if policy else None}
    for key in (
        "PublicAccessBlockConfiguration",
        "ServerSideEncryptionConfiguration",
        "ObjectLockConfiguration",
    ):
        if sup.get(key):
            out[key] = sup[key]
    ver = sup.get("BucketVersioningConfiguration") or {}
    out["BucketVersioningConfiguration"] = {
        "status": ver.get("status") or "Off",
        "isMfaDeleteEnabled": ver.get("isMfaDeleteEnabled"),
    }
    log = sup.get("BucketLoggingConfiguration") or {}
    out["BucketLoggingConfiguration"] = {
        "destinationBucketName": log.get("destinationBucketName"),
        "logFilePrefix": log.get("logFilePrefix"),
    }
    lifecycle = _lifecycle(sup.get("BucketLifecycleConfiguration"))
    if lifecycle:
        out["BucketLifecycleConfiguration"] = lifecycle
    return out


def _item(rtype: str, rid: str, name: str, arn: str, account: str, region: str, when: str) -> dict[str, Any]:
    return {
        "configurationItemVersion": ITEM_VERSION,
        "configurationItemCaptureTime": when,
        "configurationStateId": int(datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp() * 1000),
        "awsAccountId": account,
        "configurationItemStatus": "OK",
        "resourceType": rtype,
        "resourceId": rid,
        "resourceName": name,
        "ARN": arn,
        "awsRegion": region,
        "availabilityZone": "Not Applicable" if region == GLOBAL else "Regional",
        "configurationStateMd5Hash": "",
        "relatedEvents": [],
        "relationships": [],
        "tags": {},
        "configuration": {},
        "supplementaryConfiguration": {},
    }


def to_items(r: Resource, when: str) -> list[dict[str, Any]]:
    """The configuration items AWS Config would record for ``r`` ([] for what it does not)."""
    if r.resource_type == ACCOUNT_TYPE:
        pab = r.supplementary.get("S3AccountPublicAccessBlock")
        if not pab:
            return []
        item = _item(
            "AWS::S3::AccountPublicAccessBlock", r.account_id, r.account_id, "", r.account_id, GLOBAL, when
        )
        item["configuration"] = dict(pab)
        return [item]
    if r.resource_type != "AWS::S3::Bucket" and r.resource_type not in SHAPES:
        return []
    item = _item(r.resource_type, r.resource_id, r.name, r.arn, r.account_id, r.region, when)
    item["tags"] = dict(r.tags)
    item["relationships"] = [x.to_dict() for x in r.relationships]
    if r.resource_type == "AWS::S3::Bucket":
        item["configuration"] = {
            k: r.configuration[k] for k in ("name", "creationDate") if k in r.configuration
        }
        item["supplementaryConfiguration"] = bucket_supplementary(r.supplementary)
    else:
        item["configuration"] = configuration(r)
    return [item]


def snapshot_documents(
    resources: Iterable[Resource], home_region: str = "us-east-1", when: datetime | None = None
) -> dict[str, bytes]:
    """``{S3 key as AWS delivers it: gzip'd JSON}``, one snapshot per account and region; global
    resources (IAM, CloudFront, the account's public access block) go to ``home_region``'s."""
    now = (when or datetime.now(UTC)).astimezone(UTC)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for r in resources:
        for item in to_items(r, stamp):
            region = home_region if item["awsRegion"] == GLOBAL else item["awsRegion"]
            groups[(item["awsAccountId"], region)].append(item)
    out: dict[str, bytes] = {}
    for (account, region), items in sorted(groups.items()):
        sid = str(uuid.uuid4())
        key = (
            f"AWSLogs/{account}/Config/{region}/{now.year}/{now.month}/{now.day}/ConfigSnapshot/"
            f"{account}_Config_{region}_ConfigSnapshot_{now.strftime('%Y%m%dT%H%M%SZ')}_{sid}.json.gz"
        )
        doc = {"fileVersion": FILE_VERSION, "configSnapshotId": sid, "configurationItems": items}
        out[key] = gzip.compress(json.dumps(doc, default=str).encode("utf-8"), mtime=0)
    return out
