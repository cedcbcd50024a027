"""Known-good snapshots (``secpillar respond baseline``): what ``s3.restore-bucket-policy`` restores."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from secpillar.respond.actions.base import ActionContext
from secpillar.respond.actions.s3 import BASELINE_KIND, baseline_key, current_policy


@dataclass(frozen=True)
class BaselineItem:
    bucket: str
    has_policy: bool


def take_bucket_baseline(ctx: ActionContext, buckets: Iterable[str] = ()) -> list[BaselineItem]:
    """Record each bucket's current policy (or its absence) as the known good one."""
    account = str(ctx.client("sts").get_caller_identity()["Account"])
    names = list(buckets) or [b["Name"] for b in ctx.client("s3").list_buckets().get("Buckets", [])]
    out = []
    for name in names:
        policy = current_policy(ctx, {"bucket": name, "region": ""})
        ctx.store.save_baseline(BASELINE_KIND, baseline_key(account, name), {"policy": policy})
        out.append(BaselineItem(name, policy is not None))
    return out
