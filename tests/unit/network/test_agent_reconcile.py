"""The network agent's reconcile, called directly (no worker loop, no clock) on a migrated
database per configured backend: resources are made through the network service's
collections as the API makes them, the agent runs over a fake driver, and each test checks
what the driver wired and what the database shows afterwards."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from onestack.core.bus import InProcessBus
from onestack.core.config import Settings
from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.registry import AgentContext
from onestack.network.agent import NetworkAgent
from onestack.network.agent.runner import collections as network_collections
from onestack.network.drivers.base import NetworkDriverError
from onestack.network.drivers.fake import FakeNetworkDriver
from onestack.network.models.agents import Agent, L3Binding
from onestack.network.models.ports import Port
from onestack.network.service import agents as reg
from onestack.network.service.router_interfaces import RouterInterfaces
from tests.support.databases import configured_backends, migrated_database

BACKENDS = configured_backends()


@pytest.fixture(scope="module", params=BACKENDS, ids=[b.kind for b in BACKENDS])
def db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
       ) -> Iterator[Database]:
    with migrated_database(request.param, tmp_path_factory.mktemp("db")) as handle:
        yield handle


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class World:
    """A host's agent over a fake driver, and the network service to arrange with."""

    def __init__(self, db: Database):
        self.db = db
        self.bus = InProcessBus()
        self.collections = network_collections(AgentContext(db, self.bus, Settings()))
        self.host = unique("host")
        self.driver = FakeNetworkDriver(self.host)
        self.agent = NetworkAgent(db, self.bus, self.host, self.driver, self.collections)
        self.agent.start()
        self.project = uuid.uuid4().hex
        self.ctx = RequestContext(request_id="req-test", user_id="admin",
                                  project_id=self.project, roles=["admin", "member", "reader"])

    def make(self, collection: str, **doc: Any) -> dict[str, Any]:
        return self.collections[collection].create(self.ctx, [doc])[0]

    def network(self, cidr: str = "10.0.0.0/24", **doc: Any) -> tuple[dict, dict]:
        net = self.make("networks", name=unique("net"), **doc)
        sub = self.make("subnets", network_id=net["id"], cidr=cidr, ip_version=4)
        return net, sub

    def port(self, network_id: str, bound: bool = True, **doc: Any) -> dict[str, Any]:
        doc.setdefault("device_owner", "compute:nova")
        doc.setdefault("device_id", str(uuid.uuid4()))
        if bound:
            doc["binding:host_id"] = self.host
        return self.make("ports", network_id=network_id, **doc)

    def row(self, port_id: str) -> Port | None:
        return self.db.read(lambda s: s.get(Port, port_id))

    def update(self, collection: str, ident: str, **changes: Any) -> dict[str, Any]:
        return self.collections[collection].update(self.ctx, ident, changes)

    def host_router(self, router_id: str) -> None:
        """Bind the router to this host's L3 agent (creating a router with a gateway may
        have scheduled it to another live agent of the shared database)."""
        def work(s: Any) -> None:
            reg.unbind_router(s, router_id)
            s.add(L3Binding(router_id=router_id, agent_id=self.agent.l3_agent))
        self.db.write(work)

    def converge(self) -> list[str]:
        """Full passes until nothing is left (at most three)."""
        for _ in range(3):
            if not self.agent.resync():
                return []
        return self.agent.drifted()


@pytest.fixture()
def world(db: Database) -> World:
    return World(db)


def test_a_bound_port_is_wired_goes_active_and_wakes_compute(world: World) -> None:
    net, sub = world.network()
    port = world.port(net["id"])
    assert f"port:{port['id']}" in world.agent.pending()
    assert world.agent.reconcile(f"port:{port['id']}")
    wired = world.driver.ports()[port["id"]]
    assert wired.mac == port["mac_address"] and wired.network_id == net["id"]
    assert [f.ip_address for f in wired.fixed_ips] == [port["fixed_ips"][0]["ip_address"]]
    assert wired.fixed_ips[0].cidr == "10.0.0.0/24"
    assert net["id"] in world.driver.networks()
    assert world.row(port["id"]).status == "ACTIVE"
    assert world.bus.wait(f"compute.{world.host}", 0) == {port["device_id"]}
    assert port["id"] in world.bus.wait("network.port-wired", 0)
    revision = world.row(port["id"]).revision_number
    calls = dict(world.driver.calls)
    assert world.agent.reconcile(f"port:{port['id']}")
    assert dict(world.driver.calls) == calls
    assert world.row(port["id"]).revision_number == revision
    assert world.bus.wait(f"compute.{world.host}", 0) == set()


def test_a_port_bound_elsewhere_is_left_alone(world: World) -> None:
    net, _ = world.network()
    other = world.port(net["id"], bound=False, **{"binding:host_id": unique("other")})
    unbound = world.port(net["id"], bound=False)
    for port in (other, unbound):
        assert world.agent.reconcile(f"port:{port['id']}")
        assert port["id"] not in world.driver.ports()
        assert world.row(port["id"]).status == "DOWN"


def test_an_unbound_port_is_unplugged_and_its_network_released(world: World) -> None:
    net, _ = world.network()
    port = world.port(net["id"])
    world.agent.reconcile(f"port:{port['id']}")
    world.db.write(lambda s: world.collections["ports"].unbind(s, port["id"]))
    assert f"port:{port['id']}" in world.agent.pending()
    world.agent.reconcile(f"port:{port['id']}")
    assert port["id"] not in world.driver.ports()
    assert net["id"] not in world.driver.networks()
    assert world.row(port["id"]).status == "DOWN"


def test_a_deleted_port_is_unplugged_by_the_full_pass(world: World) -> None:
    net, _ = world.network()
    port = world.port(net["id"])
    world.agent.reconcile(f"port:{port['id']}")
    world.collections["ports"].delete(world.ctx, port["id"])
    assert f"port:{port['id']}" in world.agent.drifted()
    world.converge()
    assert port["id"] not in world.driver.ports()


def test_an_admin_down_port_is_wired_but_down(world: World) -> None:
    net, _ = world.network()
    port = world.port(net["id"], admin_state_up=False)
    world.agent.reconcile(f"port:{port['id']}")
    assert world.driver.ports()[port["id"]].admin_state_up is False
    assert world.row(port["id"]).status == "DOWN"
    world.update("ports", port["id"], admin_state_up=True)
    assert f"port:{port['id']}" in world.agent.pending()
    world.agent.reconcile(f"port:{port['id']}")
    assert world.row(port["id"]).status == "ACTIVE"


def test_security_rules_are_resolved_to_cidrs(world: World) -> None:
    net, _ = world.network()
    group = world.make("security_groups", name=unique("sg"))
    world.make("security_group_rules", security_group_id=group["id"], direction="ingress",
               ethertype="IPv4", protocol="tcp", port_range_min=22, port_range_max=22,
               remote_group_id=group["id"])
    first = world.port(net["id"], security_groups=[group["id"]])
    second = world.port(net["id"], security_groups=[group["id"]])
    world.agent.reconcile(f"port:{first['id']}")
    rules = world.driver.ports()[first["id"]].security_rules
    ssh = [r for r in rules if r.protocol == "tcp"]
    members = sorted(f"{p['fixed_ips'][0]['ip_address']}/32" for p in (first, second))
    assert len(ssh) == 1 and list(ssh[0].remote_cidrs) == members
    assert any(r.direction == "egress" and r.remote_cidrs == ("0.0.0.0/0",) for r in rules)
    # a rule added later changes the wanted spec: the full pass sees it
    world.make("security_group_rules", security_group_id=group["id"], direction="ingress",
               ethertype="IPv4", protocol="icmp", remote_ip_prefix="192.0.2.0/24")
    assert f"port:{first['id']}" in world.agent.drifted()
    world.agent.reconcile(f"port:{first['id']}")
    icmp = [r for r in world.driver.ports()[first["id"]].security_rules
            if r.protocol == "icmp"]
    assert icmp and icmp[0].remote_cidrs == ("192.0.2.0/24",)


def test_port_security_off_wires_no_rules(world: World) -> None:
    net, _ = world.network()
    port = world.port(net["id"], port_security_enabled=False, security_groups=[])
    world.agent.reconcile(f"port:{port['id']}")
    wired = world.driver.ports()[port["id"]]
    assert wired.port_security is False and wired.security_rules == ()


def test_a_driver_failure_is_raised_and_the_next_try_wires(world: World) -> None:
    net, _ = world.network()
    port = world.port(net["id"])
    world.driver.fail("ensure_port", port["id"])
    with pytest.raises(NetworkDriverError):
        world.agent.reconcile(f"port:{port['id']}")
    assert world.row(port["id"]).status == "DOWN"
    world.driver.heal()
    world.agent.reconcile(f"port:{port['id']}")
    assert world.row(port["id"]).status == "ACTIVE"


def test_a_vanished_device_is_wired_again_by_the_full_pass(world: World) -> None:
    net, _ = world.network()
    port = world.port(net["id"])
    world.converge()
    world.driver.vanish("port", port["id"])
    assert f"port:{port['id']}" in world.agent.drifted()
    assert world.converge() == []
    assert port["id"] in world.driver.ports()


def test_a_hosted_router_is_wired_with_its_nat(world: World) -> None:
    router, fip, vm = routed_floating_ip(world, "10.1.0.0/24", "203.0.113.0/24")
    assert world.converge() == []
    wired = world.driver.routers()[router["id"]]
    assert wired.gateway is not None and wired.gateway.snat is True
    assert wired.gateway.default_routes == ("203.0.113.1",)
    assert [i.ip_cidrs for i in wired.interfaces] == [("10.1.0.1/24",)]
    assert world.driver.nat_of(router["id"]) == {
        fip["floating_ip_address"]: vm["fixed_ips"][0]["ip_address"]}
    assert {fip["floating_network_id"], vm["network_id"]} <= set(world.driver.networks())
    legs = world.db.read(lambda s: list(s.scalars(sa.select(Port).where(
        Port.device_id == router["id"]))))
    assert legs and all(p.status == "ACTIVE" and p.binding_host_id == world.host
                        for p in legs)
    shown = world.collections["floatingips"].show(world.ctx, fip["id"])
    assert shown["status"] == "ACTIVE"
    calls = dict(world.driver.calls)
    assert world.agent.resync() == []
    assert dict(world.driver.calls) == calls


def test_a_router_hosted_elsewhere_is_removed(world: World) -> None:
    router = world.make("routers", name=unique("r"))
    world.host_router(router["id"])
    world.agent.reconcile(f"router:{router['id']}")
    assert router["id"] in world.driver.routers()
    world.db.write(lambda s: reg.unbind_router(s, router["id"]))
    assert f"router:{router['id']}" in world.agent.pending()
    world.agent.reconcile(f"router:{router['id']}")
    assert router["id"] not in world.driver.routers()


def test_dhcp_is_served_where_ports_are_bound(world: World) -> None:
    net, sub = world.network("10.2.0.0/24")
    vm = world.port(net["id"])
    assert world.converge() == []
    served = world.driver.dhcp()[net["id"]]
    assert [s.subnet_id for s in served.subnets] == [sub["id"]]
    assert vm["mac_address"] in {h.mac for h in served.hosts}
    assert served.port is not None and served.port.device_owner == "network:dhcp"
    dhcp_port = world.row(served.port.id)
    assert dhcp_port.status == "ACTIVE" and dhcp_port.binding_host_id == world.host
    agents = world.collections["agents"].network_dhcp_agents(world.ctx, net["id"])
    assert [a["id"] for a in agents] == [world.agent.dhcp_agent]
    # the port and the subnet go: DHCP, its port and the network go with them (a
    # network with a DHCP subnet left would keep a DHCP agent)
    world.collections["ports"].delete(world.ctx, vm["id"])
    world.collections["subnets"].delete(world.ctx, sub["id"])
    assert world.converge() == []
    assert net["id"] not in world.driver.dhcp() and net["id"] not in world.driver.networks()
    assert world.row(served.port.id) is None


def test_heartbeat_registers_again_after_a_delete(world: World) -> None:
    ids = dict(world.agent.agent_ids)
    world.db.write(lambda s: s.execute(sa.delete(Agent).where(Agent.id == ids["L3 agent"])))
    world.agent.heartbeat()
    assert world.agent.l3_agent != ids["L3 agent"]
    assert world.agent.dhcp_agent == ids["DHCP agent"]
    rows = world.db.read(lambda s: s.scalar(sa.select(sa.func.count()).select_from(Agent)
                                            .where(Agent.host == world.host)))
    assert rows == 3


def test_a_new_floating_ip_is_pending_work(world: World) -> None:
    router, public, vm = routed_port(world, "10.3.0.0/24", "198.51.100.0/24")
    world.converge()
    fip = world.make("floatingips", floating_network_id=public["id"], port_id=vm["id"])
    assert f"router:{router['id']}" in world.agent.pending()
    world.agent.reconcile(f"router:{router['id']}")
    assert world.collections["floatingips"].show(world.ctx, fip["id"])["status"] == "ACTIVE"
    assert f"router:{router['id']}" not in world.agent.pending()


def routed_port(world: World, cidr: str, public_cidr: str) -> tuple[dict, dict, dict]:
    """A router hosted here with a gateway on a new external network and an interface on a
    new network with a bound port: the router, the external network and the port."""
    public = world.make("networks", name=unique("public"), **{"router:external": True})
    world.make("subnets", network_id=public["id"], cidr=public_cidr, ip_version=4)
    net, sub = world.network(cidr)
    router = world.make("routers", name=unique("r"),
                        external_gateway_info={"network_id": public["id"]})
    world.host_router(router["id"])
    RouterInterfaces(world.collections["routers"]).add(world.ctx, router["id"],
                                                       {"subnet_id": sub["id"]})
    return router, public, world.port(net["id"])


def routed_floating_ip(world: World, cidr: str, public_cidr: str
                       ) -> tuple[dict, dict, dict]:
    """``routed_port`` with a floating IP to the port: the router, the floating IP and the
    port."""
    router, public, vm = routed_port(world, cidr, public_cidr)
    fip = world.make("floatingips", floating_network_id=public["id"], port_id=vm["id"])
    return router, fip, vm


def test_an_unscheduled_router_is_unwired_until_it_is_scheduled_again(world: World) -> None:
    router, fip, _ = routed_floating_ip(world, "10.4.0.0/24", "192.0.2.0/24")
    assert world.converge() == []
    agents, rid = world.collections["agents"], router["id"]

    def statuses() -> tuple[str, set[str]]:
        legs = world.db.read(lambda s: {p.status for p in s.scalars(
            sa.select(Port).where(Port.device_id == rid))})
        return world.collections["floatingips"].show(world.ctx, fip["id"])["status"], legs
    assert statuses() == ("ACTIVE", {"ACTIVE"})

    agents.remove_l3_router(world.ctx, world.agent.l3_agent, rid)
    assert f"router:{rid}" in world.agent.pending()
    assert world.converge() == []
    assert rid not in world.driver.routers()
    assert statuses() == ("DOWN", {"DOWN"})
    # the periodic pass does not host it again: an operator took it off
    assert world.db.read(lambda s: reg.l3_agent_id(s, rid)) is None

    # a status shown ACTIVE for a router hosted nowhere is healed by the full pass
    world.db.write(lambda s: world.collections["floatingips"].set_status(s, fip["id"],
                                                                           "ACTIVE"))
    assert f"router:{rid}" in world.agent.drifted()
    assert world.converge() == []
    assert statuses() == ("DOWN", {"DOWN"})

    agents.add_l3_router(world.ctx, world.agent.l3_agent, rid)
    agents.add_l3_router(world.ctx, world.agent.l3_agent, rid)  # where it is: no change
    assert world.converge() == []
    assert world.driver.nat_of(rid) == {fip["floating_ip_address"]: fip["fixed_ip_address"]}
    assert statuses() == ("ACTIVE", {"ACTIVE"})


def test_a_router_hosted_by_another_agent_keeps_its_statuses_here(world: World) -> None:
    router, fip, _ = routed_floating_ip(world, "10.5.0.0/24", "192.0.2.0/24")
    assert world.converge() == []
    other = World(world.db)
    other.host_router(router["id"])
    assert world.converge() == []
    assert router["id"] not in world.driver.routers()
    assert world.collections["floatingips"].show(world.ctx, fip["id"])["status"] == "ACTIVE"
    assert other.converge() == []
    assert router["id"] in other.driver.routers()


def test_an_agent_coming_alive_adopts_unhosted_routers(world: World) -> None:
    world.converge()  # the start's adoption
    router = world.make("routers", name=unique("r"))
    hosted = lambda: world.db.read(lambda s: reg.l3_agent_id(s, router["id"]))  # noqa: E731
    assert world.converge() == [] and hosted() is None  # no gateway, no interface
    world.agent.heartbeat()
    assert world.converge() == [] and hosted() is None  # a beat in time is no revival
    world.agent.start()  # a restart (or a re-registration) adopts it
    world.converge()
    assert hosted() is not None

    world.db.write(lambda s: reg.unbind_router(s, router["id"]))
    world.agent.heartbeat()
    assert world.converge() == [] and hosted() is None
    world.agent._last_beat -= reg.AGENT_DOWN_TIME + 1  # beats stopped longer than that
    world.agent.heartbeat()
    world.converge()
    assert hosted() is not None
