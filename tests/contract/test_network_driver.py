"""The network-driver contract (``onestack.network.drivers.base``), run against every driver
factory in ``HARNESSES``: the fake, and the Linux driver (as root, in a throwaway network
namespace playing the host; skipped without root, nft or dnsmasq)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import Callable, Iterator

import pytest

from onestack.network.drivers.base import (AddressPair, BandwidthLimiting, DhcpHost,
                                           DhcpSpec, DhcpSubnet, FixedIp, FloatingIp,
                                           NetworkBusy, NetworkDriver, NetworkDriverError,
                                           NetworkMissing, NetworkSpec, PortForwarding,
                                           PortSpec, Route, RouterGateway, RouterInterface,
                                           RouterSpec, SecurityRule, Segment)
from onestack.network.drivers.fake import FakeNetworkDriver
from tests.dataplane import linux_harness


@dataclass(frozen=True)
class Harness:
    """How the suite makes a driver, makes one operation fail, and removes a device
    behind the driver's back."""
    name: str
    make: Callable[[str], NetworkDriver]
    break_op: Callable[[NetworkDriver, str, str], None]
    vanish: Callable[[NetworkDriver, str, str], None]
    cleanup: Callable[[NetworkDriver], None] = lambda d: None


HARNESSES = [
    Harness("fake", lambda host: FakeNetworkDriver(host),
            lambda d, op, ident: d.fail(op, ident),  # type: ignore[attr-defined]
            lambda d, kind, ident: d.vanish(kind, ident)),  # type: ignore[attr-defined]
    Harness("linux", linux_harness.make,
            lambda d, op, ident: d.inject_fault(op, ident),  # type: ignore[attr-defined]
            lambda d, kind, ident: d.vanish(kind, ident),  # type: ignore[attr-defined]
            linux_harness.cleanup),
]


@pytest.fixture(params=HARNESSES, ids=[h.name for h in HARNESSES])
def harness(request: pytest.FixtureRequest) -> Harness:
    return request.param


@pytest.fixture()
def driver(harness: Harness) -> Iterator[NetworkDriver]:
    made = harness.make("contract-host")
    try:
        yield made
    finally:
        harness.cleanup(made)


def ident() -> str:
    return str(uuid.uuid4())


def network(**values: object) -> NetworkSpec:
    return replace(NetworkSpec(ident(), Segment("vxlan", None, 1001), mtu=1450), **values)


def port(net: NetworkSpec, **values: object) -> PortSpec:
    rules = (SecurityRule("egress", "IPv4", remote_cidrs=("0.0.0.0/0",)),
             SecurityRule("ingress", "IPv4", "tcp", 22, 22, ("10.0.0.0/26",)))
    base = PortSpec(ident(), net.id, "fa:16:3e:00:00:01",
                    (FixedIp(ident(), "10.0.0.5", "10.0.0.0/26"),), mtu=net.mtu,
                    device_owner="compute:nova", device_id=ident(), security_rules=rules,
                    allowed_address_pairs=(AddressPair("10.0.0.50", "fa:16:3e:00:00:01"),))
    return replace(base, **values)


def router(inside: NetworkSpec, outside: NetworkSpec, **values: object) -> RouterSpec:
    base = RouterSpec(
        ident(), gateway=RouterGateway(ident(), outside.id, "fa:16:3e:00:00:0a",
                                       ("203.0.113.10/24",), ("203.0.113.1",)),
        interfaces=(RouterInterface(ident(), inside.id, "fa:16:3e:00:00:0b",
                                    ("10.0.0.1/26",)),),
        routes=(Route("192.168.0.0/24", "10.0.0.9"),),
        floating_ips=(FloatingIp("203.0.113.20", "10.0.0.5"),),
        port_forwardings=(PortForwarding("203.0.113.21", "tcp", 2222, "10.0.0.5", 22),))
    return replace(base, **values)


def dhcp(net: NetworkSpec, **values: object) -> DhcpSpec:
    subnet = DhcpSubnet(ident(), "10.0.0.0/26", 4, (("10.0.0.2", "10.0.0.62"),),
                        "10.0.0.1", ("8.8.8.8",))
    base = DhcpSpec(net.id, port(net, device_owner="network:dhcp"), (subnet,),
                    (DhcpHost("fa:16:3e:00:00:01", "10.0.0.5", "host-10-0-0-5"),))
    return replace(base, **values)


def test_the_driver_offers_the_core(driver: NetworkDriver) -> None:
    assert isinstance(driver, NetworkDriver)
    assert isinstance(driver.configuration(), dict)
    assert driver.networks() == {} and driver.ports() == {}
    assert driver.routers() == {} and driver.dhcp() == {}


def test_ensure_twice_changes_nothing_and_reports_the_spec(driver: NetworkDriver) -> None:
    net = network()
    p = port(net)
    for _ in range(2):
        driver.ensure_network(net)
        driver.ensure_port(p)
    assert driver.networks() == {net.id: net}
    assert driver.ports() == {p.id: p}


def test_ensure_with_a_changed_spec_converges(driver: NetworkDriver) -> None:
    net = network()
    driver.ensure_network(net)
    p = port(net)
    driver.ensure_port(p)
    changed = replace(p, port_security=False, security_rules=(),
                      fixed_ips=(FixedIp(ident(), "10.0.0.6", "10.0.0.0/26"),))
    driver.ensure_port(changed)
    assert driver.ports() == {p.id: changed}
    bigger = replace(net, mtu=1400)
    driver.ensure_network(bigger)
    assert driver.networks()[net.id].mtu == 1400


def test_remove_succeeds_when_already_gone(driver: NetworkDriver) -> None:
    missing = ident()
    driver.remove_port(missing)
    driver.remove_router(missing)
    driver.remove_dhcp(missing)
    driver.remove_network(missing)
    net = network()
    p = port(net)
    driver.ensure_network(net)
    driver.ensure_port(p)
    driver.remove_port(p.id)
    driver.remove_port(p.id)
    driver.remove_network(net.id)
    driver.remove_network(net.id)
    assert driver.ports() == {} and driver.networks() == {}


def test_a_port_needs_its_network(driver: NetworkDriver) -> None:
    net = network()
    with pytest.raises(NetworkMissing):
        driver.ensure_port(port(net))
    with pytest.raises(NetworkMissing):
        driver.ensure_dhcp(dhcp(net))
    assert driver.ports() == {} and driver.dhcp() == {}


def test_a_network_with_ports_or_dhcp_is_not_removed(driver: NetworkDriver) -> None:
    net = network()
    p = port(net)
    driver.ensure_network(net)
    driver.ensure_port(p)
    with pytest.raises(NetworkBusy):
        driver.remove_network(net.id)
    driver.remove_port(p.id)
    server = dhcp(net)
    driver.ensure_dhcp(server)
    with pytest.raises(NetworkBusy):
        driver.remove_network(net.id)
    assert driver.networks() == {net.id: net}
    driver.remove_dhcp(server.network_id)
    driver.remove_network(net.id)
    assert driver.networks() == {}


def test_routers_carry_their_nat_and_routes(driver: NetworkDriver) -> None:
    inside, outside = network(), network(segment=Segment("flat", "public"))
    r = router(inside, outside)
    driver.ensure_router(r)
    driver.ensure_router(r)
    assert driver.routers() == {r.id: r}
    moved = replace(r, floating_ips=(FloatingIp("203.0.113.20", "10.0.0.6"),), gateway=None)
    driver.ensure_router(moved)
    assert driver.routers()[r.id] == moved
    driver.remove_router(r.id)
    driver.remove_router(r.id)
    assert driver.routers() == {}


def test_dhcp_serves_and_stops(driver: NetworkDriver) -> None:
    net = network()
    driver.ensure_network(net)
    server = dhcp(net)
    driver.ensure_dhcp(server)
    driver.ensure_dhcp(server)
    assert driver.dhcp() == {net.id: server}
    more = replace(server, hosts=server.hosts + (DhcpHost("fa:16:3e:00:00:02", "10.0.0.6"),))
    driver.ensure_dhcp(more)
    assert driver.dhcp()[net.id].hosts == more.hosts
    driver.remove_dhcp(net.id)
    assert driver.dhcp() == {}


def test_a_failed_ensure_keeps_the_previous_wiring(driver: NetworkDriver,
                                                   harness: Harness) -> None:
    net = network()
    driver.ensure_network(net)
    p = port(net)
    driver.ensure_port(p)
    harness.break_op(driver, "ensure_port", p.id)
    with pytest.raises(NetworkDriverError):
        driver.ensure_port(replace(p, mac="fa:16:3e:00:00:99"))
    assert driver.ports() == {p.id: p}
    other = port(net)
    harness.break_op(driver, "ensure_port", other.id)
    with pytest.raises(NetworkDriverError):
        driver.ensure_port(other)
    assert other.id not in driver.ports()


def test_what_vanished_is_reported_gone_and_wired_again(driver: NetworkDriver,
                                                        harness: Harness) -> None:
    net = network()
    p = port(net)
    driver.ensure_network(net)
    driver.ensure_port(p)
    harness.vanish(driver, "port", p.id)
    assert p.id not in driver.ports()
    driver.ensure_port(p)
    assert driver.ports() == {p.id: p}


def test_bandwidth_limits_where_offered(driver: NetworkDriver) -> None:
    if not isinstance(driver, BandwidthLimiting):
        pytest.skip("the driver offers no bandwidth limits")
    net = network()
    p = port(net)
    driver.ensure_network(net)
    driver.ensure_port(p)
    driver.set_bandwidth_limit(p.id, 1000, 100)
    driver.set_bandwidth_limit(p.id, 1000, 100)
    assert driver.bandwidth_limits() == {p.id: (1000, 100)}
    driver.set_bandwidth_limit(p.id, None)
    assert driver.bandwidth_limits() == {}
    driver.set_bandwidth_limit(ident(), None)  # a port that is not wired: no error
