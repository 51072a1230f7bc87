"""Adding and removing router interfaces, by subnet (a new port holding the subnet's
gateway IP) or by an existing port (one with fixed IPs and no device), with Neutron's
refusals: a subnet without a gateway, one already attached or overlapping an attached
one, a port in use; removing an interface still needed by an extra route or a floating
IP. Both answer Neutron's interface body ``{id, tenant_id, project_id, subnet_id,
subnet_ids, port_id, network_id}``."""
from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import Conflict, NotFound
from onestack.network.attributes import uuid_str
from onestack.network.models.floatingips import FloatingIP
from onestack.network.models.routers import Router, RouterPort, RouterRoute
from onestack.network.service.routers import Routers, bad_router, interface_owner


class RouterInterfaces:
    """The ``add_router_interface`` / ``remove_router_interface`` actions."""

    def __init__(self, routers: Routers) -> None:
        self.routers = routers
        self.deps = routers.deps

    @staticmethod
    def parse(body: Any) -> tuple[str | None, str | None]:
        if not isinstance(body, dict):
            raise bad_router("Either subnet_id or port_id must be specified")
        unknown = set(body) - {"subnet_id", "port_id"}
        if unknown:
            raise bad_router(f"Unrecognized attribute(s) {sorted(unknown)}")
        subnet_id, port_id = body.get("subnet_id"), body.get("port_id")
        if subnet_id is None and port_id is None:
            raise bad_router("Either subnet_id or port_id must be specified")
        return (uuid_str(subnet_id) if subnet_id is not None else None,
                uuid_str(port_id) if port_id is not None else None)

    def answer(self, router: Router, port: Any, subnet_ids: list[str]) -> dict[str, Any]:
        return {"id": router.id, "tenant_id": router.project_id,
                "project_id": router.project_id, "subnet_id": subnet_ids[0] if subnet_ids
                else None, "subnet_ids": subnet_ids, "port_id": port.id,
                "network_id": port.network_id}

    # --- add -----------------------------------------------------------------------------
    def add(self, ctx: RequestContext, router_id: str, body: Any) -> dict[str, Any]:
        subnet_id, port_id = self.parse(body)
        if subnet_id and port_id:
            raise bad_router("Cannot specify both subnet-id and port-id")

        def work(s: Session) -> dict[str, Any]:
            router = self.routers.find(s, ctx, router_id, lock=True)
            self.deps.policy.enforce("add_router_interface", ctx, self.routers.target(router))
            if port_id:
                port, subnets = self.adopt_port(s, ctx, router, port_id)
                s.add(RouterPort(port_id=port.id, router_id=router.id,
                                 port_type=interface_owner(router)))
                s.flush()
            else:
                port, subnets = self.attach_subnet(s, ctx, router, subnet_id or "")
            self.routers.schedule(s, router)
            return self.answer(router, port, subnets)
        out = self.deps.db.write(work)
        self.deps.wake("routers", router_id)
        return out

    def check_subnets(self, s: Session, router: Router, subnets: list[Any]) -> None:
        """Refuse a subnet already attached, or overlapping an attached one."""
        attached = self.routers.interface_subnet_ids(s, router.id)
        ids = [sid for sids in attached.values() for sid in sids]
        model = self.routers.subnets.model
        existing = [row for row in (s.get(model, sid) for sid in dict.fromkeys(ids)) if row]
        for subnet in subnets:
            if subnet.id in ids:
                raise bad_router(f"Router already has a port on subnet {subnet.id}")
            new = ipaddress.ip_network(subnet.cidr)
            for other in existing:
                old = ipaddress.ip_network(other.cidr)
                if new.version == old.version and new.overlaps(old):
                    raise bad_router(f"Cidr {subnet.cidr} of subnet {subnet.id} overlaps "
                                     f"with cidr {other.cidr} of subnet {other.id}")

    def attach_subnet(self, s: Session, ctx: RequestContext, router: Router, subnet_id: str
                      ) -> tuple[Any, list[str]]:
        """A new interface port holding the subnet's gateway IP."""
        subnet = self.routers.subnets.find(s, ctx, subnet_id)
        if not subnet.gateway_ip:
            raise bad_router("Subnet for router interface must have a gateway IP")
        if subnet.project_id != ctx.project_id and not self.deps.is_admin(ctx) and \
                not self.shared_to_caller(s, ctx, subnet.network_id):
            # a network shared with everyone is not one to route for others
            raise bad_router("Cannot add interface to router because subnet "
                             f"{subnet.id} is not owned by project making the request")
        if subnet.ip_version == 6 and subnet.ipv6_ra_mode is None and \
                subnet.ipv6_address_mode is not None:
            raise bad_router(f"IPv6 subnet {subnet.id} configured to receive RAs from an "
                             "external router cannot be added to Neutron Router")
        self.check_subnets(s, router, [subnet])
        port = self.routers.ports.make(
            s, ctx, network_id=subnet.network_id, project_id=subnet.project_id,
            device_owner=interface_owner(router), device_id=router.id,
            fixed_ips=[{"subnet_id": subnet.id, "ip_address": subnet.gateway_ip}])
        s.add(RouterPort(port_id=port.id, router_id=router.id,
                         port_type=interface_owner(router)))
        s.flush()
        return port, [subnet.id]

    def shared_to_caller(self, s: Session, ctx: RequestContext, network_id: str) -> bool:
        """The network is shared with the caller's project by an RBAC policy of its own."""
        rbac = self.deps.collections.get("rbac_policies")
        shared_ids = getattr(rbac, "shared_ids", None)
        return bool(shared_ids and network_id in shared_ids(s, ctx, "network", [network_id]))

    def adopt_port(self, s: Session, ctx: RequestContext, router: Router, port_id: str
                   ) -> tuple[Any, list[str]]:
        port = self.routers.ports.find(s, ctx, port_id)
        if port.device_owner or port.device_id:
            raise Conflict(f"Unable to complete operation on port {port.id} for network "
                           f"{port.network_id}. Port already has an attached device "
                           f"{port.device_id}.", kind="PortInUse")
        ips = self.routers.ports.fixed_ips_of(s, [port.id]).get(port.id, [])
        if not ips:
            raise bad_router("Router port must have at least one fixed IP")
        subnet_ids = list(dict.fromkeys(ip["subnet_id"] for ip in ips))
        model = self.routers.subnets.model
        subnets = [s.get(model, sid) for sid in subnet_ids]
        if sum(1 for sub in subnets if sub.ip_version == 4) > 1:
            raise bad_router("Cannot have multiple IPv4 subnets on router port")
        self.check_subnets(s, router, subnets)
        port.device_owner, port.device_id = interface_owner(router), router.id
        self.routers.bump(port)
        s.flush()
        return port, subnet_ids

    # --- remove --------------------------------------------------------------------------
    def remove(self, ctx: RequestContext, router_id: str, body: Any) -> dict[str, Any]:
        subnet_id, port_id = self.parse(body)

        def work(s: Session) -> dict[str, Any]:
            router = self.routers.find(s, ctx, router_id, lock=True)
            self.deps.policy.enforce("remove_router_interface", ctx,
                                     self.routers.target(router))
            attached = self.routers.interface_subnet_ids(s, router.id)
            if port_id:
                if port_id not in attached:
                    raise NotFound(f"Router {router.id} does not have an interface with id "
                                   f"{port_id}", kind="RouterInterfaceNotFound")
                if subnet_id and subnet_id not in attached[port_id]:
                    raise self.no_interface_on(router.id, subnet_id)
                found = port_id
            else:
                self.routers.subnets.find(s, ctx, subnet_id)
                found = next((p for p, sids in attached.items() if subnet_id in sids), None)
                if found is None:
                    raise self.no_interface_on(router.id, subnet_id)  # type: ignore[arg-type]
            subnets = attached[found]
            self.check_unused(s, router, subnets)
            port = self.routers.port_row(s, found)
            out = self.answer(router, port, subnets)
            s.execute(sa.delete(RouterPort).where(RouterPort.port_id == found))
            self.routers.ports.remove(s, ctx, port)
            return out
        out = self.deps.db.write(work)
        self.deps.wake("routers", router_id)
        return out

    @staticmethod
    def no_interface_on(router_id: str, subnet_id: str) -> NotFound:
        return NotFound(f"Router {router_id} has no interface on subnet {subnet_id}",
                        kind="RouterInterfaceNotFoundForSubnet")

    def check_unused(self, s: Session, router: Router, subnet_ids: list[str]) -> None:
        model = self.routers.subnets.model
        for subnet_id in subnet_ids:
            subnet = s.get(model, subnet_id)
            if subnet is None:
                continue
            net = ipaddress.ip_network(subnet.cidr)
            hops = s.scalars(sa.select(RouterRoute.nexthop).where(
                RouterRoute.router_id == router.id))
            if any(ipaddress.ip_address(h) in net for h in hops):
                raise Conflict(f"Router interface for subnet {subnet_id} on router "
                               f"{router.id} cannot be deleted, as it is required by one or "
                               "more routes.", kind="RouterInterfaceInUseByRoute")
            fixed = s.scalars(sa.select(FloatingIP.fixed_ip_address).where(
                FloatingIP.router_id == router.id))
            if any(f and ipaddress.ip_address(f) in net for f in fixed):
                raise Conflict(f"Router interface for subnet {subnet_id} on router "
                               f"{router.id} cannot be deleted, as it is required by one or "
                               "more floating IPs.", kind="RouterInterfaceInUseByFloatingIP")
