"""``/v2.0/network-ip-availabilities``: totals from the pools, used from the ports'
addresses, per network and per subnet; filters; admin only."""
from __future__ import annotations

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.functional.network.test_ports import port, subnet
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def test_network_ip_availability(net: NetApi, member: Member) -> None:
    network = net.network(name=unique("avail"))
    sn = subnet(net, network, "10.37.0.0/28")
    port(net, network)
    port(net, network)
    shown = assert_status(net.get(f"/network-ip-availabilities/{network['id']}"),
                          200)["network_ip_availability"]
    assert shown["network_id"] == network["id"] and shown["network_name"] == network["name"]
    assert shown["total_ips"] == 13 and shown["used_ips"] == 2
    assert shown["subnet_ip_availability"] == [{
        "subnet_id": sn["id"], "subnet_name": sn["name"], "cidr": "10.37.0.0/28",
        "ip_version": 4, "total_ips": 13, "used_ips": 2}]
    listed = assert_status(net.get("/network-ip-availabilities",
                                   params={"network_id": network["id"]}), 200)
    assert listed["network_ip_availabilities"] == [shown]
    assert assert_status(net.get("/network-ip-availabilities", params={
        "network_id": network["id"], "ip_version": 6}), 200)[
        "network_ip_availabilities"] == []
    # as Neutron: a list drops what the caller may not read (an empty list, not a 403)
    assert assert_status(net.get("/network-ip-availabilities", member.token),
                         200)["network_ip_availabilities"] == []
