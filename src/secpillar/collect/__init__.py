"""Collectors: one module per service, each fetch (boto3) -> transform (pure) -> Resources.

Modules are listed here by name; ``load_all`` imports them once so they register."""

from __future__ import annotations

import importlib
from functools import cache

from secpillar.collect.base import COLLECTORS, CollectContext, Collector, CollectorRegistry, Scope, register

COLLECTOR_MODULES: tuple[str, ...] = (
    "secpillar.collect.organizations",
    "secpillar.collect.iam",
    "secpillar.collect.s3",
    "secpillar.collect.cloudfront",
    "secpillar.collect.kms",
    "secpillar.collect.ec2",
    "secpillar.collect.ec2_reach",
    "secpillar.collect.elbv2",
    "secpillar.collect.rds",
    "secpillar.collect.cloudtrail",
    "secpillar.collect.config",
    "secpillar.collect.guardduty",
    "secpillar.collect.ecr",
    "secpillar.collect.securityhub",
    "secpillar.collect.accessanalyzer",
    "secpillar.collect.acm",
    "secpillar.collect.cloudwatch",
    "secpillar.collect.identity",
    "secpillar.collect.inspector",
    "secpillar.collect.events",
    "secpillar.collect.backup",
    "secpillar.collect.ssm",
    "secpillar.collect.ec2_images",
    "secpillar.collect.wafv2",
    "secpillar.collect.codebuild",
    "secpillar.collect.fis",
    "secpillar.collect.lambda_",
    "secpillar.collect.secretsmanager",
    "secpillar.collect.ecr_registry",
    "secpillar.collect.ec2_templates",
    "secpillar.collect.sqs",
    "secpillar.collect.sns",
    "secpillar.collect.resource_policies",
)


@cache
def load_all() -> CollectorRegistry:
    for name in COLLECTOR_MODULES:
        importlib.import_module(name)
    return COLLECTORS


__all__ = [
    "COLLECTORS",
    "COLLECTOR_MODULES",
    "CollectContext",
    "Collector",
    "CollectorRegistry",
    "Scope",
    "load_all",
    "register",
]
