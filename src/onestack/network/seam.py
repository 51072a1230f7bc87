"""What compute may ask of the network service — the one network module compute imports
(an import contract keeps it so). Every call runs inside compute's transaction (the
Session ``s`` it passes), so a boot, a delete or an interface attach is one commit across
both services; and reads are plain queries on the shared database: a server page's
addresses cost one query, not an HTTP round trip per server as Nova pays Neutron.

The seam calls the network collections' internal use cases (``ports.make``, ``bind``,
``remove`` …: the same validation and IP allocation as the API, without its policy
check), so compute never writes a network table itself. Compute's own policy decided
before it calls.

Wiring is observed, not assumed: a port bound to a host stays ``DOWN`` until that host's
network agent reports it wired (``ACTIVE``). ``ports_wired`` is what the host agent polls
before it spawns (Nova's ``network-vif-plugged``); the network agent may wake the host
agent with ``bus.notify("compute.<host>", device_id)`` after a port goes ACTIVE.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest, Conflict, NotFound
from onestack.network.models.l2 import Network
from onestack.network.models.ports import IPAllocation, Port, PortSecurityGroup

COMPUTE_OWNER = "compute:"


@dataclass(frozen=True)
class NetInfo:
    id: str
    name: str
    project_id: str
    shared: bool
    external: bool
    mtu: int = 1500


@dataclass
class PortInfo:
    id: str
    network_id: str
    project_id: str
    mac_address: str
    status: str
    device_id: str
    device_owner: str
    host: str
    fixed_ips: list[dict[str, str]] = field(default_factory=list)
    security_groups: list[str] = field(default_factory=list)  # ids


@dataclass(frozen=True)
class SubnetDetails:
    """What a guest needs to configure an address of this subnet (the metadata service's
    ``network_data.json``): routes are (destination CIDR, next hop) pairs."""
    id: str
    network_id: str
    ip_version: int
    cidr: str
    gateway_ip: str | None
    enable_dhcp: bool
    ipv6_address_mode: str | None
    dns_nameservers: tuple[str, ...] = ()
    host_routes: tuple[tuple[str, str], ...] = ()


def ip_version(address: str) -> int:
    return 6 if ":" in address else 4


def service_context(project_id: str, user_id: str = "") -> RequestContext:
    """The context compute's internal calls run under: the server's project, with the
    admin role (compute's own policy has already decided)."""
    return RequestContext(request_id="req-compute-network", user_id=user_id or "nova",
                          project_id=project_id, roles=["admin", "member", "reader"])


def _net(row: Network) -> NetInfo:
    return NetInfo(row.id, row.name or "", row.project_id, bool(row.shared),
                   bool(row.router_external), int(row.mtu or 1500))


class NetworkSeam:
    """The network service as compute sees it. Built once per process over the network
    collections (``Deps``)."""

    def __init__(self, deps: Any) -> None:
        self.deps = deps

    # --- helpers ---------------------------------------------------------------------
    def _collection(self, name: str) -> Any | None:
        return self.deps.collections.get(name)

    def _ports(self) -> Any:
        ports = self._collection("ports")
        if ports is None:
            raise Conflict("The network service has no ports.")
        return ports

    # --- networks --------------------------------------------------------------------
    def visible_networks(self, s: Session, ctx: RequestContext) -> list[NetInfo]:
        """What ``ctx`` sees (own, shared, external, shared to it by RBAC; an admin sees
        every network), by name then id."""
        stmt = sa.select(Network).order_by(Network.name, Network.id)
        networks = self._collection("networks")
        if networks is not None and not self.deps.is_admin(ctx):
            clause = networks.visible(s, ctx)
            if clause is not None:
                stmt = stmt.where(clause)
        return [_net(r) for r in s.scalars(stmt)]

    def usable_networks(self, s: Session, ctx: RequestContext) -> list[NetInfo]:
        """Where a server of ``ctx``'s project may get a port without naming a network:
        the project's own networks and shared ones, never an external one (as Nova asks
        Neutron for ``tenant_id=<project>`` and ``shared=True``)."""
        project = ctx.project_id
        stmt = sa.select(Network).where(
            Network.router_external.is_(False),
            sa.or_(Network.project_id == project, Network.shared.is_(True))
        ).order_by(Network.created_at, Network.id)
        return [_net(r) for r in s.scalars(stmt)]

    def network(self, s: Session, ctx: RequestContext, network_id: str) -> NetInfo | None:
        """The network if ``ctx`` may see it."""
        stmt = sa.select(Network).where(Network.id == network_id)
        networks = self._collection("networks")
        if networks is not None and not self.deps.is_admin(ctx):
            clause = networks.visible(s, ctx)
            if clause is not None:
                stmt = stmt.where(clause)
        row = s.scalar(stmt)
        return _net(row) if row is not None else None

    def networks_by_id(self, s: Session, ids: list[str]) -> dict[str, NetInfo]:
        if not ids:
            return {}
        return {r.id: _net(r) for r in s.scalars(sa.select(Network).where(
            Network.id.in_(set(ids))))}

    def subnets_of(self, s: Session, network_id: str) -> list[Any]:
        """The network's subnet rows (empty before the subnets service exists)."""
        subnets = self._collection("subnets")
        hook = getattr(subnets, "subnets_of", None)
        return list(hook(s, network_id)) if hook is not None else []

    def auto_allocate(self, s: Session, ctx: RequestContext) -> str | None:
        """The project's auto-allocated network (made on first use, in compute's
        transaction, as ``networks: auto`` asks), or None when the cloud cannot make
        one (no default external network)."""
        try:
            from onestack.network.models.routers import AutoAllocatedTopology
            from onestack.network.service.auto_allocate import AutoAllocator
        except ImportError:  # no auto-allocation in this build
            return None
        row = s.get(AutoAllocatedTopology, ctx.project_id)
        if row is not None:
            return row.network_id
        try:
            with s.begin_nested():
                network_id = AutoAllocator(self.deps).build(
                    s, service_context(ctx.project_id, ctx.user_id), ctx.project_id)
        except Conflict:
            return None
        except IntegrityError:  # a racing boot of the project made it first
            row = s.scalar(sa.select(AutoAllocatedTopology).where(  # a locking read sees it
                AutoAllocatedTopology.project_id == ctx.project_id).with_for_update())
            return row.network_id if row is not None else None
        self.wake_after_commit(s, "routers", network_id)
        return network_id

    # --- ports: reads ----------------------------------------------------------------
    def port(self, s: Session, port_id: str, *, lock: bool = False) -> PortInfo | None:
        stmt = sa.select(Port).where(Port.id == port_id)
        if lock:
            stmt = stmt.with_for_update()
        row = s.scalar(stmt)
        if row is None:
            return None
        return self._infos(s, [row])[0]

    def ports_of(self, s: Session, device_ids: list[str]) -> dict[str, list[PortInfo]]:
        """The ports whose ``device_id`` is one of ``device_ids`` (a server's NICs), in
        the order they were made."""
        if not device_ids:
            return {}
        rows = list(s.scalars(sa.select(Port).where(Port.device_id.in_(set(device_ids)))
                              .order_by(Port.created_at, Port.id)))
        out: dict[str, list[PortInfo]] = {i: [] for i in device_ids}
        for info in self._infos(s, rows):
            out.setdefault(info.device_id, []).append(info)
        return out

    def _infos(self, s: Session, rows: list[Port]) -> list[PortInfo]:
        ids = [r.id for r in rows]
        ips: dict[str, list[dict[str, str]]] = {i: [] for i in ids}
        groups: dict[str, list[str]] = {i: [] for i in ids}
        if ids:
            for a in s.execute(sa.select(IPAllocation.port_id, IPAllocation.subnet_id,
                                         IPAllocation.ip_address)
                               .where(IPAllocation.port_id.in_(ids))
                               .order_by(IPAllocation.ip_address)):
                ips[a.port_id].append({"subnet_id": a.subnet_id, "ip_address": a.ip_address})
            for g in s.execute(sa.select(PortSecurityGroup.port_id,
                                         PortSecurityGroup.security_group_id)
                               .where(PortSecurityGroup.port_id.in_(ids))):
                groups[g.port_id].append(g.security_group_id)
        return [PortInfo(r.id, r.network_id, r.project_id, r.mac_address, r.status,
                         r.device_id or "", r.device_owner or "", r.binding_host_id or "",
                         ips[r.id], sorted(groups[r.id])) for r in rows]

    def addresses(self, s: Session, device_ids: list[str]
                  ) -> dict[str, dict[str, list[dict[str, Any]]]]:
        """Nova's ``addresses`` of each server, keyed by network name: every fixed IP of
        its ports, then the floating IP associated with it — one query for a whole page."""
        if not device_ids:
            return {}
        from onestack.network.models.floatingips import FloatingIP

        stmt = (sa.select(Port.device_id, Port.mac_address, Network.name, Network.id.label(
                    "network_id"), IPAllocation.ip_address,
                    FloatingIP.floating_ip_address)
                .join(Network, Network.id == Port.network_id)
                .join(IPAllocation, IPAllocation.port_id == Port.id)
                .outerjoin(FloatingIP, sa.and_(
                    FloatingIP.fixed_port_id == Port.id,
                    FloatingIP.fixed_ip_address == IPAllocation.ip_address))
                .where(Port.device_id.in_(set(device_ids)),
                       Port.device_owner.startswith(COMPUTE_OWNER))
                .order_by(Port.device_id, Port.created_at, Port.id, IPAllocation.ip_address))
        out: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for row in s.execute(stmt):
            nets = out.setdefault(row.device_id, {})
            entries = nets.setdefault(row.name or row.network_id, [])
            entries.append({"version": ip_version(row.ip_address), "addr": row.ip_address,
                            "OS-EXT-IPS:type": "fixed",
                            "OS-EXT-IPS-MAC:mac_addr": row.mac_address})
            if row.floating_ip_address:
                entries.append({"version": ip_version(row.floating_ip_address),
                                "addr": row.floating_ip_address,
                                "OS-EXT-IPS:type": "floating",
                                "OS-EXT-IPS-MAC:mac_addr": row.mac_address})
        return out

    def device_at(self, s: Session, network_id: str, ip_address: str) -> str | None:
        """The ``device_id`` of the compute port holding ``ip_address`` on ``network_id``
        (how the metadata service names the guest behind a proxied request), or None."""
        if not valid_ip(ip_address):
            return None
        canonical = str(ipaddress.ip_address(ip_address))
        return s.scalar(sa.select(Port.device_id).join(
            IPAllocation, IPAllocation.port_id == Port.id).where(
            IPAllocation.network_id == network_id, IPAllocation.ip_address == canonical,
            Port.device_owner.startswith(COMPUTE_OWNER)).limit(1))

    def subnet_details(self, s: Session, subnet_ids: list[str]) -> dict[str, SubnetDetails]:
        """The subnets by id, with their nameservers and host routes in order."""
        from onestack.network.models.subnets import DNSNameServer, HostRoute, Subnet

        ids = set(subnet_ids)
        if not ids:
            return {}
        dns: dict[str, list[str]] = {i: [] for i in ids}
        for row in s.execute(sa.select(DNSNameServer.subnet_id, DNSNameServer.address)
                             .where(DNSNameServer.subnet_id.in_(ids))
                             .order_by(DNSNameServer.position)):
            dns[row.subnet_id].append(row.address)
        routes: dict[str, list[tuple[str, str]]] = {i: [] for i in ids}
        for row in s.execute(sa.select(HostRoute.subnet_id, HostRoute.destination,
                                       HostRoute.nexthop)
                             .where(HostRoute.subnet_id.in_(ids))
                             .order_by(HostRoute.position)):
            routes[row.subnet_id].append((row.destination, row.nexthop))
        return {r.id: SubnetDetails(r.id, r.network_id, int(r.ip_version), r.cidr,
                                    r.gateway_ip, bool(r.enable_dhcp), r.ipv6_address_mode,
                                    tuple(dns[r.id]), tuple(routes[r.id]))
                for r in s.scalars(sa.select(Subnet).where(Subnet.id.in_(ids)))}

    def floating_ips_of(self, s: Session, port_ids: list[str]) -> dict[str, list[str]]:
        """port id → the floating addresses associated with its fixed IPs."""
        from onestack.network.models.floatingips import FloatingIP

        out: dict[str, list[str]] = {i: [] for i in port_ids}
        if not port_ids:
            return out
        for row in s.execute(sa.select(FloatingIP.fixed_port_id,
                                       FloatingIP.floating_ip_address)
                             .where(FloatingIP.fixed_port_id.in_(set(port_ids)))
                             .order_by(FloatingIP.floating_ip_address)):
            out[row.fixed_port_id].append(row.floating_ip_address)
        return out

    def ports_wired(self, s: Session, port_ids: list[str], host: str) -> bool:
        """True when every port is bound to ``host`` and its network agent reported it
        wired (``ACTIVE``)."""
        if not port_ids:
            return True
        rows = s.execute(sa.select(Port.id, Port.status, Port.binding_host_id).where(
            Port.id.in_(port_ids))).all()
        return len(rows) == len(set(port_ids)) and all(
            r.status == "ACTIVE" and r.binding_host_id == host for r in rows)

    # --- ports: writes (compute's transaction) ---------------------------------------
    def create_port(self, s: Session, ctx: RequestContext, *, network_id: str,
                    device_id: str, device_owner: str, fixed_ip: str | None = None,
                    security_groups: list[str] | None = None) -> PortInfo:
        """A port for a server NIC (``security_groups``: ids; None → the project's
        default group, as Neutron gives)."""
        fixed = [{"ip_address": fixed_ip}] if fixed_ip else None
        row = self._ports().make(s, ctx, network_id=network_id, project_id=ctx.project_id,
                                 device_owner=device_owner, device_id=device_id,
                                 fixed_ips=fixed, security_groups=security_groups)
        s.flush()
        return self._infos(s, [row])[0]

    def claim_port(self, s: Session, port_id: str, device_id: str, device_owner: str
                   ) -> None:
        """A port the user passed now belongs to the server."""
        s.execute(sa.update(Port).where(Port.id == port_id).values(
            device_id=device_id, device_owner=device_owner))

    def release_port(self, s: Session, port_id: str) -> None:
        """A port the user passed goes back to the user: unbound, owned by nothing."""
        self.unbind(s, port_id)
        s.execute(sa.update(Port).where(Port.id == port_id).values(
            device_id="", device_owner=""))

    def delete_port(self, s: Session, ctx: RequestContext, port_id: str) -> None:
        """A port compute made goes with its server (gone already: nothing to do)."""
        row = s.get(Port, port_id)
        if row is not None:
            self._ports().remove(s, ctx, row)
            self.wake_after_commit(s, "port", port_id)

    def bind(self, s: Session, port_id: str, host: str) -> None:
        self._ports().bind(s, port_id, host)
        self.wake_after_commit(s, "port", port_id)

    def unbind(self, s: Session, port_id: str) -> None:
        ports = self._ports()
        if s.get(Port, port_id) is not None:
            ports.unbind(s, port_id)
            self.wake_after_commit(s, "port", port_id)

    def wake_after_commit(self, s: Session, topic: str, ident: str) -> None:
        """Wake the network agents once ``s`` commits (a wake-up before the commit would
        have them read the port as it was, and wait for their next resync)."""
        key = "onestack.network.seam.wake"
        pending = s.info.get(key)
        if pending is None:
            pending = s.info[key] = set()

            def fire(session: Session) -> None:
                for item in session.info.pop(key, ()):
                    self.deps.wake(*item)
            sa.event.listen(s, "after_commit", fire, once=True)
        pending.add((topic, ident))

    # --- security groups -------------------------------------------------------------
    def security_group_ids(self, s: Session, ctx: RequestContext, names: list[str]
                           ) -> list[str]:
        """Group names or ids of ``ctx``'s project → ids (``default`` is made on first
        use); an unknown one is Nova's 400."""
        from onestack.network.models.security import SecurityGroup

        groups = self._collection("security_groups")
        out: list[str] = []
        for name in names:
            if name == "default" and groups is not None and \
                    hasattr(groups, "default_group_id"):
                out.append(groups.default_group_id(s, ctx, ctx.project_id))
                continue
            found = list(s.scalars(sa.select(SecurityGroup.id).where(
                SecurityGroup.project_id == ctx.project_id,
                sa.or_(SecurityGroup.name == name, SecurityGroup.id == name))))
            if not found:
                raise BadRequest(f"Security group {name} not found for project "
                                 f"{ctx.project_id}.")
            if len(found) > 1 and name not in found:
                raise Conflict(f"Multiple security groups found matching '{name}'. Use an "
                               "ID to be more specific.")
            out.append(name if name in found else found[0])
        return list(dict.fromkeys(out))

    def group_names(self, s: Session, port_ids: list[str]) -> dict[str, list[str]]:
        """port id → the names of its security groups."""
        from onestack.network.models.security import SecurityGroup

        out: dict[str, list[str]] = {i: [] for i in port_ids}
        if not port_ids:
            return out
        for row in s.execute(sa.select(PortSecurityGroup.port_id, SecurityGroup.name)
                             .join(SecurityGroup, SecurityGroup.id ==
                                   PortSecurityGroup.security_group_id)
                             .where(PortSecurityGroup.port_id.in_(port_ids))
                             .order_by(SecurityGroup.name)):
            out[row.port_id].append(row.name)
        return out

    def set_port_groups(self, s: Session, port_id: str, group_ids: list[str]) -> None:
        """Replace a port's security groups (the add/removeSecurityGroup actions)."""
        s.execute(sa.delete(PortSecurityGroup).where(PortSecurityGroup.port_id == port_id))
        for gid in dict.fromkeys(group_ids):
            s.add(PortSecurityGroup(port_id=port_id, security_group_id=gid))
        row = s.get(Port, port_id)
        if row is not None:
            row.revision_number = (row.revision_number or 0) + 1
        s.flush()
        self.wake_after_commit(s, "port", port_id)

    # --- the pre-2.36 proxies: the network API's own use cases, as the caller ---------
    def list_docs(self, ctx: RequestContext, collection: str,
                  filters: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
        """What ``GET /v2.0/<collection>?filters`` answers the caller (its visibility
        and policy)."""
        from onestack.network.service.query import ListQuery

        docs, _ = self.deps.collections[collection].list(ctx, ListQuery(
            filters=dict(filters or {})))
        return docs

    def show_doc(self, ctx: RequestContext, collection: str, ident: str) -> dict[str, Any]:
        return self.deps.collections[collection].show(ctx, ident)

    def create_doc(self, ctx: RequestContext, collection: str, item: dict[str, Any]
                   ) -> dict[str, Any]:
        return self.deps.collections[collection].create(ctx, [item])[0]

    def update_doc(self, ctx: RequestContext, collection: str, ident: str,
                   item: dict[str, Any]) -> dict[str, Any]:
        return self.deps.collections[collection].update(ctx, ident, item)

    def delete_doc(self, ctx: RequestContext, collection: str, ident: str) -> None:
        self.deps.collections[collection].delete(ctx, ident)


def valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def build(platform: Any) -> NetworkSeam:
    """The seam over a fresh set of network collections on ``platform``'s database (an
    API platform or an agent context: one without a policy enforcer gets one with the
    network rules)."""
    from onestack.network.app import COLLECTIONS
    from onestack.network.service.engine import Deps
    import importlib

    policy = getattr(platform, "policy", None)
    if policy is None:
        from onestack.core.policy import Policy
        from onestack.network import policies

        policy = Policy(getattr(platform.settings, "policy_file", "") or "")
        policy.register(policies.RULES)
    bus = getattr(platform, "bus", None)

    def notify(topic: str, ident: str) -> None:
        if bus is not None:
            bus.notify(f"network.{topic}", ident)

    deps = Deps(platform.db, policy, notify=notify, settings=platform.settings)
    for spec in COLLECTIONS:
        module, _, cls = spec.partition(":")
        getattr(importlib.import_module(module), cls)(deps)
    return NetworkSeam(deps)


__all__ = ["NetworkSeam", "NetInfo", "PortInfo", "SubnetDetails", "build", "service_context", "valid_ip",
           "NotFound"]
