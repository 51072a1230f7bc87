"""Routers of the Linux driver: a guest behind a router reaches the external namespace
with the gateway's address (SNAT), a guest with a floating IP leaves with it and is
reached through it (DNAT), a port forwarding reaches a guest's port. Runs as root."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Iterator

import pytest

from onestack.network.drivers.base import (DhcpSpec, DhcpSubnet, FixedIp, FloatingIp,
                                           NetworkSpec, PortForwarding, PortSpec,
                                           RouterGateway, RouterInterface, RouterSpec,
                                           SecurityRule, Segment)
from onestack.network.drivers.linux import LinuxDriverConfig, LinuxNetworkDriver, processes
from onestack.network.drivers.linux.dhcp import folder
from tests.dataplane import linux_harness
from tests.dataplane.guests import Guests
from tests.dataplane.linux_harness import guests, linux_driver  # noqa: F401 - fixtures

WHOAMI = Path(__file__).with_name("whoami.py")
SUBNET = "10.0.0.0/24"
RULES = (SecurityRule("egress", "IPv4", remote_cidrs=("0.0.0.0/0",)),
         SecurityRule("ingress", "IPv4", "icmp", remote_cidrs=("0.0.0.0/0",)),
         SecurityRule("ingress", "IPv4", "tcp", 22, 22, ("0.0.0.0/0",)))


def ident() -> str:
    return str(uuid.uuid4())


class Servers:
    """whoami servers started in namespaces, stopped afterwards."""

    def __init__(self) -> None:
        self.started: list[subprocess.Popen[str]] = []

    def start(self, namespace: str, port: int) -> None:
        proc = subprocess.Popen(["ip", "netns", "exec", namespace, sys.executable,
                                 str(WHOAMI), str(port)], stdout=subprocess.PIPE, text=True)
        self.started.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"

    def stop(self) -> None:
        for proc in self.started:
            proc.terminate()
            proc.wait(5)


@pytest.fixture()
def servers() -> Iterator[Servers]:
    made = Servers()
    try:
        yield made
    finally:
        made.stop()


def seen_as(namespace: str, address: str, port: int) -> str:
    """The address a whoami server at ``address`` sees a client in ``namespace`` as
    ("" when unreachable)."""
    code = ("import socket,sys; s=socket.create_connection((sys.argv[1], int(sys.argv[2])), 3);"
            "print(s.recv(100).decode().strip())")
    done = subprocess.run(["ip", "netns", "exec", namespace, sys.executable, "-c", code,
                           address, str(port)], capture_output=True, text=True, timeout=20)
    return done.stdout.strip()


def topology(driver: LinuxNetworkDriver) -> tuple[RouterSpec, PortSpec, PortSpec]:
    public = NetworkSpec(ident(), Segment("flat", "public"))
    private = NetworkSpec(ident(), Segment("vxlan", None, 1003), mtu=1450)
    driver.ensure_network(public)
    driver.ensure_network(private)
    with_fip = PortSpec(ident(), private.id, "fa:16:3e:00:00:05",
                        (FixedIp(ident(), "10.0.0.5", SUBNET),), mtu=1450, security_rules=RULES)
    plain = replace(with_fip, id=ident(), mac="fa:16:3e:00:00:06",
                    fixed_ips=(FixedIp(ident(), "10.0.0.6", SUBNET),))
    router = RouterSpec(
        ident(),
        gateway=RouterGateway(ident(), public.id, "fa:16:3e:00:01:0a", ("203.0.113.10/24",),
                              ("203.0.113.1",)),
        interfaces=(RouterInterface(ident(), private.id, "fa:16:3e:00:01:01",
                                    ("10.0.0.1/24",), 1450),),
        floating_ips=(FloatingIp("203.0.113.20", "10.0.0.5"),),
        port_forwardings=(PortForwarding("203.0.113.21", "tcp", 2222, "10.0.0.6", 22),))
    for p in (with_fip, plain):
        driver.ensure_port(p)
    driver.ensure_router(router)
    return router, with_fip, plain


def test_snat_floating_ips_and_port_forwarding(linux_driver: LinuxNetworkDriver,
                                               guests: Guests, servers: Servers) -> None:
    router, with_fip, plain = topology(linux_driver)
    assert linux_driver.routers() == {router.id: router}
    outside = linux_driver.names.external_ns()
    a = guests.plug(with_fip, gateway="10.0.0.1")
    b = guests.plug(plain, gateway="10.0.0.1")
    servers.start(outside, 8000)
    assert b.pings("203.0.113.1")
    assert seen_as(b.netns, "203.0.113.1", 8000) == "203.0.113.10"  # SNAT to the gateway
    assert seen_as(a.netns, "203.0.113.1", 8000) == "203.0.113.20"  # its floating IP
    assert any(subprocess.run(["ip", "netns", "exec", outside, "busybox", "ping", "-c", "1",
                               "-W", "1", "203.0.113.20"]).returncode == 0 for _ in range(3))
    servers.start(a.netns, 22)
    assert seen_as(outside, "203.0.113.20", 22) == "203.0.113.1"  # DNAT, source kept
    servers.start(b.netns, 22)
    assert seen_as(outside, "203.0.113.21", 2222) == "203.0.113.1"  # port forwarding
    assert seen_as(b.netns, "203.0.113.20", 22) == "10.0.0.1"  # hairpin, via the router

    moved = replace(router, floating_ips=(), port_forwardings=())
    linux_driver.ensure_router(moved)
    assert seen_as(outside, "203.0.113.20", 22) == ""
    assert seen_as(a.netns, "203.0.113.1", 8000) == "203.0.113.10"


def test_a_router_made_before_its_networks_joins_them(linux_driver: LinuxNetworkDriver,
                                                      guests: Guests) -> None:
    public = NetworkSpec(ident(), Segment("flat", "public"))
    private = NetworkSpec(ident(), Segment("local"))
    router = RouterSpec(ident(), gateway=RouterGateway(
        ident(), public.id, "fa:16:3e:00:01:0a", ("203.0.113.10/24",), ("203.0.113.1",)),
        interfaces=(RouterInterface(ident(), private.id, "fa:16:3e:00:01:01",
                                    ("10.0.0.1/24",)),))
    linux_driver.ensure_router(router)
    linux_driver.ensure_network(public)
    linux_driver.ensure_network(private)
    guest_port = PortSpec(ident(), private.id, "fa:16:3e:00:00:05",
                          (FixedIp(ident(), "10.0.0.5", SUBNET),), security_rules=RULES)
    linux_driver.ensure_port(guest_port)
    guest = guests.plug(guest_port, gateway="10.0.0.1")
    assert guest.pings("203.0.113.1")


def test_removing_a_router_and_its_networks_leaves_nothing(
        linux_driver: LinuxNetworkDriver) -> None:
    router, with_fip, plain = topology(linux_driver)
    linux_driver.remove_router(router.id)
    for p in (with_fip, plain):
        linux_driver.remove_port(p.id)
    for net in list(linux_driver.networks()):
        linux_driver.remove_network(net)
    assert linux_harness.leftovers(linux_driver) == []


def test_routers_and_dhcp_whose_specs_are_lost_are_removed(
        linux_driver: LinuxNetworkDriver) -> None:
    router, with_fip, plain = topology(linux_driver)
    dhcp_port = replace(plain, id=ident(), mac="fa:16:3e:00:00:02", device_owner="network:dhcp")
    linux_driver.ensure_dhcp(DhcpSpec(with_fip.network_id, dhcp_port, (DhcpSubnet(
        ident(), SUBNET, 4, (), "10.0.0.1"),)))
    pid = processes.running(folder(linux_driver, with_fip.network_id) / "pid")
    assert pid is not None
    shutil.rmtree(linux_driver.run_dir)
    again = LinuxNetworkDriver(LinuxDriverConfig(netns=linux_driver.netns), "test-host")
    assert again.routers() == {} and again.dhcp() == {}
    assert linux_harness.leftovers(again) == []
    assert not Path(f"/proc/{pid}").exists() or b"dnsmasq" not in Path(
        f"/proc/{pid}/cmdline").read_bytes()


def test_a_removed_floating_ip_stops_a_flow_already_under_way(
        linux_driver: LinuxNetworkDriver, guests: Guests) -> None:
    router, with_fip, plain = topology(linux_driver)
    guests.plug(with_fip, gateway="10.0.0.1")
    outside = linux_driver.names.external_ns()
    assert any(subprocess.run(["ip", "netns", "exec", outside, "busybox", "ping", "-c", "1",
                               "-W", "1", "203.0.113.20"]).returncode == 0 for _ in range(3))
    pinging = subprocess.Popen(["ip", "netns", "exec", outside, "busybox", "ping", "-c", "6",
                                "203.0.113.20"], stdout=subprocess.PIPE, text=True)
    time.sleep(2.5)
    linux_driver.ensure_router(replace(router, floating_ips=()))
    out, _ = pinging.communicate(timeout=20)
    counted = re.search(r"(\d+) packets transmitted, (\d+) packets received", out)
    assert counted, out
    assert 1 <= int(counted[2]) <= 4 < int(counted[1])
