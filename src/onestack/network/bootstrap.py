"""The topology ``onestack up`` starts with, as DevStack makes it: an external network
``public`` (flat on physnet ``public``, the default external network, shared with nobody)
with ``public-subnet`` 203.0.113.0/24 (a documentation range: gateway .1, floating IPs
from .2 to .254, no DHCP), and in the admin project a network ``private`` with
``private-subnet`` 10.0.0.0/26 and a router ``router1`` whose gateway is on ``public`` and
which has an interface on ``private-subnet``. So a server boots with no ``--nic`` and a
floating IP works at once.

Everything is made through the network collections (the same validation, IP allocation
and segment allocation as the API), and only what is missing: a second start (or one
after a crash half-way) finds every piece by name and makes only the rest.
``network_topology: false`` (``ONESTACK_NETWORK_TOPOLOGY=false``, ``onestack up
--no-network-topology``) skips it.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.bus import NullBus
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.network.models.l2 import Network
from onestack.network.models.ports import IPAllocation
from onestack.network.models.routers import Router, RouterPort
from onestack.network.models.subnets import Subnet

PUBLIC = {"name": "public", "router:external": True, "is_default": True, "shared": False,
          "provider:network_type": "flat", "provider:physical_network": "public"}
PUBLIC_SUBNET = {"name": "public-subnet", "cidr": "203.0.113.0/24", "ip_version": 4,
                 "gateway_ip": "203.0.113.1", "enable_dhcp": False,
                 "allocation_pools": [{"start": "203.0.113.2", "end": "203.0.113.254"}]}
PRIVATE = {"name": "private"}
PRIVATE_SUBNET = {"name": "private-subnet", "cidr": "10.0.0.0/26", "ip_version": 4,
                  "gateway_ip": "10.0.0.1"}
ROUTER = {"name": "router1"}


@dataclass(frozen=True)
class Topology:
    public_id: str
    public_subnet_id: str
    private_id: str
    private_subnet_id: str
    router_id: str
    created: tuple[str, ...]  # names of what this call made (empty: all was there)


class Operator:
    """The policy of the cloud's own start-up: it acts as the operator, allowed
    everything, so the forked start-up child never loads the policy engine (oslo.policy
    costs a second or more of the time before the port opens)."""

    def allowed(self, rule: str, ctx: RequestContext, target: Any = None) -> bool:
        return True

    def enforce(self, rule: str, ctx: RequestContext, target: Any = None) -> None:
        return None


def collections(db: Database, settings: Any) -> dict[str, Any]:
    from onestack.network import app

    platform = SimpleNamespace(db=db, policy=Operator(), settings=settings, bus=NullBus())
    return app.build(platform).collections  # type: ignore[arg-type]


def admin_context(project_id: str) -> RequestContext:
    return RequestContext(request_id="req-onestack-up", user_id="onestack-up",
                          project_id=project_id, roles=["admin", "member", "reader"])


def ensure_topology(db: Database, settings: Any, admin_project_id: str) -> Topology:
    """Make whatever of the topology is missing (see the module docstring). Each piece is
    one transaction of its collection (a subnet's checks read its committed network); the
    collections are built only when something is missing (a restart only reads)."""
    built: dict[str, Any] = {}
    ctx = admin_context(admin_project_id)
    made: list[str] = []

    def c(collection: str) -> Any:
        if not built:
            built.update(collections(db, settings))
        return built[collection]

    def ensure(find: Any, collection: str, item: dict[str, Any]) -> str:
        found = db.read(find)
        if found is not None:
            return found
        made.append(item["name"])
        return c(collection).create(ctx, [{**item, "project_id": admin_project_id}])[0]["id"]

    public = ensure(lambda s: s.scalar(sa.select(Network.id).where(
        Network.name == PUBLIC["name"], Network.router_external.is_(True))), "networks", PUBLIC)
    public_subnet = ensure(lambda s: _subnet(s, public, PUBLIC_SUBNET["name"]), "subnets",
                           {**PUBLIC_SUBNET, "network_id": public})
    private = ensure(lambda s: s.scalar(sa.select(Network.id).where(
        Network.name == PRIVATE["name"], Network.project_id == admin_project_id)),
        "networks", PRIVATE)
    private_subnet = ensure(lambda s: _subnet(s, private, PRIVATE_SUBNET["name"]), "subnets",
                            {**PRIVATE_SUBNET, "network_id": private})
    router = ensure(lambda s: s.scalar(sa.select(Router.id).where(
        Router.name == ROUTER["name"], Router.project_id == admin_project_id)), "routers",
        {**ROUTER, "external_gateway_info": {"network_id": public}})

    def attach(s: Session) -> None:
        from onestack.network.service.router_interfaces import RouterInterfaces

        routers = c("routers")
        row = routers.find(s, ctx, router, lock=True)
        RouterInterfaces(routers).attach_subnet(s, ctx, row, private_subnet)
    if not db.read(lambda s: _attached(s, router, private_subnet)):
        db.write(attach)
        made.append(f"{ROUTER['name']}:{PRIVATE_SUBNET['name']}")
    return Topology(public, public_subnet, private, private_subnet, router, tuple(made))


def _attached(s: Session, router_id: str, subnet_id: str) -> bool:
    """Whether one of the router's ports has an address on the subnet."""
    return s.scalar(sa.select(RouterPort.port_id).join(
        IPAllocation, IPAllocation.port_id == RouterPort.port_id).where(
        RouterPort.router_id == router_id, IPAllocation.subnet_id == subnet_id).limit(1)) \
        is not None


def _subnet(s: Session, network_id: str, name: str) -> str | None:
    return s.scalar(sa.select(Subnet.id).where(Subnet.network_id == network_id,
                                               Subnet.name == name))


def seed(db: Database, settings: Any, admin_project_id: str) -> None:
    """``ServiceSpec.bootstrap``: the topology unless the settings turn it off."""
    if getattr(settings, "network_topology", True):
        ensure_topology(db, settings, admin_project_id)
