"""The network agent of one host: registers its agent rows (Linux bridge, L3, DHCP),
beats, and converges the host's dataplane with the database, level-triggered.

Work is named by keys: ``port:<id>``, ``router:<id>``, ``dhcp:<network id>`` and
``net:<id>``. ``reconcile(key)`` re-reads that one object and what the driver reports,
takes the idempotent steps (ensure or remove) and writes observed state — a port bound
here goes ``ACTIVE`` once wired (``DOWN`` while its admin state is down), a hosted
router's ports and floating IPs ``ACTIVE`` once the router is wired — and wakes compute
(``compute.<host>`` with the server id) when a server's port is wired. ``pending()`` is the
cheap list a wake-up reads (ids and statuses only); ``drifted()`` is the full comparison,
spec by spec, that a periodic resync runs, after scheduling DHCP.

Only the routers bound to this host's L3 agent are wired here: one taken off it is unwired
(and, hosted nowhere, its ports and floating IPs go ``DOWN``); one bound to it again is
wired again. Unhosted routers are adopted when the agent comes alive (its start, a
re-registration, a heartbeat after a gap longer than the agent down time), as an L3 agent's
full sync does, not on every resync: that would undo an operator's unscheduling.

Each column keeps one writer: the API and compute write what is wanted (bindings, specs);
this agent writes only statuses, its agents' heartbeats and the scheduling bindings.
"""
from __future__ import annotations

import logging
import time
import uuid
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.bus import Bus
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.network.agent import desired as d
from onestack.network.drivers.base import (NetworkBusy, NetworkDriver, NetworkDriverError,
                                           NetworkSpec)
from onestack.network.models.agents import DhcpBinding, L3Binding
from onestack.network.models.l2 import Network
from onestack.network.models.ports import Port
from onestack.network.models.routers import Router, RouterPort
from onestack.network.service import agents as reg

log = logging.getLogger(__name__)


class NetworkAgent:
    def __init__(self, db: Database, bus: Bus, host: str, driver: NetworkDriver,
                 collections: dict[str, Any], zone: str = "nova",
                 dhcp_ports: bool = True):
        """``collections``: the network service's collections (``Deps.collections``),
        whose internal use cases write statuses and make DHCP ports; ``dhcp_ports``:
        give each DHCP server a port of its own (its addresses), as Neutron's agent does."""
        self.db = db
        self.bus = bus
        self.host = host
        self.driver = driver
        self.collections = collections
        self.zone = zone
        self.dhcp_ports = dhcp_ports
        self.agent_ids: dict[str, str] = {}
        self._portless: set[str] = set()  # networks whose DHCP port could not be made
        self.dhcp_device_id_prefix = f"dhcp{uuid.uuid5(uuid.NAMESPACE_DNS, host)}-"
        self._revivals = 0  # times this agent came alive (registered, or beat after a gap)
        self._adopted = 0  # the revival whose unhosted routers were scheduled
        self._last_beat = 0.0

    # --- registration and heartbeat ----------------------------------------------------
    def register(self) -> dict[str, str]:
        config = self.driver.configuration()

        def work(s: Session) -> dict[str, str]:
            return {kind[0]: reg.register(s, self.host, kind, zone=self.zone,
                                          configurations=config)
                    for kind in reg.HOST_AGENTS}
        self.agent_ids = self.db.write(work)
        self._came_alive()
        return self.agent_ids

    def heartbeat(self) -> None:
        """Beat; an agent row an operator deleted is registered again. A beat after a gap
        in which the agent counted as dead is a revival (routers made meanwhile found no
        live L3 agent)."""
        config = self.driver.configuration()
        rows = self.db.write(lambda s: reg.heartbeat(s, self.host, config))
        if rows < len(reg.HOST_AGENTS):
            self.register()
        elif time.monotonic() - self._last_beat > reg.AGENT_DOWN_TIME:
            self._came_alive()
        else:
            self._last_beat = time.monotonic()

    def _came_alive(self) -> None:
        self._last_beat = time.monotonic()
        self._revivals += 1

    def start(self) -> None:
        self.register()

    @property
    def l3_agent(self) -> str:
        return self.agent_ids.get(reg.L3_AGENT[0], "")

    @property
    def dhcp_agent(self) -> str:
        return self.agent_ids.get(reg.DHCP_AGENT[0], "")

    # --- what to look at ---------------------------------------------------------------
    def pending(self) -> list[str]:
        """The cheap comparison: ids and statuses, no specs."""
        ports, routers, served = self.driver.ports(), self.driver.routers(), self.driver.dhcp()

        def work(s: Session) -> list[str]:
            keys: dict[str, None] = {}
            bound = d.bound_port_ids(s, self.host)
            rows = d.port_rows(s, bound)
            for pid in bound:
                row = rows.get(pid)
                if row is not None and (pid not in ports or row.status != _wanted(row)):
                    keys[f"port:{pid}"] = None
            keys.update((f"port:{p}", None) for p in ports if p not in rows)
            mine = set(reg.l3_router_ids(s, self.l3_agent)) if self.l3_agent else set()
            keys.update((f"router:{r}", None) for r in mine ^ set(routers))
            keys.update((f"router:{r}", None) for r in d.routers_with_inactive_fips(s, mine))
            keys.update((f"dhcp:{n}", None) for n in set(self._served(s)) ^ set(served))
            return list(keys)
        return self.db.read(work)

    def drifted(self) -> list[str]:
        """The full comparison (after scheduling): every key whose wiring or status
        differs from what the database asks for."""
        self.schedule()
        observed_ports, observed_routers = self.driver.ports(), self.driver.routers()
        observed_dhcp, observed_nets = self.driver.dhcp(), self.driver.networks()

        def work(s: Session) -> list[str]:
            keys: dict[str, None] = {}
            bound = d.bound_port_ids(s, self.host)
            specs, rows = d.port_specs(s, bound), d.port_rows(s, bound)
            for pid, spec in specs.items():
                if observed_ports.get(pid) != spec or rows[pid].status != _wanted(rows[pid]):
                    keys[f"port:{pid}"] = None
            keys.update((f"port:{p}", None) for p in observed_ports if p not in specs)
            mine = reg.l3_router_ids(s, self.l3_agent) if self.l3_agent else []
            routers = d.router_specs(s, mine)
            legs = d.router_port_ids(s, routers)
            leg_rows = d.port_rows(s, [p for ps in legs.values() for p in ps])
            for rid, spec in routers.items():
                wanted = "ACTIVE" if spec.admin_state_up else "DOWN"
                if observed_routers.get(rid) != spec or any(
                        leg_rows[p].status != wanted or leg_rows[p].binding_host_id != self.host
                        for p in legs.get(rid, []) if p in leg_rows):
                    keys[f"router:{rid}"] = None
            keys.update((f"router:{r}", None) for r in observed_routers if r not in routers)
            keys.update((f"router:{r}", None) for r in d.unhosted_routers_shown_active(s))
            dhcp = self._served(s)
            for net, subnets in dhcp.items():
                port_id = d.dhcp_port_id(s, net, self.dhcp_device_id_prefix + net)
                spec = d.dhcp_spec(s, net, subnets, port_id)
                if observed_dhcp.get(net) != spec or (self.dhcp_ports and port_id is None):
                    keys[f"dhcp:{net}"] = None
            keys.update((f"dhcp:{n}", None) for n in observed_dhcp if n not in dhcp)
            needed = {spec.network_id for spec in specs.values()} | set(dhcp) | {
                leg for spec in routers.values() for leg in _leg_networks(spec)}
            wanted_nets = d.network_specs(s, needed)
            for net in set(observed_nets) | set(wanted_nets):
                if observed_nets.get(net) != wanted_nets.get(net):
                    keys[f"net:{net}"] = None
            return list(keys)
        return self.db.read(work)

    def resync(self) -> list[str]:
        """One full pass, run directly (the worker runs the same list with backoff)."""
        keys = self.drifted()
        for key in keys:
            try:
                self.reconcile(key)
            except NetworkDriverError:
                log.exception("%s: reconcile of %s failed", self.host, key)
        return keys

    # --- scheduling -----------------------------------------------------------------------
    def schedule(self) -> None:
        """Once per revival, host every router that no L3 agent hosts (on the least busy
        live agent); always serve DHCP for the networks with ports here, give an unserved
        network with ports a DHCP agent, and drop this host's bindings to networks and
        routers that are gone. Reads first: a pass with nothing to schedule writes
        nothing."""
        revival = self._revivals
        adopting = revival != self._adopted
        todo = self.db.read(lambda s: self._to_schedule(s, adopting))
        if any(todo.values()):
            self.db.write(lambda s: self._schedule(s, todo))
        self._adopted = revival

    def _to_schedule(self, s: Session, adopting: bool = False) -> dict[str, list[str]]:
        todo: dict[str, list[str]] = {"stale_routers": [], "routers": [], "stale_networks": [],
                                      "mine": [], "unserved": []}
        if self.l3_agent:
            todo["stale_routers"] = list(s.scalars(sa.select(L3Binding.router_id).where(
                L3Binding.agent_id == self.l3_agent,
                L3Binding.router_id.not_in(sa.select(Router.id)))))
        if adopting:
            todo["routers"] = d.unhosted_router_ids(s)
        if not self.dhcp_agent:
            return todo
        todo["stale_networks"] = list(s.scalars(sa.select(DhcpBinding.network_id).where(
            DhcpBinding.agent_id == self.dhcp_agent,
            DhcpBinding.network_id.not_in(sa.select(Network.id)))))
        agent = s.get(reg.Agent, self.dhcp_agent)
        mine = set(reg.dhcp_network_ids(s, self.dhcp_agent))
        if agent is not None and agent.admin_state_up:
            todo["mine"] = [n for n in d.networks_wanting_dhcp(s, self.host) if n not in mine]
        served = s.scalars(sa.select(DhcpBinding.network_id).distinct())
        todo["unserved"] = d.unserved_dhcp_networks(s, served)
        return todo

    def _schedule(self, s: Session, todo: dict[str, list[str]]) -> None:
        if todo["stale_routers"]:
            s.execute(sa.delete(L3Binding).where(
                L3Binding.agent_id == self.l3_agent,
                L3Binding.router_id.in_(todo["stale_routers"])))
        for router_id in todo["routers"]:
            reg.schedule_router(s, router_id)  # re-checks: another agent may have won
        if todo["stale_networks"]:
            s.execute(sa.delete(DhcpBinding).where(
                DhcpBinding.agent_id == self.dhcp_agent,
                DhcpBinding.network_id.in_(todo["stale_networks"])))
        for net in todo["mine"]:
            reg.bind_once(s, DhcpBinding(network_id=net, agent_id=self.dhcp_agent))
        for net in todo["unserved"]:
            reg.schedule_network(s, net)

    def _served(self, s: Session) -> dict[str, list[Any]]:
        """Network id → DHCP subnets, for the networks this host's DHCP agent serves."""
        if not self.dhcp_agent:
            return {}
        return dict(d.dhcp_subnets(s, reg.dhcp_network_ids(s, self.dhcp_agent)))

    # --- one key ----------------------------------------------------------------------------
    def reconcile(self, key: str) -> bool:
        kind, _, ident = key.partition(":")
        step = {"port": self._port, "router": self._router, "dhcp": self._dhcp,
                "net": self._network}.get(kind)
        return step(ident) if step else True

    def _port(self, port_id: str) -> bool:
        spec, row = self.db.read(lambda s: (d.port_specs(s, [port_id]).get(port_id),
                                            d.port_rows(s, [port_id]).get(port_id)))
        if spec is None or row is None or row.binding_host_id != self.host or \
                d.is_infrastructure(row.device_owner):
            observed = self.driver.ports().get(port_id)
            self.driver.remove_port(port_id)
            if observed is not None:
                self._network(observed.network_id)
            return True
        net = self.db.read(lambda s: d.network_specs(s, [spec.network_id]).get(spec.network_id))
        if net is None:
            return True  # the network went meanwhile; so will the port
        self._networks_wired([net])
        self.driver.ensure_port(spec)
        status = _wanted(row)
        if self.db.write(lambda s: self._set_port_status(s, port_id, status)) and \
                status == "ACTIVE":
            self._wired(port_id, row.device_id, row.device_owner)
        return True

    def _set_port_status(self, s: Session, port_id: str, status: str) -> bool:
        """Write the observed status if the port is still bound here; whether it changed."""
        row = s.get(Port, port_id)
        if row is None or row.binding_host_id != self.host or row.status == status:
            return False
        self.collections["ports"].set_status(s, port_id, status)
        return True

    def _wired(self, port_id: str, device_id: str | None, device_owner: str | None) -> None:
        """Tell whoever waits for the port: compute's host agent (the server id) and
        anyone listening for wired ports."""
        self.bus.notify("network.port-wired", port_id)
        if device_id and (device_owner or "").startswith("compute:"):
            self.bus.notify(f"compute.{self.host}", device_id)

    def _router(self, router_id: str) -> bool:
        def read(s: Session) -> Any:
            if not self.l3_agent or reg.l3_agent_id(s, router_id) != self.l3_agent:
                return None
            spec = d.router_specs(s, [router_id]).get(router_id)
            if spec is None:
                return None
            return spec, d.network_specs(s, _leg_networks(spec))
        found = self.db.read(read)
        if found is None:
            observed = self.driver.routers().get(router_id)
            self.driver.remove_router(router_id)
            for net in _leg_networks(observed) if observed else ():
                self._network(net)
            self.db.write(lambda s: self._router_unhosted(s, router_id))
            return True
        spec, nets = found
        for net in nets.values():  # all of it: a gateway's external leg is not in networks()
            self.driver.ensure_network(net)
        self.driver.ensure_router(spec)
        status = "ACTIVE" if spec.admin_state_up else "DOWN"
        self.db.write(lambda s: self._router_observed(s, router_id, status))
        return True

    def _router_observed(self, s: Session, router_id: str, status: str) -> None:
        """The router's ports are bound here and up; its floating IPs are active."""
        ports = self.collections["ports"]
        for port_id in d.router_port_ids(s, [router_id]).get(router_id, []):
            row = s.get(Port, port_id)
            if row is None:
                continue
            if row.binding_host_id != self.host:
                ports.bind(s, port_id, self.host)
            ports.set_status(s, port_id, status)
        fips = self.collections.get("floatingips")
        if fips is not None and hasattr(fips, "set_status"):
            for fip_id, current in d.router_floating_ips(s, [router_id]).items():
                if current != status:
                    fips.set_status(s, fip_id, status)

    def _router_unhosted(self, s: Session, router_id: str) -> None:
        """A router no L3 agent hosts has no data path: its ports and floating IPs go
        ``DOWN`` (one hosted elsewhere is that host's to show)."""
        if s.get(Router, router_id) is None or reg.l3_agent_id(s, router_id) is not None:
            return
        ports = self.collections["ports"]
        for port_id in d.router_port_ids(s, [router_id]).get(router_id, []):
            if s.get(Port, port_id) is not None:
                ports.set_status(s, port_id, "DOWN")
        fips = self.collections.get("floatingips")
        if fips is not None and hasattr(fips, "set_status"):
            for fip_id, current in d.router_floating_ips(s, [router_id]).items():
                if current != "DOWN":
                    fips.set_status(s, fip_id, "DOWN")

    def _dhcp(self, network_id: str) -> bool:
        device_id = self.dhcp_device_id_prefix + network_id
        subnets = self.db.read(lambda s: self._served(s).get(network_id))
        if not subnets:
            self.driver.remove_dhcp(network_id)
            self.db.write(lambda s: self._drop_dhcp_port(s, network_id, device_id))
            self._network(network_id)
            return True
        port_id = self.db.write(lambda s: self._dhcp_port(s, network_id, device_id, subnets))

        def read(s: Session) -> Any:
            return (d.dhcp_spec(s, network_id, subnets, port_id),
                    d.network_specs(s, [network_id]).get(network_id))
        spec, net = self.db.read(read)
        if net is None:
            return True
        self._networks_wired([net])
        self.driver.ensure_dhcp(spec)
        if port_id:
            self.db.write(lambda s: self.collections["ports"].set_status(s, port_id, "ACTIVE"))
        return True

    def _dhcp_port(self, s: Session, network_id: str, device_id: str,
                   subnets: list[Any]) -> str | None:
        """This host's DHCP port on the network (made and bound on first use); None when
        DHCP ports are off or no address is left for one."""
        if not self.dhcp_ports:
            return None
        port_id = d.dhcp_port_id(s, network_id, device_id)
        ports = self.collections["ports"]
        if port_id is None:
            network = s.get(Network, network_id)
            if network is None:
                return None
            ctx = _service_context(network.project_id)
            try:
                with s.begin_nested():
                    row = ports.make(s, ctx, network_id=network_id,
                                     project_id=network.project_id, device_owner=d.DHCP_OWNER,
                                     device_id=device_id,
                                     fixed_ips=[{"subnet_id": sub.subnet_id} for sub in subnets])
            except Exception as exc:  # noqa: BLE001 - a full subnet must not stop DHCP
                if network_id not in self._portless:  # said once, not every resync
                    self._portless.add(network_id)
                    log.warning("%s: DHCP on network %s serves without a port of its own: "
                                "%s", self.host, network_id, exc)
                return None
            self._portless.discard(network_id)
            port_id = row.id
        row = s.get(Port, port_id)
        if row is not None and row.binding_host_id != self.host:
            ports.bind(s, port_id, self.host)
        return port_id

    def _drop_dhcp_port(self, s: Session, network_id: str, device_id: str) -> None:
        port_id = d.dhcp_port_id(s, network_id, device_id)
        row = s.get(Port, port_id) if port_id else None
        if row is not None:
            network = s.get(Network, network_id)
            ctx = _service_context(network.project_id if network else "")
            self.collections["ports"].remove(s, ctx, row)

    def _networks_wired(self, nets: Iterable[NetworkSpec]) -> None:
        """The networks a port or DHCP server needs, wired: those the driver already
        shows wired as asked are left alone (one look at the links instead of every
        device of each network checked again on a boot's critical path; the full pass
        compares every network anyway)."""
        wanted = list(nets)
        observed = self.driver.networks() if wanted else {}
        for net in wanted:
            if observed.get(net.id) != net:
                self.driver.ensure_network(net)

    def _network(self, network_id: str) -> bool:
        """Wire the network if anything here needs it, else unwire it (once its ports
        and DHCP are gone: a busy network is retried)."""
        spec = self.db.read(lambda s: d.network_specs(s, [network_id]).get(network_id)
                            if self._needs(s, network_id) else None)
        if spec is not None:
            self.driver.ensure_network(spec)
            return True
        try:
            self.driver.remove_network(network_id)
        except NetworkBusy:
            return False
        return True

    def _needs(self, s: Session, network_id: str) -> bool:
        plain = s.scalar(sa.select(sa.func.count()).select_from(Port).where(
            Port.network_id == network_id, Port.binding_host_id == self.host,
            sa.or_(Port.device_owner.is_(None), Port.device_owner.not_like("network:%"))))
        if plain:
            return True
        if self.l3_agent and s.scalar(sa.select(sa.func.count()).select_from(RouterPort).join(
                Port, Port.id == RouterPort.port_id).join(
                L3Binding, L3Binding.router_id == RouterPort.router_id).where(
                Port.network_id == network_id, L3Binding.agent_id == self.l3_agent)):
            return True
        return network_id in self._served(s)


def _wanted(row: Any) -> str:
    """The status a wired port should show."""
    return "ACTIVE" if row.admin_state_up else "DOWN"


def _leg_networks(spec: Any) -> list[str]:
    nets = [leg.network_id for leg in spec.interfaces]
    if spec.gateway is not None:
        nets.append(spec.gateway.network_id)
    return nets


def _service_context(project_id: str) -> RequestContext:
    """The context of the agent's internal calls (its DHCP ports)."""
    return RequestContext(request_id="req-network-agent", user_id="neutron",
                          project_id=project_id, roles=["admin", "member", "reader"])
