"""The Linux network driver's ports on a real bridge: guests (namespaces behind their
ports' taps) reach each other as the security rules allow, spoofed sources are dropped,
allowed address pairs let theirs through, and lost state heals. Runs as root only."""
from __future__ import annotations

import itertools
import re
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import replace
import pytest

from onestack.network.drivers.base import (AddressPair, FixedIp, NetworkSpec, PortSpec,
                                           SecurityRule, Segment)
from onestack.network.drivers.linux import LinuxDriverConfig, LinuxNetworkDriver
from tests.dataplane import linux_harness
from tests.dataplane.guests import Guest, Guests
from tests.dataplane.linux_harness import guests, linux_driver  # noqa: F401 - fixtures

SUBNET = "10.0.0.0/24"
EGRESS_ALL = SecurityRule("egress", "IPv4", remote_cidrs=("0.0.0.0/0",))
ICMP_IN = SecurityRule("ingress", "IPv4", "icmp", remote_cidrs=("0.0.0.0/0",))


@pytest.fixture()
def driver(linux_driver: LinuxNetworkDriver) -> LinuxNetworkDriver:
    return linux_driver


def ident() -> str:
    return str(uuid.uuid4())


VNIS = itertools.count(1001)


def network(**values: object) -> NetworkSpec:
    return replace(NetworkSpec(ident(), Segment("vxlan", None, next(VNIS)), mtu=1450),
                   **values)


def port(net: NetworkSpec, ip: str, mac: str, *rules: SecurityRule,
         **values: object) -> PortSpec:
    base = PortSpec(ident(), net.id, mac, (FixedIp(ident(), ip, SUBNET),), mtu=net.mtu,
                    device_owner="compute:nova", security_rules=rules or (EGRESS_ALL, ICMP_IN))
    return replace(base, **values)


def two_guests(driver: LinuxNetworkDriver, guests: Guests, *rules_b: SecurityRule,
               **values_a: object):
    net = network()
    driver.ensure_network(net)
    a = port(net, "10.0.0.5", "fa:16:3e:00:00:05", **values_a)
    b = port(net, "10.0.0.6", "fa:16:3e:00:00:06", *rules_b)
    driver.ensure_port(a)
    driver.ensure_port(b)
    return net, a, b, guests.plug(a), guests.plug(b)


def test_ping_passes_with_an_icmp_rule_and_is_dropped_without(
        driver: LinuxNetworkDriver, guests: Guests) -> None:
    net, a, b, guest_a, guest_b = two_guests(driver, guests)
    assert guest_a.pings("10.0.0.6")  # the reply comes back by connection tracking
    driver.ensure_port(replace(b, security_rules=(EGRESS_ALL,)))
    assert not guest_a.ping("10.0.0.6")
    assert guest_b.pings("10.0.0.5")  # A still lets ICMP in
    driver.ensure_port(b)
    assert guest_a.pings("10.0.0.6")


def test_stateless_ports_need_a_rule_for_the_replies(driver: LinuxNetworkDriver,
                                                     guests: Guests) -> None:
    only_out = (EGRESS_ALL,)
    net, a, b, guest_a, guest_b = two_guests(driver, guests, EGRESS_ALL, ICMP_IN,
                                             stateful=False, security_rules=only_out)
    assert not guest_a.ping("10.0.0.6")  # B answers, A's ingress drops the reply
    driver.ensure_port(replace(a, security_rules=(EGRESS_ALL, ICMP_IN)))
    assert guest_a.pings("10.0.0.6")


def test_a_spoofed_source_is_dropped_and_an_address_pair_lets_it_through(
        driver: LinuxNetworkDriver, guests: Guests) -> None:
    net, a, b, guest_a, guest_b = two_guests(driver, guests)
    assert guest_a.pings("10.0.0.6")
    guest_a.run("ip", "addr", "flush", "dev", "eth0")
    guest_a.run("ip", "addr", "add", "10.0.0.99/24", "dev", "eth0")
    assert not guest_a.ping("10.0.0.6")
    driver.ensure_port(replace(a, allowed_address_pairs=(
        AddressPair("10.0.0.99", a.mac),)))
    assert guest_a.pings("10.0.0.6")


def test_port_security_off_lets_anything_through(driver: LinuxNetworkDriver,
                                                 guests: Guests) -> None:
    net, a, b, guest_a, guest_b = two_guests(driver, guests, EGRESS_ALL)
    assert not guest_a.ping("10.0.0.6")
    driver.ensure_port(replace(b, port_security=False, security_rules=()))
    assert guest_a.pings("10.0.0.6")


def test_an_admin_down_port_carries_nothing(driver: LinuxNetworkDriver,
                                            guests: Guests) -> None:
    net, a, b, guest_a, guest_b = two_guests(driver, guests)
    driver.ensure_port(replace(b, admin_state_up=False))
    assert driver.ports()[b.id].admin_state_up is False
    assert not guest_a.ping("10.0.0.6")


def test_a_lost_rule_or_device_shows_and_heals(driver: LinuxNetworkDriver,
                                               guests: Guests) -> None:
    net, a, b, guest_a, guest_b = two_guests(driver, guests)
    index = driver.store.get("ports", b.id)["index"]
    subprocess.run(["ip", "netns", "exec", driver.netns, "nft", "flush", "chain", "inet",
                    "onestack_ports", f"ingress_{index}"], check=True)
    assert b.id not in driver.ports() and a.id in driver.ports()
    driver.ensure_port(b)
    assert driver.ports()[b.id] == b
    vxlan = driver.names.vxlan(int(net.segment.segmentation_id or 0))
    subprocess.run(["ip", "-n", driver.netns, "link", "set", vxlan, "nomaster"], check=True)
    assert net.id not in driver.networks()
    driver.ensure_network(net)
    assert driver.networks() == {net.id: net}


def test_a_restarted_driver_reports_what_is_wired(driver: LinuxNetworkDriver,
                                                  guests: Guests) -> None:
    net, a, b, guest_a, guest_b = two_guests(driver, guests)
    again = LinuxNetworkDriver(LinuxDriverConfig(netns=driver.netns), "test-host")
    assert again.networks() == {net.id: net}
    assert again.ports() == {a.id: a, b.id: b}
    again.ensure_port(b)
    assert guest_a.pings("10.0.0.6")


def test_removing_everything_leaves_nothing_behind(driver: LinuxNetworkDriver) -> None:
    nets = [network(), network(segment=Segment("local")),
            network(segment=Segment("flat", "public"), mtu=1500)]
    for net in nets:
        driver.ensure_network(net)
    ports = [port(nets[0], "10.0.0.5", "fa:16:3e:00:00:05"),
             port(nets[1], "10.0.0.6", "fa:16:3e:00:00:06", port_security=False)]
    for p in ports:
        driver.ensure_port(p)
    assert linux_harness.leftovers(driver)
    for p in ports:
        driver.remove_port(p.id)
    for net in nets:
        driver.remove_network(net.id)
    assert linux_harness.leftovers(driver) == []


def test_equal_addresses_on_two_networks_are_tracked_apart(driver: LinuxNetworkDriver,
                                                           guests: Guests) -> None:
    for _ in range(2):
        net, a, b, guest_a, guest_b = two_guests(driver, guests)
        assert guest_a.pings("10.0.0.6")
    table = subprocess.run(["ip", "netns", "exec", driver.netns, "cat",
                            "/proc/net/nf_conntrack"], capture_output=True, text=True).stdout
    zones = {part for line in table.splitlines()
             if "src=10.0.0.5 dst=10.0.0.6" in line
             for part in line.split() if part.startswith("zone=")}
    assert len(zones) == 2


def test_a_driver_that_lost_its_specs_removes_what_it_cannot_name(
        driver: LinuxNetworkDriver, guests: Guests) -> None:
    net, a, b, guest_a, guest_b = two_guests(driver, guests)
    guests.close()
    shutil.rmtree(driver.run_dir)
    again = LinuxNetworkDriver(LinuxDriverConfig(netns=driver.netns), "test-host")
    assert again.ports() == {} and again.networks() == {}
    assert linux_harness.leftovers(again) == []


def test_ipv6_passes_with_a_rule_and_spoofing_is_dropped(driver: LinuxNetworkDriver,
                                                        guests: Guests) -> None:
    net = network()
    driver.ensure_network(net)
    v6_rules = (SecurityRule("egress", "IPv6", remote_cidrs=("::/0",)),
                SecurityRule("ingress", "IPv6", "ipv6-icmp", remote_cidrs=("::/0",)))

    def v6_port(ip: str, mac: str) -> PortSpec:
        return port(net, "10.0.0.9", mac, *v6_rules,
                    fixed_ips=(FixedIp(ident(), ip, "2001:db8::/64"),))
    a = v6_port("2001:db8::5", "fa:16:3e:00:00:05")
    b = v6_port("2001:db8::6", "fa:16:3e:00:00:06")
    for p in (a, b):
        driver.ensure_port(p)
    guest_a = guests.plug(a, addresses=["2001:db8::5/64"])
    guests.plug(b, addresses=["2001:db8::6/64"])
    assert any(guest_a.run("busybox", "ping", "-6", "-c", "1", "-W", "1",
                           "2001:db8::6").returncode == 0 for _ in range(5))
    guest_a.run("ip", "-6", "addr", "add", "2001:db8::99/64", "dev", "eth0", "nodad")
    spoofed = guest_a.run("busybox", "ping", "-6", "-c", "1", "-W", "1", "-I", "2001:db8::99",
                          "2001:db8::6")
    assert spoofed.returncode != 0


def test_a_removed_rule_stops_a_flow_already_under_way(driver: LinuxNetworkDriver,
                                                       guests: Guests) -> None:
    net, a, b, guest_a, guest_b = two_guests(driver, guests)
    assert guest_a.pings("10.0.0.6")
    pinging = subprocess.Popen(["ip", "netns", "exec", guest_a.netns, "busybox", "ping",
                                "-c", "6", "10.0.0.6"], stdout=subprocess.PIPE, text=True)
    time.sleep(2.5)  # one flow (one ICMP id), established by now
    driver.ensure_port(replace(b, security_rules=(EGRESS_ALL,)))
    out, _ = pinging.communicate(timeout=20)
    counted = re.search(r"(\d+) packets transmitted, (\d+) packets received", out)
    assert counted, out
    sent, received = int(counted[1]), int(counted[2])
    assert 1 <= received <= 4 < sent  # the replies stop once the rule is gone


SEND = ("import socket,sys,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
        "for _ in range(1000):\n    s.sendto(b'x'*1000,(sys.argv[1],9999))\n    "
        "time.sleep(0.0005)\n")
RECEIVE = ("import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
           "s.bind(('0.0.0.0',9999))\ns.settimeout(1.5)\nn=0\nprint('ready',flush=True)\n"
           "try:\n    while True:\n        n+=len(s.recv(2000))\nexcept OSError:\n    pass\n"
           "print(n,flush=True)\n")


def received_bytes(sender: Guest, receiver: Guest, address: str) -> int:
    """How much of a 1 MB UDP burst from ``sender`` arrives."""
    listening = subprocess.Popen(["ip", "netns", "exec", receiver.netns, sys.executable, "-c",
                                  RECEIVE], stdout=subprocess.PIPE, text=True)
    assert listening.stdout is not None and listening.stdout.readline().strip() == "ready"
    sender.run(sys.executable, "-c", SEND, address, timeout=30)
    out, _ = listening.communicate(timeout=30)
    return int(out.strip() or 0)


def test_a_bandwidth_limit_polices_what_a_guest_sends(driver: LinuxNetworkDriver,
                                                      guests: Guests) -> None:
    udp_in = SecurityRule("ingress", "IPv4", "udp", 9999, 9999, ("0.0.0.0/0",))
    net, a, b, guest_a, guest_b = two_guests(driver, guests, EGRESS_ALL, ICMP_IN, udp_in)
    assert guest_a.pings("10.0.0.6")  # neighbours known before counting
    assert received_bytes(guest_a, guest_b, "10.0.0.6") > 500_000
    driver.set_bandwidth_limit(a.id, 400, 100)  # 50 kB/s, 12.5 kB burst
    assert driver.bandwidth_limits() == {a.id: (400, 100)}
    assert received_bytes(guest_a, guest_b, "10.0.0.6") < 300_000
