"""Address scopes through the API: CRUD, visibility, pools joining a scope (family and
ownership rules, unique prefixes within a scope) and the scope a network shows through
its subnets' pools."""
from __future__ import annotations

from typing import Any

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def scope(net: NetApi, token: str | None = None, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("name", unique("scope"))
    attrs.setdefault("ip_version", 4)
    return net.create("address-scopes", "address_scope", token, **attrs)


def test_crud(net: NetApi) -> None:
    made = scope(net)
    assert made["ip_version"] == 4 and made["shared"] is False
    assert made["project_id"] == made["tenant_id"]
    path = f"/address-scopes/{made['id']}"
    assert assert_status(net.get(path), 200)["address_scope"] == made
    changed = assert_status(net.put(path, json={"address_scope": {"name": "n", "shared": True}}),
                            200)["address_scope"]
    assert changed["name"] == "n" and changed["shared"] is True
    neutron_fault(net.put(path, json={"address_scope": {"shared": False}}), 400,
                  "AddressScopeUpdateError")
    neutron_fault(net.put(path, json={"address_scope": {"ip_version": 6}}), 400)
    assert_status(net.delete(path), 204)
    neutron_fault(net.get(path), 404, "AddressScopeNotFound")
    neutron_fault(net.post("/address-scopes", json={"address_scope": {"name": "x"}}), 400)
    neutron_fault(net.post("/address-scopes", json={"address_scope": {
        "name": "x", "ip_version": 5}}), 400)


def test_visibility(net: NetApi, member: Member) -> None:
    private, shared = scope(net), scope(net, shared=True)
    neutron_fault(net.get(f"/address-scopes/{private['id']}", member.token), 404,
                  "AddressScopeNotFound")
    listed = {a["id"] for a in assert_status(net.get("/address-scopes", member.token),
                                             200)["address_scopes"]}
    assert shared["id"] in listed and private["id"] not in listed
    neutron_fault(net.post("/address-scopes", member.token, json={"address_scope": {
        "name": "x", "ip_version": 4, "shared": True}}), 403)
    mine = scope(net, member.token)
    assert mine["project_id"] == member.project["id"]
    # a member's pool may not join another project's private scope
    neutron_fault(net.post("/subnetpools", member.token, json={"subnetpool": {
        "name": "p", "prefixes": ["10.120.0.0/16"], "address_scope_id": private["id"]}}), 404,
        "AddressScopeNotFound")


def test_pools_in_a_scope_and_networks(net: NetApi) -> None:
    four, six = scope(net), scope(net, ip_version=6)
    pool = net.create("subnetpools", "subnetpool", name=unique("p"),
                      prefixes=["10.121.0.0/16"], address_scope_id=four["id"],
                      default_prefixlen=24)
    assert pool["address_scope_id"] == four["id"]
    neutron_fault(net.post("/subnetpools", json={"subnetpool": {
        "name": "p", "prefixes": ["10.121.5.0/24"], "address_scope_id": four["id"]}}), 409,
        "AddressScopePrefixConflict")
    neutron_fault(net.post("/subnetpools", json={"subnetpool": {
        "name": "p", "prefixes": ["10.122.0.0/16"], "address_scope_id": six["id"]}}), 400,
        "IllegalSubnetPoolIpVersionAssociationToAddressScope")
    network = net.network()
    assert network["ipv4_address_scope"] is None
    assert_status(net.post("/subnets", json={"subnet": {
        "network_id": network["id"], "ip_version": 4, "subnetpool_id": pool["id"]}}), 201)
    shown = assert_status(net.get(f"/networks/{network['id']}"), 200)["network"]
    assert shown["ipv4_address_scope"] == four["id"] and shown["ipv6_address_scope"] is None
    neutron_fault(net.delete(f"/address-scopes/{four['id']}"), 409, "AddressScopeInUse")
    # leaving the scope
    left = assert_status(net.put(f"/subnetpools/{pool['id']}", json={"subnetpool": {
        "address_scope_id": None}}), 200)["subnetpool"]
    assert left["address_scope_id"] is None
    assert_status(net.delete(f"/address-scopes/{four['id']}"), 204)


def test_network_address_scope_affinity(net: NetApi) -> None:
    four = scope(net)
    in_scope = [net.create("subnetpools", "subnetpool", name=unique("p"), prefixes=[p],
                           address_scope_id=four["id"], default_prefixlen=24)
                for p in ("10.123.0.0/16", "10.124.0.0/16")]
    outside = net.create("subnetpools", "subnetpool", name=unique("p"),
                         prefixes=["10.125.0.0/16"], default_prefixlen=24)
    network = net.network()

    def from_pool(pool: dict[str, Any]):
        return net.post("/subnets", json={"subnet": {
            "network_id": network["id"], "ip_version": 4, "subnetpool_id": pool["id"]}})
    assert_status(from_pool(in_scope[0]), 201)
    # another pool of the same scope may serve the network; one outside it may not
    assert_status(from_pool(in_scope[1]), 201)
    neutron_fault(from_pool(outside), 400, "NetworkAddressScopeAffinityError")
    neutron_fault(net.post("/subnets", json={"subnet": {
        "network_id": network["id"], "ip_version": 4, "cidr": "10.200.1.0/24"}}), 400,
        "NetworkSubnetPoolAffinityError")


def test_pool_in_a_shared_scope_of_another_project(net: NetApi, member: Member) -> None:
    shared = scope(net, shared=True)
    joined = net.create("subnetpools", "subnetpool", member.token, name=unique("p"),
                        prefixes=["10.126.0.0/16"], address_scope_id=shared["id"])
    assert joined["address_scope_id"] == shared["id"]
    neutron_fault(net.put(f"/subnetpools/{joined['id']}", member.token, json={
        "subnetpool": {"name": "x"}}), 400, "IllegalSubnetPoolUpdate")


def test_rescoping_a_pool_that_shares_a_network(net: NetApi) -> None:
    four = scope(net)
    a, b = (net.create("subnetpools", "subnetpool", name=unique("p"), prefixes=[p],
                       default_prefixlen=24, address_scope_id=four["id"])
            for p in ("10.127.0.0/16", "10.128.0.0/16"))
    network = net.network()
    for pool in (a, b):
        assert_status(net.post("/subnets", json={"subnet": {
            "network_id": network["id"], "ip_version": 4, "subnetpool_id": pool["id"]}}),
            201)
    # leaving the scope would put the network's IPv4 subnets in two scopes
    neutron_fault(net.put(f"/subnetpools/{a['id']}", json={"subnetpool": {
        "address_scope_id": None}}), 400, "NetworkAddressScopeAffinityError")
    alone = net.create("subnetpools", "subnetpool", name=unique("p"),
                       prefixes=["10.129.0.0/16"], default_prefixlen=24)
    assert_status(net.post("/subnets", json={"subnet": {
        "network_id": net.network()["id"], "ip_version": 4,
        "subnetpool_id": alone["id"]}}), 201)
    moved = assert_status(net.put(f"/subnetpools/{alone['id']}", json={"subnetpool": {
        "address_scope_id": four["id"]}}), 200)["subnetpool"]
    assert moved["address_scope_id"] == four["id"]
