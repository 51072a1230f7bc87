"""Addresses and MACs through the ports API: allocation from the pools (IPv4, stateful
IPv6, SLAAC EUI-64), chosen addresses and their faults, exhaustion, fixed IP updates,
addresses freed by deletes and failed requests, MACs unique per network. The concurrent
version is test_ipam_race.py."""
from __future__ import annotations

import ipaddress

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.functional.network.test_ports import ips, port, subnet
from tests.support.api import assert_status
from tests.support.identity import Member


def test_create_allocates_from_the_pool_and_delete_frees(net: NetApi) -> None:
    network = net.network()
    sn = subnet(net, network, "10.20.0.0/29",
                allocation_pools=[{"start": "10.20.0.2", "end": "10.20.0.3"}])
    first = port(net, network, name="p1")
    assert first["status"] == "DOWN" and first["admin_state_up"] is True
    assert first["mac_address"].startswith("fa:16:3e:")
    assert first["fixed_ips"][0]["subnet_id"] == sn["id"]
    assert ips(first)[0] in ("10.20.0.2", "10.20.0.3")
    assert first["device_owner"] == "" and first["device_id"] == ""
    assert first["revision_number"] == 0 and first["project_id"] == first["tenant_id"]
    assert first["binding:vnic_type"] == "normal" and first["binding:vif_type"] == "unbound"
    assert first["ip_allocation"] == "immediate"
    second = port(net, network)
    assert {ips(first)[0], ips(second)[0]} == {"10.20.0.2", "10.20.0.3"}
    full = neutron_fault(net.post("/ports", json={"port": {"network_id": network["id"]}}),
                         409, "IpAddressGenerationFailure")
    assert network["id"] in full["message"]
    assert_status(net.delete(f"/ports/{first['id']}"), 204)
    neutron_fault(net.get(f"/ports/{first['id']}"), 404, "PortNotFound")
    third = port(net, network)
    assert ips(third) == ips(first)  # the freed address is handed out again


def test_chosen_addresses_and_their_faults(net: NetApi) -> None:
    network = net.network()
    sn = subnet(net, network, "10.21.0.0/24")
    chosen = port(net, network, fixed_ips=[{"subnet_id": sn["id"], "ip_address": "10.21.0.77"}])
    assert ips(chosen) == ["10.21.0.77"]
    # an address alone finds its subnet; outside the pool but inside the CIDR is allowed
    by_ip = port(net, network, fixed_ips=[{"ip_address": "10.21.0.1"}])
    assert by_ip["fixed_ips"] == [{"subnet_id": sn["id"], "ip_address": "10.21.0.1"}]
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"],
        "fixed_ips": [{"subnet_id": sn["id"], "ip_address": "10.21.0.77"}]}}),
        409, "IpAddressAlreadyAllocated")
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"],
        "fixed_ips": [{"subnet_id": sn["id"], "ip_address": "10.99.0.5"}]}}),
        400, "InvalidIpForSubnet")
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"],
        "fixed_ips": [{"subnet_id": sn["id"], "ip_address": "10.21.0.255"}]}}),
        400, "InvalidIpForSubnet")
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "fixed_ips": [{"ip_address": "10.99.0.5"}]}}),
        400, "InvalidIpForNetwork")
    other = subnet(net, net.network(), "10.22.0.0/24")
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "fixed_ips": [{"subnet_id": other["id"]}]}}),
        400, "InvalidInput")
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "fixed_ips": [{"ip_address": "nonsense"}]}}), 400)
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "fixed_ips": [{"subnet_id": sn["id"]}] * 6}}),
        400, "InvalidInput")
    # a failed create holds nothing: the address is still free
    again = port(net, network, fixed_ips=[{"ip_address": "10.21.0.5"}])
    assert ips(again) == ["10.21.0.5"]


def test_update_fixed_ips_keeps_adds_and_frees(net: NetApi) -> None:
    network = net.network()
    s1 = subnet(net, network, "10.23.0.0/24")
    s2 = subnet(net, network, "10.24.0.0/24")
    p = port(net, network, fixed_ips=[{"subnet_id": s1["id"]}, {"subnet_id": s2["id"]}])
    assert sorted(f["subnet_id"] for f in p["fixed_ips"]) == sorted([s1["id"], s2["id"]])
    kept = next(f for f in p["fixed_ips"] if f["subnet_id"] == s1["id"])
    freed = next(f for f in p["fixed_ips"] if f["subnet_id"] == s2["id"])
    one = assert_status(net.put(f"/ports/{p['id']}", json={"port": {
        "fixed_ips": [{"subnet_id": s1["id"]}]}}), 200)["port"]
    assert one["fixed_ips"] == [kept] and one["revision_number"] == 1
    # the freed address can be taken by another port at once
    other = port(net, network, fixed_ips=[freed])
    assert other["fixed_ips"] == [freed]
    both = assert_status(net.put(f"/ports/{p['id']}", json={"port": {
        "fixed_ips": [{"subnet_id": s1["id"]},
                      {"subnet_id": s2["id"], "ip_address": "10.24.0.200"}]}}), 200)["port"]
    assert sorted(ips(both)) == sorted([kept["ip_address"], "10.24.0.200"])
    neutron_fault(net.put(f"/ports/{p['id']}", json={"port": {
        "fixed_ips": [{"ip_address": freed["ip_address"]}]}}), 409,
        "IpAddressAlreadyAllocated")
    # the failed update changed nothing
    shown = assert_status(net.get(f"/ports/{p['id']}"), 200)["port"]
    assert sorted(ips(shown)) == sorted(ips(both))
    none = assert_status(net.put(f"/ports/{p['id']}", json={"port": {"fixed_ips": []}}),
                         200)["port"]
    assert none["fixed_ips"] == []


def test_mac_addresses_are_unique_per_network(net: NetApi) -> None:
    network = net.network()
    p = port(net, network, mac_address="FA:16:3E:00:00:01")
    assert p["mac_address"] == "fa:16:3e:00:00:01"
    fault = neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "mac_address": "fa:16:3e:00:00:01"}}), 409,
        "MacAddressInUse")
    assert "fa:16:3e:00:00:01" in fault["message"]
    # the same MAC on another network is fine
    assert port(net, net.network(), mac_address="fa:16:3e:00:00:01")
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "mac_address": "zz:16:3e:00:00:01"}}), 400)
    q = port(net, network)
    neutron_fault(net.put(f"/ports/{q['id']}", json={"port": {
        "mac_address": "fa:16:3e:00:00:01"}}), 409, "MacAddressInUse")
    moved = assert_status(net.put(f"/ports/{q['id']}", json={"port": {
        "mac_address": "fa:16:3e:00:00:02"}}), 200)["port"]
    assert moved["mac_address"] == "fa:16:3e:00:00:02"


def test_slaac_subnet_gives_eui64_addresses(net: NetApi) -> None:
    network = net.network()
    subnet(net, network, "10.25.0.0/24")
    v6 = subnet(net, network, "2001:db8:25::/64", ipv6_ra_mode="slaac",
                ipv6_address_mode="slaac")
    p = port(net, network, mac_address="fa:16:3e:12:34:56")
    assert len(p["fixed_ips"]) == 2
    assert {"subnet_id": v6["id"], "ip_address": "2001:db8:25:0:f816:3eff:fe12:3456"} \
        in p["fixed_ips"]
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"],
        "fixed_ips": [{"subnet_id": v6["id"], "ip_address": "2001:db8:25::5"}]}}),
        400, "InvalidInput")
    # a port that names only the IPv4 subnet still gets its SLAAC address
    q = port(net, network, fixed_ips=[{"ip_address": "10.25.0.100"}])
    assert len(q["fixed_ips"]) == 2
    # a SLAAC address does not make the subnet "in use": its delete takes it along
    assert_status(net.delete(f"/subnets/{v6['id']}"), 204)
    shown = assert_status(net.get(f"/ports/{p['id']}"), 200)["port"]
    assert [f["subnet_id"] for f in shown["fixed_ips"]] != [v6["id"]]
    assert len(shown["fixed_ips"]) == 1


def test_stateful_ipv6_allocates_from_the_pool(net: NetApi) -> None:
    network = net.network()
    sn = subnet(net, network, "2001:db8:26::/64", ipv6_ra_mode="dhcpv6-stateful",
                ipv6_address_mode="dhcpv6-stateful")
    p = port(net, network)
    assert p["fixed_ips"][0]["subnet_id"] == sn["id"]
    assert ips(p)[0] in {f"2001:db8:26::{i}" for i in range(2, 10)}
    chosen = port(net, network, fixed_ips=[{"subnet_id": sn["id"],
                                            "ip_address": "2001:db8:26:0::0099"}])
    assert ips(chosen) == ["2001:db8:26::99"]
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "fixed_ips": [{"ip_address": "2001:db8:26::99"}]}}),
        409, "IpAddressAlreadyAllocated")


def test_bulk_create_is_all_or_nothing(net: NetApi) -> None:
    network = net.network()
    subnet(net, network, "10.28.0.0/24")
    made = assert_status(net.post("/ports", json={"ports": [
        {"network_id": network["id"]}, {"network_id": network["id"]}]}), 201)["ports"]
    assert len(made) == 2 and ips(made[0]) != ips(made[1])
    neutron_fault(net.post("/ports", json={"ports": [
        {"network_id": network["id"], "fixed_ips": [{"ip_address": "10.28.0.50"}]},
        {"network_id": network["id"], "fixed_ips": [{"ip_address": "10.28.0.50"}]}]}),
        409, "IpAddressAlreadyAllocated")
    listed = assert_status(net.get("/ports", params={"fixed_ips": "ip_address=10.28.0.50"}),
                           200)["ports"]
    assert listed == []


def test_mac_regenerate_moves_slaac_addresses(net: NetApi, member: Member) -> None:
    network = net.network(member.token)
    v6 = subnet(net, network, "2001:db8:38::/64", member.token, ipv6_ra_mode="slaac",
                ipv6_address_mode="slaac")
    p = port(net, network, member.token, mac_address="fa:16:3e:00:38:01")
    assert ips(p) == ["2001:db8:38:0:f816:3eff:fe00:3801"]
    neutron_fault(net.put(f"/ports/{p['id']}", member.token,
                          json={"port": {"mac_address": None}}), 403)
    fresh = assert_status(net.put(f"/ports/{p['id']}", json={"port": {"mac_address": None}}),
                          200)["port"]
    mac = fresh["mac_address"]
    assert mac != "fa:16:3e:00:38:01" and mac.startswith("fa:16:3e:")
    b = [int(x, 16) for x in mac.split(":")]
    iid = bytes([b[0] ^ 2, b[1], b[2], 0xff, 0xfe, b[3], b[4], b[5]])
    eui = ipaddress.ip_address(int(ipaddress.ip_address("2001:db8:38::"))
                               | int.from_bytes(iid, "big"))
    assert fresh["fixed_ips"] == [{"subnet_id": v6["id"], "ip_address": str(eui)}]
    bound = assert_status(net.put(f"/ports/{p['id']}", json={"port": {
        "binding:host_id": "h1"}}), 200)["port"]
    neutron_fault(net.put(f"/ports/{bound['id']}", json={"port": {"mac_address": None}}),
                  409, "PortBound")
