"""Scan throughput at scale against the sandbox.

Seeds a fresh sandbox with N resources spread over an organization of several accounts
(default: 2,000 S3 buckets, 1,000 security groups and 500 IAM roles across 3 accounts), scans
it, and prints resources per second and AWS API calls per resource. For a ratio that survives a
noisy machine it also measures, in the same run, the endpoint's raw capacity (the fastest cheap
call, ``sts:GetCallerIdentity``, from the same number of threads): the scan's API-call rate as a
fraction of that ceiling says how much of the time is spent in the endpoint versus in secpillar.

    python bench/scan_scale.py                     # the full size
    python bench/scan_scale.py --scale 0.1         # a quick look
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3

from secpillar.sandbox.seed import SeedOrg, create_organization, policy, seed_random
from secpillar.sandbox.server import SandboxProcess
from secpillar.scan import ScanOptions, run_scan

REGION = "us-east-1"
ACCOUNTS = ("MGMT", "TEST", "PROD")


def seed_scale(org: SeedOrg, buckets: int, groups: int, roles: int, workers: int) -> None:
    trust = policy(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "sts:AssumeRole",
        }
    )

    def bucket(i: int) -> None:
        acct = ACCOUNTS[i % len(ACCOUNTS)]
        s3 = org.client(acct, "s3")
        name = f"bench-{acct.lower()}-{i:05d}"
        s3.create_bucket(Bucket=name)
        if i % 3 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    def group(i: int) -> None:
        acct = ACCOUNTS[i % len(ACCOUNTS)]
        ec2 = org.client(acct, "ec2")
        vpc = vpcs[acct]
        sg = ec2.create_security_group(GroupName=f"bench-{i:05d}", Description="bench", VpcId=vpc)["GroupId"]
        port = 22 if i % 10 == 0 else 443
        ec2.authorize_security_group_ingress(
            GroupId=sg,
            IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
            ],
        )

    def role(i: int) -> None:
        acct = ACCOUNTS[i % len(ACCOUNTS)]
        org.client(acct, "iam").create_role(RoleName=f"bench-role-{i:05d}", AssumeRolePolicyDocument=trust)

    vpcs = {a: org.client(a, "ec2").create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"] for a in ACCOUNTS}
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(bucket, range(buckets)))
        list(pool.map(group, range(groups)))
        list(pool.map(role, range(roles)))


def raw_call_rate(url: str, workers: int, seconds: float = 5.0) -> float:
    """Calls per second the endpoint serves for the cheapest call, from ``workers`` threads."""
    deadline = time.monotonic() + seconds

    def loop(_: int) -> int:
        sts = boto3.client(
            "sts", endpoint_url=url, region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t"
        )
        n = 0
        while time.monotonic() < deadline:
            sts.get_caller_identity()
            n += 1
        return n

    t0 = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        total = sum(pool.map(loop, range(workers)))
    return total / (time.monotonic() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="multiply every count (0.1 for a quick run)")
    ap.add_argument("--buckets", type=int, default=2000)
    ap.add_argument("--groups", type=int, default=1000)
    ap.add_argument("--roles", type=int, default=500)
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    args = ap.parse_args()
    n_b, n_g, n_r = (int(x * args.scale) for x in (args.buckets, args.groups, args.roles))
    out: dict[str, Any] = {"buckets": n_b, "security_groups": n_g, "roles": n_r, "accounts": len(ACCOUNTS)}
    with SandboxProcess() as proc:
        seed_random(proc.url)
        org = SeedOrg(proc.url)
        create_organization(org)
        t0 = time.monotonic()
        seed_scale(org, n_b, n_g, n_r, args.workers)
        out["seed_seconds"] = round(time.monotonic() - t0, 1)
        out["raw_calls_per_second"] = round(raw_call_rate(proc.url, args.workers), 1)
        options = ScanOptions(
            endpoint_url=proc.url,
            use_org=True,
            accounts=[org.account_id(a) for a in ACCOUNTS],
            regions=[REGION],
            max_workers=args.workers,
        )
        t0 = time.monotonic()
        result = run_scan(options)
        secs = time.monotonic() - t0
    n_res = len(result.inventory)
    out.update(
        scan_seconds=round(secs, 1),
        resources=n_res,
        findings=len(result.findings),
        gaps=len(result.inventory.gaps),
        api_calls=result.api_calls,
        resources_per_second=round(n_res / secs, 1),
        api_calls_per_resource=round(result.api_calls / max(1, n_res), 2),
        scan_calls_per_second=round(result.api_calls / secs, 1),
    )
    out["fraction_of_raw_endpoint_rate"] = round(
        out["scan_calls_per_second"] / out["raw_calls_per_second"], 2
    )
    if args.json:
        print(json.dumps(out))
        return 0
    print(
        f"seeded {n_b} buckets, {n_g} security groups, {n_r} roles in {len(ACCOUNTS)} accounts "
        f"in {out['seed_seconds']}s"
    )
    print(
        f"scan: {n_res} resources, {result.api_calls} API calls, {len(result.findings)} findings "
        f"in {secs:.1f}s"
    )
    print(f"  resources per second:     {out['resources_per_second']}")
    print(f"  API calls per resource:   {out['api_calls_per_resource']}")
    print(
        f"  scan API calls per second {out['scan_calls_per_second']} = "
        f"{out['fraction_of_raw_endpoint_rate']:.2f}x the "
        f"endpoint's raw rate ({out['raw_calls_per_second']}/s for sts:GetCallerIdentity, same threads)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
