"""Wires the compute service (Nova v2.1 API) onto the platform."""
from __future__ import annotations

from onestack.compute.api import common
from onestack.compute.api.common import Compute
from onestack.core.app import Mount
from onestack.core.platform import Platform

CATALOG = [("compute", "nova", common.ROOT)]

# Route modules under onestack.compute.api, each with ``routes(compute) -> RouteTable``.
ROUTE_MODULES = ["versions", "servers", "actions", "flavors", "keypairs", "hosts", "misc",
                 "migrations", "diagnostics", "images", "networks"]


def mount(platform: Platform) -> Mount:
    import importlib

    compute = Compute(platform, platform.bus)
    routes = []
    for name in ROUTE_MODULES:
        module = importlib.import_module(f"onestack.compute.api.{name}")
        routes.extend(module.routes(compute).routes)
    return Mount(common.PREFIX, routes, "nova")
