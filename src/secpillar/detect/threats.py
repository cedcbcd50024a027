"""Detections of credential misuse and destruction: unused regions, instance credentials used
elsewhere, KMS key deletion, bulk secret reads, bursts of AccessDenied; and, from VPC flow logs,
SSH/RDP brute force and port scans."""

from __future__ import annotations

from secpillar.detect.registry import Detection, Param, register
from secpillar.detect.sql import (
    ACCOUNT,
    EPOCH,
    NOT_SERVICE,
    PRINCIPAL,
    SUCCEEDED,
    TS,
    burst_sql,
    event_sql,
    flow_burst_sql,
    rp,
)
from secpillar.model import Severity

WRITE_CALL = "lower(CAST(readonly AS VARCHAR)) = 'false'"


@register
class UnusedRegion(Detection):
    id = "ct.unused-region"
    title = "Changes made in a region the organization does not use"
    severity = Severity.MEDIUM
    attack = ("T1535",)
    tactic = "Defense Evasion"
    wa = ("SEC01-BP06", "SEC03-BP05")
    params = (
        Param(
            "allowed_regions",
            (),
            "Regions the organization uses; empty = regions holding at least min_region_share of the events.",
            derived=(
                "SELECT awsregion FROM cloudtrail GROUP BY awsregion "
                "HAVING COUNT(*) >= ${min_region_share} * (SELECT COUNT(*) FROM cloudtrail)"
            ),
        ),
        Param("min_region_share", 0.01, "Share of all events that makes a region 'used' (derivation only)."),
        Param(
            "window_minutes",
            60,
            "Calls of one principal in the region within this many minutes form one alert.",
        ),
    )
    description = (
        "Write calls (readOnly false) by a principal in a region outside the organization's regions: "
        "attackers launch miners or hide resources where nobody looks."
    )
    sql = burst_sql(
        where=f"{WRITE_CALL} AND {NOT_SERVICE} AND awsregion NOT IN ${{allowed_regions}}",
        key=f"{PRINCIPAL} || '|' || awsregion",
        threshold="1",
        resource="awsregion",
        detail_noun="calls",
    )


INSTANCE_SESSION = (
    "useridentity.type = 'AssumedRole' AND regexp_matches(useridentity.principalid, ':i-[0-9a-f]{8,17}$')"
)
PUBLIC_IP = (
    "regexp_matches(sourceipaddress, '^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$') AND NOT regexp_matches("
    "sourceipaddress, '^(10\\.|127\\.|192\\.168\\.|169\\.254\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.)')"
)


@register
class InstanceCredentialsOutsideAws(Detection):
    id = "ct.instance-credentials-outside-aws"
    title = "EC2 instance credentials used from a second address"
    severity = Severity.HIGH
    guardduty = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
    attack = ("T1552.005",)
    tactic = "Credential Access"
    wa = ("SEC02-BP02", "SEC04-BP03")
    description = (
        "An instance profile session (principalId ends ':i-…') whose access key is used from a public "
        "address other than the first one it was seen from: the credentials left the instance. "
        "Private addresses and AWS service callers are not counted."
    )
    sql = f"""
WITH ev AS (
  SELECT useridentity.accesskeyid AS k, eventid, {TS} AS ts, {EPOCH} AS t, sourceipaddress AS ip,
         {PRINCIPAL} AS principal, {ACCOUNT} AS account, awsregion AS region
  FROM cloudtrail
  WHERE {INSTANCE_SESSION} AND {PUBLIC_IP} AND COALESCE(useridentity.accesskeyid, '') <> ''
),
ranked AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY k ORDER BY t, eventid) AS n FROM ev
),
home AS (SELECT k, ip AS home_ip FROM ranked WHERE n = 1)
SELECT
  list(eventid) AS event_ids,
  MIN(principal) AS principal,
  ip AS source_ip,
  MIN(account) AS account,
  MIN(region) AS region,
  MIN(ts) AS first_seen,
  MAX(ts) AS last_seen,
  COUNT(*) AS event_count,
  ev.k AS resource,
  'instance credentials first used from ' || MIN(home_ip) || ', then from ' || ip AS detail
FROM ev JOIN home ON ev.k = home.k
WHERE ev.ip <> home.home_ip
GROUP BY ev.k, ip
"""


@register
class KmsKeyScheduledForDeletion(Detection):
    id = "ct.kms-key-deletion"
    title = "KMS key scheduled for deletion"
    severity = Severity.HIGH
    attack = ("T1485",)
    tactic = "Impact"
    wa = ("SEC08-BP01", "SEC09-BP01")
    description = (
        "kms:ScheduleKeyDeletion: after the waiting period every ciphertext under the key is lost "
        "(a ransom and destruction technique)."
    )
    sql = event_sql(
        f"eventsource = 'kms.amazonaws.com' AND eventname = 'ScheduleKeyDeletion' AND {SUCCEEDED}",
        resource=rp("keyId"),
        detail=f"'deletion in ' || COALESCE({rp('pendingWindowInDays')}, '30') || ' days'",
    )


@register
class SecretsBulkRetrieval(Detection):
    id = "ct.secrets-bulk-retrieval"
    title = "Many secrets retrieved in a short time"
    severity = Severity.HIGH
    guardduty = "CredentialAccess:IAMUser/AnomalousBehavior"
    attack = ("T1555.006",)
    tactic = "Credential Access"
    wa = ("SEC02-BP03",)
    params = (
        Param("threshold", 10, "Distinct secrets read by one principal in one burst."),
        Param("window_minutes", 10, "Reads of one burst follow each other within this many minutes."),
    )
    description = (
        "secretsmanager:GetSecretValue, or ssm:GetParameter/GetParameters with decryption, by one "
        "principal over many distinct secrets in a burst: a credential dump."
    )
    sql = burst_sql(
        where=f"{SUCCEEDED} AND ((eventsource = 'secretsmanager.amazonaws.com' "
        "AND eventname = 'GetSecretValue') OR (eventsource = 'ssm.amazonaws.com' "
        f"AND eventname IN ('GetParameter', 'GetParameters') AND lower({rp('withDecryption')}) = 'true'))",
        key=PRINCIPAL,
        item=f"COALESCE({rp('secretId')}, {rp('name')}, "
        "CAST(json_extract(requestparameters, '$.names') AS VARCHAR))",
        detail_noun="secrets",
    )


@register
class SecretsBatchRetrieval(Detection):
    id = "ct.secrets-batch-retrieval"
    title = "Secrets retrieved in bulk with BatchGetSecretValue"
    severity = Severity.HIGH
    guardduty = "CredentialAccess:IAMUser/AnomalousBehavior"
    attack = ("T1555.006",)
    tactic = "Credential Access"
    wa = ("SEC02-BP03",)
    params = (Param("threshold", 5, "Secrets named in one call (a filter selects any number)."),)
    parity = False
    description = (
        "secretsmanager:BatchGetSecretValue naming at least threshold secrets, or selecting them with "
        "filters: one call that dumps many secrets."
    )
    sql = event_sql(
        "eventsource = 'secretsmanager.amazonaws.com' AND eventname = 'BatchGetSecretValue' "
        f"AND {SUCCEEDED} AND (json_extract(requestparameters, '$.filters') IS NOT NULL "
        "OR COALESCE(json_array_length(requestparameters, '$.secretIdList'), 0) >= ${threshold})",
        detail="'BatchGetSecretValue'",
    )


@register
class Ec2PasswordDataBurst(Detection):
    id = "ct.ec2-password-data-burst"
    title = "Windows administrator passwords requested for many instances"
    severity = Severity.MEDIUM
    attack = ("T1552",)
    tactic = "Credential Access"
    wa = ("SEC02-BP03", "SEC04-BP03")
    params = (
        Param("threshold", 5, "Distinct instances one principal asks for in one burst."),
        Param("window_minutes", 10, "Calls of one burst follow each other within this many minutes."),
    )
    description = (
        "ec2:GetPasswordData by one principal for many instances in a burst, whether the calls "
        "succeed or not: harvesting the encrypted Windows administrator passwords (decrypted with "
        "the launch key pair). An administrator fetches one or two."
    )
    sql = burst_sql(
        where="eventsource = 'ec2.amazonaws.com' AND eventname = 'GetPasswordData'",
        key=PRINCIPAL,
        item=rp("instanceId"),
        detail_noun="instances",
    )


DENIED = (
    "(errorcode IN ('AccessDenied', 'AccessDeniedException', 'UnauthorizedOperation', "
    "'Client.UnauthorizedOperation', 'UnauthorizedException') OR errorcode LIKE '%AccessDenied%')"
)


@register
class AccessDeniedBurst(Detection):
    id = "ct.access-denied-burst"
    title = "Burst of AccessDenied errors across many APIs (reconnaissance)"
    severity = Severity.MEDIUM
    guardduty = "Discovery:IAMUser/AnomalousBehavior"
    attack = ("T1580",)
    tactic = "Discovery"
    wa = ("SEC04-BP03", "SEC03-BP04")
    params = (
        Param("threshold", 10, "Distinct APIs denied to one principal in one burst."),
        Param("window_minutes", 10, "Denials of one burst follow each other within this many minutes."),
    )
    description = (
        "One principal denied on many different APIs in a burst: someone probing what stolen "
        "credentials may do (enumeration tools). One API denied again and again does not fire."
    )
    sql = burst_sql(
        where=f"{DENIED} AND {NOT_SERVICE}",
        key=PRINCIPAL,
        item="eventsource || ':' || eventname",
        detail_noun="APIs denied",
    )


FLOW_OK = "srcaddr IS NOT NULL AND dstaddr IS NOT NULL AND dstport IS NOT NULL"
FLOW_PARAMS = (
    Param("threshold", 20, "Connection records from one address to one host in one burst."),
    Param("window_minutes", 10, "Records of one burst start within this many minutes of each other."),
)


@register
class SshBruteForce(Detection):
    id = "flow.ssh-brute-force"
    title = "SSH brute force (VPC flow logs)"
    severity = Severity.MEDIUM
    source = "flowlogs"
    guardduty = "UnauthorizedAccess:EC2/SSHBruteForce"
    attack = ("T1110",)
    tactic = "Credential Access"
    wa = ("SEC05-BP02", "SEC06-BP03")
    params = FLOW_PARAMS
    description = (
        "Many TCP connections from one address to port 22 of one host in a burst (each new connection "
        "is a flow record with its own source port)."
    )
    sql = flow_burst_sql(
        f"{FLOW_OK} AND protocol = 6 AND dstport = 22",
        key="srcaddr || '>' || dstaddr",
        item="CAST(srcport AS VARCHAR) || '@' || CAST(start AS VARCHAR)",
        detail_noun="connections to port 22",
    )


@register
class RdpBruteForce(Detection):
    id = "flow.rdp-brute-force"
    title = "RDP brute force (VPC flow logs)"
    severity = Severity.MEDIUM
    source = "flowlogs"
    guardduty = "UnauthorizedAccess:EC2/RDPBruteForce"
    attack = ("T1110",)
    tactic = "Credential Access"
    wa = ("SEC05-BP02", "SEC06-BP03")
    params = FLOW_PARAMS
    description = "Many TCP connections from one address to port 3389 of one host in a burst."
    sql = flow_burst_sql(
        f"{FLOW_OK} AND protocol = 6 AND dstport = 3389",
        key="srcaddr || '>' || dstaddr",
        item="CAST(srcport AS VARCHAR) || '@' || CAST(start AS VARCHAR)",
        detail_noun="connections to port 3389",
    )


@register
class PortScan(Detection):
    id = "flow.port-scan"
    title = "Port scan (VPC flow logs)"
    severity = Severity.MEDIUM
    source = "flowlogs"
    guardduty = "Recon:EC2/Portscan"
    attack = ("T1046",)
    tactic = "Discovery"
    wa = ("SEC05-BP02", "SEC05-BP03")
    params = (
        Param("threshold", 25, "Distinct destination ports one address probes on one host in one burst."),
        Param("window_minutes", 10, "Records of one burst start within this many minutes of each other."),
    )
    description = (
        "One address reaching many distinct ports of one host in a burst. Only client-side records "
        "count (source port above destination port), so a server's replies to ephemeral ports do not."
    )
    sql = flow_burst_sql(
        f"{FLOW_OK} AND protocol IN (6, 17) AND srcport > dstport",
        key="srcaddr || '>' || dstaddr",
        item="dstport",
        detail_noun="ports",
    )
