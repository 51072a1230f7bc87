"""Routers: their external gateway (a ``network:router_gateway`` port on an external
network, SNAT on or off), extra routes, the admin-only ``distributed``/``ha`` flags, and
what deleting one takes with it. Interfaces are added and removed in
``service.router_interfaces``.

Hooks other collections may call (inside their transaction): ``port_is_interface(s, port)``
(the port belongs to a router: deleting it through the ports API is refused),
``router_for(s, floating_network_id, subnet_id)`` (the router that reaches an external
network from a subnet: floating IPs), ``interface_subnet_ids(s, router_id)``.
"""
from __future__ import annotations

import ipaddress
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict
from onestack.network.attributes import cidr, invalid, ip_address, to_bool, uuid_str
from onestack.network.models.agents import Agent, L3Binding
from onestack.network.models.floatingips import FloatingIP
from onestack.network.models.routers import Router, RouterPort, RouterRoute
from onestack.network.resources.routers import ROUTER
from onestack.network.service import agents as l3
from onestack.network.service.engine import Collection

GATEWAY = "network:router_gateway"
INTERFACE_OWNERS = ("network:router_interface", "network:router_interface_distributed",
                    "network:ha_router_replicated_interface")
MAX_ROUTES = 30
_GATEWAY_KEYS = {"network_id", "enable_snat", "external_fixed_ips"}


def bad_router(message: str) -> BadRequest:
    """Neutron's ``BadRequest`` for a router request."""
    return BadRequest(f"Bad router request: {message}.", kind="BadRequest")


def interface_owner(router: Router) -> str:
    if router.distributed:
        return "network:router_interface_distributed"
    if router.ha:
        return "network:ha_router_replicated_interface"
    return "network:router_interface"


class Routers(Collection):
    resource = ROUTER
    model = Router
    quota = "router"

    # --- collaborators -------------------------------------------------------------------
    @property
    def ports(self) -> Any:
        return self.deps.collections["ports"]

    @property
    def subnets(self) -> Any:
        return self.deps.collections["subnets"]

    def port_row(self, s: Session, port_id: str | None) -> Any | None:
        return s.get(self.ports.model, port_id) if port_id else None

    # --- reading -------------------------------------------------------------------------
    def interface_ports(self, s: Session, router_id: str) -> list[str]:
        return list(s.scalars(sa.select(RouterPort.port_id).where(
            RouterPort.router_id == router_id, RouterPort.port_type != GATEWAY)
            .order_by(RouterPort.port_id)))

    def interface_subnet_ids(self, s: Session, router_id: str) -> dict[str, list[str]]:
        """{port id: [subnet ids]} of the router's interfaces."""
        ports = self.interface_ports(s, router_id)
        ips = self.ports.fixed_ips_of(s, ports) if ports else {}
        return {p: list(dict.fromkeys(ip["subnet_id"] for ip in ips.get(p, [])))
                for p in ports}

    def attached_subnets(self, s: Session, router_id: str) -> list[Any]:
        """Subnet rows of every interface (and of the gateway port)."""
        ids = [sid for sids in self.interface_subnet_ids(s, router_id).values()
               for sid in sids]
        router = s.get(Router, router_id)
        if router is not None and router.gw_port_id:
            gw = self.ports.fixed_ips_of(s, [router.gw_port_id]).get(router.gw_port_id, [])
            ids += [ip["subnet_id"] for ip in gw]
        model = self.subnets.model
        rows = [s.get(model, sid) for sid in dict.fromkeys(ids)]
        return [r for r in rows if r is not None]

    def port_is_interface(self, s: Session, port: Any) -> bool:
        return s.get(RouterPort, port.id) is not None

    def router_for(self, s: Session, floating_network_id: str, subnet_id: str) -> str | None:
        """A router with its gateway on ``floating_network_id`` and an interface on
        ``subnet_id`` (None: the external network is unreachable from the subnet)."""
        pairs = list(s.execute(sa.select(RouterPort.port_id, RouterPort.router_id)
                               .join(Router, Router.id == RouterPort.router_id)
                               .where(Router.gw_network_id == floating_network_id,
                                      RouterPort.port_type != GATEWAY)
                               .order_by(Router.created_at, Router.id)))
        if not pairs:
            return None
        ips = self.ports.fixed_ips_of(s, [p for p, _ in pairs])
        for port_id, router_id in pairs:
            if any(ip["subnet_id"] == subnet_id for ip in ips.get(port_id, [])):
                return router_id
        return None

    def extras(self, s: Session, ctx: RequestContext, rows: list[Router]
               ) -> dict[str, dict[str, Any]]:
        ids = [r.id for r in rows]
        routes: dict[str, list[dict[str, str]]] = {}
        for rid, dest, hop in s.execute(sa.select(
                RouterRoute.router_id, RouterRoute.destination, RouterRoute.nexthop)
                .where(RouterRoute.router_id.in_(ids))
                .order_by(RouterRoute.destination, RouterRoute.nexthop)):
            routes.setdefault(rid, []).append({"destination": dest, "nexthop": hop})
        zones: dict[str, list[str]] = {}
        for rid, zone in s.execute(sa.select(L3Binding.router_id, Agent.availability_zone)
                                   .join(Agent, Agent.id == L3Binding.agent_id)
                                   .where(L3Binding.router_id.in_(ids),
                                          Agent.availability_zone.is_not(None))):
            zones.setdefault(rid, []).append(zone)
        gw_ports = [r.gw_port_id for r in rows if r.gw_port_id]
        gw_ips = self.ports.fixed_ips_of(s, gw_ports) if gw_ports else {}
        out = {}
        for r in rows:
            gateway = None
            if r.gw_network_id:
                gateway = {"network_id": r.gw_network_id, "enable_snat": r.enable_snat,
                           "external_fixed_ips": [
                               {"subnet_id": ip["subnet_id"], "ip_address": ip["ip_address"]}
                               for ip in gw_ips.get(r.gw_port_id, [])]}
            out[r.id] = {"external_gateway_info": gateway, "routes": routes.get(r.id, []),
                         "availability_zones": sorted(set(zones.get(r.id, [])))}
        return out

    # --- create / update / delete --------------------------------------------------------
    def prepare_create(self, s: Session, ctx: RequestContext, doc: dict[str, Any]) -> None:
        zones = self.deps.collections.get("availability_zones")
        if doc.get("availability_zone_hints") and hasattr(zones, "check_hints"):
            zones.check_hints(s, doc["availability_zone_hints"], "router")  # type: ignore
        doc["_gateway"] = self.check_gateway(ctx, doc.get("external_gateway_info"), "create",
                                             self.target_of_doc(doc))
        doc["external_gateway_info"] = None

    def after_create(self, s: Session, ctx: RequestContext, row: Router,
                     doc: dict[str, Any]) -> None:
        if doc.get("_gateway"):
            self.set_gateway(s, ctx, row, doc["_gateway"])
            self.schedule(s, row)

    def prepare_update(self, s: Session, ctx: RequestContext, row: Router,
                       changes: dict[str, Any]) -> None:
        down = not changes.get("admin_state_up", row.admin_state_up) or not row.admin_state_up
        if "distributed" in changes and changes["distributed"] != row.distributed:
            if row.distributed:
                raise bad_router("Migration from distributed router to centralized is not "
                                 "supported")
            if not down:
                raise bad_router("Cannot upgrade active router to distributed. Please set "
                                 "router admin_state_up to False prior to upgrade")
        if "ha" in changes and changes["ha"] != row.ha and not down:
            raise bad_router("Cannot change HA attribute of active routers. Please set "
                             "router admin_state_up to False prior to upgrade")
        if "external_gateway_info" in changes:
            changes["external_gateway_info"] = self.check_gateway(
                ctx, changes["external_gateway_info"], "update", self.target(row))
        if "routes" in changes:
            changes["routes"] = self.check_routes(changes["routes"])

    def after_update(self, s: Session, ctx: RequestContext, row: Router,
                     changes: dict[str, Any]) -> None:
        if "external_gateway_info" in changes:
            self.set_gateway(s, ctx, row, changes["external_gateway_info"])
        if "routes" in changes:
            self.replace_routes(s, row, changes["routes"])
        self.schedule(s, row)

    def schedule(self, s: Session, row: Router) -> None:
        """Give a router with something to route (a gateway or an interface) to the least
        busy live L3 agent when none hosts it, as every change to a router does; with no
        live agent it stays unhosted (no data path) until its next change or an agent's
        start. A router an operator took off its agents is only hosted again by such a
        change or by an operator."""
        if row.gw_port_id or self.interface_ports(s, row.id):
            l3.schedule_router(s, row.id)

    def before_delete(self, s: Session, ctx: RequestContext, row: Router) -> None:
        if self.interface_ports(s, row.id):
            raise Conflict(f"Router {row.id} still has ports", kind="RouterInUse")
        self.clear_gateway(s, ctx, row)
        s.execute(sa.delete(RouterRoute).where(RouterRoute.router_id == row.id))
        l3.unbind_router(s, row.id)

    def updated(self, doc: dict[str, Any]) -> None:
        self.deps.wake("routers", doc["id"])

    def created(self, doc: dict[str, Any]) -> None:
        self.deps.wake("routers", doc["id"])

    def deleted(self, ident: str) -> None:
        self.deps.wake("routers", ident)

    # --- the gateway ---------------------------------------------------------------------
    def check_gateway(self, ctx: RequestContext, info: Any, action: str,
                      target: dict[str, Any]) -> dict[str, Any] | None:
        """``external_gateway_info`` checked and normalised (None: no gateway); setting
        ``enable_snat`` or ``external_fixed_ips`` takes their admin-only rules."""
        if info is None or info == {}:
            return None
        if not isinstance(info, dict):
            raise invalid(f"'{info}' is not a dictionary")
        unknown = sorted(set(info) - _GATEWAY_KEYS)
        if unknown:
            raise BadRequest("Invalid input for external_gateway_info. Reason: Unexpected "
                             f"keys supplied: {', '.join(unknown)}.", kind="HTTPBadRequest")
        if "network_id" not in info:
            raise BadRequest("Invalid input for external_gateway_info. Reason: Validation "
                             "of dictionary's keys failed. Expected keys: {'network_id'} "
                             f"Provided keys: {set(info)}.", kind="HTTPBadRequest")
        gateway: dict[str, Any] = {"network_id": uuid_str(info["network_id"]),
                                   "enable_snat": None, "external_fixed_ips": None}
        if "enable_snat" in info:
            self.deps.policy.enforce(f"{action}_router:external_gateway_info:enable_snat",
                                     ctx, target)
            gateway["enable_snat"] = to_bool(info["enable_snat"])
        if info.get("external_fixed_ips") is not None:
            self.deps.policy.enforce(
                f"{action}_router:external_gateway_info:external_fixed_ips", ctx, target)
            fixed = info["external_fixed_ips"]
            if not isinstance(fixed, list) or not all(isinstance(f, dict) for f in fixed):
                raise invalid(f"'{fixed}' is not a list of dictionaries")
            gateway["external_fixed_ips"] = [
                {**({"subnet_id": uuid_str(f["subnet_id"])} if "subnet_id" in f else {}),
                 **({"ip_address": ip_address(f["ip_address"])} if "ip_address" in f else {})}
                for f in fixed]
        return gateway

    def set_gateway(self, s: Session, ctx: RequestContext, row: Router,
                    gateway: dict[str, Any] | None) -> None:
        if gateway is None:
            self.clear_gateway(s, ctx, row)
            return
        network = self.deps.collections["networks"].find(s, ctx, gateway["network_id"])
        if not network.router_external:
            raise bad_router(f"Network {network.id} is not a valid external network")
        snat = True if gateway["enable_snat"] is None else gateway["enable_snat"]
        fixed = gateway["external_fixed_ips"]
        if row.gw_network_id == network.id and fixed is None and row.gw_port_id:
            row.enable_snat = snat
            return
        if row.gw_network_id and row.gw_network_id != network.id:
            self.clear_gateway(s, ctx, row)
        elif row.gw_port_id:
            self.drop_port(s, ctx, row.gw_port_id)
        port = self.ports.make(s, ctx, network_id=network.id, project_id="",
                               device_owner=GATEWAY, device_id=row.id,
                               fixed_ips=fixed or None)
        if not self.ports.fixed_ips_of(s, [port.id]).get(port.id):
            raise bad_router(f"No subnets defined on network {network.id}")
        s.add(RouterPort(port_id=port.id, router_id=row.id, port_type=GATEWAY))
        row.gw_network_id, row.gw_port_id, row.enable_snat = network.id, port.id, snat
        s.flush()

    def clear_gateway(self, s: Session, ctx: RequestContext, row: Router) -> None:
        if not row.gw_network_id:
            return
        used = s.scalar(sa.select(sa.func.count()).select_from(FloatingIP).where(
            FloatingIP.router_id == row.id))
        if used:
            raise Conflict(f"Gateway cannot be updated for router {row.id}, since a gateway "
                           f"to external network {row.gw_network_id} is required by one or "
                           "more floating IPs.", kind="RouterExternalGatewayInUseByFloatingIp")
        if row.gw_port_id:
            self.drop_port(s, ctx, row.gw_port_id)
        row.gw_network_id = row.gw_port_id = None
        row.enable_snat = True
        s.flush()

    def drop_port(self, s: Session, ctx: RequestContext, port_id: str) -> None:
        s.execute(sa.delete(RouterPort).where(RouterPort.port_id == port_id))
        port = self.port_row(s, port_id)
        if port is not None:
            self.ports.remove(s, ctx, port)

    # --- extra routes --------------------------------------------------------------------
    @staticmethod
    def check_routes(routes: Any) -> list[tuple[str, str]]:
        """``routes`` as (destination, nexthop) pairs, duplicates dropped (None: none)."""
        if routes is None:
            return []
        if not isinstance(routes, list):
            raise invalid(f"'{routes}' is not a list")
        out: list[tuple[str, str]] = []
        for route in routes:
            if not isinstance(route, dict) or set(route) != {"destination", "nexthop"}:
                raise invalid(f"Invalid data format for hostroute: '{route}'")
            pair = (cidr(route["destination"]), ip_address(route["nexthop"]))
            if pair not in out:
                out.append(pair)
        return out

    def validate_routes(self, s: Session, row: Router, routes: list[tuple[str, str]]) -> None:
        def fail(reason: str) -> BadRequest:
            shown = [{"destination": d, "nexthop": n} for d, n in routes]
            return BadRequest(f"Invalid format for routes: {shown}, {reason}.",
                              kind="InvalidRoutes")
        if len(routes) > MAX_ROUTES:
            raise BadRequest(f"Unable to complete operation for {row.id}. The number of "
                             f"routes exceeds the maximum {MAX_ROUTES}.",
                             kind="RoutesExhausted")
        if not routes:
            return
        networks = [ipaddress.ip_network(sub.cidr) for sub in self.attached_subnets(s, row.id)]
        own = self.own_ips(s, row)
        for dest, hop in routes:
            address = ipaddress.ip_address(hop)
            if ipaddress.ip_network(dest).version != address.version:
                raise fail("the nexthop and destination are of different IP versions")
            if not any(address in net for net in networks if net.version == address.version):
                raise fail("the nexthop is not connected with router")
            if hop in own:
                raise fail("the nexthop is used by router")

    def own_ips(self, s: Session, row: Router) -> set[str]:
        ports = self.interface_ports(s, row.id) + ([row.gw_port_id] if row.gw_port_id else [])
        ips = self.ports.fixed_ips_of(s, ports) if ports else {}
        return {ip["ip_address"] for port in ips.values() for ip in port}

    def current_routes(self, s: Session, router_id: str) -> list[tuple[str, str]]:
        return [(d, n) for d, n in s.execute(sa.select(
            RouterRoute.destination, RouterRoute.nexthop).where(
            RouterRoute.router_id == router_id).order_by(RouterRoute.destination,
                                                          RouterRoute.nexthop))]

    def replace_routes(self, s: Session, row: Router, routes: list[tuple[str, str]]) -> None:
        self.validate_routes(s, row, routes)
        s.execute(sa.delete(RouterRoute).where(RouterRoute.router_id == row.id))
        for dest, hop in routes:
            s.add(RouterRoute(router_id=row.id, destination=dest, nexthop=hop))
        s.flush()

    def change_routes(self, ctx: RequestContext, ident: str, body: Any, *, add: bool
                      ) -> dict[str, Any]:
        """``add_extraroutes`` / ``remove_extraroutes``: the router after the change."""
        if not isinstance(body, dict) or not isinstance(body.get("router"), dict) or \
                set(body["router"]) != {"routes"} or \
                not isinstance(body["router"]["routes"], list):
            raise BadRequest("Invalid input for operation: the body must be "
                             "{'router': {'routes': [...]}}.", kind="InvalidInput")
        given = self.check_routes(body["router"]["routes"])
        action = "add_extraroutes" if add else "remove_extraroutes"

        def work(s: Session) -> dict[str, Any]:
            row = self.find(s, ctx, ident, lock=True)
            self.deps.policy.enforce(action, ctx, self.target(row))
            current = self.current_routes(s, row.id)
            wanted = current + [r for r in given if r not in current] if add else \
                [r for r in current if r not in given]
            if wanted != current:
                self.replace_routes(s, row, wanted)
                self.bump(row)
                s.flush()
            return self.render(s, ctx, [row])[0]
        doc = self.deps.db.write(work)
        self.updated(doc)
        return doc
