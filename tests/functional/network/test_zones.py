"""``/v2.0/availability_zones``: the default zone before any agent reports one, then the
zones of the DHCP and L3 agents (unavailable once their agents are dead or disabled); a
network's zones are those of its DHCP agents; hints must name a known zone."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from onestack.core.db import utcnow
from onestack.network.models.agents import Agent
from onestack.network.service import agents as agent_service
from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status


def zones(net: NetApi, token: str | None = None, **params) -> list[dict]:
    return assert_status(net.get("/availability_zones", token, params=params),
                         200)["availability_zones"]


def test_zones_follow_the_agents(net: NetApi, member, sql) -> None:
    assert zones(net, member.token) == [
        {"name": "nova", "resource": "network", "state": "available"},
        {"name": "nova", "resource": "router", "state": "available"}]
    assert zones(net, resource="router") == [
        {"name": "nova", "resource": "router", "state": "available"}]
    assert zones(net, fields="name") == [{"name": "nova"}, {"name": "nova"}]
    neutron_fault(net.get("/availability_zones", params={"bogus": 1}), 400)
    neutron_fault(net.post("/availability_zones", json={}), 405)
    neutron_fault(net.post("/networks", json={"network": {
        "availability_zone_hints": ["az-east"]}}), 404, "AvailabilityZoneNotFound")
    unplaced = net.network(availability_zone_hints=["nova"])
    assert unplaced["availability_zone_hints"] == ["nova"]
    assert unplaced["availability_zones"] == []

    def arrange(s):
        agent_service.register(s, "zhost-1", agent_service.DHCP_AGENT, zone="az-east",
                               configurations={})
        agent_service.register(s, "zhost-2", agent_service.L3_AGENT, zone="az-west",
                               configurations={})
    sql.write(arrange)
    assert zones(net) == [
        {"name": "az-east", "resource": "network", "state": "available"},
        {"name": "az-west", "resource": "router", "state": "available"}]
    hinted = net.network(availability_zone_hints=["az-east"])
    neutron_fault(net.post("/networks", json={"network": {
        "availability_zone_hints": ["az-west"]}}), 404, "AvailabilityZoneNotFound")
    sql.write(lambda s: agent_service.schedule_network(s, hinted["id"]))
    shown = assert_status(net.get(f"/networks/{hinted['id']}"), 200)["network"]
    assert shown["availability_zones"] == ["az-east"]

    def kill(s):
        s.execute(sa.update(Agent).where(Agent.host == "zhost-1").values(
            heartbeat_timestamp=utcnow() - timedelta(hours=1)))
        s.execute(sa.update(Agent).where(Agent.host == "zhost-2").values(
            admin_state_up=False))
    sql.write(kill)
    assert {(z["name"], z["state"]) for z in zones(net)} == {
        ("az-east", "unavailable"), ("az-west", "unavailable")}
    assert zones(net, state="available") == []
