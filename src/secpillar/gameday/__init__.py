"""Game days: detonate attack techniques against the sandbox (or an account you name) and keep the
score of what the detections and the responses did.

``load_all()`` imports every technique module (registration happens at import) and returns the
registry.
"""

from __future__ import annotations

import importlib

from secpillar.gameday.technique import REGISTRY, Context, Skip, Technique, TechniqueRegistry, register
from secpillar.gameday.techniques import TECHNIQUE_MODULES


def load_all() -> TechniqueRegistry:
    for name in TECHNIQUE_MODULES:
        importlib.import_module(name)
    return REGISTRY


__all__ = ["REGISTRY", "Context", "Skip", "Technique", "TechniqueRegistry", "load_all", "register"]
