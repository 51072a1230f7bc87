"""Removing what an earlier driver on this host namespace made and no kept spec names
(its run directory lost or replaced): devices by their ifalias, the driver's namespaces
by name (killing what still runs in them), and the port tables when no port is kept."""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from onestack.network.drivers.linux import firewall, links, networks
from onestack.network.drivers.linux.names import ALIAS

if TYPE_CHECKING:
    from onestack.network.drivers.linux.driver import LinuxNetworkDriver

log = logging.getLogger(__name__)
KINDS = {"network": "networks", "port": "ports", "router": "routers", "dhcp": "dhcp"}


def collect(driver: "LinuxNetworkDriver") -> None:
    known = {kind: set(driver.store.all(folder)) for kind, folder in KINDS.items()}
    for link in driver.links.all().values():
        parts = link.alias.split(" ")
        if len(parts) == 3 and parts[0] == ALIAS and parts[1] in known and \
                parts[2] not in known[parts[1]]:
            log.info("removing %s, left by a driver whose spec is gone", link.name)
            driver.links.delete(link.name)
    external = any(networks.is_external(driver, spec) for spec in
                   map(driver.network_spec, known["network"]) if spec)
    for namespace in links.namespaces():
        if not driver.names.owns(namespace):
            continue
        kind = namespace.split("-", 1)[0]
        ident = namespace.split("-", 2)[2] if namespace.count("-") >= 2 else ""
        stale = (kind == "qrouter" and ident not in known["router"]) or \
            (kind == "qdhcp" and ident not in known["dhcp"]) or \
            (kind == "qext" and not external)
        if stale:
            log.info("removing namespace %s, left by a driver whose spec is gone", namespace)
            links.stop_processes(namespace)
            links.delete_namespace(namespace)
    if not known["port"]:
        firewall.apply(driver.netns, firewall.render([])[0])
