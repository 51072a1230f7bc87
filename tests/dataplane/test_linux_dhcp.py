"""DHCP from the Linux driver: dnsmasq in its namespace hands a guest (busybox udhcpc in
a guest namespace) its fixed address with the router, DNS server, host routes and MTU,
answers DNS for the hosts, and picks up new hosts on SIGHUP. Runs as root only."""
from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from dataclasses import replace
from pathlib import Path

import pytest

from onestack.network.drivers.base import (DhcpHost, DhcpSpec, DhcpSubnet, FixedIp,
                                           NetworkSpec, PortSpec, SecurityRule, Segment)
from onestack.network.drivers.linux import LinuxNetworkDriver, processes
from onestack.network.drivers.linux.dhcp import folder
from tests.dataplane import linux_harness
from tests.dataplane.guests import Guest, Guests
from tests.dataplane.linux_harness import guests, linux_driver  # noqa: F401 - fixtures

SUBNET = "10.0.0.0/24"
EGRESS_ALL = SecurityRule("egress", "IPv4", remote_cidrs=("0.0.0.0/0",))
SCRIPT = "#!/bin/sh\n[ \"$1\" = bound ] && env > \"{out}\"\nexit 0\n"


def ident() -> str:
    return str(uuid.uuid4())


def lease(guest: Guest, tmp_path: Path) -> dict[str, str]:
    """What udhcpc got (its script's environment on ``bound``), empty when nothing."""
    out = tmp_path / f"lease-{guest.netns}"
    script = tmp_path / f"script-{guest.netns}"
    script.write_text(SCRIPT.format(out=out))
    script.chmod(0o755)
    guest.run("busybox", "udhcpc", "-i", "eth0", "-n", "-q", "-f", "-t", "4", "-T", "1",
              "-O", "mtu", "-O", "staticroutes", "-O", "domain", "-s", str(script),
              timeout=30)
    if not out.exists():
        return {}
    return dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)


def guest_port(net: NetworkSpec, ip: str, mac: str) -> PortSpec:
    return PortSpec(ident(), net.id, mac, (FixedIp(ident(), ip, SUBNET),), mtu=net.mtu,
                    security_rules=(EGRESS_ALL,))


def server(net: NetworkSpec, *hosts: DhcpHost) -> DhcpSpec:
    dhcp_port = PortSpec(ident(), net.id, "fa:16:3e:00:00:02",
                         (FixedIp(ident(), "10.0.0.2", SUBNET),), mtu=net.mtu,
                         device_owner="network:dhcp")
    subnet = DhcpSubnet(ident(), SUBNET, 4, (("10.0.0.2", "10.0.0.200"),), "10.0.0.1",
                        ("10.0.0.2",), (("192.168.50.0/24", "10.0.0.9"),))
    return DhcpSpec(net.id, dhcp_port, (subnet,), hosts, "example.org", net.mtu)


def test_a_guest_gets_its_address_routes_mtu_and_name(linux_driver: LinuxNetworkDriver,
                                                      guests: Guests, tmp_path: Path) -> None:
    net = NetworkSpec(ident(), Segment("vxlan", None, 1002), mtu=1400)
    linux_driver.ensure_network(net)
    first = guest_port(net, "10.0.0.5", "fa:16:3e:00:00:05")
    linux_driver.ensure_port(first)
    spec = server(net, DhcpHost(first.mac, "10.0.0.5", "host-10-0-0-5"))
    linux_driver.ensure_dhcp(spec)
    assert linux_driver.dhcp() == {net.id: spec}
    guest = guests.plug(first, addresses=[])
    got = lease(guest, tmp_path)
    assert got.get("ip") == "10.0.0.5" and got.get("subnet") == "255.255.255.0"
    assert got.get("router") == "10.0.0.1" and got.get("mtu") == "1400"
    assert got.get("dns") == "10.0.0.2" and got.get("domain") == "example.org"
    assert "192.168.50.0/24 10.0.0.9" in got.get("staticroutes", "")
    guest.run("ip", "addr", "add", "10.0.0.5/24", "dev", "eth0")
    answer = guest.run("busybox", "nslookup", "host-10-0-0-5.example.org", "10.0.0.2")
    assert "10.0.0.5" in answer.stdout.split("Name:", 1)[-1]

    pid = processes.running(folder(linux_driver, net.id) / "pid")
    second = guest_port(net, "10.0.0.6", "fa:16:3e:00:00:06")
    linux_driver.ensure_port(second)
    more = replace(spec, hosts=spec.hosts + (DhcpHost(second.mac, "10.0.0.6", "host-b"),))
    linux_driver.ensure_dhcp(more)
    assert processes.running(folder(linux_driver, net.id) / "pid") == pid  # SIGHUP, no restart
    assert lease(guests.plug(second, addresses=[]), tmp_path).get("ip") == "10.0.0.6"


def served_port(driver: LinuxNetworkDriver, name: str
                ) -> tuple[NetworkSpec, PortSpec, DhcpSpec]:
    """A local network wired with one guest port (10.0.0.5) and its DHCP server, which
    knows the port's MAC by ``name``."""
    net = NetworkSpec(ident(), Segment("local"))
    driver.ensure_network(net)
    port = guest_port(net, "10.0.0.5", "fa:16:3e:00:00:05")
    driver.ensure_port(port)
    spec = server(net, DhcpHost(port.mac, "10.0.0.5", name))
    driver.ensure_dhcp(spec)
    return net, port, spec


def test_an_address_given_to_a_new_port_is_leased_again(
        linux_driver: LinuxNetworkDriver, guests: Guests, tmp_path: Path) -> None:
    """A server deleted and another booted gets the freed address on a new MAC (Tempest's
    volume boot pattern does that): dnsmasq must forget the old MAC's lease, which it
    only keeps in memory, or it refuses the address to the new one."""
    net, old, spec = served_port(linux_driver, "old")
    assert lease(guests.plug(old, addresses=[]), tmp_path).get("ip") == "10.0.0.5"
    linux_driver.remove_port(old.id)
    new = guest_port(net, "10.0.0.5", "fa:16:3e:00:00:08")
    linux_driver.ensure_port(new)
    linux_driver.ensure_dhcp(replace(spec, hosts=(DhcpHost(new.mac, "10.0.0.5", "new"),)))
    assert lease(guests.plug(new, addresses=[]), tmp_path).get("ip") == "10.0.0.5"


def test_an_unknown_mac_gets_no_address(linux_driver: LinuxNetworkDriver, guests: Guests,
                                        tmp_path: Path) -> None:
    net = NetworkSpec(ident(), Segment("local"), mtu=1500)
    linux_driver.ensure_network(net)
    stranger = guest_port(net, "10.0.0.7", "fa:16:3e:00:00:07")
    linux_driver.ensure_port(stranger)
    linux_driver.ensure_dhcp(server(net))
    assert lease(guests.plug(stranger, addresses=[]), tmp_path) == {}


def test_a_killed_server_is_reported_and_restarted(linux_driver: LinuxNetworkDriver) -> None:
    net = NetworkSpec(ident(), Segment("local"))
    linux_driver.ensure_network(net)
    spec = server(net)
    linux_driver.ensure_dhcp(spec)
    linux_driver.vanish("dhcp", net.id)
    assert linux_driver.dhcp() == {}
    linux_driver.ensure_dhcp(spec)
    assert linux_driver.dhcp() == {net.id: spec}
    linux_driver.remove_dhcp(net.id)
    linux_driver.remove_network(net.id)
    assert linux_harness.leftovers(linux_driver) == []


def test_a_namespace_deleted_by_hand_gets_a_new_server(linux_driver: LinuxNetworkDriver,
                                                       guests: Guests, tmp_path: Path) -> None:
    net, port, spec = served_port(linux_driver, "vm")
    before = processes.running(folder(linux_driver, net.id) / "pid")
    subprocess.run(["ip", "netns", "delete", linux_driver.names.dhcp_ns(net.id)], check=True)
    assert linux_driver.dhcp() == {}
    linux_driver.ensure_dhcp(spec)
    assert processes.running(folder(linux_driver, net.id) / "pid") not in (None, before)
    assert lease(guests.plug(port, addresses=[]), tmp_path).get("ip") == "10.0.0.5"


def test_dnsmasq_rereads_its_files_under_the_agents_umask(tmp_path: Path) -> None:
    """`onestack agent` runs with umask 077; dnsmasq, which drops root, must still read
    its files after a SIGHUP."""
    base = Path("/run") / f"os-umask-{uuid.uuid4().hex[:6]}"
    driver = linux_harness.make(run_dir=base / "network" / "host")
    guests = Guests(driver.netns)
    previous = os.umask(0o077)
    try:
        net = NetworkSpec(ident(), Segment("local"))
        driver.ensure_network(net)
        first = guest_port(net, "10.0.0.5", "fa:16:3e:00:00:05")
        second = guest_port(net, "10.0.0.6", "fa:16:3e:00:00:06")
        for port in (first, second):
            driver.ensure_port(port)
        spec = server(net, DhcpHost(first.mac, "10.0.0.5", "a"))
        driver.ensure_dhcp(spec)
        driver.ensure_dhcp(replace(spec, hosts=spec.hosts + (
            DhcpHost(second.mac, "10.0.0.6", "b"),)))  # a SIGHUP, files re-read as nobody
        os.umask(previous)
        assert lease(guests.plug(second, addresses=[]), tmp_path).get("ip") == "10.0.0.6"
    finally:
        os.umask(previous)
        guests.close()
        linux_harness.cleanup(driver)
        shutil.rmtree(base, ignore_errors=True)
