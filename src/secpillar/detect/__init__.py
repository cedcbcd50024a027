"""Threat detections over the log lake: registered SQL detections and Sigma rules.

``load_all()`` imports every detection module (registration happens at import) and returns the
registry. Detection modules are listed here by name, as checks and collectors are.
"""

from __future__ import annotations

import importlib

from secpillar.detect.registry import (
    ALERT_COLUMNS,
    REGISTRY,
    Detection,
    DetectionRegistry,
    Param,
    register,
)

DETECTION_MODULES = (
    "secpillar.detect.identity",
    "secpillar.detect.logging",
    "secpillar.detect.exposure",
    "secpillar.detect.threats",
)


def load_all() -> DetectionRegistry:
    for name in DETECTION_MODULES:
        importlib.import_module(name)
    return REGISTRY


__all__ = [
    "ALERT_COLUMNS",
    "DETECTION_MODULES",
    "REGISTRY",
    "Detection",
    "DetectionRegistry",
    "Param",
    "load_all",
    "register",
]
