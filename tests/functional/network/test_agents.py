"""/v2.0/agents and the DHCP scheduler routes: agents registered as a host's network agent
registers them (``service.agents.register``), alive from their heartbeat, admin only."""
from __future__ import annotations

from datetime import timedelta

from onestack.core.db import Database, utcnow
from onestack.network.service import agents as svc
from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def register_host(sql: Database, host: str, *, age: float = 0.0) -> dict[str, str]:
    """The three agent rows of a host; ``age``: seconds since its last heartbeat."""
    when = utcnow() - timedelta(seconds=age)
    return sql.write(lambda s: {kind[0]: svc.register(s, host, kind, zone="nova",
                                                      configurations={"devices": 0},
                                                      now=when)
                                for kind in svc.HOST_AGENTS})


def test_list_show_update_delete(net: NetApi, sql: Database) -> None:
    host = unique("host")
    ids = register_host(sql, host)
    listed = assert_status(net.get("/agents", params={"host": host}), 200)["agents"]
    assert sorted(a["agent_type"] for a in listed) == ["DHCP agent", "L3 agent",
                                                       "Linux bridge agent"]
    dhcp = assert_status(net.get(f"/agents/{ids['DHCP agent']}"), 200)["agent"]
    assert dhcp["binary"] == "neutron-dhcp-agent" and dhcp["topic"] == "dhcp_agent"
    assert dhcp["alive"] is True and dhcp["admin_state_up"] is True
    assert dhcp["host"] == host and dhcp["configurations"] == {"devices": 0}
    assert len(dhcp["heartbeat_timestamp"]) == 19 and " " in dhcp["heartbeat_timestamp"]
    changed = assert_status(net.put(f"/agents/{dhcp['id']}", json={"agent": {
        "admin_state_up": False, "description": "maintenance"}}), 200)["agent"]
    assert changed["admin_state_up"] is False and changed["description"] == "maintenance"
    neutron_fault(net.put(f"/agents/{dhcp['id']}", json={"agent": {"host": "x"}}), 400)
    assert_status(net.delete(f"/agents/{dhcp['id']}"), 204)
    neutron_fault(net.get(f"/agents/{dhcp['id']}"), 404, "AgentNotFound")


def test_alive_follows_the_heartbeat(net: NetApi, sql: Database) -> None:
    host = unique("host")
    ids = register_host(sql, host, age=svc.AGENT_DOWN_TIME + 5)
    agent = assert_status(net.get(f"/agents/{ids['L3 agent']}"), 200)["agent"]
    assert agent["alive"] is False
    dead = assert_status(net.get("/agents", params={"host": host, "alive": "false"}),
                         200)["agents"]
    assert len(dead) == 3
    assert sql.write(lambda s: svc.heartbeat(s, host)) == 3
    agent = assert_status(net.get(f"/agents/{ids['L3 agent']}"), 200)["agent"]
    assert agent["alive"] is True
    assert assert_status(net.get("/agents", params={"host": host, "alive": "false"}),
                         200)["agents"] == []


def test_registering_again_keeps_the_row(net: NetApi, sql: Database) -> None:
    host = unique("host")
    first = register_host(sql, host)
    assert register_host(sql, host) == first
    assert len(assert_status(net.get("/agents", params={"host": host}), 200)["agents"]) == 3


def test_agent_type_filter_ignores_case(net: NetApi, sql: Database) -> None:
    host = unique("host")
    ids = register_host(sql, host)
    found = assert_status(net.get("/agents", params={"host": host,
                                                     "agent_type": "DHCP Agent"}),
                          200)["agents"]
    assert [a["id"] for a in found] == [ids["DHCP agent"]]


def test_only_admins_see_agents(net: NetApi, sql: Database, member: Member) -> None:
    ids = register_host(sql, unique("host"))
    assert assert_status(net.get("/agents", member.token), 200)["agents"] == []
    neutron_fault(net.get(f"/agents/{ids['L3 agent']}", member.token), 404, "AgentNotFound")
    neutron_fault(net.put(f"/agents/{ids['L3 agent']}", member.token,
                          json={"agent": {"admin_state_up": False}}), 404)
    neutron_fault(net.delete(f"/agents/{ids['L3 agent']}", member.token), 404)
    neutron_fault(net.get(f"/agents/{ids['DHCP agent']}/dhcp-networks", member.token), 403)


def test_dhcp_networks_add_list_remove(net: NetApi, sql: Database) -> None:
    ids = register_host(sql, unique("host"))
    agent = ids["DHCP agent"]
    network = net.network()
    path = f"/agents/{agent}/dhcp-networks"
    assert assert_status(net.get(path), 200)["networks"] == []
    assert net.post(path, json={"network_id": network["id"]}).status_code == 201
    hosted = assert_status(net.get(path), 200)["networks"]
    assert [n["id"] for n in hosted] == [network["id"]] and hosted[0]["name"]
    on_net = assert_status(net.get(f"/networks/{network['id']}/dhcp-agents"), 200)["agents"]
    assert [a["id"] for a in on_net] == [agent]
    neutron_fault(net.post(path, json={"network_id": network["id"]}), 409,
                  "NetworkHostedByDHCPAgent")
    assert_status(net.delete(f"{path}/{network['id']}"), 204)
    assert assert_status(net.get(path), 200)["networks"] == []
    neutron_fault(net.delete(f"{path}/{network['id']}"), 409, "NetworkNotHostedByDhcpAgent")
    neutron_fault(net.post(path, json={"network_id": unique("nope")}), 404, "NetworkNotFound")
    neutron_fault(net.get(f"/agents/{ids['L3 agent']}/dhcp-networks"), 404,
                  "InvalidDHCPAgent")
    neutron_fault(net.get(f"/networks/{unique('nope')}/dhcp-agents"), 404, "NetworkNotFound")


def test_scheduling_picks_a_live_enabled_agent(sql: Database, net: NetApi) -> None:
    network = net.network()
    live = register_host(sql, unique("host"))
    dead = register_host(sql, unique("host"), age=svc.AGENT_DOWN_TIME + 5)
    # only the two hosts above take part: every other agent of this database is disabled
    sql.write(lambda s: s.execute(svc.sa.update(svc.Agent).where(
        svc.Agent.id.not_in([live["DHCP agent"], dead["DHCP agent"]])).values(
        admin_state_up=False)))
    chosen = sql.write(lambda s: svc.schedule_network(s, network["id"]))
    assert chosen == [live["DHCP agent"]]
    assert sql.write(lambda s: svc.schedule_network(s, network["id"])) == chosen


def test_l3_routers_add_list_remove(net: NetApi, sql: Database) -> None:
    ids = register_host(sql, unique("host"))
    agent = ids["L3 agent"]
    router = assert_status(net.post("/routers", json={"router": {"name": unique("r")}}),
                           201)["router"]
    path = f"/agents/{agent}/l3-routers"
    assert net.post(path, json={"router_id": router["id"]}).status_code == 201
    hosted = assert_status(net.get(path), 200)["routers"]
    assert [r["id"] for r in hosted] == [router["id"]]
    on_router = assert_status(net.get(f"/routers/{router['id']}/l3-agents"), 200)["agents"]
    assert [a["id"] for a in on_router] == [agent]
    other = register_host(sql, unique("host"))["L3 agent"]
    neutron_fault(net.post(f"/agents/{other}/l3-routers", json={"router_id": router["id"]}),
                  409, "RouterHostedByL3Agent")
    # adding it where it already is changes nothing (Neutron answers as for a new binding)
    assert net.post(path, json={"router_id": router["id"]}).status_code == 201
    assert [r["id"] for r in assert_status(net.get(path), 200)["routers"]] == [router["id"]]
    assert_status(net.delete(f"{path}/{router['id']}"), 204)
    assert assert_status(net.get(path), 200)["routers"] == []
    neutron_fault(net.delete(f"{path}/{router['id']}"), 409, "RouterNotHostedByL3Agent")
    neutron_fault(net.get(f"/agents/{ids['DHCP agent']}/l3-routers"), 404, "InvalidL3Agent")


def test_a_network_with_dhcp_is_scheduled_when_asked_about(net: NetApi, sql: Database) -> None:
    ids = register_host(sql, unique("host"))
    network = net.network()
    assert assert_status(net.get(f"/networks/{network['id']}/dhcp-agents"),
                         200)["agents"] == []
    assert_status(net.post("/subnets", json={"subnet": {
        "network_id": network["id"], "cidr": "10.9.1.0/24", "ip_version": 4,
        "enable_dhcp": False}}), 201)
    assert assert_status(net.get(f"/networks/{network['id']}/dhcp-agents"),
                         200)["agents"] == []
    assert_status(net.post("/subnets", json={"subnet": {
        "network_id": network["id"], "cidr": "10.9.0.0/24", "ip_version": 4}}), 201)
    hosting = assert_status(net.get(f"/networks/{network['id']}/dhcp-agents"),
                            200)["agents"]
    assert len(hosting) == 1 and hosting[0]["agent_type"] == "DHCP agent"
    assert hosting[0]["alive"] is True
    served = assert_status(net.get(f"/agents/{hosting[0]['id']}/dhcp-networks"),
                           200)["networks"]
    assert network["id"] in [n["id"] for n in served]
    assert ids  # the host registered above is one of the live candidates


def test_if_match_does_not_apply_to_agents(net: NetApi, sql: Database) -> None:
    ids = register_host(sql, unique("host"))
    changed = assert_status(net.put(f"/agents/{ids['L3 agent']}",
                                    headers={"If-Match": "revision_number=3"},
                                    json={"agent": {"description": "x"}}), 200)["agent"]
    assert changed["description"] == "x" and "revision_number" not in changed


def only_these_agents(sql: Database, *ids: str) -> None:
    """Disable every other agent of the module's database (those of earlier tests), so
    that scheduling can only pick among ``ids``."""
    sql.write(lambda s: s.execute(svc.sa.update(svc.Agent).where(
        svc.Agent.id.not_in(ids)).values(admin_state_up=False)))


def hosts_of(net: NetApi, router_id: str) -> list[str]:
    return [a["id"] for a in
            assert_status(net.get(f"/routers/{router_id}/l3-agents"), 200)["agents"]]


def external_network(net: NetApi, cidr: str) -> dict:
    public = net.network(**{"router:external": True})
    assert_status(net.post("/subnets", json={"subnet": {
        "network_id": public["id"], "cidr": cidr, "ip_version": 4, "enable_dhcp": False}}),
        201)
    return public


def test_a_router_is_scheduled_once_it_has_somewhere_to_route(net: NetApi,
                                                             sql: Database) -> None:
    live = register_host(sql, unique("host"))["L3 agent"]
    dead = register_host(sql, unique("host"), age=svc.AGENT_DOWN_TIME + 5)["L3 agent"]
    only_these_agents(sql, live, dead)
    public = external_network(net, "192.0.2.0/24")
    private = net.network()
    subnet = assert_status(net.post("/subnets", json={"subnet": {
        "network_id": private["id"], "cidr": "10.8.0.0/24", "ip_version": 4}}),
        201)["subnet"]

    bare = net.create("routers", "router", name=unique("r"))
    assert hosts_of(net, bare["id"]) == []
    assert_status(net.put(f"/routers/{bare['id']}", json={"router": {"name": "x"}}), 200)
    assert hosts_of(net, bare["id"]) == []  # nothing to route: nothing to host
    assert_status(net.put(f"/routers/{bare['id']}/add_router_interface",
                          json={"subnet_id": subnet["id"]}), 200)
    assert hosts_of(net, bare["id"]) == [live]

    gateway = {"network_id": public["id"]}
    routed = net.create("routers", "router", name=unique("r"), external_gateway_info=gateway)
    assert hosts_of(net, routed["id"]) == [live]
    agent = assert_status(net.get(f"/routers/{routed['id']}/l3-agents"), 200)["agents"][0]
    assert agent["alive"] is True and agent["agent_type"] == "L3 agent"

    # no live agent (the live one disabled, the other dead): the router waits unhosted,
    # and its next change hosts it once an agent is there
    assert_status(net.put(f"/agents/{live}", json={"agent": {"admin_state_up": False}}), 200)
    waiting = net.create("routers", "router", name=unique("r"), external_gateway_info=gateway)
    assert hosts_of(net, waiting["id"]) == []
    assert_status(net.put(f"/agents/{live}", json={"agent": {"admin_state_up": True}}), 200)
    assert hosts_of(net, waiting["id"]) == []
    assert_status(net.put(f"/routers/{waiting['id']}", json={"router": {"name": "y"}}), 200)
    assert hosts_of(net, waiting["id"]) == [live]


def test_an_unscheduled_router_stays_unhosted_until_an_operator_adds_it(
        net: NetApi, sql: Database) -> None:
    ids = register_host(sql, unique("host"))
    other = register_host(sql, unique("host"))["L3 agent"]
    live = ids["L3 agent"]
    only_these_agents(sql, live)
    public = external_network(net, "192.0.2.0/24")
    router = net.create("routers", "router", name=unique("r"),
                        external_gateway_info={"network_id": public["id"]})
    assert hosts_of(net, router["id"]) == [live]
    assert_status(net.delete(f"/agents/{live}/l3-routers/{router['id']}"), 204)
    assert hosts_of(net, router["id"]) == []
    assert hosts_of(net, router["id"]) == []  # looking does not schedule it
    assert router["id"] not in [r["id"] for r in assert_status(
        net.get(f"/agents/{live}/l3-routers"), 200)["routers"]]

    neutron_fault(net.post(f"/agents/{other}/l3-routers", json={"router_id": router["id"]}),
                  404, "InvalidL3Agent")  # disabled: it takes no new routers
    assert_status(net.put(f"/agents/{other}", json={"agent": {"admin_state_up": True}}), 200)
    assert net.post(f"/agents/{other}/l3-routers",
                    json={"router_id": router["id"]}).status_code == 201
    assert hosts_of(net, router["id"]) == [other]
    neutron_fault(net.post(f"/agents/{live}/l3-routers", json={"router_id": router["id"]}),
                  409, "RouterHostedByL3Agent")

    assert_status(net.put(f"/routers/{router['id']}", json={"router": {
        "external_gateway_info": {}}}), 200)
    assert_status(net.delete(f"/routers/{router['id']}"), 204)
    left = sql.read(lambda s: s.scalar(svc.sa.select(svc.sa.func.count()).select_from(
        svc.L3Binding).where(svc.L3Binding.router_id == router["id"])))
    assert left == 0  # deleting the router drops its binding with it
