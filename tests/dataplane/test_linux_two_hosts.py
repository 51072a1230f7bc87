"""Networks between two hosts: two Linux drivers, each on its own host namespace, joined
by a veth "underlay" (VXLAN) or "physical" link (flat, VLAN); a guest on each host reaches
the other on the same network and not on another. Runs as root only."""
from __future__ import annotations

import subprocess
import uuid
from typing import Iterator

import pytest

from onestack.network.drivers.base import FixedIp, NetworkSpec, PortSpec, SecurityRule, Segment
from onestack.network.drivers.linux import LinuxDriverConfig, LinuxNetworkDriver
from tests.dataplane import linux_harness
from tests.dataplane.guests import Guest, Guests

SUBNET = "10.0.0.0/24"
RULES = (SecurityRule("egress", "IPv4", remote_cidrs=("0.0.0.0/0",)),
         SecurityRule("ingress", "IPv4", "icmp", remote_cidrs=("0.0.0.0/0",)))


def ident() -> str:
    return str(uuid.uuid4())


@pytest.fixture()
def hosts() -> Iterator[tuple[LinuxNetworkDriver, LinuxNetworkDriver]]:
    """Two drivers whose host namespaces share an underlay (192.168.100.0/24)."""
    made: list[LinuxNetworkDriver] = []
    try:
        for n in (1, 2):
            made.append(linux_harness.make(f"host{n}", tunnel_local_ip=f"192.168.100.{n}",
                                           tunnel_dev="underlay"))
        one, two = made
        subprocess.run(["ip", "-n", one.netns, "link", "add", "underlay", "type", "veth",
                        "peer", "name", "underlay", "netns", two.netns], check=True)
        for n, driver in ((1, one), (2, two)):
            subprocess.run(["ip", "-n", driver.netns, "addr", "add", f"192.168.100.{n}/24",
                            "dev", "underlay"], check=True)
            subprocess.run(["ip", "-n", driver.netns, "link", "set", "underlay", "up"],
                           check=True)
        yield one, two
    finally:
        for driver in made:
            linux_harness.cleanup(driver)


def plug(driver: LinuxNetworkDriver, guests: Guests, net: NetworkSpec, ip: str,
         mac: str) -> Guest:
    spec = PortSpec(ident(), net.id, mac, (FixedIp(ident(), ip, SUBNET),), mtu=net.mtu,
                    security_rules=RULES)
    driver.ensure_network(net)
    driver.ensure_port(spec)
    return guests.plug(spec)


def test_guests_on_two_hosts_reach_each_other_over_their_vni(
        hosts: tuple[LinuxNetworkDriver, LinuxNetworkDriver]) -> None:
    one, two = hosts
    net = NetworkSpec(ident(), Segment("vxlan", None, 1004), mtu=1450)
    other = NetworkSpec(ident(), Segment("vxlan", None, 1005), mtu=1450)
    guests_one, guests_two = Guests(one.netns), Guests(two.netns)
    try:
        a = plug(one, guests_one, net, "10.0.0.5", "fa:16:3e:00:00:05")
        plug(two, guests_two, net, "10.0.0.6", "fa:16:3e:00:00:06")
        plug(two, guests_two, other, "10.0.0.7", "fa:16:3e:00:00:07")
        assert a.pings("10.0.0.6")
        assert not a.ping("10.0.0.7")
    finally:
        guests_one.close()
        guests_two.close()


@pytest.fixture()
def wired_hosts() -> Iterator[tuple[LinuxNetworkDriver, LinuxNetworkDriver]]:
    """Two drivers whose host namespaces share a "physical" link (physnet1)."""
    made: list[LinuxNetworkDriver] = []
    try:
        for n in (1, 2):
            made.append(linux_harness.make(f"host{n}",
                                           physical_interfaces={"physnet1": "phys"}))
        one, two = made
        subprocess.run(["ip", "-n", one.netns, "link", "add", "phys", "type", "veth",
                        "peer", "name", "phys", "netns", two.netns], check=True)
        for driver in made:
            subprocess.run(["ip", "-n", driver.netns, "link", "set", "phys", "up"], check=True)
        yield one, two
    finally:
        for driver in made:
            linux_harness.cleanup(driver)


def vlan_supported() -> bool:
    """Whether this kernel makes 802.1Q devices (CONFIG_VLAN_8021Q)."""
    probe = linux_harness.new_namespace("os-vlan-")
    try:
        ip = ["ip", "-n", probe]
        subprocess.run(ip + ["link", "add", "p0", "type", "veth", "peer", "name", "p1"],
                       check=True)
        return subprocess.run(ip + ["link", "add", "link", "p0", "name", "p0.5", "type",
                                    "vlan", "id", "5"], capture_output=True).returncode == 0
    finally:
        subprocess.run(["ip", "netns", "delete", probe], check=False)


def test_vlan_networks_cross_the_physical_link_apart(
        wired_hosts: tuple[LinuxNetworkDriver, LinuxNetworkDriver]) -> None:
    if not vlan_supported():
        pytest.skip("the kernel makes no 802.1Q VLAN devices (CONFIG_VLAN_8021Q)")
    one, two = wired_hosts
    vlan_a = NetworkSpec(ident(), Segment("vlan", "physnet1", 100))
    vlan_b = NetworkSpec(ident(), Segment("vlan", "physnet1", 101))
    guests_one, guests_two = Guests(one.netns), Guests(two.netns)
    try:
        a = plug(one, guests_one, vlan_a, "10.0.0.5", "fa:16:3e:00:00:05")
        plug(two, guests_two, vlan_a, "10.0.0.6", "fa:16:3e:00:00:06")
        plug(two, guests_two, vlan_b, "10.0.0.7", "fa:16:3e:00:00:07")
        assert a.pings("10.0.0.6")
        assert not a.ping("10.0.0.7")  # another VLAN
    finally:
        guests_one.close()
        guests_two.close()


def test_a_flat_network_crosses_the_physical_link(
        wired_hosts: tuple[LinuxNetworkDriver, LinuxNetworkDriver]) -> None:
    one, two = wired_hosts
    flat = NetworkSpec(ident(), Segment("flat", "physnet1"))
    guests_one, guests_two = Guests(one.netns), Guests(two.netns)
    try:
        a = plug(one, guests_one, flat, "10.0.0.5", "fa:16:3e:00:00:05")
        plug(two, guests_two, flat, "10.0.0.6", "fa:16:3e:00:00:06")
        assert a.pings("10.0.0.6")
    finally:
        guests_one.close()
        guests_two.close()
    one.remove_port(next(iter(one.ports())))
    one.remove_network(flat.id)
    assert one.links.get("phys") is not None  # the operator's interface stays


def test_a_changed_underlay_remakes_the_vxlan_device(
        hosts: tuple[LinuxNetworkDriver, LinuxNetworkDriver]) -> None:
    one, _ = hosts
    alone = LinuxNetworkDriver(LinuxDriverConfig(
        netns=one.netns), "host1")  # the same host, restarted without underlay settings
    net = NetworkSpec(ident(), Segment("vxlan", None, 1006), mtu=1450)
    alone.ensure_network(net)
    one.ensure_network(net)
    shown = subprocess.run(["ip", "-n", one.netns, "-d", "link", "show", "vxlan-1006"],
                           capture_output=True, text=True, check=True).stdout
    assert "local 192.168.100.1" in shown and "dev underlay" in shown
    assert one.networks() == {net.id: net}
