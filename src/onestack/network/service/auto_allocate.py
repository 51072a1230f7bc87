"""The auto-allocated topology (what Nova's ``networks: auto`` asks for): on first request
a project gets a network, a subnet (from the default subnet pool when there is one, else a
fixed private range) and a router with its gateway on the default external network and an
interface on the subnet — made in one transaction and remembered, so that later requests
(and racing ones: the project is the primary key) answer the same network."""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import Conflict
from onestack.network.models.l2 import Network
from onestack.network.models.routers import AutoAllocatedTopology
from onestack.network.service.engine import Collection, Deps
from onestack.network.service.router_interfaces import RouterInterfaces

FALLBACK_CIDR = "10.0.0.0/24"
NAMES = {"network": "auto_allocated_network", "subnet": "auto_allocated_subnet_v{}",
         "router": "auto_allocated_router"}


def failure(reason: str) -> Conflict:
    return Conflict(f"Deployment error: {reason}.", kind="AutoAllocationFailure")


class AutoAllocator:
    """``GET``/``DELETE /v2.0/auto-allocated-topology/{project_id}``."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def answer(self, project_id: str, network_id: str) -> dict[str, Any]:
        return {"id": network_id, "tenant_id": project_id, "project_id": project_id}

    def target(self, project_id: str) -> dict[str, Any]:
        return {"project_id": project_id, "tenant_id": project_id}

    def default_external(self, s: Session) -> Network:
        found = list(s.scalars(sa.select(Network).where(
            Network.router_external.is_(True), Network.is_default.is_(True)).limit(2)))
        if not found:
            raise failure("No default router:external network")
        if len(found) > 1:
            raise failure("Unable to find unique default router:external network")
        return found[0]

    def get(self, ctx: RequestContext, project_id: str, dry_run: bool = False
            ) -> dict[str, Any]:
        self.deps.policy.enforce("get_auto_allocated_topology", ctx, self.target(project_id))

        def existing(s: Session) -> str | None:
            row = s.get(AutoAllocatedTopology, project_id)
            if row is None or s.get(Network, row.network_id) is None:
                return None  # none yet, or its network was deleted by hand
            return row.network_id

        found = self.deps.db.read(existing)
        if found and not dry_run:
            return self.answer(project_id, found)
        if dry_run:
            self.deps.db.read(self.default_external)
            return {"id": "dry-run=pass", "tenant_id": project_id, "project_id": project_id}
        try:
            network_id = self.deps.db.write(lambda s: self.build(s, ctx, project_id))
        except IntegrityError:  # a racing request made it first
            network_id = self.deps.db.read(existing)
            if network_id is None:
                raise
        self.deps.wake("routers", network_id)
        return self.answer(project_id, network_id)

    def build(self, s: Session, ctx: RequestContext, project_id: str) -> str:
        """Network, subnet(s), router with gateway and interfaces; the network id."""
        collections = self.deps.collections
        external = self.default_external(s)
        stale = s.get(AutoAllocatedTopology, project_id)
        if stale is not None:
            s.delete(stale)
            s.flush()
        networks, subnets = collections["networks"], collections["subnets"]
        routers = collections["routers"]
        network = networks.create_in(s, ctx, networks.check_create(ctx, {
            "name": NAMES["network"], "project_id": project_id}))
        made = []
        pools = collections.get("subnetpools")
        for version in (4, 6):
            pool = pools.default_pool(s, version) if pools is not None and hasattr(
                pools, "default_pool") else None
            if pool is None and version == 6:
                continue
            item: dict[str, Any] = {"name": NAMES["subnet"].format(version),
                                    "network_id": network.id, "ip_version": version,
                                    "project_id": project_id}
            if pool is not None:
                item["subnetpool_id"] = pool.id
            else:
                item["cidr"] = FALLBACK_CIDR
            if version == 6:
                item["ipv6_ra_mode"] = item["ipv6_address_mode"] = "slaac"
            # the generic check: the subnets service's own reads the network in a
            # transaction of its own, which cannot see this one's new network
            made.append(subnets.create_in(s, ctx, Collection.check_create(subnets, ctx, item)))
        router = routers.create_in(s, ctx, routers.check_create(ctx, {
            "name": NAMES["router"], "project_id": project_id,
            "external_gateway_info": {"network_id": external.id}}))
        interfaces = RouterInterfaces(routers)
        for subnet in made:
            interfaces.attach_subnet(s, ctx, router, subnet.id)
        s.add(AutoAllocatedTopology(project_id=project_id, network_id=network.id,
                                    router_id=router.id))
        s.flush()
        return network.id

    def delete(self, ctx: RequestContext, project_id: str) -> None:
        """Take the topology apart (nothing to do when the project has none)."""
        self.deps.policy.enforce("delete_auto_allocated_topology", ctx,
                                 self.target(project_id))

        def work(s: Session) -> str | None:
            row = s.get(AutoAllocatedTopology, project_id)
            if row is None:
                return None
            collections = self.deps.collections
            routers, networks = collections["routers"], collections["networks"]
            router = s.get(routers.model, row.router_id) if row.router_id else None
            if router is not None:
                for port_id in routers.interface_ports(s, router.id):
                    routers.drop_port(s, ctx, port_id)
                routers.before_delete(s, ctx, router)
                routers.delete_row(s, router)
            network = s.get(networks.model, row.network_id)
            if network is not None:
                networks.before_delete(s, ctx, network)
                networks.delete_row(s, network)
            s.delete(row)
            s.flush()
            return row.router_id
        router_id = self.deps.db.write(work)
        if router_id:
            self.deps.wake("routers", router_id)



