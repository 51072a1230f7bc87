"""Registers the compute service (Nova v2.1 API): its routes, catalog entry, models,
microversions and agents (the scheduler and the host agents)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from onestack.core.registry import (AgentContext, AgentRunner, CatalogEntry, Microversions,
                                    ServiceSpec, collect_routes)

if TYPE_CHECKING:
    from onestack.core.db import Database
    from onestack.core.http import Route
    from onestack.core.platform import Platform

# Plain data so that registering costs no import (a unit test keeps them equal to
# ``compute.api.common`` and ``compute.api.microversion``).
PREFIX = "/compute"
ROOT = PREFIX + "/v2.1"
MICROVERSIONS = Microversions("compute", "2.1", "2.96",
                              legacy_header="X-OpenStack-Nova-API-Version")
CATALOG = [("compute", "nova", ROOT)]

# Route modules under onestack.compute.api, each with ``routes(compute) -> RouteTable``.
ROUTE_MODULES = ["versions", "servers", "actions", "flavors", "keypairs", "hosts", "misc",
                 "migrations", "diagnostics", "images", "networks", "interfaces",
                 "network_proxies", "volume_attachments",
                 "volume_proxies", "assisted_snapshots"]


def routes(platform: Platform) -> list[Route]:
    from onestack.compute.api.common import Compute

    return collect_routes(SPEC.route_modules, Compute(platform, platform.bus))


def seed_flavors(db: Database) -> None:
    from onestack.compute.flavors import ensure_default_flavors

    ensure_default_flavors(db)


def start_scheduler(ctx: AgentContext) -> Callable[[], None]:
    from onestack.agents.compute import Running, start_scheduler as start

    running = Running()
    start(ctx.db, ctx.bus, running)
    return running.stop


def start_hosts(ctx: AgentContext) -> Callable[[], None]:
    """One host agent per (host, zone) of ``ctx.hosts``, each reaching the image service
    (snapshots, shelved images) through the seam the registry built (``ctx.seams``)."""
    from onestack.agents.compute import Running, start_host

    running = Running()
    for host, zone in ctx.hosts:
        start_host(ctx.db, ctx.bus, running, host, zone, ctx.driver, ctx.state_dir,
                   ctx.settings.fake_op_seconds, images=ctx.seams.get("image"),
                   network=ctx.seams.get("network"), volume=ctx.seams.get("volume"),
                   qemu_accel=ctx.settings.qemu_accel,
                   dataplane_netns=ctx.settings.dataplane_netns)
    return running.stop


SPEC = ServiceSpec(
    name="compute", prefix=PREFIX, routes=routes,
    catalog=tuple(CatalogEntry(*entry) for entry in CATALOG),
    route_modules=tuple(f"onestack.compute.api.{name}" for name in ROUTE_MODULES),
    models=("onestack.compute.models", "onestack.compute.network_models",
            "onestack.compute.volume_models"),
    settings_section="compute", fault_style="nova",
    microversions=MICROVERSIONS,
    agents=(AgentRunner("scheduler", start_scheduler), AgentRunner("compute", start_hosts)),
    seed=seed_flavors)
