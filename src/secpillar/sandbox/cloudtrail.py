"""CloudTrail for the sandbox: every API call moto serves becomes a real-format CloudTrail record.

moto records nothing, so :class:`CloudTrailMiddleware` wraps moto's WSGI app: it keeps each
signed request (method, path, headers, body) and its response, and hands them to the
:class:`Recorder`, which turns them into records on its own thread (the request path only copies
bytes). Every ``flush_seconds`` (``$SECPILLAR_CLOUDTRAIL_FLUSH_SECONDS``, default 1) and on
``POST /secpillar-api/flush-cloudtrail`` the recorder:

- delivers, for every trail that was logging at the event's time and covers its account and
  region (its own account; every member account for an organization trail; every region for a
  multi-region trail; IAM/STS/sign-in events for trails that include global service events),
  a gzip file of ``{"Records": [...]}`` into the trail's bucket, under CloudTrail's key
  ``[prefix/]AWSLogs/[o-id/]<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<unique>.json.gz``
  (written through moto's S3 backend, so nothing is recorded twice);
- publishes the non-read-only events to that account's and region's default EventBridge bus as
  CloudTrail does (``detail-type`` "AWS API Call via CloudTrail" / "AWS Console Sign In via
  CloudTrail", ``source`` ``aws.<service>``, ``detail`` the record), so rules with SQS targets
  receive them. As in AWS, this needs a trail that is logging.

Data events that trails do not log by default (S3 object operations, SQS messages, DynamoDB
items, Lambda Invoke, SNS Publish) are not recorded. ``StopLogging`` and ``DeleteTrail`` are
themselves delivered (they happened while the trail logged); what follows them is not.

Console sign-ins: ``POST /secpillar-api/console-login`` with JSON ``{"user": "alice" | "root",
"account": "…", "success": true, "mfa": false, "source_ip": "…", "user_agent": "…"}`` records a
``ConsoleLogin`` (see :mod:`secpillar.sandbox.console`). A request header
``X-Secpillar-Source-Ip`` sets a call's ``sourceIPAddress`` (to simulate callers elsewhere).
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import secrets
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from secpillar.sandbox import ct_identity
from secpillar.sandbox.ct_extras import additional_event_data, resources
from secpillar.sandbox.ct_params import error_of, read_only, request_parameters, response_elements
from secpillar.sandbox.ct_route import Operation, Request, identify, signature

log = logging.getLogger(__name__)
FLUSH_ENV = "SECPILLAR_CLOUDTRAIL_FLUSH_SECONDS"
EVENT_VERSION = "1.09"
SOURCE_IP_HEADER = "x-secpillar-source-ip"
GLOBAL_SOURCES = {
    "iam.amazonaws.com",
    "sts.amazonaws.com",
    "signin.amazonaws.com",
    "organizations.amazonaws.com",
}
_DATA_EVENTS = {
    "sqs": {"SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage", "DeleteMessageBatch",
            "ChangeMessageVisibility", "ChangeMessageVisibilityBatch"},
    "dynamodb": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
                 "BatchWriteItem", "TransactGetItems", "TransactWriteItems"},
    "lambda": {"Invoke", "InvokeAsync", "InvokeWithResponseStream"},
    "sns": {"Publish", "PublishBatch"},
    "kinesis": {"PutRecord", "PutRecords", "GetRecords", "GetShardIterator"},
    "logs": {"PutLogEvents", "GetLogEvents", "FilterLogEvents"},
}  # fmt: skip
_EVENT_SOURCE = {"s3control": "s3", "sesv2": "ses", "elb": "elasticloadbalancing"}
_RENAMED = {
    # CloudTrail records some S3 calls under the service's internal operation names
    ("s3control", "PutPublicAccessBlock"): "PutAccountPublicAccessBlock",
    ("s3control", "DeletePublicAccessBlock"): "DeleteAccountPublicAccessBlock",
    ("s3control", "GetPublicAccessBlock"): "GetAccountPublicAccessBlock",
    ("s3", "PutPublicAccessBlock"): "PutBucketPublicAccessBlock",
    ("s3", "DeletePublicAccessBlock"): "DeleteBucketPublicAccessBlock",
    ("s3", "GetPublicAccessBlock"): "GetBucketPublicAccessBlock",
    ("s3", "PutBucketLifecycleConfiguration"): "PutBucketLifecycle",
    ("s3", "GetBucketLifecycleConfiguration"): "GetBucketLifecycle",
    ("s3", "PutBucketNotificationConfiguration"): "PutBucketNotification",
    ("s3", "GetBucketNotificationConfiguration"): "GetBucketNotification",
}


def _iso(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _naive(value: datetime) -> datetime:
    return value.astimezone(UTC).replace(tzinfo=None)


def event_source(op: Operation) -> str:
    prefix = _EVENT_SOURCE.get(op.service) or str(op.model.service_model.endpoint_prefix)
    return f"{prefix}.amazonaws.com"


def is_data_event(op: Operation) -> bool:
    if op.service == "s3":
        return "Key" in op.labels or op.name in ("ListObjects", "ListObjectsV2", "ListObjectVersions")
    return op.name in _DATA_EVENTS.get(op.service, ())


def build_record(req: Request, when: datetime) -> dict[str, Any] | None:
    """The CloudTrail record of one served request (``None``: not a management API call)."""
    sig = signature(req.headers, req.query)
    if sig is None:
        return None
    op = identify(req, sig)
    if op is None or is_data_event(op):
        return None
    identity = ct_identity.resolve(sig.access_key, _naive(when))
    account = str(identity.get("accountId") or ct_identity.default_account())
    source = event_source(op)
    region = "us-east-1" if source in ("iam.amazonaws.com",) else sig.region
    name = _RENAMED.get((op.service, op.name), op.name)
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": identity,
        "eventTime": _iso(when),
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": req.headers.get(SOURCE_IP_HEADER) or req.source_ip,
        "userAgent": req.headers.get("user-agent", ""),
    }
    error = error_of(op, req)
    if error is not None:
        record["errorCode"], record["errorMessage"] = error
    try:
        record["requestParameters"] = request_parameters(op, req)
    except Exception:
        log.debug("requestParameters of %s not parsed", name, exc_info=True)
        record["requestParameters"] = None
    record["responseElements"] = response_elements(op, req) if error is None else None
    extra = additional_event_data(op, req)
    if extra:
        record["additionalEventData"] = extra
    record.update(
        {
            "requestID": req.extra.get("request_id") or str(uuid.uuid4()),
            "eventID": str(uuid.uuid4()),
            "readOnly": read_only(name),
        }
    )
    touched = resources(op, account, region, record["requestParameters"], record["responseElements"])
    if touched:
        record["resources"] = touched
    record.update(
        {
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "recipientAccountId": account,
            "eventCategory": "Management",
            "tlsDetails": {
                "tlsVersion": "TLSv1.3",
                "cipherSuite": "TLS_AES_128_GCM_SHA256",
                "clientProvidedHostHeader": req.headers.get("host", ""),
            },
        }
    )
    return record


@dataclass
class _TrailRef:
    trail: Any
    deleted_at: datetime | None = None


def _logging_at(ref: _TrailRef, t: datetime) -> bool:
    status = ref.trail.status
    started = getattr(status, "started", None)
    if started is None or started > t:
        return False
    if ref.deleted_at is not None and ref.deleted_at < t:
        return False
    if status.is_logging:
        return True
    stopped = getattr(status, "stopped", None)
    return stopped is not None and t <= stopped


def _org_master(account: str) -> str | None:
    from moto.organizations.models import organizations_backends

    entry = organizations_backends.master_accounts.get(account)
    if entry:
        return str(entry[0])
    org = organizations_backends[account]["aws"].org
    return account if org is not None else None


def _org_id(master: str) -> str | None:
    from moto.organizations.models import organizations_backends

    org = organizations_backends[master]["aws"].org
    return str(org.id) if org is not None else None


class Recorder:
    """Collects served requests; turns them into records, files and events on flush."""

    def __init__(self, flush_seconds: float | None = None) -> None:
        env = os.environ.get(FLUSH_ENV)
        self.flush_seconds = flush_seconds if flush_seconds is not None else float(env or 1.0)
        self._pending: list[tuple[Request, datetime]] = []
        self._records: list[tuple[dict[str, Any], datetime]] = []
        self._trail_lock = threading.RLock()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._trails: dict[str, _TrailRef] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats: dict[str, int] = defaultdict(int)

    # -- capture (request threads) -------------------------------------------------------
    def capture(self, req: Request, when: datetime) -> None:
        with self._lock:
            self._pending.append((req, when))

    def add_record(self, record: dict[str, Any], when: datetime | None = None) -> None:
        """Queue a record built elsewhere (a console sign-in)."""
        with self._lock:
            self._records.append((record, _naive(when or datetime.now(UTC))))

    def reset(self) -> None:
        with self._flush_lock, self._lock, self._trail_lock:
            self._pending.clear()
            self._records.clear()
            self._trails.clear()

    # -- trails ----------------------------------------------------------------------------
    def refresh_trails(self, now: datetime | None = None) -> None:
        """Remember every trail moto holds; a trail gone since the last look is marked deleted."""

        now = now or datetime.now(UTC).replace(tzinfo=None)
        with self._trail_lock:
            self._refresh(now)

    def _refresh(self, now: datetime) -> None:
        from moto.cloudtrail.models import cloudtrail_backends

        seen = set()
        for by_region in list(dict.values(cloudtrail_backends)):
            for backend in list(dict.values(by_region)):
                for trail in list(backend.trails.values()):
                    arn = str(trail.arn)
                    seen.add(arn)
                    ref = self._trails.get(arn)
                    if ref is None or ref.trail is not trail:
                        self._trails[arn] = _TrailRef(trail)
        for arn, ref in self._trails.items():
            if arn not in seen and ref.deleted_at is None:
                ref.deleted_at = now

    def covering(self, account: str, region: str, source: str, t: datetime) -> list[tuple[Any, str | None]]:
        """(trail, organization id for an org trail's key) of every trail logging ``account``'s
        ``region`` at ``t``."""
        master = _org_master(account)
        out = []
        with self._trail_lock:
            refs = list(self._trails.values())
        for ref in refs:
            trail = ref.trail
            own = trail.account_id == account
            via_org = bool(trail.is_org_trail) and master is not None and trail.account_id == master
            if not (own or via_org):
                continue
            regional = trail.is_multi_region or trail.region_name == region
            if not regional and not (source in GLOBAL_SOURCES and trail.include_global_service_events):
                continue
            if _logging_at(ref, t):
                out.append((trail, _org_id(trail.account_id) if trail.is_org_trail else None))
        return out

    # -- flush -----------------------------------------------------------------------------
    def flush(self) -> dict[str, int]:
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, []
                records, self._records = self._records, []
            for req, when in pending:
                try:
                    record = build_record(req, when)
                except Exception:
                    log.warning("could not record %s %s", req.method, req.path, exc_info=True)
                    self.stats["errors"] += 1
                    continue
                if record is not None:
                    records.append((record, _naive(when)))
            self.refresh_trails()
            return self._deliver(records)

    def _deliver(self, records: Iterable[tuple[dict[str, Any], datetime]]) -> dict[str, int]:
        files: dict[tuple[str, str, Any, str | None], list[dict[str, Any]]] = defaultdict(list)
        events: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        counts = {"records": 0, "files": 0, "events": 0}
        for rec, t in records:
            account, region = rec["recipientAccountId"], rec["awsRegion"]
            trails = self.covering(account, region, rec["eventSource"], t)
            if not trails:
                self.stats["unlogged"] += 1
                continue
            counts["records"] += 1
            for trail, org_id in trails:
                files[(account, region, trail, org_id)].append(rec)
            if not rec.get("readOnly") or rec.get("eventType") == "AwsConsoleSignIn":
                events[(account, region)].append(rec)
        for (account, region, trail, org_id), recs in files.items():
            if self._write_file(account, region, trail, org_id, recs):
                counts["files"] += 1
        for (account, region), recs in events.items():
            counts["events"] += self._publish(account, region, recs)
        for key, value in counts.items():
            self.stats[key] += value
        return counts

    def _write_file(
        self, account: str, region: str, trail: Any, org_id: str | None, recs: list[dict[str, Any]]
    ) -> bool:
        from moto.s3.models import s3_backends

        now = datetime.now(UTC)
        prefix = f"{trail.s3_key_prefix.strip('/')}/" if trail.s3_key_prefix else ""
        org = f"{org_id}/" if org_id else ""
        unique = secrets.token_hex(8).upper()
        key = (
            f"{prefix}AWSLogs/{org}{account}/CloudTrail/{region}/{now:%Y/%m/%d}/"
            f"{account}_CloudTrail_{region}_{now:%Y%m%dT%H%MZ}_{unique}.json.gz"
        )
        body = gzip.compress(json.dumps({"Records": recs}, separators=(",", ":")).encode(), compresslevel=6)
        bucket = trail.bucket_name
        owner = s3_backends.bucket_accounts.get(bucket)
        if owner is None:
            self.stats["delivery_errors"] += 1
            return False
        try:
            s3_backends[owner[1]][owner[0]].put_object(bucket, key, body)
        except Exception:
            log.warning("CloudTrail delivery to s3://%s/%s failed", bucket, key, exc_info=True)
            self.stats["delivery_errors"] += 1
            return False
        return True

    def _publish(self, account: str, region: str, recs: list[dict[str, Any]]) -> int:
        from moto.events.models import events_backends

        backend = events_backends[account][region]
        entries = []
        for rec in recs:
            console = rec.get("eventType") == "AwsConsoleSignIn"
            entries.append(
                {
                    "Source": "aws." + rec["eventSource"].split(".", 1)[0],
                    "DetailType": "AWS Console Sign In via CloudTrail"
                    if console
                    else "AWS API Call via CloudTrail",
                    "Detail": json.dumps(rec),
                    "Time": datetime.strptime(rec["eventTime"], "%Y-%m-%dT%H:%M:%SZ")
                    .replace(tzinfo=UTC)
                    .timestamp(),
                    "EventBusName": "default",
                }
            )
        sent = 0
        for i in range(0, len(entries), 10):
            try:
                backend.put_events(entries[i : i + 10])
                sent += len(entries[i : i + 10])
            except Exception:
                log.warning("EventBridge delivery failed in %s/%s", account, region, exc_info=True)
                self.stats["event_errors"] += 1
        return sent

    # -- background thread -------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="cloudtrail-recorder", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_seconds):
            try:
                self.flush()
            except Exception:
                log.warning("CloudTrail flush failed", exc_info=True)


StartResponse = Callable[..., Any]
