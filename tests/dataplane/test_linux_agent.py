"""The network agent over the Linux driver, end to end on a migrated SQLite database:
networks, ports, DHCP, a router with a floating IP are made through the network service
as the API makes them; the agent's resync wires them into a throwaway host namespace;
guests get their addresses by DHCP, reach each other as the default security group
allows, and are reached through the floating IP once a rule allows it; deleting it all
and resyncing leaves nothing in the kernel. Runs as root only."""
from __future__ import annotations

import subprocess
import uuid
from pathlib import Path
from typing import Any, Iterator

import pytest

from onestack.core.bus import InProcessBus
from onestack.core.config import Settings
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.registry import AgentContext
from onestack.network.agent import NetworkAgent
from onestack.network.agent.runner import collections as network_collections
from onestack.network.drivers.base import PortSpec
from onestack.network.drivers.linux import LinuxNetworkDriver, links
from onestack.network.models.ports import Port
from onestack.network.service import agents as reg
from onestack.network.service.router_interfaces import RouterInterfaces
from tests.dataplane import linux_harness
from tests.dataplane.guests import Guests
from tests.dataplane.linux_harness import guests, linux_driver  # noqa: F401 - fixtures
from tests.dataplane.test_linux_dhcp import lease
from tests.support.databases import Backend, migrated_database


@pytest.fixture()
def db(tmp_path: Path) -> Iterator[Database]:
    with migrated_database(Backend("sqlite"), tmp_path) as handle:
        yield handle


class Cloud:
    def __init__(self, db: Database, driver: LinuxNetworkDriver):
        self.db = db
        self.collections = network_collections(AgentContext(db, InProcessBus(), Settings()))
        self.host = "dataplane-host"
        self.agent = NetworkAgent(db, InProcessBus(), self.host, driver, self.collections)
        self.agent.start()
        self.ctx = RequestContext(request_id="req-test", user_id="admin",
                                  project_id=uuid.uuid4().hex,
                                  roles=["admin", "member", "reader"])

    def make(self, collection: str, **doc: Any) -> dict[str, Any]:
        return self.collections[collection].create(self.ctx, [doc])[0]

    def delete(self, collection: str, ident: str) -> None:
        self.collections[collection].delete(self.ctx, ident)

    def converge(self) -> list[str]:
        for _ in range(4):
            if not self.agent.resync():
                return []
        return self.agent.drifted()

    def status(self, port_id: str) -> str:
        return self.db.read(lambda s: s.get(Port, port_id).status)

    def hosting(self, router_id: str) -> str | None:
        """The L3 agent the router is bound to."""
        return self.db.read(lambda s: reg.l3_agent_id(s, router_id))


def spec_of(driver: LinuxNetworkDriver, port: dict[str, Any]) -> PortSpec:
    return driver.ports()[port["id"]]


def gateway_router(cloud: Cloud) -> tuple[dict, dict, dict, dict]:
    """A flat external network ``public`` (203.0.113.0/24), a tenant network ``private``
    with its subnet (10.0.0.0/24) and router ``r1`` with its gateway on ``public`` (no
    interface yet): the networks, the subnet and the router."""
    public = cloud.make("networks", name="public", **{
        "router:external": True, "provider:network_type": "flat",
        "provider:physical_network": "public"})
    cloud.make("subnets", network_id=public["id"], cidr="203.0.113.0/24", ip_version=4,
               enable_dhcp=False)
    private = cloud.make("networks", name="private")
    subnet = cloud.make("subnets", network_id=private["id"], cidr="10.0.0.0/24",
                        ip_version=4)
    router = cloud.make("routers", name="r1", external_gateway_info={
        "network_id": public["id"]})
    return public, private, subnet, router


def take_down(cloud: Cloud, guests: Guests, topology: tuple[dict, dict, dict, dict],
              fip: dict, ports: list[dict]) -> None:
    """Delete what ``gateway_router`` made, with a floating IP and the guests' ports, in
    the order a user must, and let the agent converge on it."""
    public, private, subnet, router = topology
    cloud.delete("floatingips", fip["id"])
    RouterInterfaces(cloud.collections["routers"]).remove(cloud.ctx, router["id"],
                                                          {"subnet_id": subnet["id"]})
    cloud.delete("routers", router["id"])
    for port in ports:
        cloud.delete("ports", port["id"])
    cloud.delete("networks", private["id"])
    cloud.delete("networks", public["id"])
    guests.close()
    assert cloud.converge() == []


def test_the_agent_wires_a_cloud_and_unwires_it(db: Database,
                                                linux_driver: LinuxNetworkDriver,
                                                guests: Guests, tmp_path: Path) -> None:
    cloud = Cloud(db, linux_driver)
    public, private, subnet, router = gateway_router(cloud)
    assert cloud.hosting(router["id"]) == cloud.agent.l3_agent  # scheduled with its gateway
    RouterInterfaces(cloud.collections["routers"]).add(cloud.ctx, router["id"],
                                                       {"subnet_id": subnet["id"]})
    vms = [cloud.make("ports", network_id=private["id"], device_owner="compute:nova",
                      device_id=str(uuid.uuid4()), **{"binding:host_id": cloud.host})
           for _ in range(2)]
    fip = cloud.make("floatingips", floating_network_id=public["id"], port_id=vms[0]["id"])
    assert cloud.converge() == []
    assert all(cloud.status(vm["id"]) == "ACTIVE" for vm in vms)
    assert private["id"] in linux_driver.dhcp() and router["id"] in linux_driver.routers()

    first = guests.plug(spec_of(linux_driver, vms[0]), addresses=[])
    got = lease(first, tmp_path)
    assert got.get("ip") == vms[0]["fixed_ips"][0]["ip_address"]
    first.run("ip", "addr", "add", f"{got['ip']}/24", "dev", "eth0")
    first.run("ip", "route", "add", "default", "via", got["router"])
    second = guests.plug(spec_of(linux_driver, vms[1]), gateway=got["router"])
    assert first.pings(vms[1]["fixed_ips"][0]["ip_address"])  # same default group

    outside = linux_driver.names.external_ns()
    floating = fip["floating_ip_address"]
    ping = ["ip", "netns", "exec", outside, "busybox", "ping", "-c", "1", "-W", "1", floating]
    assert subprocess.run(ping, capture_output=True).returncode != 0  # no rule lets it in
    cloud.make("security_group_rules", security_group_id=vms[0]["security_groups"][0],
               direction="ingress",
               ethertype="IPv4", protocol="icmp", remote_ip_prefix="0.0.0.0/0")
    assert cloud.converge() == []
    assert any(subprocess.run(ping, capture_output=True).returncode == 0 for _ in range(3))
    assert second.pings("203.0.113.1")  # SNAT out through the gateway

    take_down(cloud, guests, (public, private, subnet, router), fip, vms)
    assert linux_harness.leftovers(linux_driver) == []


def test_a_router_taken_off_its_agent_loses_its_namespace_until_it_is_put_back(
        db: Database, linux_driver: LinuxNetworkDriver, guests: Guests) -> None:
    """What Tempest's router rescheduling scenario checks: taken off its L3 agent, the
    router's namespace and rules go and its floating IP stops answering (and shows DOWN);
    put back, it is rebuilt and answers again."""
    cloud = Cloud(db, linux_driver)
    public, private, subnet, router = gateway_router(cloud)
    RouterInterfaces(cloud.collections["routers"]).add(cloud.ctx, router["id"],
                                                       {"subnet_id": subnet["id"]})
    vm = cloud.make("ports", network_id=private["id"], device_owner="compute:nova",
                    device_id=str(uuid.uuid4()), **{"binding:host_id": cloud.host})
    cloud.make("security_group_rules", security_group_id=vm["security_groups"][0],
               direction="ingress", ethertype="IPv4", protocol="icmp",
               remote_ip_prefix="0.0.0.0/0")
    fip = cloud.make("floatingips", floating_network_id=public["id"], port_id=vm["id"])
    agent, agents = cloud.agent.l3_agent, cloud.collections["agents"]
    assert cloud.hosting(router["id"]) == agent
    assert cloud.converge() == []
    guests.plug(spec_of(linux_driver, vm), gateway="10.0.0.1")
    namespace = linux_driver.names.router_ns(router["id"])
    ping = ["ip", "netns", "exec", linux_driver.names.external_ns(), "busybox", "ping", "-c",
            "1", "-W", "1", fip["floating_ip_address"]]

    def answers() -> bool:
        return any(subprocess.run(ping, capture_output=True).returncode == 0
                   for _ in range(3))

    def fip_status() -> str:
        return cloud.collections["floatingips"].show(cloud.ctx, fip["id"])["status"]
    assert answers() and fip_status() == "ACTIVE"

    agents.remove_l3_router(cloud.ctx, agent, router["id"])
    assert cloud.converge() == []
    assert cloud.hosting(router["id"]) is None  # the resync does not host it again
    assert namespace not in links.namespaces()
    assert router["id"] not in linux_driver.routers()
    assert not answers() and fip_status() == "DOWN"

    agents.add_l3_router(cloud.ctx, agent, router["id"])
    assert cloud.converge() == []
    assert namespace in links.namespaces()
    assert answers() and fip_status() == "ACTIVE"

    take_down(cloud, guests, (public, private, subnet, router), fip, [vm])
    assert linux_harness.leftovers(linux_driver) == []
