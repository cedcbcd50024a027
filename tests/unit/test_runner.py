from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from secpillar.aws.session import AwsTarget, ClientFactory
from secpillar.collect.base import CollectContext, Collector, Scope, camelize, tag_dict
from secpillar.collect.runner import merge_resources, plan_jobs, run_collectors
from secpillar.model import ACCOUNT_TYPE, GapKind, Resource, account_arn


def acct_part(key: str, value: object) -> Resource:
    return Resource(ACCOUNT_TYPE, "1", account_arn("1"), "1", "global", "A", {"accountId": "1"}, {key: value})


def test_merge_combines_pseudo_resources() -> None:
    merged = merge_resources(
        [acct_part("PasswordPolicy", None), acct_part("S3AccountPublicAccessBlock", {"x": 1})]
    )
    assert len(merged) == 1
    assert merged[0].supplementary == {"PasswordPolicy": None, "S3AccountPublicAccessBlock": {"x": 1}}


class Fine(Collector):
    id = "fine"
    scope = Scope.REGIONAL
    resource_types: ClassVar[tuple[str, ...]] = ("AWS::Test::Thing",)
    permissions: ClassVar[tuple[str, ...]] = ("test:List",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        yield Resource(
            "AWS::Test::Thing",
            ctx.region,
            f"arn:aws:test:{ctx.region}:{ctx.account_id}:t",
            ctx.account_id,
            ctx.region,
        )


class Broken(Collector):
    id = "broken"
    scope = Scope.ACCOUNT
    resource_types: ClassVar[tuple[str, ...]] = ("AWS::Test::Other",)
    permissions: ClassVar[tuple[str, ...]] = ("test:Get",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        raise RuntimeError("boom")


class OrgOnly(Collector):
    id = "org"
    scope = Scope.ORGANIZATION
    resource_types: ClassVar[tuple[str, ...]] = ("AWS::Test::Org",)
    permissions: ClassVar[tuple[str, ...]] = ("organizations:ListPolicies",)

    def collect(self, ctx: CollectContext) -> Iterable[Resource]:
        return []


def test_plan_and_run_isolate_a_broken_collector() -> None:
    factory = ClientFactory(session=None)
    targets = [AwsTarget("111111111111", "MGMT", factory), AwsTarget("222222222222", "PROD", factory)]
    jobs = plan_jobs(targets, [Fine(), Broken(), OrgOnly()], ["us-east-1", "eu-west-1"], "111111111111")
    # 2 accounts x 2 regions of Fine, 2 accounts x Broken, 1 OrgOnly in the management account.
    assert len(jobs) == 7
    assert [j.target.account_id for j in jobs if j.collector.id == "org"] == ["111111111111"]
    result = run_collectors(jobs, max_workers=3)
    assert len(result.resources) == 4
    assert len(result.gaps) == 2
    assert all(g.kind is GapKind.ERROR and "boom" in g.message for g in result.gaps)


def test_camelize_matches_config_style() -> None:
    raw = {
        "GroupId": "sg-1",
        "IpPermissions": [{"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        "VPCId": "v",
        "ARN": "a",
    }
    assert camelize(raw) == {
        "groupId": "sg-1",
        "ipPermissions": [{"ipRanges": [{"cidrIp": "0.0.0.0/0"}]}],
        "vpcId": "v",
        "arn": "a",
    }
    assert tag_dict([{"Key": "a", "Value": "1"}, {"key": "b", "value": None}]) == {"a": "1", "b": ""}
