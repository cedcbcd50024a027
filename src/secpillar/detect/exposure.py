"""Detections of resources opened to the world or to outside accounts: S3 buckets, security groups,
network ACLs, EBS snapshots, AMIs and RDS snapshots.

Shapes (CloudTrail ``requestParameters``, as the EC2/S3/RDS APIs record them):
``AuthorizeSecurityGroupIngress``: ``ipPermissions.items[].ipRanges.items[].cidrIp`` and
``ipv6Ranges.items[].cidrIpv6``; ``ModifySnapshotAttribute``:
``createVolumePermission.add.items[].group|userId``; ``ModifyImageAttribute``:
``launchPermission.add.items[].group|userId``; ``ModifyDBSnapshotAttribute``: ``attributeName``
``restore`` and ``valuesToAdd`` (``all`` or account ids); ``PutBucketPolicy``: ``bucketPolicy`` as
a JSON object; ``PutBucketAcl``: ``AccessControlPolicy.AccessControlList.Grant`` or the canned
``x-amz-acl`` header.
"""

from __future__ import annotations

from secpillar.detect.identity import ORG_ACCOUNTS
from secpillar.detect.registry import Detection, register
from secpillar.detect.sql import ACCOUNT, PRINCIPAL, SUCCEEDED, TS, event_sql, rp
from secpillar.model import Severity

STATEMENTS = (
    "CASE WHEN json_type(requestparameters, '$.bucketPolicy.Statement') = 'ARRAY' "
    "THEN json_extract(requestparameters, '$.bucketPolicy.Statement[*]') "
    "ELSE [json_extract(requestparameters, '$.bucketPolicy.Statement')] END"
)
PUBLIC_STATEMENT = (
    "lambda s: json_extract_string(s, '$.Effect') = 'Allow' AND json_extract(s, '$.Condition') IS NULL "
    "AND regexp_matches(CAST(json_extract(s, '$.Principal') AS VARCHAR), "
    '\'^"\\*"$|"AWS"\\s*:\\s*(\\[[^\\]]*)?"\\*"\')'
)


@register
class S3BucketPolicyPublic(Detection):
    id = "ct.s3-bucket-policy-public"
    title = "S3 bucket policy grants access to everyone"
    severity = Severity.HIGH
    guardduty = "Policy:S3/BucketAnonymousAccessGranted"
    attack = ("T1530",)
    tactic = "Collection"
    wa = ("SEC03-BP07", "SEC08-BP04")
    parity = False
    description = (
        "s3:PutBucketPolicy whose policy has an Allow statement for Principal '*' (or AWS '*') without "
        "a Condition. A Deny for '*' (enforce TLS) or a conditioned grant does not fire."
    )
    sql = event_sql(
        f"eventsource = 's3.amazonaws.com' AND eventname = 'PutBucketPolicy' AND {SUCCEEDED} "
        f"AND len(list_filter({STATEMENTS}, {PUBLIC_STATEMENT})) > 0",
        resource=rp("bucketName"),
        detail="'bucket policy allows Principal * on ' || " + rp("bucketName"),
    )


@register
class S3BucketPolicyOutsideAccount(Detection):
    id = "ct.s3-bucket-policy-outside-account"
    title = "S3 bucket policy grants access to an outside account"
    severity = Severity.HIGH
    attack = ("T1537",)
    tactic = "Exfiltration"
    wa = ("SEC03-BP07", "SEC03-BP09")
    params = (ORG_ACCOUNTS,)
    parity = False
    description = (
        "s3:PutBucketPolicy whose Allow statements name an AWS account outside the organization as "
        "principal: a backdoor that lets another account read or write the bucket."
    )
    sql = f"""
WITH st AS (
  SELECT *, UNNEST({STATEMENTS}) AS s
  FROM cloudtrail
  WHERE eventsource = 's3.amazonaws.com' AND eventname = 'PutBucketPolicy' AND {SUCCEEDED}
),
targets AS (
  SELECT *, UNNEST(regexp_extract_all(CAST(json_extract(s, '$.Principal') AS VARCHAR),
                                      '(?:iam::|")([0-9]{{12}})[:"]', 1)) AS target
  FROM st
  WHERE json_extract_string(s, '$.Effect') = 'Allow'
)
SELECT
  [eventid] AS event_ids,
  MIN({PRINCIPAL}) AS principal,
  MIN(sourceipaddress) AS source_ip,
  MIN({ACCOUNT}) AS account,
  MIN(awsregion) AS region,
  MIN({TS}) AS first_seen,
  MIN({TS}) AS last_seen,
  CAST(1 AS BIGINT) AS event_count,
  MIN({rp("bucketName")}) AS resource,
  'bucket policy grants ' || string_agg(DISTINCT target, ', ') AS detail
FROM targets
WHERE target NOT IN ${{org_accounts}}
GROUP BY eventid
"""


@register
class S3BucketAclPublic(Detection):
    id = "ct.s3-bucket-acl-public"
    title = "S3 bucket ACL grants access to all users"
    severity = Severity.HIGH
    guardduty = "Policy:S3/BucketAnonymousAccessGranted"
    attack = ("T1530",)
    tactic = "Collection"
    wa = ("SEC03-BP07", "SEC08-BP04")
    description = (
        "s3:PutBucketAcl granting the AllUsers or AuthenticatedUsers group, or setting the canned ACL "
        "public-read, public-read-write or authenticated-read."
    )
    sql = event_sql(
        f"eventsource = 's3.amazonaws.com' AND eventname = 'PutBucketAcl' AND {SUCCEEDED} "
        "AND regexp_matches(requestparameters, "
        "'acs\\.amazonaws\\.com/groups/global/(AllUsers|AuthenticatedUsers)"
        '|"(public-read|public-read-write|authenticated-read)"\')',
        resource=rp("bucketName"),
        detail="'public ACL on ' || " + rp("bucketName"),
    )


def _bpa_weakened(prefix: str) -> str:
    keys = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
    values = ", ".join(f"lower({rp(prefix + k)})" for k in keys)
    return f"'false' IN ({values})"


@register
class S3BucketBlockPublicAccessRemoved(Detection):
    id = "ct.s3-block-public-access-removed"
    title = "S3 Block Public Access removed from a bucket"
    severity = Severity.MEDIUM
    guardduty = "Policy:S3/BucketBlockPublicAccessDisabled"
    attack = ("T1562.007",)
    tactic = "Defense Evasion"
    wa = ("SEC03-BP07", "SEC08-BP04")
    description = (
        "s3:DeleteBucketPublicAccessBlock, or PutBucketPublicAccessBlock with any of the four settings "
        "false: the guard that keeps a bucket private is lowered, usually just before it is opened."
    )
    sql = event_sql(
        f"eventsource = 's3.amazonaws.com' AND {SUCCEEDED} "
        "AND (eventname = 'DeleteBucketPublicAccessBlock' OR (eventname = 'PutBucketPublicAccessBlock' "
        f"AND {_bpa_weakened('PublicAccessBlockConfiguration.')}))",
        resource=rp("bucketName"),
        detail="eventname || ' on ' || " + rp("bucketName"),
    )


@register
class S3AccountBlockPublicAccessRemoved(Detection):
    id = "ct.s3-account-block-public-access-removed"
    title = "S3 Block Public Access removed for the account"
    severity = Severity.HIGH
    guardduty = "Policy:S3/AccountBlockPublicAccessDisabled"
    attack = ("T1562.007",)
    tactic = "Defense Evasion"
    wa = ("SEC03-BP07", "SEC08-BP04")
    description = (
        "DeleteAccountPublicAccessBlock, or PutAccountPublicAccessBlock with any setting false: every "
        "bucket of the account loses the account-wide guard."
    )
    sql = event_sql(
        f"eventsource IN ('s3.amazonaws.com', 's3-control.amazonaws.com') AND {SUCCEEDED} "
        "AND (eventname = 'DeleteAccountPublicAccessBlock' OR (eventname = 'PutAccountPublicAccessBlock' "
        f"AND {_bpa_weakened('PublicAccessBlockConfiguration.')}))",
        resource=f"COALESCE({rp('accountId')}, recipientaccountid)",
        detail="eventname",
    )


CIDRS = "json_extract_string(requestparameters, '$.ipPermissions.items[*].ipRanges.items[*].cidrIp')"
CIDRS6 = "json_extract_string(requestparameters, '$.ipPermissions.items[*].ipv6Ranges.items[*].cidrIpv6')"
PORTS = "json_extract_string(requestparameters, '$.ipPermissions.items[*].fromPort')"


@register
class SecurityGroupOpenToWorld(Detection):
    id = "ct.security-group-open-to-world"
    title = "Security group ingress opened to the internet"
    severity = Severity.HIGH
    attack = ("T1562.007",)
    tactic = "Defense Evasion"
    wa = ("SEC05-BP01", "SEC05-BP02")
    parity = False
    description = (
        "ec2:AuthorizeSecurityGroupIngress adding a rule from 0.0.0.0/0 or ::/0 "
        "(requestParameters.ipPermissions.items[].ipRanges.items[].cidrIp / ipv6Ranges cidrIpv6)."
    )
    sql = event_sql(
        f"eventsource = 'ec2.amazonaws.com' AND eventname = 'AuthorizeSecurityGroupIngress' AND {SUCCEEDED} "
        f"AND (list_contains({CIDRS}, '0.0.0.0/0') OR list_contains({CIDRS6}, '::/0') "
        f"OR {rp('cidrIp')} = '0.0.0.0/0')",
        resource=f"COALESCE({rp('groupId')}, {rp('groupName')})",
        detail="'open to the internet, from port ' || "
        f"COALESCE(array_to_string({PORTS}, ','), {rp('fromPort')}, 'all')",
    )


@register
class NetworkAclAllowAll(Detection):
    id = "ct.nacl-allow-all"
    title = "Network ACL entry allows all traffic from anywhere"
    severity = Severity.MEDIUM
    attack = ("T1562.007",)
    tactic = "Defense Evasion"
    wa = ("SEC05-BP01", "SEC05-BP02")
    description = (
        "ec2:CreateNetworkAclEntry or ReplaceNetworkAclEntry adding an inbound allow rule for every "
        "protocol (-1) from 0.0.0.0/0 or ::/0."
    )
    sql = event_sql(
        "eventsource = 'ec2.amazonaws.com' "
        "AND eventname IN ('CreateNetworkAclEntry', 'ReplaceNetworkAclEntry') "
        f"AND {SUCCEEDED} AND lower({rp('ruleAction')}) = 'allow' AND lower({rp('egress')}) = 'false' "
        f"AND (COALESCE({rp('cidrBlock')}, '') = '0.0.0.0/0' "
        f"OR COALESCE({rp('ipv6CidrBlock')}, '') = '::/0') "
        f"AND COALESCE({rp('aclProtocol')}, {rp('protocol')}) IN ('-1', 'all')",
        resource=rp("networkAclId"),
        detail="eventname || ' rule ' || " + rp("ruleNumber"),
    )


def shared_sql(where: str, targets: str, resource: str, what: str) -> str:
    """One alert per event that shares a resource with ``all`` or an account outside the org."""
    return f"""
WITH targets AS (
  SELECT *, UNNEST({targets}) AS target
  FROM cloudtrail
  WHERE {where} AND {SUCCEEDED}
)
SELECT
  [eventid] AS event_ids,
  MIN({PRINCIPAL}) AS principal,
  MIN(sourceipaddress) AS source_ip,
  MIN({ACCOUNT}) AS account,
  MIN(awsregion) AS region,
  MIN({TS}) AS first_seen,
  MIN({TS}) AS last_seen,
  CAST(1 AS BIGINT) AS event_count,
  MIN({resource}) AS resource,
  '{what} shared with ' || string_agg(DISTINCT target, ', ') AS detail
FROM targets
WHERE lower(target) = 'all' OR target NOT IN ${{org_accounts}}
GROUP BY eventid
"""


@register
class EbsSnapshotShared(Detection):
    id = "ct.ebs-snapshot-shared"
    title = "EBS snapshot shared publicly or with an outside account"
    severity = Severity.HIGH
    attack = ("T1537",)
    tactic = "Exfiltration"
    wa = ("SEC03-BP07", "SEC03-BP08")
    params = (ORG_ACCOUNTS,)
    parity = False
    description = (
        "ec2:ModifySnapshotAttribute adding createVolumePermission for group 'all' or for an account "
        "outside the organization."
    )
    sql = shared_sql(
        "eventsource = 'ec2.amazonaws.com' AND eventname = 'ModifySnapshotAttribute'",
        "list_concat("
        "json_extract_string(requestparameters, '$.createVolumePermission.add.items[*].group'), "
        "json_extract_string(requestparameters, '$.createVolumePermission.add.items[*].userId'))",
        rp("snapshotId"),
        "snapshot",
    )


@register
class AmiShared(Detection):
    id = "ct.ami-shared"
    title = "AMI shared publicly or with an outside account"
    severity = Severity.HIGH
    attack = ("T1537",)
    tactic = "Exfiltration"
    wa = ("SEC03-BP07", "SEC03-BP08")
    params = (ORG_ACCOUNTS,)
    parity = False
    description = (
        "ec2:ModifyImageAttribute adding launchPermission for group 'all' or for an account outside "
        "the organization."
    )
    sql = shared_sql(
        "eventsource = 'ec2.amazonaws.com' AND eventname = 'ModifyImageAttribute'",
        "list_concat("
        "json_extract_string(requestparameters, '$.launchPermission.add.items[*].group'), "
        "json_extract_string(requestparameters, '$.launchPermission.add.items[*].userId'))",
        rp("imageId"),
        "image",
    )


@register
class RdsSnapshotShared(Detection):
    id = "ct.rds-snapshot-shared"
    title = "RDS snapshot shared publicly or with an outside account"
    severity = Severity.HIGH
    attack = ("T1537",)
    tactic = "Exfiltration"
    wa = ("SEC03-BP07", "SEC03-BP08")
    params = (ORG_ACCOUNTS,)
    parity = False
    description = (
        "rds:ModifyDBSnapshotAttribute or ModifyDBClusterSnapshotAttribute on attribute 'restore' "
        "adding 'all' or an account outside the organization (valuesToAdd)."
    )
    sql = shared_sql(
        "eventsource = 'rds.amazonaws.com' AND eventname IN "
        "('ModifyDBSnapshotAttribute', 'ModifyDBClusterSnapshotAttribute') "
        f"AND lower({rp('attributeName')}) = 'restore'",
        "json_extract_string(requestparameters, '$.valuesToAdd[*]')",
        f"COALESCE({rp('dBSnapshotIdentifier')}, {rp('dBClusterSnapshotIdentifier')})",
        "snapshot",
    )
