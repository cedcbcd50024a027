"""S3 actions: restore a bucket policy to its last known good version; re-enable Block Public Access.

**Last known good** bucket policy, in this order:

1. the bucket's snapshot in the change store's baseline (``secpillar respond baseline`` records
   every bucket's policy — or its absence — as approved; run it again after approved changes);
2. otherwise, when a log lake is configured, the policy the last successful ``PutBucketPolicy``
   (or ``DeleteBucketPolicy``) of that bucket set *before* the offending event, from CloudTrail;
3. otherwise nothing is changed: the change is ``skipped`` and says how to take a baseline.

A policy equal to the known good one is a ``noop``, so the event the restore itself causes (a
``PutBucketPolicy`` made by the worker) does not fire a second change.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from secpillar.respond.actions.base import (
    ActionContext,
    ActionError,
    Invocation,
    ResponseAction,
    Target,
    arn_resources,
    missing,
    register,
    request_params,
    where,
)
from secpillar.respond.changes import Change

BASELINE_KIND = "s3.bucket-policy"
PAB_KEYS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def bucket_targets(event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
    account, region = where(event)
    names: list[str] = []
    if isinstance(params.get("bucket"), str):
        names.append(params["bucket"])
    rp = request_params(event)
    if isinstance(rp.get("bucketName"), str):
        names.append(rp["bucketName"])
    for arn in event.get("resources") or []:
        if isinstance(arn, str) and arn.startswith("arn:aws") and ":s3:::" in arn and "/" not in arn:
            names.append(arn.split(":::", 1)[1])
    names.extend(arn_resources(event, "bucket"))
    if not names:
        raise ActionError("the event names no bucket (requestParameters.bucketName or an S3 ARN)")
    return [{"account": account, "region": region, "bucket": n} for n in dict.fromkeys(names)]


def same_policy(a: str | None, b: str | None) -> bool:
    if a is None or b is None:
        return a is b
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return a == b


def current_policy(ctx: ActionContext, target: Target) -> str | None:
    s3 = ctx.target_client("s3", target)
    try:
        return str(s3.get_bucket_policy(Bucket=target["bucket"])["Policy"])
    except Exception as exc:
        if missing(exc, "NoSuchBucketPolicy"):
            return None
        raise


def baseline_key(account: str, bucket: str) -> str:
    return f"{account}/{bucket}"


def known_good(ctx: ActionContext, target: Target, inv: Invocation) -> tuple[bool, str | None, str]:
    """(found, policy or None for 'no policy', where it came from)."""
    snap = ctx.store.baseline(BASELINE_KIND, baseline_key(target["account"], target["bucket"]))
    if snap is not None:
        return True, snap["value"].get("policy"), f"baseline taken {snap['taken']}"
    if ctx.lake is not None:
        from secpillar.respond.history import prior_bucket_policy

        found = prior_bucket_policy(ctx.lake, target["bucket"], inv.event)
        if found is not None:
            policy, when = found
            return True, policy, f"CloudTrail: the bucket's policy as of {when}"
    return False, None, ""


@register
class RestoreBucketPolicy(ResponseAction):
    id = "s3.restore-bucket-policy"
    title = "Restore a bucket policy to its last known good version"
    permissions = ("s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy")
    params_schema = {"bucket": {"type": "string"}}
    wa = ("SEC03-BP07", "SEC04-BP04")

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        return bucket_targets(event, params)

    def plan(self, target: Target, inv: Invocation, ctx: ActionContext) -> Change:
        bucket = target["bucket"]
        now = current_policy(ctx, target)
        found, good, source = known_good(ctx, target, inv)
        if not found:
            ch = self.change(
                target,
                inv,
                f"no known good policy for bucket {bucket}: nothing restored",
                prior={"policy": now},
                reason="take a baseline first: secpillar respond baseline",
            )
            ch.status = "skipped"
            return ch
        what = "delete the bucket policy" if good is None else "put back the known good bucket policy"
        return self.change(
            target,
            inv,
            f"{what} of bucket {bucket} ({source})",
            prior={"policy": now},
            desired={"policy": good, "source": source},
            noop=same_policy(now, good),
            reason="the policy already is the known good one" if same_policy(now, good) else "",
        )

    def _put(self, ctx: ActionContext, target: Target, policy: str | None) -> None:
        s3 = ctx.target_client("s3", target)
        if policy is None:
            s3.delete_bucket_policy(Bucket=target["bucket"])
        else:
            s3.put_bucket_policy(Bucket=target["bucket"], Policy=policy)

    def apply(self, change: Change, ctx: ActionContext) -> None:
        self._put(ctx, change.target, change.desired.get("policy"))

    def is_applied(self, change: Change, ctx: ActionContext) -> bool:
        return same_policy(current_policy(ctx, change.target), change.desired.get("policy"))

    def rollback(self, change: Change, ctx: ActionContext) -> None:
        self._put(ctx, change.target, change.prior.get("policy"))


def current_pab(ctx: ActionContext, target: Target) -> dict[str, bool] | None:
    s3 = ctx.target_client("s3", target)
    try:
        cfg = s3.get_public_access_block(Bucket=target["bucket"])["PublicAccessBlockConfiguration"]
    except Exception as exc:
        if missing(exc, "NoSuchPublicAccessBlockConfiguration"):
            return None
        raise
    return {k: bool(cfg.get(k, False)) for k in PAB_KEYS}


@register
class EnableBlockPublicAccess(ResponseAction):
    id = "s3.enable-block-public-access"
    title = "Re-enable S3 Block Public Access on a bucket (all four settings)"
    permissions = ("s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock")
    params_schema = {"bucket": {"type": "string"}}
    wa = ("SEC03-BP07", "SEC08-BP04")

    def targets(self, event: Mapping[str, Any], params: Mapping[str, Any]) -> list[Target]:
        return bucket_targets(event, params)

    def plan(self, target: Target, inv: Invocation, ctx: ActionContext) -> Change:
        now = current_pab(ctx, target)
        desired = dict.fromkeys(PAB_KEYS, True)
        done = now == desired
        return self.change(
            target,
            inv,
            f"turn on all four Block Public Access settings of bucket {target['bucket']}",
            prior={"config": now},
            desired={"config": desired},
            noop=done,
            reason="already fully blocked" if done else "",
        )

    def _put(self, ctx: ActionContext, target: Target, cfg: dict[str, bool] | None) -> None:
        s3 = ctx.target_client("s3", target)
        if cfg is None:
            s3.delete_public_access_block(Bucket=target["bucket"])
        else:
            s3.put_public_access_block(Bucket=target["bucket"], PublicAccessBlockConfiguration=cfg)

    def apply(self, change: Change, ctx: ActionContext) -> None:
        self._put(ctx, change.target, change.desired["config"])

    def is_applied(self, change: Change, ctx: ActionContext) -> bool:
        return bool(current_pab(ctx, change.target) == change.desired["config"])

    def rollback(self, change: Change, ctx: ActionContext) -> None:
        self._put(ctx, change.target, change.prior.get("config"))
