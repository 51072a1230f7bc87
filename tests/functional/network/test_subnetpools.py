"""Subnet pools through the API: defaults and bounds, allocation of subnets (any prefix
of a length, or a given CIDR), quotas, prefix updates and the prefix actions, the default
pool of a family, visibility and delete rules."""
from __future__ import annotations

from typing import Any

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def pool(net: NetApi, token: str | None = None, status: int = 201,
         **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("name", unique("pool"))
    return net.create("subnetpools", "subnetpool", token, status, **attrs)


def from_pool(net: NetApi, network: dict[str, Any], pool_id: str, **attrs: Any):
    attrs.setdefault("ip_version", 4)
    return net.post("/subnets", json={"subnet": {"network_id": network["id"],
                                                 "subnetpool_id": pool_id, **attrs}})


def test_create_show_update_delete(net: NetApi) -> None:
    made = pool(net, prefixes=["10.100.0.0/24", "10.100.1.0/24", "10.100.0.128/25"])
    assert made["prefixes"] == ["10.100.0.0/23"] and made["ip_version"] == 4
    # as Neutron shows them: strings
    assert (made["min_prefixlen"], made["max_prefixlen"], made["default_prefixlen"]) == \
        ("8", "32", "8")
    assert made["shared"] is False and made["is_default"] is False
    assert made["default_quota"] is None and made["address_scope_id"] is None
    shown = assert_status(net.get(f"/subnetpools/{made['id']}"), 200)["subnetpool"]
    assert shown == made
    path = f"/subnetpools/{made['id']}"
    renamed = assert_status(net.put(path, json={"subnetpool": {"name": "n2"}}),
                            200)["subnetpool"]
    assert renamed["name"] == "n2" and renamed["revision_number"] == 1
    assert_status(net.delete(path), 204)
    neutron_fault(net.get(path), 404, "SubnetPoolNotFound")
    v6 = pool(net, prefixes=["2001:db8:100::/48"])
    assert (v6["ip_version"], v6["min_prefixlen"], v6["max_prefixlen"]) == (6, "64", "128")
    bounded = assert_status(net.put(f"/subnetpools/{v6['id']}", json={"subnetpool": {
        "min_prefixlen": "56", "max_prefixlen": 96}}), 200)["subnetpool"]
    assert (bounded["min_prefixlen"], bounded["max_prefixlen"]) == ("56", "96")
    assert bounded["default_prefixlen"] == "64"
    listed = assert_status(net.get("/subnetpools", params={"min_prefixlen": 56,
                                                           "id": v6["id"]}), 200)
    assert [p["id"] for p in listed["subnetpools"]] == [v6["id"]]


def test_bad_pools(net: NetApi) -> None:
    neutron_fault(net.post("/subnetpools", json={"subnetpool": {
        "prefixes": ["10.101.0.0/16"]}}), 400)  # no name
    neutron_fault(net.post("/subnetpools", json={"subnetpool": {
        "name": "x", "prefixes": ["10.101.0.0/16", "2001:db8::/48"]}}), 400,
        "PrefixVersionMismatch")
    neutron_fault(net.post("/subnetpools", json={"subnetpool": {
        "name": "x", "prefixes": ["10.101.0.0/16"], "min_prefixlen": 24,
        "max_prefixlen": 20}}), 400, "IllegalSubnetPoolPrefixBounds")
    neutron_fault(net.post("/subnetpools", json={"subnetpool": {
        "name": "x", "prefixes": ["10.101.0.0/16"], "max_prefixlen": 33}}), 400,
        "IllegalSubnetPoolPrefixBounds")
    neutron_fault(net.post("/subnetpools", json={"subnetpool": {
        "name": "x", "prefixes": ["10.101.0.0/16"], "min_prefixlen": 16,
        "default_prefixlen": 8}}), 400, "IllegalSubnetPoolPrefixBounds")
    neutron_fault(net.post("/subnetpools", json={"subnetpool": {
        "name": "x", "prefixes": ["nope"]}}), 400)


def test_allocation(net: NetApi) -> None:
    made = pool(net, prefixes=["10.102.0.0/16"], default_prefixlen=24, min_prefixlen=20,
                max_prefixlen=28)
    network = net.network()
    first = assert_status(from_pool(net, network, made["id"]), 201)["subnet"]
    assert first["cidr"] == "10.102.0.0/24" and first["subnetpool_id"] == made["id"]
    assert first["gateway_ip"] == "10.102.0.1"
    second = assert_status(from_pool(net, network, made["id"], prefixlen=26), 201)["subnet"]
    assert second["cidr"] == "10.102.1.0/26"
    third = assert_status(from_pool(net, network, made["id"], prefixlen=26), 201)["subnet"]
    assert third["cidr"] == "10.102.1.64/26"  # best fit: the smallest free block first
    given = assert_status(from_pool(net, net.network(), made["id"], cidr="10.102.9.0/24"),
                          201)["subnet"]
    assert given["cidr"] == "10.102.9.0/24"
    neutron_fault(from_pool(net, net.network(), made["id"], cidr="10.102.9.0/25"), 409,
                  "SubnetAllocationError")
    neutron_fault(from_pool(net, net.network(), made["id"], cidr="10.99.0.0/24"), 409,
                  "SubnetAllocationError")
    neutron_fault(from_pool(net, net.network(), made["id"], prefixlen=30), 400,
                  "MaxPrefixSubnetAllocationError")
    neutron_fault(from_pool(net, net.network(), made["id"], prefixlen=16), 400,
                  "MinPrefixSubnetAllocationError")
    neutron_fault(from_pool(net, net.network(), made["id"], ip_version=6), 400)
    neutron_fault(from_pool(net, net.network(), made["id"], cidr="10.102.20.0/24",
                            prefixlen=24), 400)
    neutron_fault(from_pool(net, net.network(), made["id"], allocation_pools=[
        {"start": "10.102.30.2", "end": "10.102.30.9"}]), 400)
    # a network's subnets of one family come from one pool
    neutron_fault(net.post("/subnets", json={"subnet": {
        "network_id": network["id"], "ip_version": 4, "cidr": "10.200.0.0/24"}}), 400,
        "NetworkSubnetPoolAffinityError")
    neutron_fault(net.delete(f"/subnetpools/{made['id']}"), 400, "SubnetPoolDeleteError")
    small = pool(net, prefixes=["10.103.0.0/24"], default_prefixlen=25)
    for _ in range(2):
        assert_status(from_pool(net, net.network(), small["id"]), 201)
    neutron_fault(from_pool(net, net.network(), small["id"]), 409, "SubnetAllocationError")


def test_quota(net: NetApi) -> None:
    made = pool(net, prefixes=["10.104.0.0/16"], default_prefixlen=24, default_quota=300)
    assert made["default_quota"] == 300
    assert_status(from_pool(net, net.network(), made["id"]), 201)
    neutron_fault(from_pool(net, net.network(), made["id"]), 409, "SubnetPoolQuotaExceeded")
    assert_status(from_pool(net, net.network(), made["id"], prefixlen=27), 201)
    neutron_fault(from_pool(net, net.network(), made["id"], prefixlen=27), 409,
                  "SubnetPoolQuotaExceeded")


def test_prefix_updates_and_actions(net: NetApi) -> None:
    made = pool(net, prefixes=["10.105.0.0/24"])
    path = f"/subnetpools/{made['id']}"
    neutron_fault(net.put(path, json={"subnetpool": {"prefixes": ["10.106.0.0/24"]}}), 400,
                  "IllegalSubnetPoolPrefixUpdate")
    grown = assert_status(net.put(path, json={"subnetpool": {
        "prefixes": ["10.105.0.0/24", "10.105.1.0/24"]}}), 200)["subnetpool"]
    assert grown["prefixes"] == ["10.105.0.0/23"]
    added = assert_status(net.put(f"{path}/add_prefixes", json={
        "prefixes": ["10.107.0.0/24"]}), 200)
    assert added == {"prefixes": ["10.105.0.0/23", "10.107.0.0/24"]}
    network = net.network()
    assert_status(from_pool(net, network, made["id"], cidr="10.107.0.0/25"), 201)
    neutron_fault(net.put(f"{path}/remove_prefixes", json={"prefixes": ["10.107.0.0/24"]}),
                  400, "IllegalSubnetPoolPrefixUpdate")
    removed = assert_status(net.put(f"{path}/remove_prefixes", json={
        "prefixes": ["10.105.1.0/24"]}), 200)
    assert removed == {"prefixes": ["10.105.0.0/24", "10.107.0.0/24"]}
    shown = assert_status(net.get(path), 200)["subnetpool"]
    assert shown["prefixes"] == removed["prefixes"]
    neutron_fault(net.put(f"{path}/add_prefixes", json={"prefixes": ["2001:db8::/64"]}), 400,
                  "PrefixVersionMismatch")


def test_default_pool(net: NetApi, member: Member) -> None:
    neutron_fault(net.post("/subnetpools", member.token, json={"subnetpool": {
        "name": "x", "prefixes": ["10.108.0.0/16"], "is_default": True}}), 403)
    default = pool(net, prefixes=["2001:db8:108::/48"], is_default=True, shared=True)
    neutron_fault(net.post("/subnetpools", json={"subnetpool": {
        "name": "y", "prefixes": ["2001:db8:109::/48"], "is_default": True}}), 400,
        "InvalidInput")
    made = assert_status(net.post("/subnets", member.token, json={"subnet": {
        "network_id": net.network(member.token)["id"], "ip_version": 6,
        "use_default_subnetpool": True}}), 201)["subnet"]
    assert made["subnetpool_id"] == default["id"] and made["cidr"].endswith("/64")
    assert made["cidr"].startswith("2001:db8:108:")
    assert_status(net.delete(f"/subnets/{made['id']}"), 204)
    assert_status(net.delete(f"/subnetpools/{default['id']}"), 204)
    neutron_fault(net.post("/subnets", json={"subnet": {
        "network_id": net.network()["id"], "ip_version": 6,
        "use_default_subnetpool": True}}), 400, "BadRequest")


def test_visibility(net: NetApi, member: Member) -> None:
    private = pool(net, prefixes=["10.110.0.0/16"])
    shared = pool(net, prefixes=["10.111.0.0/16"], shared=True)
    neutron_fault(net.get(f"/subnetpools/{private['id']}", member.token), 404,
                  "SubnetPoolNotFound")
    listed = {p["id"] for p in assert_status(net.get("/subnetpools", member.token),
                                             200)["subnetpools"]}
    assert shared["id"] in listed and private["id"] not in listed
    neutron_fault(net.put(f"/subnetpools/{shared['id']}", member.token,
                          json={"subnetpool": {"name": "x"}}), 403)
    neutron_fault(net.post("/subnetpools", member.token, json={"subnetpool": {
        "name": "x", "prefixes": ["10.112.0.0/16"], "shared": True}}), 403)
    # a member allocates from a shared pool
    mine = net.network(member.token)
    made = assert_status(net.post("/subnets", member.token, json={"subnet": {
        "network_id": mine["id"], "ip_version": 4, "subnetpool_id": shared["id"],
        "prefixlen": 24}}), 201)["subnet"]
    assert made["cidr"] == "10.111.0.0/24"
    neutron_fault(net.post("/subnets", member.token, json={"subnet": {
        "network_id": mine["id"], "ip_version": 4, "subnetpool_id": private["id"],
        "prefixlen": 24}}), 404, "SubnetPoolNotFound")


def test_onboard_network_subnets(net: NetApi, member: Member) -> None:
    made = pool(net, prefixes=["10.130.0.0/24"])
    network = net.network()
    one = net.create("subnets", "subnet", network_id=network["id"], ip_version=4,
                     cidr="10.131.0.0/24")
    net.create("subnets", "subnet", network_id=network["id"], ip_version=6,
               cidr="2001:db8:131::/64")
    path = f"/subnetpools/{made['id']}/onboard_network_subnets"
    neutron_fault(net.put(path, json={}), 400, "InvalidInput")
    onboarded = assert_status(net.put(path, json={"network_id": network["id"]}), 200)
    assert onboarded == [{"id": one["id"], "cidr": "10.131.0.0/24"}]
    shown = assert_status(net.get(f"/subnetpools/{made['id']}"), 200)["subnetpool"]
    assert shown["prefixes"] == ["10.130.0.0/24", "10.131.0.0/24"]
    assert assert_status(net.get(f"/subnets/{one['id']}"), 200)["subnet"][
        "subnetpool_id"] == made["id"]
    neutron_fault(net.put(path, json={"network_id": network["id"]}), 400,
                  "IllegalSubnetPoolUpdate")
    shared = net.network(shared=True)
    mine = pool(net, member.token, prefixes=["10.132.0.0/24"])
    neutron_fault(net.put(f"/subnetpools/{mine['id']}/onboard_network_subnets",
                          member.token, json={"network_id": shared["id"]}), 403)
