"""Network reachability over the inventory (pure: no AWS calls).

``network_for(inventory)`` builds the model once; ``reach``, ``exposure`` and ``isolation`` answer
the three questions of ``secpillar net``."""

from __future__ import annotations

from secpillar.net.build import build_network, network_for
from secpillar.net.exposure import Exposed, exposure
from secpillar.net.isolation import environment_crossings, isolation
from secpillar.net.model import NETWORK_TYPES, Network
from secpillar.net.query import reach, resolve

__all__ = [
    "NETWORK_TYPES",
    "Exposed",
    "Network",
    "build_network",
    "environment_crossings",
    "exposure",
    "isolation",
    "network_for",
    "reach",
    "resolve",
]
