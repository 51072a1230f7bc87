"""Registers the Placement API: resource providers, inventories, allocations, traits and
resource classes under ``/placement``."""
from __future__ import annotations

from typing import TYPE_CHECKING

from onestack.core.registry import CatalogEntry, Microversions, ServiceSpec

if TYPE_CHECKING:
    from onestack.core.http import Route
    from onestack.core.platform import Platform

PREFIX = "/placement"
CATALOG = [("placement", "placement", PREFIX)]


def routes(platform: Platform) -> list[Route]:
    from onestack.placement.api import routes as table

    return list(table.routes(platform).routes)


# Plain data so that registering costs no import (a unit test keeps it equal to
# ``placement.api.microversion``).
MICROVERSIONS = Microversions("placement", "1.0", "1.39")


SPEC = ServiceSpec(
    name="placement", prefix=PREFIX, routes=routes,
    catalog=tuple(CatalogEntry(*entry) for entry in CATALOG),
    route_modules=("onestack.placement.api.routes",),
    # no ``policies``: the placement route table registers its own defaults
    models=("onestack.placement.models",), settings_section="placement",
    fault_style="placement", microversions=MICROVERSIONS)
