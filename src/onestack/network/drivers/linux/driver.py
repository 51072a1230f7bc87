"""The Linux network driver: what the agent asks for, made in the kernel.

A network is a bridge in the host namespace (``Settings.dataplane_netns``) with its
uplink: a VXLAN device (VNI = segmentation id, flooding to a multicast group over the
tunnel device when one is configured), a VLAN sub-interface or the physical interface of
a mapped physical network; ``local`` is the bridge alone. A flat or VLAN network on an
external physical network (``public``) also gets a veth into the external namespace the
driver makes, which holds the external subnets' gateway addresses: traffic to floating
IPs starts there, never on the machine's own uplink. A port is a persistent tap on its
bridge, filtered by ``firewall``. Routers and DHCP servers are namespaces (``routers``,
``dhcp``).

Each object's spec is kept as JSON under the run directory (``/run``: it lives as long
as the kernel state it describes); what the driver *reports* is the spec of each object
whose devices and rules are present and as the spec says, so a device or rule lost
behind its back shows as missing and is wired again by the next ensure.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from onestack.network.drivers.base import (DhcpSpec, NetworkBusy, NetworkDriverError,
                                           NetworkMissing, NetworkSpec, PortSpec, RouterSpec)
from onestack.network.drivers.linux import conntrack
from onestack.network.drivers.linux import dhcp as dhcp_servers
from onestack.network.drivers.linux import firewall, garbage, links, networks, processes
from onestack.network.drivers.linux import routers as router_namespaces
from onestack.network.drivers.linux.codec import SpecStore, decode, encode
from onestack.network.drivers.linux.links import Link, Links
from onestack.network.drivers.linux.names import ALIAS, Names, tap_name

log = logging.getLogger(__name__)
MAX_PORT_INDEX = 0xFFFF


@dataclass
class LinuxDriverConfig:
    """Where and how the driver wires.

    ``physical_interfaces``: physical network → interface in the host namespace for
    flat/VLAN segments (unmapped ones are bridges alone); ``external_physnets``: physical
    networks whose flat/VLAN networks get a leg into the external namespace;
    ``tunnel_local_ip``/``tunnel_dev``/``vxlan_group``: the VXLAN underlay (without a
    tunnel device a VXLAN network stays on this host); ``metadata_upstream``: where the
    metadata proxies forward ("": no proxy), ``metadata_secret``: the key they sign
    the guest's network and address with."""
    netns: str = ""
    run_dir: Path | None = None
    physical_interfaces: dict[str, str] = field(default_factory=dict)
    external_physnets: tuple[str, ...] = ("public",)
    tunnel_local_ip: str | None = None
    tunnel_dev: str | None = None
    vxlan_group: str | None = "239.1.1.1"
    metadata_upstream: str = ""
    metadata_secret: str = ""


class LinuxNetworkDriver:
    def __init__(self, config: LinuxDriverConfig, host: str = ""):
        self.config = config
        self.host = host
        self.netns = config.netns
        self.names = Names(config.netns)
        self.run_dir = config.run_dir or Path("/run/onestack/network") / self.names.tag
        self.store = SpecStore(self.run_dir / "specs")
        self.links = Links(self.netns)
        self.forgetter = conntrack.Forgetter()
        self._lock = threading.RLock()
        self._faults: set[tuple[str, str]] = set()
        self._prepared = False

    # --- test hook ------------------------------------------------------------------------
    def inject_fault(self, op: str, ident: str) -> None:
        """Make ``op`` on ``ident`` fail halfway (after its links changed, before its
        rules), once: how the contract suite checks that a failure rolls back."""
        self._faults.add((op, ident))

    def _fault_point(self, op: str, ident: str) -> None:
        if (op, ident) in self._faults:
            self._faults.discard((op, ident))
            raise NetworkDriverError(f"injected failure of {op} {ident}")

    def _prepare(self) -> None:
        """Once per driver: the host namespace, its settings, and whatever an earlier
        driver made that no kept spec names (its specs lost) removed."""
        if not self._prepared:
            if self.netns:
                links.ensure_namespace(self.netns)
            processes.make_dirs(self.run_dir, self.run_dir)
            firewall.host_settings(self.netns)
            garbage.collect(self)
            self._prepared = True

    def configuration(self) -> dict[str, Any]:
        return {"bridge_mappings": {}, "interface_mappings": dict(self.config.physical_interfaces),
                "tunnel_types": ["vxlan"], "driver": "linux",
                "devices": len(self.store.all("ports")),
                "tunneling_ip": self.config.tunnel_local_ip or "",
                "host_namespace": self.netns, "external_namespace": self.names.external_ns()}

    # --- networks ---------------------------------------------------------------------------
    def ensure_network(self, spec: NetworkSpec) -> None:
        with self._lock:
            self._prepare()
            old = self.network_spec(spec.id)
            try:
                networks.wire(self, spec, old)
            except Exception as exc:
                if old is not None:
                    self._try(lambda: networks.wire(self, old, spec))
                raise _wrap(exc, "ensure_network", spec.id) from exc
            zone = (self.store.get("networks", spec.id) or {}).get("zone") or \
                self._free_zone()
            self.store.put("networks", spec.id, {"spec": encode(spec), "zone": zone})

    def remove_network(self, network_id: str) -> None:
        with self._lock:
            busy = [p for p in self._port_records().values()
                    if p["spec"]["network_id"] == network_id]
            if busy or self.store.get("dhcp", network_id) is not None:
                raise NetworkBusy(f"network {network_id} still has ports or DHCP on "
                                  f"{self.host or 'this host'}")
            try:
                networks.unwire(self, network_id, self.network_spec(network_id))
            except Exception as exc:
                raise _wrap(exc, "remove_network", network_id) from exc
            self.store.drop("networks", network_id)

    def _free_zone(self) -> int:
        """A conntrack zone no other network here uses."""
        used = {r.get("zone") for r in self.store.all("networks").values()}
        for zone in range(1, MAX_PORT_INDEX + 1):
            if zone not in used:
                return zone
        raise NetworkDriverError("no conntrack zone left on this host")

    def network_spec(self, network_id: str) -> NetworkSpec | None:
        record = self.store.get("networks", network_id)
        return decode(NetworkSpec, record["spec"]) if record else None

    def networks(self) -> dict[str, NetworkSpec]:
        with self._lock:
            self._prepare()
            present = self.links.all()
            out = {}
            for ident, record in self.store.all("networks").items():
                spec = decode(NetworkSpec, record["spec"])
                if networks.is_wired(self, spec, present):
                    out[ident] = spec
            return out

    # --- ports ------------------------------------------------------------------------------
    def _port_records(self) -> dict[str, dict[str, Any]]:
        return self.store.all("ports")

    def _free_index(self, records: dict[str, dict[str, Any]]) -> int:
        used = {r["index"] for r in records.values()}
        for index in range(1, MAX_PORT_INDEX + 1):
            if index not in used:
                return index
        raise NetworkDriverError("no port index left on this host")

    def ensure_port(self, spec: PortSpec) -> None:
        with self._lock:
            self._prepare()
            records = self._port_records()
            if spec.network_id not in self.networks():
                raise NetworkMissing(f"network {spec.network_id} is not wired on "
                                     f"{self.host or 'this host'}")
            old = records.get(spec.id)
            index = old["index"] if old else self._free_index(records)
            try:
                self._wire_port(spec, index, records)
            except Exception as exc:
                if old is not None:
                    self._try(lambda: self._wire_port(decode(PortSpec, old["spec"]),
                                                      old["index"], records))
                else:
                    self._try(lambda: self._unwire_port(spec.id))
                raise _wrap(exc, "ensure_port", spec.id) from exc

    def _wire_port(self, spec: PortSpec, index: int,
                   records: dict[str, dict[str, Any]]) -> None:
        device = tap_name(spec.id)
        self.links.ensure_tap(device)
        self.links.configure(device, mac=_host_mac(spec.mac), mtu=spec.mtu,
                             master=self.names.bridge(spec.network_id),
                             alias=f"{ALIAS} port {spec.id}", up=spec.admin_state_up)
        self._fault_point("ensure_port", spec.id)
        wanted = dict(records)
        wanted[spec.id] = {"spec": encode(spec), "index": index}
        if spec.id in records and records[spec.id].get("limit"):
            wanted[spec.id]["limit"] = records[spec.id]["limit"]
        counts = self._apply_firewall(wanted)
        wanted[spec.id]["rules"] = {k: v for k, v in counts.items()
                                    if k.endswith(f"_{index}")}
        self.store.put("ports", spec.id, wanted[spec.id])
        old = records.get(spec.id)
        if old is not None and _filtering(decode(PortSpec, old["spec"])) != _filtering(spec):
            self._forget_flows(decode(PortSpec, old["spec"]))
            self._forget_flows(spec)

    def _forget_flows(self, spec: PortSpec) -> None:
        zone = (self.store.get("networks", spec.network_id) or {}).get("zone", 0)
        addresses = [f.ip_address for f in spec.fixed_ips] + \
            [p.ip_address for p in spec.allowed_address_pairs]
        self.forgetter.forget(self.netns, zone, addresses)

    def _apply_firewall(self, records: dict[str, dict[str, Any]]) -> dict[str, int]:
        filtered = []
        network_records = self.store.all("networks")
        limits = {tap_name(ident): (int(r["limit"][0]), r["limit"][1])
                  for ident, r in records.items() if r.get("limit")}
        for record in records.values():
            spec = decode(PortSpec, record["spec"])
            if spec.port_security:
                zone = network_records.get(spec.network_id, {}).get("zone", 0)
                filtered.append(firewall.FilteredPort(
                    record["index"], tap_name(spec.id), spec,
                    self.names.bridge(spec.network_id), zone))
        script, counts = firewall.render(filtered, limits)
        firewall.apply(self.netns, script)
        return counts

    def _unwire_port(self, port_id: str) -> None:
        self.links.delete(tap_name(port_id))
        records = self._port_records()
        gone = records.pop(port_id, None)
        self._apply_firewall(records)
        self.store.drop("ports", port_id)
        if gone is not None:
            self._forget_flows(decode(PortSpec, gone["spec"]))

    def remove_port(self, port_id: str) -> None:
        with self._lock:
            try:
                self._unwire_port(port_id)
            except Exception as exc:
                raise _wrap(exc, "remove_port", port_id) from exc

    def ports(self) -> dict[str, PortSpec]:
        with self._lock:
            self._prepare()
            records = self._port_records()
            if not records:
                return {}
            present = self.links.all()
            counts = firewall.rule_counts(self.netns)
            out = {}
            for ident, record in records.items():
                spec = decode(PortSpec, record["spec"])
                if self._port_wired(spec, record, present, counts):
                    out[ident] = spec
            return out

    def _port_wired(self, spec: PortSpec, record: dict[str, Any], present: dict[str, Link],
                    counts: dict[str, int]) -> bool:
        tap = present.get(tap_name(spec.id))
        bridge = present.get(self.names.bridge(spec.network_id))
        if tap is None or bridge is None or tap.master != bridge.index:
            return False
        if tap.mtu != spec.mtu or tap.up != spec.admin_state_up or \
                tap.mac != _host_mac(spec.mac):
            return False
        expected = record.get("rules", {}) if spec.port_security else {}
        return all(counts.get(chain) == n for chain, n in expected.items())

    # --- bandwidth limits (the optional BandwidthLimiting capability) ----------------------
    def set_bandwidth_limit(self, port_id: str, max_kbps: int | None,
                            max_burst_kbps: int | None = None) -> None:
        """Police what the guest sends (its upload) with an nft rate limit on its tap."""
        with self._lock:
            records = self._port_records()
            record = records.get(port_id)
            if record is None:
                return
            limit = None if max_kbps is None else [int(max_kbps), max_burst_kbps]
            if record.get("limit") == limit:
                return
            changed = {k: dict(v) for k, v in records.items()}
            changed[port_id].pop("limit", None)
            if limit is not None:
                changed[port_id]["limit"] = limit
            try:
                self._apply_firewall(changed)
            except Exception as exc:
                self._try(lambda: self._apply_firewall(records))
                raise _wrap(exc, "set_bandwidth_limit", port_id) from exc
            self.store.put("ports", port_id, changed[port_id])

    def bandwidth_limits(self) -> dict[str, tuple[int, int | None]]:
        with self._lock:
            wired = self.ports()
            return {ident: (int(r["limit"][0]), r["limit"][1])
                    for ident, r in self._port_records().items()
                    if r.get("limit") and ident in wired}

    # --- routers and DHCP -----------------------------------------------------------------
    def router_specs(self) -> dict[str, RouterSpec]:
        return {ident: decode(RouterSpec, record["spec"])
                for ident, record in self.store.all("routers").items()}

    def ensure_router(self, spec: RouterSpec) -> None:
        with self._lock:
            self._prepare()
            old = self.router_specs().get(spec.id)
            try:
                router_namespaces.wire(self, spec, old)
                self._fault_point("ensure_router", spec.id)
            except Exception as exc:
                self._try(lambda: router_namespaces.wire(self, old, spec) if old
                          else router_namespaces.unwire(self, spec))
                raise _wrap(exc, "ensure_router", spec.id) from exc
            self.store.put("routers", spec.id, {"spec": encode(spec)})
            self._refresh_external({leg.network_id for leg in
                                    ([spec.gateway] if spec.gateway else []) +
                                    ([old.gateway] if old and old.gateway else [])})

    def _refresh_external(self, network_ids: set[str]) -> None:
        for network_id in network_ids:
            networks.external_addresses(self, network_id)

    def remove_router(self, router_id: str) -> None:
        with self._lock:
            old = self.router_specs().get(router_id)
            try:
                router_namespaces.unwire(self, old or RouterSpec(router_id))
            except Exception as exc:
                raise _wrap(exc, "remove_router", router_id) from exc
            self.store.drop("routers", router_id)
            if old and old.gateway:
                self._try(lambda: self._refresh_external({old.gateway.network_id}))

    def routers(self) -> dict[str, RouterSpec]:
        with self._lock:
            self._prepare()
            specs = self.router_specs()
            if not specs:
                return {}
            present, host = links.namespaces(), self.links.all()
            return {ident: spec for ident, spec in specs.items()
                    if self.names.router_ns(ident) in present
                    and router_namespaces.is_wired(self, spec, host)}

    def ensure_dhcp(self, spec: DhcpSpec) -> None:
        with self._lock:
            self._prepare()
            if spec.network_id not in self.networks():
                raise NetworkMissing(f"network {spec.network_id} is not wired on "
                                     f"{self.host or 'this host'}")
            record = self.store.get("dhcp", spec.network_id)
            old = decode(DhcpSpec, record["spec"]) if record else None
            try:
                dhcp_servers.wire(self, spec, old)
                self._fault_point("ensure_dhcp", spec.network_id)
            except Exception as exc:
                self._try(lambda: dhcp_servers.wire(self, old, spec) if old
                          else dhcp_servers.unwire(self, spec.network_id))
                raise _wrap(exc, "ensure_dhcp", spec.network_id) from exc
            self.store.put("dhcp", spec.network_id, {"spec": encode(spec)})

    def remove_dhcp(self, network_id: str) -> None:
        with self._lock:
            try:
                dhcp_servers.unwire(self, network_id)
            except Exception as exc:
                raise _wrap(exc, "remove_dhcp", network_id) from exc
            self.store.drop("dhcp", network_id)

    def dhcp(self) -> dict[str, DhcpSpec]:
        with self._lock:
            self._prepare()
            out = {}
            for ident, record in self.store.all("dhcp").items():
                spec = decode(DhcpSpec, record["spec"])
                if dhcp_servers.is_serving(self, spec):
                    out[ident] = spec
            return out

    # --- helpers ------------------------------------------------------------------------------
    def _try(self, undo: Any) -> None:
        """A best-effort rollback step: its own failure is logged, the original raised."""
        try:
            undo()
        except Exception:  # noqa: BLE001 - the caller raises the first error
            log.exception("rolling back a failed network driver step failed")

    def vanish(self, kind: str, ident: str) -> None:
        """Delete an object's main device behind the driver's back (tests of healing)."""
        if kind == "port":
            self.links.delete(tap_name(ident))
        elif kind == "network":
            self.links.delete(self.names.bridge(ident))
        elif kind == "router":
            links.delete_namespace(self.names.router_ns(ident))
        elif kind == "dhcp":
            dhcp_servers.stop_server(self, ident)


def _filtering(spec: PortSpec) -> tuple[object, ...]:
    """What decides which flows a port's rules let through."""
    return (spec.port_security, spec.stateful, spec.security_rules, spec.fixed_ips,
            spec.allowed_address_pairs, spec.network_id)


def _host_mac(mac: str) -> str:
    """The tap's own MAC: the guest's with its first byte ``fe``, so the bridge never
    learns the guest's address on the host side (as libvirt does)."""
    return "fe" + mac.lower()[2:]


def _wrap(exc: Exception, op: str, ident: str) -> NetworkDriverError:
    if isinstance(exc, NetworkDriverError):
        return exc
    return NetworkDriverError(f"{op} {ident} failed: {exc}")
