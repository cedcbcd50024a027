"""Decisions per second of secpillar's IAM evaluator against moto's, measured in the same run.

secpillar does the full evaluation (identity + resource + boundary + two SCP levels, conditions,
wildcards, policy variables); moto's ``IAMPolicy`` evaluates the identity-only subset it supports
(identity policies, no conditions). Both parse their policies once, before the clock starts.

    .venv/bin/python bench/iam_eval.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import time
from typing import Any

from secpillar.iam import PolicySet, Request, evaluate, parse_policy

A1, A2 = "111111111111", "222222222222"
SERVICES = ["s3", "ec2", "iam", "sqs", "dynamodb", "kms", "lambda", "logs"]
VERBS = ["Get", "Put", "List", "Describe", "Create", "Delete", "Update", "Tag"]
NOUNS = ["Object", "Bucket", "Instances", "User", "Queue", "Table", "Key", "Function", "LogGroup"]


def identity_docs(rng: random.Random) -> list[dict[str, Any]]:
    docs = []
    for p in range(3):
        stmts: list[dict[str, Any]] = []
        for i in range(8):
            svc = rng.choice(SERVICES)
            stmt: dict[str, Any] = {
                "Sid": f"P{p}S{i}",
                "Effect": "Deny" if i == 7 else "Allow",
                "Action": [f"{svc}:{rng.choice(VERBS)}*", f"{svc}:{rng.choice(VERBS)}{rng.choice(NOUNS)}"],
                "Resource": [f"arn:aws:{svc}:*:{A1}:*", f"arn:aws:s3:::bucket-{i}/*"],
            }
            if i % 3 == 0:
                stmt["Condition"] = {
                    "StringEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]},
                    "IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.0.0/16"]},
                }
            if i == 7:
                stmt["Condition"] = {"Bool": {"aws:MultiFactorAuthPresent": "false"}}
            stmts.append(stmt)
        stmts.append(
            {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::home/${aws:username}/*"}
        )
        docs.append({"Version": "2012-10-17", "Statement": stmts})
    return docs


def other_docs() -> dict[str, Any]:
    return {
        "resource": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{A2}:root"},
                    "Action": "s3:Get*",
                    "Resource": "arn:aws:s3:::bucket-1/*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc"}},
                },
                {
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": "arn:aws:s3:::bucket-1/*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        },
        "boundaries": [
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*"], "Resource": "*"}
                ],
            }
        ],
        "scps": [
            [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}],
            [
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "*", "Resource": "*"},
                        {
                            "Effect": "Deny",
                            "Action": "*",
                            "Resource": "*",
                            "Condition": {
                                "StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}
                            },
                        },
                    ],
                }
            ],
        ],
    }


def requests(rng: random.Random, n: int) -> list[Request]:
    out = []
    for _ in range(n):
        svc = rng.choice(SERVICES)
        action = f"{svc}:{rng.choice(VERBS)}{rng.choice(NOUNS)}"
        resource = rng.choice(
            [f"arn:aws:{svc}:us-east-1:{A1}:thing/x", f"arn:aws:s3:::bucket-{rng.randrange(8)}/k"]
        )
        ctx = {
            "aws:RequestedRegion": rng.choice(["us-east-1", "eu-west-1", "ap-south-1"]),
            "aws:SourceIp": rng.choice(["10.1.2.3", "192.168.7.7", "8.8.8.8"]),
            "aws:MultiFactorAuthPresent": rng.choice(["true", "false"]),
            "aws:SecureTransport": "true",
        }
        out.append(Request(f"arn:aws:iam::{A1}:user/alice", action, resource, None, ctx))
    return out


def strip_conditions(doc: dict[str, Any]) -> dict[str, Any]:
    d = copy.deepcopy(doc)
    for s in d["Statement"]:
        s.pop("Condition", None)
    return d


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--requests", type=int, default=20000)
    args = ap.parse_args()
    rng = random.Random(7)
    ids = identity_docs(rng)
    rest = other_docs()
    ps = PolicySet(
        identity=tuple(parse_policy(d, "identity") for d in ids),
        resource=(parse_policy(rest["resource"], "resource"),),
        boundaries=tuple(parse_policy(d, "boundary") for d in rest["boundaries"]),
        scps=tuple(tuple(parse_policy(d, "scp") for d in level) for level in rest["scps"]),
    )
    reqs = requests(rng, args.requests)

    t0 = time.perf_counter()
    counts: dict[str, int] = {}
    for r in reqs:
        d = evaluate(r, ps).decision
        counts[d] = counts.get(d, 0) + 1
    ours = len(reqs) / (time.perf_counter() - t0)

    from moto.iam.access_control import IAMPolicy, PermissionResult

    moto_policies = [IAMPolicy(json.dumps(strip_conditions(d))) for d in ids]
    t0 = time.perf_counter()
    mcounts: dict[str, int] = {}
    for r in reqs:
        permitted = False
        denied = False
        for mp in moto_policies:
            res = mp.is_action_permitted(r.action, r.resource)
            if res == PermissionResult.DENIED:
                denied = True
                break
            if res == PermissionResult.PERMITTED:
                permitted = True
        key = "explicitDeny" if denied else "allowed" if permitted else "implicitDeny"
        mcounts[key] = mcounts.get(key, 0) + 1
    theirs = len(reqs) / (time.perf_counter() - t0)

    print(f"requests: {len(reqs)} (3 identity policies x 9 statements, resource, boundary, 2 SCP levels)")
    print(f"secpillar full evaluation : {ours:12,.0f} decisions/s  {counts}")
    print(f"moto IAMPolicy (identity) : {theirs:12,.0f} decisions/s  {mcounts}")
    print(f"ratio secpillar/moto      : {ours / theirs:12.1f}x")


if __name__ == "__main__":
    main()
