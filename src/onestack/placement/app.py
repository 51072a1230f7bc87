"""Wires the Placement API onto the platform."""
from __future__ import annotations

from onestack.core.app import Mount
from onestack.core.platform import Platform
from onestack.placement.api import routes

PREFIX = "/placement"
CATALOG = [("placement", "placement", PREFIX)]


def mount(platform: Platform) -> Mount:
    return Mount(PREFIX, routes.routes(platform).routes, "placement")
