"""CloudTrail: the trails whose home region is the region scanned, with their logging status and
event selectors.

``describe_trails(includeShadowTrails=False)`` lists the trails created in this region (a
multi-region trail appears once, in its home region); only trails owned by the account scanned are
kept, so an organization trail is collected once, in the management account that owns it.

Each trail records ``s3BucketInTrailAccount`` when ``s3:ListBuckets`` tells whether the delivery
bucket belongs to the trail's own account (``ListBuckets`` lists only the caller's buckets); the
central-bucket check prefers the bucket's account from the inventory and falls back on it.

The collector also emits the account's ``AWS::::Account`` pseudo resource (no supplementary keys of
its own) so that a scan selecting only ``aws.cloudtrail.enabled-in-account`` collects the trails
that check reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register, tag_dict
from secpillar.model import ACCOUNT_TYPE, Resource, account_resource

TRAIL_TYPE = "AWS::CloudTrail::Trail"


def arn_account(arn: str) -> str:
    """The account field of an ARN (``""`` when it has none)."""
    parts = arn.split(":")
    return parts[4] if len(parts) > 5 else ""


def transform_trail(
    trail: Mapping[str, Any],
    account_id: str,
    region: str,
    *,
    status: Mapping[str, Any] | None = None,
    selectors: Mapping[str, Any] | None = None,
    tags: Iterable[dict[str, Any]] | None = None,
    bucket_in_trail_account: bool | None = None,
) -> Resource:
    """One ``describe_trails`` entry (+ ``get_trail_status``, ``get_event_selectors``, tags) ->
    the trail resource. ``None`` for a part means its call failed: the key is left out."""
    config: dict[str, Any] = camelize(dict(trail))
    if status is not None:
        config["status"] = camelize(dict(status))
    if selectors is not None:
        config["eventSelectors"] = camelize(list(selectors.get("EventSelectors") or ()))
        config["advancedEventSelectors"] = camelize(list(selectors.get("AdvancedEventSelectors") or ()))
    if bucket_in_trail_account is not None:
        config["s3BucketInTrailAccount"] = bucket_in_trail_account
    arn = str(trail["TrailARN"])
    return Resource(
        resource_type=TRAIL_TYPE,
        resource_id=arn,
        arn=arn,
        account_id=account_id,
        region=str(trail.get("HomeRegion") or region),
        name=str(trail.get("Name") or arn.rsplit("/", 1)[-1]),
        configuration=config,
        tags=tag_dict(tags),
    )


def transform_account(account_id: str, account_name: str, partition: str) -> Resource:
    """The ``AWS::::Account`` pseudo resource, in the shared shape (no keys of ours)."""
    return account_resource(account_id, account_name, partition)


def owned_trails(
    trails: Sequence[Mapping[str, Any]], account_id: str, region: str
) -> list[Mapping[str, Any]]:
    """The trails of ``account_id`` whose home region is ``region`` (shadow copies dropped)."""
    out = []
    for t in trails:
        if not t.get("TrailARN") or arn_account(str(t["TrailARN"])) != account_id:
            continue
        if t.get("HomeRegion") and t["HomeRegion"] != region:
            continue
        out.append(t)
    return out


@register
class CloudTrailCollector(Collector):
    id = "cloudtrail"
    scope = Scope.REGIONAL
    resource_types = (TRAIL_TYPE, ACCOUNT_TYPE)
    permissions = (
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
        "cloudtrail:ListTags",
        "s3:ListAllMyBuckets",
    )

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        yield transform_account(ctx.account_id, ctx.account_name, ctx.partition)
        ct = ctx.client("cloudtrail")
        listed = ctx.call(ct, "describe_trails", includeShadowTrails=False)
        if listed is None:
            return
        trails = owned_trails(listed.get("trailList") or [], ctx.account_id, ctx.region)
        if not trails:
            return
        own_buckets = self._own_bucket_names(ctx)
        tags = self._tags(ctx, ct, [str(t["TrailARN"]) for t in trails])
        for trail in trails:
            arn = str(trail["TrailARN"])
            status = ctx.call(ct, "get_trail_status", Name=arn)
            selectors = ctx.call(ct, "get_event_selectors", TrailName=arn)
            bucket = trail.get("S3BucketName")
            in_account = None if own_buckets is None or not bucket else bucket in own_buckets
            yield transform_trail(
                trail,
                ctx.account_id,
                ctx.region,
                status=status,
                selectors=selectors,
                tags=tags.get(arn),
                bucket_in_trail_account=in_account,
            )

    @staticmethod
    def _own_bucket_names(ctx: CollectContext) -> set[str] | None:
        buckets = ctx.paginate(ctx.client("s3"), "list_buckets", "Buckets")
        return None if buckets is None else {str(b["Name"]) for b in buckets}

    @staticmethod
    def _tags(ctx: CollectContext, ct: Any, arns: list[str]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {}
        for i in range(0, len(arns), 20):  # ListTags takes at most 20 trail ARNs
            items = ctx.paginate(ct, "list_tags", "ResourceTagList", ResourceIdList=arns[i : i + 20])
            for item in items or ():
                out[str(item.get("ResourceId"))] = list(item.get("TagsList") or ())
        return out
