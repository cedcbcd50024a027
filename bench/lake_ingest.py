# ruff: noqa: E501 -- the generator's record templates are data tables
"""CloudTrail ingest: secpillar against the plain DuckDB pipeline and the gzip floor, same run.

Generates realistic CloudTrail delivery files (``{"Records": [...]}``, gzip, the real key shape;
default 1,000,000 records in 200 files: assumed-role and IAM-user callers, EC2/S3/IAM/STS/KMS/
Secrets Manager/CloudTrail calls with their requestParameters and responseElements, errors,
console sign-ins, ~1.3 KB a record) and measures, one after the other on the same files, in
rounds (``--repeat``; the best and the median of the rounds are printed):

- gunzip: decompressing every file with the same number of worker processes, with ISA-L (the
  library secpillar uses: the floor) and with zlib (for reference);
- duckdb: the plain DuckDB pipeline, ``read_json_objects`` + ``json_transform`` of ``$.Records``
  into the Athena table's columns, unnested, written to one Parquet file, with DuckDB's default
  settings (all cores) and the smallest ``maximum_object_size`` that holds the largest file
  (DuckDB's default, 16 MB, for these files; ``--plain-max-object`` sets another, e.g. 1 GB,
  which costs DuckDB ~40% more time);
- secpillar: ``secpillar.lake.ingest`` into an empty lake (Hive partitions, eventID
  de-duplication, manifest, journal).

Prints the seconds and records per second of each, secpillar's speed-up over DuckDB (target >= 2x)
and the fraction of the gunzip floor it reaches, then times every registered detection over the
ingested lake (target: less than the ingest).

    .venv/bin/python bench/lake_ingest.py --repeat 3      # 1M records, 200 files
    .venv/bin/python bench/lake_ingest.py --scale 0.05    # quick: 50k records, 10 files
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import duckdb
from isal import igzip

from secpillar.lake.fastpath import _read_type
from secpillar.lake.ingest import IngestSummary, default_workers, ingest
from secpillar.lake.schema import CLOUDTRAIL_FIELDS
from secpillar.lake.sources import local_objects
from secpillar.lake.worker import tune_allocator

ACCOUNTS = ["111111111111", "222222222222", "333333333333", "444444444444"]
REGIONS = ["us-east-1", "us-east-1", "us-east-1", "eu-west-1", "us-west-2"]
AGENTS = [
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.11.8",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.12.2 cfg/retry-mode#legacy",
    "terraform-provider-aws/5.42.0 (+https://registry.terraform.io) aws-sdk-go-v2/1.26.0 os/linux lang/go#1.22",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0",
]


def _role(account: str, rng: random.Random) -> dict[str, Any]:
    role = rng.choice(["DeployRole", "ReadOnly", "OrganizationAccountAccessRole", "lambda-exec", "ci-runner"])
    rid = "AROA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(17))
    session = rng.choice(["alice", "bob", "i-0abc123def4567890", "1711000000000000000", "gh-actions"])
    return {
        "type": "AssumedRole",
        "principalId": f"{rid}:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": "ASIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": rid,
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "webIdFederationData": {},
            "attributes": {"creationDate": "2024-03-01T10:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _user(account: str, rng: random.Random) -> dict[str, Any]:
    name = rng.choice(["alice", "bob", "carol", "deploy-bot", "backup"])
    return {
        "type": "IAMUser",
        "principalId": "AIDA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(17)),
        "arn": f"arn:aws:iam::{account}:user/{name}",
        "accountId": account,
        "accessKeyId": "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16)),
        "userName": name,
    }


CALLS: list[tuple[str, str, bool, Any, Any]] = [
    ("ec2.amazonaws.com", "DescribeInstances", True,
     {"instancesSet": {}, "filterSet": {"items": [{"name": "tag:env", "valueSet": {"items": [{"value": "prod"}]}}]}},
     None),
    ("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", False,
     {"groupId": "sg-0123456789abcdef0", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 443,
      "toPort": 443, "groups": {}, "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]}, "ipv6Ranges": {},
      "prefixListIds": {}}]}},
     {"requestId": "5f1b0c3e-0000-4000-8000-000000000000", "_return": True}),
    ("s3.amazonaws.com", "GetBucketAcl", True, {"bucketName": "prod-data", "Host": "prod-data.s3.amazonaws.com", "acl": ""}, None),
    ("s3.amazonaws.com", "PutBucketPolicy", False,
     {"bucketName": "prod-data", "Host": "prod-data.s3.amazonaws.com", "policy": "",
      "bucketPolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
                        "Action": "s3:GetObject", "Resource": "arn:aws:s3:::prod-data/*"}]}},
     None),
    ("iam.amazonaws.com", "ListRoles", True, None, None),
    ("iam.amazonaws.com", "AttachRolePolicy", False,
     {"roleName": "app-role", "policyArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"}, None),
    ("sts.amazonaws.com", "AssumeRole", True,
     {"roleArn": "arn:aws:iam::222222222222:role/DeployRole", "roleSessionName": "gh-actions", "durationSeconds": 3600},
     {"credentials": {"accessKeyId": "ASIAEXAMPLE", "expiration": "Mar 1, 2024, 11:00:00 AM", "sessionToken": "HIDDEN"},
      "assumedRoleUser": {"assumedRoleId": "AROAEXAMPLE:gh-actions", "arn": "arn:aws:sts::222222222222:assumed-role/DeployRole/gh-actions"}}),
    ("kms.amazonaws.com", "Decrypt", True,
     {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "encryptionContext": {"aws:lambda:FunctionArn": "arn:aws:lambda:us-east-1:111111111111:function:api"}},
     None),
    ("secretsmanager.amazonaws.com", "GetSecretValue", True, {"secretId": "prod/db/password"}, None),
    ("cloudtrail.amazonaws.com", "LookupEvents", True, {"maxResults": 50}, None),
    ("logs.amazonaws.com", "CreateLogStream", False, {"logGroupName": "/aws/lambda/api", "logStreamName": "2024/03/01/[$LATEST]abc"}, None),
    ("ec2.amazonaws.com", "RunInstances", False,
     {"instancesSet": {"items": [{"imageId": "ami-0abcdef1234567890", "minCount": 1, "maxCount": 1}]},
      "instanceType": "t3.micro", "blockDeviceMapping": {}, "monitoring": {"enabled": False},
      "disableApiTermination": False, "disableApiStop": False, "clientToken": "abc"},
     {"requestId": "e2b4", "reservationId": "r-0123", "ownerId": "111111111111", "groupSet": {},
      "instancesSet": {"items": [{"instanceId": "i-0123456789abcdef0", "imageId": "ami-0abcdef1234567890",
                                  "instanceState": {"code": 0, "name": "pending"}}]}}),
]  # fmt: skip


def make_record(rng: random.Random, when: datetime, account: str, region: str) -> dict[str, Any]:
    """One record; a delivery file holds the events of one account and Region."""
    if rng.random() < 0.01:
        ok = rng.random() < 0.8
        ident = _user(account, rng)
        ident.pop("accessKeyId")
        rec: dict[str, Any] = {
            "eventVersion": "1.08", "userIdentity": ident, "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin", "awsRegion": region,
            "sourceIPAddress": f"198.51.100.{rng.randrange(255)}", "userAgent": AGENTS[3],
            "requestParameters": None, "responseElements": {"ConsoleLogin": "Success" if ok else "Failure"},
            "additionalEventData": {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No",
                                    "MFAUsed": rng.choice(["Yes", "No"])},
            "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "readOnly": False,
            "eventType": "AwsConsoleSignIn", "managementEvent": True, "recipientAccountId": account,
            "eventCategory": "Management",
        }  # fmt: skip
        if not ok:
            rec["errorMessage"] = "Failed authentication"
        return rec
    source, name, ro, params, resp = CALLS[rng.randrange(len(CALLS))]
    ident = _role(account, rng) if rng.random() < 0.7 else _user(account, rng)
    rec = {
        "eventVersion": "1.09", "userIdentity": ident, "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": source, "eventName": name, "awsRegion": region,
        "sourceIPAddress": rng.choice(["10.0.1.25", "203.0.113.7", "ec2.amazonaws.com", "192.0.2.44"]),
        "userAgent": rng.choice(AGENTS[:3]), "requestParameters": params, "responseElements": resp,
        "requestID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "readOnly": ro,
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": account,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
                       "clientProvidedHostHeader": f"{source.split('.')[0]}.{region}.amazonaws.com"},
    }  # fmt: skip
    if name == "AssumeRole":
        rec["resources"] = [
            {"accountId": account, "type": "AWS::IAM::Role", "ARN": f"arn:aws:iam::{account}:role/DeployRole"}
        ]
        rec["sharedEventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if rng.random() < 0.03:
        rec["errorCode"], rec["errorMessage"] = "AccessDenied", f"User is not authorized to perform: {name}"
        rec["responseElements"] = None
    return rec


def _write_file(args: tuple[Path, int, int, int]) -> int:
    root, n, per_file, seed = args
    rng = random.Random(seed + n)
    start = datetime(2024, 3, 1, tzinfo=UTC) + timedelta(minutes=5 * n)
    account, region = ACCOUNTS[n % len(ACCOUNTS)], REGIONS[n % len(REGIONS)]
    recs = [
        make_record(rng, start + timedelta(milliseconds=60 * i), account, region) for i in range(per_file)
    ]
    key = (
        f"AWSLogs/o-abc123def4/{account}/CloudTrail/{region}/{start:%Y/%m/%d}/"
        f"{account}_CloudTrail_{region}_{start:%Y%m%dT%H%MZ}_{rng.getrandbits(64):016X}.json.gz"
    )
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(json.dumps({"Records": recs}, separators=(",", ":")).encode(), 6))
    return per_file


def generate(root: Path, records: int, files: int, workers: int) -> None:
    marker = root / f".complete-{records}-{files}"
    if marker.exists():
        return
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    per_file = records // files
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_write_file, [(root, n, per_file, 7) for n in range(files)]))
    marker.touch()


def _gunzip(path: str) -> tuple[int, float]:
    cpu = time.process_time()
    with open(path, "rb") as fh:
        size = len(igzip.decompress(fh.read()))
    return size, time.process_time() - cpu


def _gunzip_zlib(path: str) -> tuple[int, float]:
    cpu = time.process_time()
    with open(path, "rb") as fh:
        size = len(gzip.decompress(fh.read()))
    return size, time.process_time() - cpu


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _ready(_n: int) -> int:
    return os.getpid()


def floor(
    paths: list[str], workers: int, fn: Callable[[str], tuple[int, float]] = _gunzip
) -> tuple[float, float, int]:
    """Seconds and CPU seconds to gunzip every file in ``workers`` processes (started beforehand,
    fresh, so that the bench's own memory does not weigh on them, with the heap settings of the
    ingest's workers), and the largest file's size."""
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=tune_allocator) as pool:
        list(pool.map(_ready, range(workers * 4)))
        t = time.perf_counter()
        done = list(pool.map(fn, paths, chunksize=4))
        seconds = time.perf_counter() - t
    return seconds, sum(cpu for _size, cpu in done), max(size for size, _cpu in done)


def plain_max_object(largest: int) -> int:
    """The smallest power of two that holds the largest file, at least DuckDB's default (16 MB)."""
    size = 16 << 20
    while size < largest:
        size *= 2
    return size


def duckdb_plain(root: Path, out: Path, max_object: int) -> tuple[float, float, int]:
    def spec(f: Any) -> Any:
        if f.kind == "struct":
            return {c.key: spec(c) for c in f.children}
        if f.kind == "list":
            return [{c.key: spec(c) for c in f.children}]
        return _read_type(f)

    transform = json.dumps([{f.key: spec(f) for f in CLOUDTRAIL_FIELDS}]).replace("'", "''")
    glob = str(root / "**" / "*.json.gz")
    con = duckdb.connect()
    cpu = _cpu()
    t = time.perf_counter()
    con.execute(
        f"COPY (SELECT unnest(json_transform(json -> '$.Records', '{transform}'), recursive := true) "
        f"FROM read_json_objects('{glob}', maximum_object_size = {max_object})) TO '{out}' (FORMAT parquet)"
    )
    seconds, cpu = time.perf_counter() - t, _cpu() - cpu
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()
    con.close()
    return seconds, cpu, int(rows[0]) if rows else 0


def detections(lake: Path) -> tuple[float, int, int]:
    """Seconds to run every registered detection over the lake (0 when none are registered)."""
    from secpillar.detect import load_all
    from secpillar.detect.runner import run_detections
    from secpillar.lake.store import connect

    registry = load_all()
    dets = list(registry)
    if not dets:
        return 0.0, 0, 0
    con = connect(lake)
    t = time.perf_counter()
    result = run_detections(con, dets)
    seconds = time.perf_counter() - t
    con.close()
    return seconds, len(result.alerts), len(result.ran)


@dataclass
class Rounds:
    """Wall and CPU seconds of each measurement, one entry a round."""

    wall: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    alerts: int = 0
    detections_ran: int = 0

    def add(self, name: str, wall: float, cpu: float = 0.0) -> None:
        self.wall.setdefault(name, []).append(wall)
        self.cpu.setdefault(name, []).append(cpu)

    def best(self, name: str) -> float:
        return min(self.wall[name])

    def line(self, name: str, label: str, records: int, extra: str = "") -> None:
        times, best = self.wall[name], self.best(name)
        spread = f"  median {statistics.median(times):6.2f} s" if len(times) > 1 else ""
        print(f"{label:22s}: {best:6.2f} s  {records / best:10,.0f} rec/s{spread}  "
              f"CPU {min(self.cpu[name]):6.2f} s  {extra}")  # fmt: skip


def one_round(rounds: Rounds, root: Path, tmp: Path, args: argparse.Namespace, records: int) -> IngestSummary:
    """gunzip (ISA-L, zlib), the plain DuckDB pipeline, secpillar's ingest, then the detections."""
    paths = sorted(str(p) for p in root.rglob("*.json.gz"))
    seconds, cpu, largest = floor(paths, args.workers)
    rounds.add("floor", seconds, cpu)
    rounds.add("zlib", *floor(paths, args.workers, _gunzip_zlib)[:2])
    args.plain_max_object = args.plain_max_object or plain_max_object(largest)
    seconds, cpu, rows = duckdb_plain(root, tmp / "plain.parquet", args.plain_max_object)
    assert rows == records, rows
    rounds.add("plain", seconds, cpu)
    lake = tmp / "lake"
    t = time.perf_counter()
    summary = ingest(list(local_objects(root)), lake, workers=args.workers)
    rounds.add("ours", time.perf_counter() - t, summary.cpu_seconds)
    assert summary.events == records, summary.as_dict()
    seconds, rounds.alerts, rounds.detections_ran = detections(lake)
    rounds.add("detect", seconds)
    shutil.rmtree(lake)
    print(f"round {len(rounds.wall['ours'])}: " + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in rounds.wall.items()),
          flush=True)  # fmt: skip
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 1M records / 200 files")
    parser.add_argument(
        "--data", type=Path, default=Path(tempfile.gettempdir()) / "secpillar-bench-cloudtrail"
    )
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--repeat", type=int, default=1, help="rounds of the measurements")
    parser.add_argument(
        "--plain-max-object", type=int, default=0,
        help="maximum_object_size of the plain pipeline (default: the smallest that holds the largest file)",
    )  # fmt: skip
    args = parser.parse_args()
    records, files = int(1_000_000 * args.scale), max(1, int(200 * args.scale))
    t = time.perf_counter()
    root = args.data / f"{records}"
    generate(root, records, files, args.workers)
    gz_bytes = sum(p.stat().st_size for p in root.rglob("*.json.gz"))
    print(f"data: {files} files, {records:,} records, {gz_bytes / 1e6:.0f} MB gzip "
          f"(generated/reused in {time.perf_counter() - t:.1f}s); {args.workers} worker(s), {os.cpu_count()} CPU(s)")  # fmt: skip
    rounds = Rounds()
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeat):
            summary = one_round(rounds, root, Path(tmp), args, records)
    print(f"best of {args.repeat} round(s) (CPU: user + system seconds of every process of the step):")
    rounds.line("floor", "gunzip, ISA-L (floor)", records)
    rounds.line("zlib", "gunzip, zlib", records)
    rounds.line("plain", "duckdb plain", records, f"maximum_object_size {args.plain_max_object >> 20} MB")
    rounds.line("ours", "secpillar", records,
                f"{summary.events:,} events, {summary.parquet_files} Parquet files, {summary.duplicates} duplicates")  # fmt: skip
    plain, ours = rounds.wall["plain"], rounds.wall["ours"]
    print(f"secpillar vs plain DuckDB: {min(plain) / min(ours):.2f}x faster (target >= 2x); "
          f"median of rounds {statistics.median(plain) / statistics.median(ours):.2f}x; "
          f"CPU time {min(rounds.cpu['plain']) / min(rounds.cpu['ours']):.2f}x less")  # fmt: skip
    print(f"fraction of the gunzip floor reached: {rounds.best('floor') / min(ours):.0%} (ISA-L), "
          f"{rounds.best('zlib') / min(ours):.0%} (zlib)")  # fmt: skip
    if rounds.detections_ran:
        detect = rounds.wall["detect"]
        print(f"all {rounds.detections_ran} detections over the lake: {min(detect):.2f} s, "
              f"median {statistics.median(detect):.2f} s ({rounds.alerts:,} alerts), "
              f"{min(detect) / min(ours):.0%} of the best ingest time (target < 100%)")  # fmt: skip


if __name__ == "__main__":
    main()
