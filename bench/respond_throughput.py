"""Events matched per second against 500 rules: secpillar's compiled RuleSet vs a naive interpreter.

Both see the same 500 rules (CloudTrail, GuardDuty, Security Hub and custom-event patterns using
exact values, prefix, suffix, wildcard, anything-but, numeric, exists, cidr, $or and arrays of
objects) and the same ~100k events, parsed once before the clock starts. The naive interpreter,
written here, walks every pattern's JSON for every event (what a matcher without compilation
does); the RuleSet compiles patterns to closures once and indexes rules by the exact values they
require. Both must agree on every event. One process, one core.

    .venv/bin/python bench/respond_throughput.py [--events 100000] [--rules 500] [--naive-events 10000]

Target: at least 50,000 events/s for the compiled RuleSet. With ``--e2e-trials N`` (default 20;
0 skips it) it then measures the end-to-end latency from an API call to its remediation in the
sandbox (``bench/respond_latency.py``).
"""

from __future__ import annotations

import argparse
import ipaddress
import random
import sys
import time
from pathlib import Path
from typing import Any

from secpillar.respond import RuleSet, parse_rules

SERVICES: dict[str, list[str]] = {
    "s3": [
        "PutBucketPolicy",
        "DeleteBucketPolicy",
        "PutBucketAcl",
        "PutBucketPublicAccessBlock",
        "DeleteBucketPublicAccessBlock",
        "PutObject",
        "GetObject",
        "CreateBucket",
        "DeleteBucket",
        "PutBucketEncryption",
        "DeleteBucketEncryption",
        "PutBucketLogging",
        "PutBucketVersioning",
    ],
    "ec2": [
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RunInstances",
        "TerminateInstances",
        "CreateSecurityGroup",
        "ModifyInstanceAttribute",
        "CreateVpc",
        "DeleteFlowLogs",
        "CreateNetworkAclEntry",
        "DescribeInstances",
        "StopInstances",
    ],
    "iam": [
        "AttachUserPolicy",
        "AttachRolePolicy",
        "AttachGroupPolicy",
        "PutUserPolicy",
        "PutRolePolicy",
        "CreateAccessKey",
        "DeleteAccessKey",
        "UpdateAccessKey",
        "CreateUser",
        "DeleteUser",
        "CreateLoginProfile",
        "UpdateAssumeRolePolicy",
        "DeactivateMFADevice",
        "CreateRole",
    ],
    "kms": ["ScheduleKeyDeletion", "DisableKey", "PutKeyPolicy", "CreateGrant", "Decrypt", "Encrypt"],
    "cloudtrail": ["StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "StartLogging"],
    "rds": ["ModifyDBInstance", "CreateDBSnapshot", "ModifyDBSnapshotAttribute", "DeleteDBInstance"],
    "lambda": ["AddPermission20150331v2", "UpdateFunctionCode20150331v2", "CreateFunction20150331"],
    "sts": ["AssumeRole", "GetSessionToken", "GetFederationToken"],
    "organizations": ["LeaveOrganization", "DetachPolicy", "DeletePolicy"],
    "config": ["StopConfigurationRecorder", "DeleteDeliveryChannel"],
    "guardduty": ["DeleteDetector", "UpdateDetector", "DisassociateFromMasterAccount"],
}
# Read-only calls dominate real CloudTrail traffic; security rules rarely target them.
READS = [
    "DescribeInstances",
    "DescribeSecurityGroups",
    "GetObject",
    "HeadObject",
    "ListBuckets",
    "GetBucketLocation",
    "ListRoles",
    "GetRole",
    "Decrypt",
    "GenerateDataKey",
    "DescribeDBInstances",
    "GetCallerIdentity",
    "ListFunctions20150331",
    "LookupEvents",
    "DescribeTrails",
    "GetFindings",
]
READ_SHARE = 0.6
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
USERS = ["alice", "bob", "carol", "dave", "terraform", "breakglass", "ci-deployer"]
REGIONS = ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"]
ACCOUNTS = [f"{n:012d}" for n in (111122223333, 222233334444, 333344445555, 444455556666)]


def make_rules(n: int, rng: random.Random) -> list[dict[str, Any]]:
    """``n`` rules of the shapes security teams write."""
    rules: list[dict[str, Any]] = []
    svcs = list(SERVICES)
    while len(rules) < n:
        i = len(rules)
        kind = i % 10
        svc = rng.choice(svcs)
        names = rng.sample(SERVICES[svc], k=min(len(SERVICES[svc]), rng.randint(1, 3)))
        detail: dict[str, Any] = {"eventSource": [f"{svc}.amazonaws.com"], "eventName": names}
        pattern: dict[str, Any] = {"source": [f"aws.{svc}"], "detail-type": ["AWS API Call via CloudTrail"]}
        if kind == 0:
            detail["errorCode"] = [{"exists": False}]
        elif kind == 1:
            detail["userIdentity"] = {"userName": [{"anything-but": rng.sample(USERS, 2)}]}
        elif kind == 2:
            detail["requestParameters"] = {
                "ipPermissions": {
                    "items": {
                        "fromPort": [rng.choice([22, 3389, 5432])],
                        "ipRanges": {"items": {"cidrIp": ["0.0.0.0/0"]}},
                    }
                }
            }
        elif kind == 3:
            detail["sourceIPAddress"] = [
                {"cidr": rng.choice(["203.0.113.0/24", "198.51.100.0/24", "10.0.0.0/8"])}
            ]
        elif kind == 4:
            detail["awsRegion"] = [{"prefix": rng.choice(["eu-", "us-", "ap-"])}]
        elif kind == 5:
            detail["requestParameters"] = {"policyArn": [{"suffix": "AdministratorAccess"}]}
        elif kind == 6:
            detail["userIdentity"] = {"arn": [{"wildcard": f"arn:aws:iam::*:user/{rng.choice(USERS)}*"}]}
        elif kind == 7:
            pattern = {
                "source": ["aws.guardduty"],
                "detail-type": ["GuardDuty Finding"],
                "detail": {
                    "severity": [{"numeric": [">=", rng.choice([4, 7, 8])]}],
                    "type": [{"prefix": rng.choice(["UnauthorizedAccess:", "Recon:", "CryptoCurrency:"])}],
                },
            }
            detail = {}
        elif kind == 8:
            pattern = {
                "source": ["aws.securityhub"],
                "detail-type": ["Security Hub Findings - Imported"],
                "detail": {
                    "findings": {
                        "Severity": {"Label": rng.sample(["CRITICAL", "HIGH", "MEDIUM"], 2)},
                        "Workflow": {"Status": ["NEW"]},
                        "$or": [{"Compliance": {"Status": ["FAILED"]}}, {"RecordState": ["ACTIVE"]}],
                    }
                },
            }
            detail = {}
        else:
            detail["$or"] = [
                {"userIdentity": {"type": ["Root"]}},
                {"userIdentity": {"sessionContext": {"attributes": {"mfaAuthenticated": ["false"]}}}},
            ]
        if detail:
            pattern["detail"] = detail
        rule: dict[str, Any] = {
            "name": f"rule-{i:03d}",
            "pattern": pattern,
            "actions": [{"type": "notify.email", "params": {"to": ["sec@example.com"]}}],
        }
        if i % 7 == 0:
            rule["conditions"] = {"accounts": rng.sample(ACCOUNTS, 2)}
        rules.append(rule)
    return rules


def make_events(n: int, rng: random.Random, read_share: float = READ_SHARE) -> list[dict[str, Any]]:
    events = []
    svcs = list(SERVICES)
    for i in range(n):
        r = rng.random()
        if r < 0.05:
            events.append(_guardduty(rng, i))
        elif r < 0.10:
            events.append(_securityhub(rng, i))
        else:
            svc = rng.choice(svcs)
            name = rng.choice(READS) if rng.random() < read_share else rng.choice(SERVICES[svc])
            events.append(_cloudtrail(rng, i, svc, name))
    return events


def _envelope(i: int, source: str, dtype: str, region: str, detail: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "0",
        "id": f"ev-{i}",
        "detail-type": dtype,
        "source": source,
        "account": ACCOUNTS[i % len(ACCOUNTS)],
        "time": "2024-05-01T10:00:00Z",
        "region": region,
        "resources": [],
        "detail": detail,
    }


def _cloudtrail(rng: random.Random, i: int, svc: str, name: str) -> dict[str, Any]:
    region = rng.choice(REGIONS)
    user = rng.choice(USERS)
    req: dict[str, Any] = {}
    if name.startswith("Authorize"):
        req = {
            "groupId": "sg-1",
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": p,
                        "toPort": p,
                        "ipRanges": {"items": [{"cidrIp": rng.choice(["0.0.0.0/0", "10.0.0.0/8"])}]},
                    }
                    for p in rng.sample([22, 80, 443, 3389, 5432], 2)
                ]
            },
        }
    elif name.startswith("Attach"):
        req = {"userName": user, "policyArn": rng.choice([ADMIN, "arn:aws:iam::aws:policy/ReadOnlyAccess"])}
    elif svc == "s3":
        req = {"bucketName": f"bucket-{rng.randint(1, 50)}", "Host": "s3.amazonaws.com"}
    detail: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": {
            "type": "Root" if rng.random() < 0.02 else "IAMUser",
            "arn": f"arn:aws:iam::111122223333:user/{user}",
            "userName": user,
            "sessionContext": {"attributes": {"mfaAuthenticated": rng.choice(["true", "false"])}},
        },
        "eventTime": "2024-05-01T10:00:00Z",
        "eventSource": f"{svc}.amazonaws.com",
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": rng.choice(["203.0.113.7", "198.51.100.20", "10.1.2.3", f"{svc}.amazonaws.com"]),
        "userAgent": "aws-cli/2.15.0",
        "requestParameters": req or None,
        "responseElements": None,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": "111122223333",
    }
    if rng.random() < 0.1:
        detail["errorCode"] = "AccessDenied"
    return _envelope(i, f"aws.{svc}", "AWS API Call via CloudTrail", region, detail)


def _guardduty(rng: random.Random, i: int) -> dict[str, Any]:
    detail = {
        "schemaVersion": "2.0",
        "severity": rng.choice([2, 5, 8]),
        "type": rng.choice(
            [
                "UnauthorizedAccess:EC2/SSHBruteForce",
                "Recon:EC2/PortProbeUnprotectedPort",
                "CryptoCurrency:EC2/BitcoinTool.B!DNS",
                "Policy:S3/BucketPublicAccessGranted",
            ]
        ),
    }
    return _envelope(i, "aws.guardduty", "GuardDuty Finding", rng.choice(REGIONS), detail)


def _securityhub(rng: random.Random, i: int) -> dict[str, Any]:
    findings = [
        {
            "Severity": {"Label": rng.choice(["CRITICAL", "HIGH", "LOW", "INFORMATIONAL"])},
            "Workflow": {"Status": rng.choice(["NEW", "RESOLVED"])},
            "Compliance": {"Status": rng.choice(["FAILED", "PASSED"])},
            "RecordState": rng.choice(["ACTIVE", "ARCHIVED"]),
        }
        for _ in range(rng.randint(1, 3))
    ]
    return _envelope(
        i, "aws.securityhub", "Security Hub Findings - Imported", rng.choice(REGIONS), {"findings": findings}
    )


# ---- the naive peer: walk the pattern JSON for every event --------------------------------------

_MISSING = object()


def _leaves(v: Any) -> list[Any]:
    if isinstance(v, list):
        out: list[Any] = []
        for x in v:
            out.extend(_leaves(x))
        return out
    if isinstance(v, dict) or v is _MISSING:
        return []
    return [v]


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _value_ok(m: Any, v: Any) -> bool:
    if not isinstance(m, dict):
        if isinstance(m, bool) or isinstance(v, bool):
            return type(m) is type(v) and m == v
        if m is None or v is None:
            return m is v
        if _is_num(m):
            return _is_num(v) and m == v
        return isinstance(v, str) and m == v
    ((op, arg),) = m.items()
    if op == "exists":
        return bool(arg)
    if op == "prefix":
        return isinstance(v, str) and v.startswith(arg)
    if op == "suffix":
        return isinstance(v, str) and v.endswith(arg)
    if op == "wildcard":
        import fnmatch

        return isinstance(v, str) and fnmatch.fnmatchcase(v, arg)
    if op == "numeric":
        if not _is_num(v):
            return False
        ok = True
        for k in range(0, len(arg), 2):
            o, x = arg[k], arg[k + 1]
            ok = ok and {"=": v == x, "<": v < x, "<=": v <= x, ">": v > x, ">=": v >= x}[o]
        return ok
    if op == "cidr":
        try:
            return isinstance(v, str) and ipaddress.ip_address(v) in ipaddress.ip_network(arg, strict=False)
        except ValueError:
            return False
    if op == "anything-but":
        excluded = arg if isinstance(arg, list) else [arg]
        return not any(_value_ok(x, v) for x in excluded)
    raise ValueError(op)


def naive_match(pattern: dict[str, Any], obj: Any) -> bool:
    for key, sub in pattern.items():
        if key == "$or":
            if not any(naive_match(b, obj) for b in sub):
                return False
            continue
        v = obj.get(key, _MISSING) if isinstance(obj, dict) else _MISSING
        if isinstance(sub, dict):
            elems = _flat(v) if isinstance(v, list) else [v]
            if not any(naive_match(sub, e) for e in elems):
                return False
        else:
            leaves = _leaves(v)
            if not leaves:
                if not any(isinstance(m, dict) and m.get("exists") is False for m in sub):
                    return False
            elif not any(_value_ok(m, x) for m in sub for x in leaves):
                return False
    return True


def _flat(v: list[Any]) -> list[Any]:
    out: list[Any] = []
    for x in v:
        out.extend(_flat(x) if isinstance(x, list) else [x])
    return out or [_MISSING]


def naive_rules(doc: dict[str, Any]) -> Any:
    rules = doc["rules"]

    def match(event: dict[str, Any]) -> list[str]:
        out = []
        for r in rules:
            accounts = r.get("conditions", {}).get("accounts")
            if naive_match(r["pattern"], event) and (not accounts or event["account"] in accounts):
                out.append(r["name"])
        return out

    return match


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--rules", type=int, default=500)
    ap.add_argument("--naive-events", type=int, default=10_000, help="the naive peer is slow: a sample")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument(
        "--read-share",
        type=float,
        default=READ_SHARE,
        help="share of CloudTrail events that are read-only calls no rule targets",
    )
    ap.add_argument("--e2e-trials", type=int, default=20, help="sandbox latency trials (0: skip)")
    ap.add_argument("--flush", type=float, default=1.0, help="the sandbox recorder's flush interval (s)")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    doc = {"rules": make_rules(args.rules, rng)}
    events = make_events(args.events, rng, args.read_share)

    t0 = time.perf_counter()
    ruleset: RuleSet = parse_rules(doc)
    compile_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    fired = 0
    for e in events:
        fired += len(ruleset.match(e))
    fast_s = time.perf_counter() - t0
    fast_rate = len(events) / fast_s

    naive = naive_rules(doc)
    sample = events[: args.naive_events]
    t0 = time.perf_counter()
    naive_out = [naive(e) for e in sample]
    naive_s = time.perf_counter() - t0
    naive_rate = len(sample) / naive_s

    disagree = sum(
        1 for e, n in zip(sample, naive_out, strict=True) if [r.name for r in ruleset.match(e)] != n
    )
    print(f"CloudTrail read-only share: {args.read_share:.0%}")
    print(
        f"rules: {len(ruleset)} compiled in {compile_s * 1000:.0f} ms; events: {len(events)}; "
        f"rule firings: {fired}"
    )
    print(f"compiled RuleSet : {fast_rate:>10,.0f} events/s ({fast_s:.2f} s for {len(events)} events)")
    print(f"naive interpreter: {naive_rate:>10,.0f} events/s ({naive_s:.2f} s for {len(sample)} events)")
    print(f"ratio            : {fast_rate / naive_rate:.1f}x; disagreements on the sample: {disagree}")
    print(f"target 50,000 events/s: {'met' if fast_rate >= 50_000 else 'NOT met'}")
    if args.e2e_trials > 0:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from respond_latency import measure, report

        report(measure(args.e2e_trials, args.flush))


if __name__ == "__main__":
    main()
