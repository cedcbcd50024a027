"""Elastic Load Balancing v2: load balancers with their listeners (``supplementary.Listeners``) and
target groups with their registered targets (``supplementary.Targets``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from secpillar.collect.base import CollectContext, Collector, Scope, camelize, register
from secpillar.model import Relationship, Resource

LOAD_BALANCER = "AWS::ElasticLoadBalancingV2::LoadBalancer"
TARGET_GROUP = "AWS::ElasticLoadBalancingV2::TargetGroup"


def transform_load_balancer(
    raw: Mapping[str, Any],
    listeners: list[Mapping[str, Any]] | None,
    account_id: str,
    region: str,
    attributes: list[Mapping[str, Any]] | None = None,
) -> Resource:
    """A load balancer; ``listeners`` = DescribeListeners' answer, ``attributes`` =
    DescribeLoadBalancerAttributes' ``Attributes`` (None: unknown, the key is left out)."""
    supp: dict[str, Any] = (
        {"Listeners": [camelize(dict(li)) for li in listeners]} if listeners is not None else {}
    )
    if attributes is not None:
        supp["Attributes"] = {str(a.get("Key", "")): str(a.get("Value", "")) for a in attributes}
    rels = tuple(
        Relationship("Is associated with SecurityGroup", "AWS::EC2::SecurityGroup", str(g))
        for g in raw.get("SecurityGroups") or ()
    )
    return Resource(
        resource_type=LOAD_BALANCER,
        resource_id=str(raw["LoadBalancerArn"]).split("loadbalancer/", 1)[-1],
        arn=str(raw["LoadBalancerArn"]),
        account_id=account_id,
        region=region,
        name=str(raw.get("LoadBalancerName", "")),
        configuration=camelize(dict(raw)),
        supplementary=supp,
        relationships=rels,
    )


def transform_target_group(
    raw: Mapping[str, Any], health: list[Mapping[str, Any]] | None, account_id: str, region: str
) -> Resource:
    """A target group; ``health`` = DescribeTargetHealth's descriptions (None: unknown)."""
    supp = {"Targets": [camelize(dict(h)) for h in health]} if health is not None else {}
    return Resource(
        resource_type=TARGET_GROUP,
        resource_id=str(raw["TargetGroupArn"]).split("targetgroup/", 1)[-1],
        arn=str(raw["TargetGroupArn"]),
        account_id=account_id,
        region=region,
        name=str(raw.get("TargetGroupName", "")),
        configuration=camelize(dict(raw)),
        supplementary=supp,
    )


@register
class Elbv2Collector(Collector):
    id = "elbv2"
    scope = Scope.REGIONAL
    resource_types = (LOAD_BALANCER, TARGET_GROUP)
    permissions = (
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeTargetGroups",
        "elasticloadbalancing:DescribeTargetHealth",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
    )

    def collect(self, ctx: CollectContext) -> Iterator[Resource]:
        elb = ctx.client("elbv2")
        acct, region = ctx.account_id, ctx.region
        lbs = ctx.paginate(elb, "describe_load_balancers", "LoadBalancers")
        if not lbs:
            return
        for lb in lbs:
            listeners = ctx.paginate(
                elb, "describe_listeners", "Listeners", LoadBalancerArn=lb["LoadBalancerArn"]
            )
            attrs = ctx.call(elb, "describe_load_balancer_attributes", LoadBalancerArn=lb["LoadBalancerArn"])
            attributes = None if attrs is None else list(attrs.get("Attributes") or ())
            yield transform_load_balancer(lb, listeners, acct, region, attributes)
        for tg in ctx.paginate(elb, "describe_target_groups", "TargetGroups") or ():
            answer = ctx.call(elb, "describe_target_health", TargetGroupArn=tg["TargetGroupArn"])
            health = None if answer is None else list(answer.get("TargetHealthDescriptions") or ())
            yield transform_target_group(tg, health, acct, region)
