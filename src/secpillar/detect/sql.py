"""SQL building blocks shared by the detections (DuckDB dialect, transpilable to Spark SQL).

The lake's ``cloudtrail`` view has the Athena CloudTrail table's lowercase columns; free-form
fields (``requestparameters``, ``responseelements``, ``additionaleventdata``) are JSON text, read
with ``json_extract_string`` (Spark: ``get_json_object``). Every query returns
:data:`secpillar.detect.registry.ALERT_COLUMNS`.
"""

from __future__ import annotations

TS = "CAST(eventtime AS TIMESTAMP)"
"""The event time as a timestamp (the Athena table keeps ``eventtime`` as ISO-8601 text)."""

EPOCH = f"epoch({TS})"
"""Seconds since 1970 of the event time (Spark: ``unix_timestamp``)."""

PRINCIPAL = (
    "COALESCE(NULLIF(useridentity.arn, ''), NULLIF(useridentity.username, ''), "
    "NULLIF(useridentity.principalid, ''), useridentity.type)"
)
"""Who made the call: the ARN where CloudTrail records one (assumed-role session ARNs included)."""

ACCOUNT = "COALESCE(recipientaccountid, useridentity.accountid)"

SUCCEEDED = "COALESCE(errorcode, '') = ''"
"""The call succeeded: CloudTrail sets ``errorCode`` only on failed calls. Every detection of a
*change* requires it, so a denied or invalid attempt never reads as the change itself."""

NOT_SERVICE = "COALESCE(eventtype, '') <> 'AwsServiceEvent' AND COALESCE(useridentity.invokedby, '') = ''"
"""A call made by a principal, not by an AWS service on its behalf."""


def rp(path: str) -> str:
    """A scalar of ``requestParameters`` at JSON path ``path`` (``'bucketName'``)."""
    return f"json_extract_string(requestparameters, '$.{path}')"


def re_(path: str) -> str:
    """A scalar of ``responseElements``."""
    return f"json_extract_string(responseelements, '$.{path}')"


def aed(path: str) -> str:
    """A scalar of ``additionalEventData``."""
    return f"json_extract_string(additionaleventdata, '$.{path}')"


def event_sql(
    where: str, resource: str = "NULL", detail: str = "eventname", source: str = "cloudtrail"
) -> str:
    """One alert per matching CloudTrail event."""
    return f"""
SELECT
  [eventid] AS event_ids,
  {PRINCIPAL} AS principal,
  sourceipaddress AS source_ip,
  {ACCOUNT} AS account,
  awsregion AS region,
  {TS} AS first_seen,
  {TS} AS last_seen,
  CAST(1 AS BIGINT) AS event_count,
  CAST({resource} AS VARCHAR) AS resource,
  CAST({detail} AS VARCHAR) AS detail
FROM {source}
WHERE {where}
"""


def burst_sql(
    where: str,
    key: str,
    item: str = "eventid",
    threshold: str = "${threshold}",
    window: str = "${window_minutes}",
    resource: str = "NULL",
    detail_noun: str = "events",
    extra_having: str = "",
) -> str:
    """One alert per *burst* of CloudTrail events that share ``key``.

    A burst is a run of matching events of one key in which each event follows the previous one
    within ``window`` minutes; it fires when it holds at least ``threshold`` distinct ``item``
    values. The alert lists every event of the burst."""
    having = f"COUNT(DISTINCT item) >= {threshold}" + (f" AND {extra_having}" if extra_having else "")
    return f"""
WITH ev AS (
  SELECT {key} AS k, eventid, {TS} AS ts, {EPOCH} AS t, {item} AS item,
         {PRINCIPAL} AS principal, sourceipaddress AS source_ip, {ACCOUNT} AS account,
         awsregion AS region, CAST({resource} AS VARCHAR) AS resource
  FROM cloudtrail
  WHERE {where}
),
marked AS (
  SELECT *, CASE WHEN t - LAG(t) OVER (PARTITION BY k ORDER BY t, eventid) <= {window} * 60
                 THEN 0 ELSE 1 END AS brk
  FROM ev
),
bursts AS (
  SELECT *, SUM(brk) OVER (PARTITION BY k ORDER BY t, eventid
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS burst
  FROM marked
)
SELECT
  list(eventid) AS event_ids,
  CASE WHEN COUNT(DISTINCT principal) <= 1 THEN MIN(principal)
       ELSE CAST(COUNT(DISTINCT principal) AS VARCHAR) || ' principals' END AS principal,
  CASE WHEN COUNT(DISTINCT source_ip) <= 1 THEN MIN(source_ip)
       ELSE CAST(COUNT(DISTINCT source_ip) AS VARCHAR) || ' addresses' END AS source_ip,
  MIN(account) AS account,
  MIN(region) AS region,
  MIN(ts) AS first_seen,
  MAX(ts) AS last_seen,
  COUNT(*) AS event_count,
  MIN(resource) AS resource,
  CAST(COUNT(DISTINCT item) AS VARCHAR) || ' distinct {detail_noun} in the burst' AS detail
FROM bursts
GROUP BY k, burst
HAVING {having}
"""


def flow_burst_sql(where: str, key: str, item: str, detail_noun: str) -> str:
    """One alert per burst of VPC flow log records sharing ``key`` (same burst rule as
    :func:`burst_sql`, on the records' ``start`` time). Flow records carry no event id."""
    return f"""
WITH ev AS (
  SELECT {key} AS k, srcaddr, dstaddr, interface_id, account_id, start AS t,
         to_timestamp(start) AS ts, to_timestamp("end") AS te, {item} AS item
  FROM flowlogs
  WHERE {where}
),
marked AS (
  SELECT *, CASE WHEN t - LAG(t) OVER (PARTITION BY k ORDER BY t, item) <= ${{window_minutes}} * 60
                 THEN 0 ELSE 1 END AS brk
  FROM ev
),
bursts AS (
  SELECT *, SUM(brk) OVER (PARTITION BY k ORDER BY t, item
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS burst
  FROM marked
)
SELECT
  CAST([] AS VARCHAR[]) AS event_ids,
  MIN(srcaddr) AS principal,
  MIN(srcaddr) AS source_ip,
  MIN(account_id) AS account,
  CAST(NULL AS VARCHAR) AS region,
  MIN(ts) AS first_seen,
  MAX(te) AS last_seen,
  COUNT(*) AS event_count,
  CASE WHEN COUNT(DISTINCT dstaddr) <= 1 THEN MIN(dstaddr)
       ELSE CAST(COUNT(DISTINCT dstaddr) AS VARCHAR) || ' hosts' END AS resource,
  CAST(COUNT(DISTINCT item) AS VARCHAR) || ' distinct {detail_noun} in the burst' AS detail
FROM bursts
GROUP BY k, burst
HAVING COUNT(DISTINCT item) >= ${{threshold}}
"""
