"""A fake dataplane that keeps real state: what it would have wired (networks, ports with
their rules, routers with their NAT, DHCP servers), in memory, reported back exactly as a
real driver would report what it finds on the host. It enforces the same ordering rules
(no port on an unwired network, no network removed under its ports) and fails on demand.

Test hooks: ``fail(op, ident)`` makes every ``op`` (``ensure_port``, ``remove_router``, …)
on ``ident`` (or on anything, with ``ident=None``) raise until ``heal()``; ``vanish(kind,
ident)`` is a device deleted behind the agent's back; ``calls`` counts the changes each
operation made (an ``ensure`` that found everything as asked counts nothing), so tests can
check that a repeated reconcile is a no-op.
"""
from __future__ import annotations

import threading
from collections import Counter
from typing import Any

from onestack.network.drivers.base import (DhcpSpec, NetworkBusy, NetworkDriverError,
                                           NetworkMissing, NetworkSpec, PortSpec, RouterSpec)


class FakeNetworkDriver:
    def __init__(self, host: str = "fake-host",
                 bridge_mappings: dict[str, str] | None = None):
        self.host = host
        self.bridge_mappings = dict(bridge_mappings or {"public": "br-ex"})
        self._lock = threading.Lock()
        self._networks: dict[str, NetworkSpec] = {}
        self._ports: dict[str, PortSpec] = {}
        self._routers: dict[str, RouterSpec] = {}
        self._dhcp: dict[str, DhcpSpec] = {}
        self._limits: dict[str, tuple[int, int | None]] = {}
        self._failing: set[tuple[str, str | None]] = set()
        self.calls: Counter[str] = Counter()

    # --- test hooks -------------------------------------------------------------------
    def fail(self, op: str, ident: str | None = None) -> None:
        """Make ``op`` fail for ``ident`` (any id when None) until ``heal``."""
        self._failing.add((op, ident))

    def heal(self) -> None:
        self._failing.clear()

    def vanish(self, kind: str, ident: str) -> None:
        """A device removed by hand: ``kind`` is network, port, router or dhcp."""
        with self._lock:
            self._table(kind).pop(ident, None)

    def _check(self, op: str, ident: str) -> None:
        if (op, ident) in self._failing or (op, None) in self._failing:
            raise NetworkDriverError(f"fake network driver was told to fail {op} {ident}")

    def _table(self, kind: str) -> dict[str, Any]:
        return {"network": self._networks, "port": self._ports, "router": self._routers,
                "dhcp": self._dhcp}[kind]

    def _put(self, kind: str, ident: str, spec: Any) -> None:
        table = self._table(kind)
        if table.get(ident) != spec:
            table[ident] = spec
            self.calls[f"ensure_{kind}"] += 1

    def _drop(self, kind: str, ident: str) -> None:
        self._check(f"remove_{kind}", ident)
        with self._lock:
            if self._table(kind).pop(ident, None) is not None:
                self.calls[f"remove_{kind}"] += 1
            if kind == "port":
                self._limits.pop(ident, None)

    # --- the core ------------------------------------------------------------------------
    def configuration(self) -> dict[str, Any]:
        with self._lock:
            devices = len(self._ports)
        return {"bridge_mappings": dict(self.bridge_mappings), "interface_mappings": {},
                "tunnel_types": ["vxlan"], "devices": devices, "driver": "fake"}

    def ensure_network(self, spec: NetworkSpec) -> None:
        self._check("ensure_network", spec.id)
        with self._lock:
            self._put("network", spec.id, spec)

    def remove_network(self, network_id: str) -> None:
        self._check("remove_network", network_id)
        with self._lock:
            users = [p for p in self._ports.values() if p.network_id == network_id]
            if users or network_id in self._dhcp:
                raise NetworkBusy(f"network {network_id} still has ports or DHCP on "
                                  f"{self.host}")
            if self._networks.pop(network_id, None) is not None:
                self.calls["remove_network"] += 1

    def networks(self) -> dict[str, NetworkSpec]:
        with self._lock:
            return dict(self._networks)

    def ensure_port(self, spec: PortSpec) -> None:
        self._check("ensure_port", spec.id)
        with self._lock:
            if spec.network_id not in self._networks:
                raise NetworkMissing(f"network {spec.network_id} is not wired on {self.host}")
            self._put("port", spec.id, spec)

    def remove_port(self, port_id: str) -> None:
        self._drop("port", port_id)

    def ports(self) -> dict[str, PortSpec]:
        with self._lock:
            return dict(self._ports)

    def ensure_router(self, spec: RouterSpec) -> None:
        self._check("ensure_router", spec.id)
        with self._lock:
            self._put("router", spec.id, spec)

    def remove_router(self, router_id: str) -> None:
        self._drop("router", router_id)

    def routers(self) -> dict[str, RouterSpec]:
        with self._lock:
            return dict(self._routers)

    def ensure_dhcp(self, spec: DhcpSpec) -> None:
        self._check("ensure_dhcp", spec.network_id)
        with self._lock:
            if spec.network_id not in self._networks:
                raise NetworkMissing(f"network {spec.network_id} is not wired on {self.host}")
            self._put("dhcp", spec.network_id, spec)

    def remove_dhcp(self, network_id: str) -> None:
        self._drop("dhcp", network_id)

    def dhcp(self) -> dict[str, DhcpSpec]:
        with self._lock:
            return dict(self._dhcp)

    # --- optional capabilities ------------------------------------------------------------
    def set_bandwidth_limit(self, port_id: str, max_kbps: int | None,
                            max_burst_kbps: int | None = None) -> None:
        self._check("set_bandwidth_limit", port_id)
        with self._lock:
            if max_kbps is None or port_id not in self._ports:
                self._limits.pop(port_id, None)
            else:
                self._limits[port_id] = (max_kbps, max_burst_kbps)

    def bandwidth_limits(self) -> dict[str, tuple[int, int | None]]:
        with self._lock:
            return dict(self._limits)

    # --- for tests and diagnostics ---------------------------------------------------------
    def nat_of(self, router_id: str) -> dict[str, str]:
        """floating IP → fixed IP the router translates (empty when not wired)."""
        with self._lock:
            router = self._routers.get(router_id)
            return {f.floating_ip: f.fixed_ip for f in router.floating_ips} if router else {}
