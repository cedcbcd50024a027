"""Response actions, registered under stable ids. Importing this package registers them all."""

from __future__ import annotations

import importlib

from secpillar.respond.actions.base import (
    REGISTRY,
    ActionContext,
    ActionError,
    Invocation,
    ResponseAction,
    register,
)

ACTION_MODULES = ("s3", "ec2", "iam", "cloudtrail", "kms", "notify")

for _name in ACTION_MODULES:
    importlib.import_module(f"{__name__}.{_name}")

__all__ = ["REGISTRY", "ActionContext", "ActionError", "Invocation", "ResponseAction", "register"]
