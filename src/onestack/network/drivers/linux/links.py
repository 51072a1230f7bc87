"""Netlink work in one network namespace through pyroute2: links (bridges, taps, veths,
VXLAN and VLAN devices), their addresses and routes, and the namespaces themselves.

Every ``ensure_*`` creates what is missing and corrects what differs; ``delete`` succeeds
when the thing is gone. Errors come out as ``NetworkDriverError``.
"""
from __future__ import annotations

import ipaddress
import os
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

from pyroute2 import IPRoute, netns
from pyroute2.netlink.exceptions import NetlinkError

from onestack.core.dataplane import netns_command
from onestack.network.drivers.base import NetworkDriverError
from onestack.network.drivers.linux import inside


@dataclass(frozen=True)
class Link:
    index: int
    name: str
    kind: str
    master: int | None
    mtu: int
    up: bool
    mac: str
    alias: str


def _link(msg: Any) -> Link:
    info = msg.get_attr("IFLA_LINKINFO")
    kind = (info.get_attr("IFLA_INFO_KIND") if info is not None else None) or ""
    return Link(msg["index"], msg.get_attr("IFLA_IFNAME"), kind, msg.get_attr("IFLA_MASTER"),
                msg.get_attr("IFLA_MTU") or 0, bool(msg["flags"] & 1),
                (msg.get_attr("IFLA_ADDRESS") or "").lower(), msg.get_attr("IFLA_IFALIAS") or "")


def namespaces() -> set[str]:
    return set(netns.listnetns())


def ensure_namespace(name: str) -> None:
    if name and name not in namespaces():
        try:
            netns.create(name)
        except OSError as exc:
            if name not in namespaces():
                raise NetworkDriverError(f"cannot create namespace {name}: {exc}") from exc
    Links(name).set_state("lo", True)


def delete_namespace(name: str) -> None:
    if name in namespaces():
        try:
            netns.remove(name)
        except OSError as exc:
            raise NetworkDriverError(f"cannot remove namespace {name}: {exc}") from exc


def stop_processes(namespace: str) -> None:
    """Kill what still runs inside one of the driver's namespaces (its dnsmasq) and what
    serves into it from outside (a metadata proxy runs in the agent's namespace and names
    this one after ``--netns``), when their pid files are gone."""
    import signal

    pids = run("", ["ip", "netns", "pids", namespace]).split() + serving_into(namespace)
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


def serving_into(namespace: str) -> list[str]:
    """The pids whose command line holds ``--netns <namespace>``."""
    wanted = b"\0--netns\0" + namespace.encode() + b"\0"
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                argv = b"\0" + Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if wanted in argv:
                found.append(pid)
    return found


def sysctl(namespace: str, key: str, value: str) -> None:
    """Set a sysctl inside ``namespace`` (network sysctls are per namespace; /proc/sys
    shows those of the namespace the writer is in)."""
    if not all(part.replace("-", "").replace("_", "").isalnum() for part in key.split(".")):
        raise NetworkDriverError(f"not a sysctl name: {key!r}")
    try:
        inside.write_sysctl(namespace, key, value)
    except OSError as exc:
        raise NetworkDriverError(f"sysctl {key} in {namespace}: {exc}") from exc


def run(namespace: str, argv: list[str], stdin: str | None = None) -> str:
    """A short command in ``namespace``; its stdout, or ``NetworkDriverError``."""
    try:
        done = subprocess.run(netns_command(namespace, argv), input=stdin, text=True,
                              capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NetworkDriverError(f"{argv[0]} failed in {namespace or 'the root namespace'}: "
                                 f"{exc}") from exc
    if done.returncode != 0:
        raise NetworkDriverError(f"{' '.join(argv[:3])} failed in "
                                 f"{namespace or 'the root namespace'}: {done.stderr.strip()}")
    return done.stdout


class Links:
    """The links of one namespace (``""``: the process's own)."""

    def __init__(self, namespace: str):
        self.namespace = namespace

    @contextmanager
    def _ipr(self) -> Iterator[IPRoute]:
        try:
            ipr = IPRoute(fileno=inside.netlink_fd(self.namespace)) if self.namespace \
                else IPRoute()
        except (OSError, NetlinkError) as exc:
            raise NetworkDriverError(f"cannot open netlink in {self.namespace}: {exc}") from exc
        try:
            yield ipr
        except NetlinkError as exc:
            raise NetworkDriverError(f"netlink in {self.namespace or 'root'}: {exc}") from exc
        finally:
            ipr.close()

    # --- reading ------------------------------------------------------------------------------
    def all(self) -> dict[str, Link]:
        with self._ipr() as ipr:
            return {link.name: link for link in map(_link, ipr.get_links())}

    def get(self, name: str) -> Link | None:
        with self._ipr() as ipr:
            found = ipr.link_lookup(ifname=name)
            return _link(ipr.get_links(found[0])[0]) if found else None

    def _index(self, ipr: IPRoute, name: str) -> int:
        found = ipr.link_lookup(ifname=name)
        if not found:
            raise NetworkDriverError(f"no device {name} in {self.namespace or 'root'}")
        return int(found[0])

    # --- creating -----------------------------------------------------------------------------
    def _add(self, name: str, kind: str, **attrs: Any) -> None:
        current = self.get(name)
        if current is not None and current.kind != kind:
            self.delete(name)  # a leftover of another kind under our name
            current = None
        if current is None:
            with self._ipr() as ipr:
                ipr.link("add", ifname=name, kind=kind, **attrs)

    def ensure_bridge(self, name: str) -> None:
        self._add(name, "bridge")

    def ensure_tap(self, name: str) -> None:
        """A persistent tap (QEMU opens it by name later)."""
        current = self.get(name)
        if current is not None and current.kind != "tun":
            self.delete(name)
            current = None
        if current is None:
            try:
                inside.make_tap(self.namespace, name)
            except OSError as exc:
                raise NetworkDriverError(f"cannot make tap {name} in "
                                         f"{self.namespace or 'root'}: {exc}") from exc

    def ensure_vxlan(self, name: str, vni: int, local: str | None, group: str | None,
                     dev: str | None, port: int = 4789) -> None:
        """A VXLAN device; one made with other parameters (the underlay settings changed)
        is made again."""
        attrs: dict[str, Any] = {"vxlan_id": vni, "vxlan_port": port, "vxlan_learning": 1}
        if local:
            attrs["vxlan_local"] = local
        if group:
            attrs["vxlan_group"] = group
        with self._ipr() as ipr:
            if dev:
                attrs["vxlan_link"] = self._index(ipr, dev)
            found = ipr.link_lookup(ifname=name)
            if found:
                info = ipr.get_links(found[0])[0].get_attr("IFLA_LINKINFO")
                data = info.get_attr("IFLA_INFO_DATA") if info is not None else None
                now = {} if data is None else {
                    "vxlan_id": data.get_attr("IFLA_VXLAN_ID"),
                    "vxlan_port": data.get_attr("IFLA_VXLAN_PORT"),
                    "vxlan_local": data.get_attr("IFLA_VXLAN_LOCAL"),
                    "vxlan_group": data.get_attr("IFLA_VXLAN_GROUP"),
                    "vxlan_link": data.get_attr("IFLA_VXLAN_LINK") or None}
                if any(now.get(k) != attrs.get(k) for k in now):
                    ipr.link("del", index=found[0])
        self._add(name, "vxlan", **attrs)

    def ensure_vlan(self, name: str, parent: str, vlan_id: int) -> None:
        with self._ipr() as ipr:
            link = self._index(ipr, parent)
        self._add(name, "vlan", link=link, vlan_id=vlan_id)

    def ensure_veth(self, name: str, peer: str, peer_namespace: str) -> None:
        """A veth pair: ``name`` here, ``peer`` inside ``peer_namespace``."""
        if self.get(name) is not None and Links(peer_namespace).get(peer) is not None:
            return
        self.delete(name)
        with self._ipr() as ipr:
            ipr.link("add", ifname=name, kind="veth", peer=peer)
            ipr.link("set", index=self._index(ipr, peer), net_ns_fd=peer_namespace)

    # --- changing -------------------------------------------------------------------------
    def configure(self, name: str, *, master: str | None = None, mtu: int | None = None,
                  up: bool | None = None, mac: str | None = None,
                  alias: str | None = None, nomaster: bool = False) -> None:
        """Correct the attributes given, touching only those that differ."""
        with self._ipr() as ipr:
            index = self._index(ipr, name)
            link = _link(ipr.get_links(index)[0])
            changes: dict[str, Any] = {}
            if mtu is not None and link.mtu != mtu:
                changes["mtu"] = mtu
            if mac is not None and link.mac != mac.lower():
                changes["address"] = mac.lower()
            if alias is not None and link.alias != alias:
                changes["ifalias"] = alias
            if master is not None:
                master_index = self._index(ipr, master)
                if link.master != master_index:
                    changes["master"] = master_index
            elif nomaster and link.master:
                changes["master"] = 0
            if changes:
                ipr.link("set", index=index, **changes)
            if up is not None and link.up != up:
                ipr.link("set", index=index, state="up" if up else "down")

    def set_state(self, name: str, up: bool) -> None:
        self.configure(name, up=up)

    def delete(self, name: str) -> None:
        with self._ipr() as ipr:
            found = ipr.link_lookup(ifname=name)
            if found:
                try:
                    ipr.link("del", index=found[0])
                except NetlinkError as exc:
                    if exc.code != 19:  # ENODEV: gone meanwhile
                        raise

    # --- addresses and routes ---------------------------------------------------------------
    def addresses(self, name: str) -> set[str]:
        with self._ipr() as ipr:
            index = self._index(ipr, name)
            return {f"{a.get_attr('IFA_ADDRESS')}/{a['prefixlen']}"
                    for a in ipr.get_addr(index=index)
                    if not str(a.get_attr("IFA_ADDRESS")).startswith("fe80:")}

    def set_addresses(self, name: str, cidrs: set[str]) -> None:
        """Exactly these addresses (link-local IPv6 left alone)."""
        wanted = {str(ipaddress.ip_interface(c)) for c in cidrs}
        current = self.addresses(name)
        with self._ipr() as ipr:
            index = self._index(ipr, name)
            for cidr in current - wanted:
                iface = ipaddress.ip_interface(cidr)
                ipr.addr("del", index=index, address=str(iface.ip),
                         prefixlen=iface.network.prefixlen)
            for cidr in sorted(wanted - current):
                iface = ipaddress.ip_interface(cidr)
                ipr.addr("add", index=index, address=str(iface.ip),
                         prefixlen=iface.network.prefixlen)

    def gateway_routes(self) -> set[tuple[str, str]]:
        """(destination, next hop) of every main-table route via a gateway."""
        out = set()
        with self._ipr() as ipr:
            for family in (2, 10):
                for r in ipr.get_routes(family=family, table=254):
                    hop = r.get_attr("RTA_GATEWAY")
                    if hop:
                        dst = r.get_attr("RTA_DST") or ("0.0.0.0" if family == 2 else "::")
                        out.add((str(ipaddress.ip_network(f"{dst}/{r['dst_len']}")), hop))
        return out

    def set_gateway_routes(self, wanted: set[tuple[str, str]]) -> None:
        """Exactly these routes via gateways (connected routes are the kernel's)."""
        current = self.gateway_routes()
        with self._ipr() as ipr:
            for dst, hop in current - wanted:
                ipr.route("del", dst=dst, gateway=hop)
            for dst, hop in sorted(wanted - current):
                ipr.route("replace", dst=dst, gateway=hop)
