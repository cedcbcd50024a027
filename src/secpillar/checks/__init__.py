"""Posture checks: the registry, and the modules that register into it.

The modules are listed here by name (a registry, not discovery by file path); ``load_all``
imports them once so that every check is registered."""

from __future__ import annotations

import importlib
from functools import cache

from secpillar.checks.registry import REGISTRY, Check, CheckContext, CheckRegistry, Result, register

CHECK_MODULES: tuple[str, ...] = (
    "secpillar.checks.iam",
    "secpillar.checks.iam_analysis",
    "secpillar.checks.organizations",
    "secpillar.checks.s3",
    "secpillar.checks.cloudfront",
    "secpillar.checks.kms",
    "secpillar.checks.ec2",
    "secpillar.checks.network_reach",
    "secpillar.checks.rds",
    "secpillar.checks.cloudtrail",
    "secpillar.checks.config",
    "secpillar.checks.guardduty",
    "secpillar.checks.ecr",
    "secpillar.checks.tagging",
    "secpillar.checks.security_services",
    "secpillar.checks.acm",
    "secpillar.checks.edge",
    "secpillar.checks.monitoring",
    "secpillar.checks.identity",
    "secpillar.checks.org_guardrails",
    "secpillar.checks.secrets",
    "secpillar.checks.compute",
    "secpillar.checks.response_readiness",
    "secpillar.checks.data_protection",
    "secpillar.checks.pipeline",
    "secpillar.checks.exposure",
)


@cache
def load_all() -> CheckRegistry:
    """Import every check module (once) and return the filled registry."""
    for name in CHECK_MODULES:
        importlib.import_module(name)
    return REGISTRY


__all__ = [
    "CHECK_MODULES",
    "REGISTRY",
    "Check",
    "CheckContext",
    "CheckRegistry",
    "Result",
    "load_all",
    "register",
]
