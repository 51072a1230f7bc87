"""Making and tearing down a Linux network driver on a throwaway host namespace, shared
by the contract suite and the dataplane tests."""
from __future__ import annotations

import secrets
import shutil
import subprocess
from typing import Any, Iterator

import pytest

from onestack.network.drivers.linux import LinuxDriverConfig, LinuxNetworkDriver
from onestack.network.drivers.linux import dhcp as dhcp_module
from onestack.network.drivers.linux import links
from tests.dataplane.conftest import missing_dataplane
from tests.dataplane.guests import Guests

TOOLS = ("nft", "dnsmasq", "busybox")


def new_namespace(prefix: str = "os-host-") -> str:
    name = prefix + secrets.token_hex(3)
    subprocess.run(["ip", "netns", "add", name], check=True)
    subprocess.run(["ip", "netns", "exec", name, "ip", "link", "set", "lo", "up"], check=True)
    return name


def make(host: str = "test-host", **config: Any) -> LinuxNetworkDriver:
    """A driver on a new host namespace (skips the test where it cannot run)."""
    reason = missing_dataplane(*TOOLS)
    if reason:
        pytest.skip(reason)
    netns = config.pop("netns", None) or new_namespace()
    return LinuxNetworkDriver(LinuxDriverConfig(netns=netns, **config), host)


def leftovers(driver: LinuxNetworkDriver) -> list[str]:
    """What of this driver is still in the kernel: its namespaces, its devices in the
    host namespace, its nft tables."""
    found = [f"namespace {n}" for n in links.namespaces() if driver.names.owns(n)]
    if driver.netns in links.namespaces():
        found += [f"link {name}" for name in driver.links.all() if name != "lo"]
        tables = subprocess.run(["ip", "netns", "exec", driver.netns, "nft", "list", "tables"],
                                capture_output=True, text=True).stdout.split("\n")
        found += [t for t in tables if "onestack" in t]
    return found


def cleanup(driver: Any) -> None:
    """Remove everything the driver made, then its host namespace and run directory
    (whatever a failed test left behind)."""
    if not isinstance(driver, LinuxNetworkDriver):
        return
    for network_id in list(driver.store.all("dhcp")):
        _quietly(lambda: driver.remove_dhcp(network_id))
        _quietly(lambda: dhcp_module.stop_server(driver, network_id))
    for router_id in list(driver.store.all("routers")):
        _quietly(lambda: driver.remove_router(router_id))
    for port_id in list(driver.store.all("ports")):
        _quietly(lambda: driver.remove_port(port_id))
    for network_id in list(driver.store.all("networks")):
        _quietly(lambda: driver.remove_network(network_id))
    for namespace in links.namespaces():
        if driver.names.owns(namespace):
            subprocess.run(["ip", "netns", "delete", namespace], check=False)
    if driver.netns:
        subprocess.run(["ip", "netns", "delete", driver.netns], check=False)
    shutil.rmtree(driver.run_dir, ignore_errors=True)


def _quietly(step: Any) -> None:
    try:
        step()
    except Exception:  # noqa: BLE001 - teardown goes on
        pass


@pytest.fixture()
def linux_driver() -> Iterator[LinuxNetworkDriver]:
    """A Linux driver on its own host namespace, everything removed afterwards."""
    made = make()
    try:
        yield made
    finally:
        cleanup(made)


@pytest.fixture()
def guests(linux_driver: LinuxNetworkDriver) -> Iterator[Guests]:
    made = Guests(linux_driver.netns)
    try:
        yield made
    finally:
        made.close()
