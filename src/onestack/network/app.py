"""Registers the networking service (Neutron v2.0 API) under ``/network``: its
collections (one service class each, sharing ``Deps``) and their route modules."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Callable

from onestack.core.registry import AgentRunner, CatalogEntry, ServiceSpec, collect_routes

if TYPE_CHECKING:
    from onestack.core.http import Route
    from onestack.core.config import Settings
    from onestack.core.db import Database
    from onestack.core.registry import AgentContext
    from onestack.core.platform import Platform
    from onestack.network.service.engine import Deps

PREFIX = "/network"
CATALOG = [("network", "neutron", PREFIX)]

# "module:Class" of every collection's service; each registers itself in ``Deps``.
COLLECTIONS = [
    "onestack.network.service.networks:Networks",
    "onestack.network.service.ports:Ports",
    "onestack.network.service.ip_availability:IpAvailability",
    "onestack.network.service.subnets:Subnets",
    "onestack.network.service.subnetpools:SubnetPools",
    "onestack.network.service.address_scopes:AddressScopes",
    "onestack.network.service.agents:Agents",
    "onestack.network.service.segments:Segments",
    "onestack.network.service.security_groups:SecurityGroups",
    "onestack.network.service.security_group_rules:SecurityGroupRules",
    "onestack.network.service.address_groups:AddressGroups",
    "onestack.network.service.routers:Routers",
    "onestack.network.service.floatingips:FloatingIPs",
    "onestack.network.service.metering:MeteringLabels",
    "onestack.network.service.metering:MeteringLabelRules",
    "onestack.network.service.quotas:Quotas",
    "onestack.network.service.rbac:RbacPolicies",
    "onestack.network.service.zones:AvailabilityZones",
    "onestack.network.service.qos:QosPolicies",
    "onestack.network.service.trunks:Trunks",
]
# Route modules under onestack.network.api (each ``routes(deps)``); versions first.
ROUTE_MODULES = ["versions", "networks", "ports", "ip_availability",
                 "subnets", "subnetpools", "address_scopes", "agents", "segments", "security_groups",
                 "address_groups", "routers", "floatingips", "metering", "service_providers",
                 "quotas", "rbac", "auto_allocate", "zones", "qos", "trunks"]
MODEL_MODULES = ("onestack.network.models.base", "onestack.network.models.l2",
                 "onestack.network.models.ports",
                 "onestack.network.models.subnets",
                 "onestack.network.models.agents",
                 "onestack.network.models.segments",
                 "onestack.network.models.security",
                 "onestack.network.models.routers",
                 "onestack.network.models.floatingips",
                 "onestack.network.models.metering",
                 "onestack.network.models.quotas",
                 "onestack.network.models.rbac",
                 "onestack.network.models.qos",
                 "onestack.network.models.trunks")


def build(platform: Platform) -> Deps:
    """Every collection's service over the platform's database and policy."""
    from onestack.network.service.engine import Deps

    deps = Deps(platform.db, platform.policy, notify=_notifier(platform),
                settings=platform.settings)
    for spec in COLLECTIONS:
        module, _, cls = spec.partition(":")
        getattr(importlib.import_module(module), cls)(deps)
    return deps


def _notifier(platform: Platform):
    bus = platform.bus

    def notify(topic: str, ident: str) -> None:
        bus.notify(f"network.{topic}", ident)
    return notify


def routes(platform: Platform) -> list[Route]:
    deps = build(platform)
    return collect_routes(tuple(f"onestack.network.api.{n}" for n in ROUTE_MODULES), deps)


def seam(platform: Platform) -> object:
    """What compute may call (``onestack.network.seam``), over its own collections."""
    from onestack.network import seam as network_seam

    return network_seam.build(platform)


def start_agents(ctx: AgentContext) -> Callable[[], None]:
    """A network agent per host of ``ctx`` (``onestack up``: its fake hosts; ``onestack
    agent network --host NAME``: that one)."""
    from onestack.network.agent.runner import start

    return start(ctx)


def bootstrap_topology(db: Database, settings: Settings, admin_project_id: str) -> None:
    """``onestack up``'s public and private networks and router1 (``network.bootstrap``)."""
    from onestack.network.bootstrap import seed

    seed(db, settings, admin_project_id)


SPEC = ServiceSpec(
    name="network", prefix=PREFIX, routes=routes, seam=seam,
    catalog=tuple(CatalogEntry(*entry) for entry in CATALOG),
    route_modules=tuple(f"onestack.network.api.{n}" for n in ROUTE_MODULES),
    models=MODEL_MODULES, policies=("onestack.network.policies",),
    settings_section="network", fault_style="neutron",
    agents=(AgentRunner("network", start_agents),), bootstrap=bootstrap_topology)
