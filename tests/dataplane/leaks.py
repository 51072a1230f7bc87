"""What of an end-to-end cloud's dataplane is still on the machine, looked at while its
agents run and before any forced clean-up (a check made after the clean-up removed things
itself could never fail); and deleting, through the API, everything that makes some.

Kinds looked for: QEMUs; in each host namespace every device besides ``lo`` and the test's
``underlay`` (taps, bridges, VXLAN, veth legs) and every nftables table; the driver's
``qdhcp-``/``qrouter-``/``qext-`` namespaces with the nftables tables inside them; the
processes the network driver starts (dnsmasq, metadata proxies: their command lines name
the host's run directory) and the volume backend's copies (``qemu-img``); the network
driver's kept specs; the volume backend's files, finished or half-copied.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

from onestack.network.drivers.linux import links

if TYPE_CHECKING:
    from tests.dataplane.cloud import Cloud
    from tests.dataplane.cloud_api import Api

TEST_LINKS = {"lo", "underlay"}  # the test's own, in every host namespace


def nft_tables(netns: str) -> list[str]:
    """``family name`` of every nftables table in a namespace."""
    out = subprocess.run(["ip", "netns", "exec", netns, "nft", "list", "tables"],
                         capture_output=True, text=True, check=False).stdout
    return [line.removeprefix("table ").strip() for line in out.splitlines()
            if line.startswith("table ")]


def kind_of(device: str) -> str:
    for prefix, kind in (("tap", "tap"), ("brq", "bridge"), ("vxlan-", "vxlan"),
                         ("dh", "dhcp leg"), ("rl", "router leg"), ("xb", "external leg")):
        if device.startswith(prefix):
            return kind
    return "link"


def kind(remnant: str) -> str:
    """The kind a remnant's description starts with (``tap``, ``qdhcp``, ``dnsmasq``…)."""
    return remnant.split(":", 1)[0]


def dataplane_remnants(cloud: "Cloud") -> list[str]:
    """Everything of the cloud's dataplane in the kernel and the process table now, each
    as ``<kind>: <what and where>``."""
    found = [f"qemu: pid {pid}" for pid in cloud.qemu_pids()]
    namespaces = links.namespaces()
    agents = {p.pid for p in cloud.processes() if p.alive()}
    everything = processes()
    for host in cloud.hosts.values():
        if host.netns in namespaces:
            found += [f"{kind_of(name)}: {name} on {host.name}"
                      for name in sorted(links.Links(host.netns).all())
                      if name not in TEST_LINKS]
            found += [f"nft table: {t} on {host.name}" for t in nft_tables(host.netns)]
        for namespace in sorted(n for n in namespaces if host.names.owns(n)):
            found.append(f"{namespace.split('-')[0]}: namespace {namespace}")
            found += [f"nft table: {t} in {namespace}" for t in nft_tables(namespace)]
        run_dir = Path("/run/onestack/network") / host.names.tag
        found += [f"spec: {p.relative_to(run_dir)} on {host.name}"
                  for p in sorted((run_dir / "specs").glob("*/*.json"))]
        volumes = host.state_dir / "volume" / "volumes"
        marks = (f"/{host.names.tag}/", f"-{host.names.tag}-", str(volumes))
        for pid, cmdline in everything:
            if pid not in agents and pid != os.getpid() and "qemu-system" not in cmdline and any(
                    m in cmdline for m in marks):
                name = next((n for n in ("dnsmasq", "metadata_proxy", "qemu-img")
                             if n in cmdline), "process")
                found.append(f"{name}: pid {pid} of {host.name}: {cmdline[:160]}")
        found += [f"volume file: {p.name} on {host.name}" for p in sorted(
            volumes.glob("volume-*"))]
        found += [f"scratch file: {p.name} on {host.name}" for p in sorted(
            volumes.glob(".scratch/*"))]
    return found


def processes() -> list[tuple[int, str]]:
    """(pid, command line) of every process of the machine."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace").strip()
        except OSError:
            continue
        if cmdline:
            found.append((int(proc.name), cmdline))
    return found


def delete_networks(api: "Api") -> None:
    """Floating IPs, routers (their interfaces and gateways first) and networks, all of
    them: what is left makes no dataplane once the servers are gone."""
    for fip in api.get("network", "/floatingips")["floatingips"]:
        api.call("DELETE", "network", f"/floatingips/{fip['id']}", expect=(204, 404))
    for router in api.get("network", "/routers")["routers"]:
        ports = api.get("network", f"/ports?device_id={router['id']}")["ports"]
        for port in ports:
            if port["device_owner"] == "network:router_interface":
                api.call("PUT", "network", f"/routers/{router['id']}/remove_router_interface",
                         json={"port_id": port["id"]}, expect=(200, 404))
        api.call("DELETE", "network", f"/routers/{router['id']}", expect=(204, 404))
    for network in api.get("network", "/networks")["networks"]:
        api.call("DELETE", "network", f"/networks/{network['id']}", expect=(204, 404))


__all__ = ["dataplane_remnants", "delete_networks", "kind", "nft_tables", "processes"]
