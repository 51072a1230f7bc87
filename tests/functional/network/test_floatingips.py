"""Floating IPs through the API: allocation on an external network only, association
with a port whose subnet a router joins to that network (404 otherwise), one floating IP
per fixed IP, a port with several addresses needs fixed_ip_address, disassociation,
deleting the port forgets the association, port details, visibility."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from onestack.core.db import Database
from onestack.network.models.floatingips import FloatingIP
from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import Api, assert_status
from tests.support.identity import Member


def subnet(net: NetApi, network_id: str, cidr: str, token: str | None = None,
           **attrs: Any) -> dict[str, Any]:
    return net.create("subnets", "subnet", token, network_id=network_id, cidr=cidr,
                      ip_version=6 if ":" in cidr else 4, **attrs)


def fip(net: NetApi, token: str | None = None, status: int = 201, **attrs: Any) -> dict:
    return net.create("floatingips", "floatingip", token, status=status, **attrs)


@pytest.fixture(scope="module")
def topo(net: NetApi) -> dict[str, Any]:
    """An external network with one subnet."""
    ext = net.network(**{"router:external": True})
    ext_sub = subnet(net, ext["id"], "192.0.2.0/24", enable_dhcp=False)
    return {"ext": ext, "ext_subnet": ext_sub}


@pytest.fixture
def joined(net: NetApi, topo: dict, member: Member) -> dict[str, Any]:
    tok = member.token
    inner = net.network(tok)
    sub = subnet(net, inner["id"], "10.80.0.0/24", tok)
    router = net.create("routers", "router", tok,
                        external_gateway_info={"network_id": topo["ext"]["id"]})
    assert_status(net.put(f"/routers/{router['id']}/add_router_interface", tok,
                          json={"subnet_id": sub["id"]}), 200)
    ports = [net.create("ports", "port", tok, network_id=inner["id"]) for _ in range(2)]
    return {"tok": tok, "net": inner, "subnet": sub, "router": router, "ports": ports}


def test_allocate_associate_move_disassociate(net: NetApi, topo: dict, joined: dict,
                                              db_url: str) -> None:
    tok, ext = joined["tok"], topo["ext"]
    p0, p1 = joined["ports"]
    made = fip(net, tok, floating_network_id=ext["id"], port_id=p0["id"])
    assert made["floating_network_id"] == ext["id"] and made["status"] == "DOWN"
    assert made["port_id"] == p0["id"]
    assert made["fixed_ip_address"] == p0["fixed_ips"][0]["ip_address"]
    assert made["router_id"] == joined["router"]["id"]
    assert made["floating_ip_address"].startswith("192.0.2.")
    assert "subnet_id" not in made and made["project_id"] == joined["net"]["project_id"]
    details = made["port_details"]
    assert details["network_id"] == joined["net"]["id"]
    assert details["mac_address"] == p0["mac_address"]
    [holder] = assert_status(net.get("/ports", params={"device_id": made["id"]}),
                             200)["ports"]
    assert holder["device_owner"] == "network:floatingip"
    assert holder["fixed_ips"][0]["ip_address"] == made["floating_ip_address"]
    moved = assert_status(net.put(f"/floatingips/{made['id']}", tok, json={
        "floatingip": {"port_id": p1["id"]}}), 200)["floatingip"]
    assert moved["port_id"] == p1["id"]
    assert moved["fixed_ip_address"] == p1["fixed_ips"][0]["ip_address"]
    # a second floating IP on the same fixed IP: 409
    neutron_fault(net.post("/floatingips", tok, json={"floatingip": {
        "floating_network_id": ext["id"], "port_id": p1["id"]}}), 409,
        "FloatingIPPortAlreadyAssociated")
    # the router's interface on that subnet is needed by the floating IP
    neutron_fault(net.put(f"/routers/{joined['router']['id']}/remove_router_interface",
                          tok, json={"subnet_id": joined["subnet"]["id"]}), 409)
    # and so is its gateway
    neutron_fault(net.put(f"/routers/{joined['router']['id']}", tok, json={
        "router": {"external_gateway_info": {}}}), 409,
        "RouterExternalGatewayInUseByFloatingIp")
    db = Database(db_url)  # the router's agent reports it ACTIVE
    try:
        db.write(lambda s: setattr(s.get(FloatingIP, made["id"]), "status", "ACTIVE"))
    finally:
        db.dispose()
    assert assert_status(net.get(f"/floatingips/{made['id']}", tok), 200)[
        "floatingip"]["status"] == "ACTIVE"
    off = assert_status(net.put(f"/floatingips/{made['id']}", tok, json={
        "floatingip": {"port_id": None}}), 200)["floatingip"]
    assert off["port_id"] is None and off["fixed_ip_address"] is None
    assert off["router_id"] is None and off["port_details"] is None
    assert off["status"] == "DOWN"  # as Tempest's network basic ops waits for
    listed = assert_status(net.get("/floatingips", tok), 200)["floatingips"]
    assert made["id"] in [f["id"] for f in listed]
    assert_status(net.delete(f"/floatingips/{made['id']}", tok), 204)
    assert assert_status(net.get("/ports", params={"device_id": made["id"]}),
                         200)["ports"] == []
    neutron_fault(net.get(f"/floatingips/{made['id']}", tok), 404, "FloatingIPNotFound")


def test_deleting_the_port_disassociates(net: NetApi, topo: dict, joined: dict) -> None:
    tok = joined["tok"]
    port = net.create("ports", "port", tok, network_id=joined["net"]["id"])
    made = fip(net, tok, floating_network_id=topo["ext"]["id"], port_id=port["id"])
    assert_status(net.delete(f"/ports/{port['id']}", tok), 204)
    shown = assert_status(net.get(f"/floatingips/{made['id']}", tok), 200)["floatingip"]
    assert shown["port_id"] is None and shown["fixed_ip_address"] is None
    assert shown["router_id"] is None


def test_multiple_addresses_need_fixed_ip(net: NetApi, topo: dict, joined: dict) -> None:
    tok = joined["tok"]
    sid = joined["subnet"]["id"]
    port = net.create("ports", "port", tok, network_id=joined["net"]["id"],
                      fixed_ips=[{"subnet_id": sid, "ip_address": "10.80.0.50"},
                                 {"subnet_id": sid, "ip_address": "10.80.0.51"}])
    neutron_fault(net.post("/floatingips", tok, json={"floatingip": {
        "floating_network_id": topo["ext"]["id"], "port_id": port["id"]}}), 400)
    neutron_fault(net.post("/floatingips", tok, json={"floatingip": {
        "floating_network_id": topo["ext"]["id"], "port_id": port["id"],
        "fixed_ip_address": "10.80.0.99"}}), 400)
    made = fip(net, tok, floating_network_id=topo["ext"]["id"], port_id=port["id"],
               fixed_ip_address="10.80.0.50")
    assert made["fixed_ip_address"] == "10.80.0.50"
    moved = assert_status(net.put(f"/floatingips/{made['id']}", tok, json={"floatingip": {
        "port_id": port["id"], "fixed_ip_address": "10.80.0.51"}}), 200)["floatingip"]
    assert moved["fixed_ip_address"] == "10.80.0.51"


def test_unreachable_and_private_networks(net: NetApi, topo: dict, member: Member) -> None:
    tok = member.token
    inner = net.network(tok)
    sub = subnet(net, inner["id"], "10.81.0.0/24", tok)
    router = net.create("routers", "router", tok)  # no gateway
    assert_status(net.put(f"/routers/{router['id']}/add_router_interface", tok,
                          json={"subnet_id": sub["id"]}), 200)
    port = net.create("ports", "port", tok, network_id=inner["id"])
    neutron_fault(net.post("/floatingips", tok, json={"floatingip": {
        "floating_network_id": topo["ext"]["id"], "port_id": port["id"]}}), 404,
        "ExternalGatewayForFloatingIPNotFound")
    neutron_fault(net.post("/floatingips", tok, json={"floatingip": {
        "floating_network_id": inner["id"], "port_id": port["id"]}}), 400, "BadRequest")
    loose = fip(net, tok, floating_network_id=topo["ext"]["id"])
    neutron_fault(net.put(f"/floatingips/{loose['id']}", tok, json={"floatingip": {
        "port_id": port["id"]}}), 404, "ExternalGatewayForFloatingIPNotFound")
    # the floating IP's address is taken on the external network
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": topo["ext"]["id"],
        "fixed_ips": [{"ip_address": loose["floating_ip_address"]}]}}), 409)


def test_admin_only_address_and_visibility(net: NetApi, topo: dict, member: Member) -> None:
    neutron_fault(net.post("/floatingips", member.token, json={"floatingip": {
        "floating_network_id": topo["ext"]["id"],
        "floating_ip_address": "192.0.2.200"}}), 403)
    chosen = fip(net, floating_network_id=topo["ext"]["id"],
                 floating_ip_address="192.0.2.200")
    assert chosen["floating_ip_address"] == "192.0.2.200"
    neutron_fault(net.post("/floatingips", json={"floatingip": {
        "floating_network_id": topo["ext"]["id"],
        "floating_ip_address": "192.0.2.200"}}), 409)
    theirs = fip(net, member.token, floating_network_id=topo["ext"]["id"])
    mine = assert_status(net.get("/floatingips", member.token), 200)["floatingips"]
    ids = [f["id"] for f in mine]
    assert theirs["id"] in ids and chosen["id"] not in ids
    neutron_fault(net.get(f"/floatingips/{chosen['id']}", member.token), 404)
    everything = assert_status(net.get("/floatingips"), 200)["floatingips"]
    assert {theirs["id"], chosen["id"]} <= {f["id"] for f in everything}


def test_external_network_delete_takes_its_floating_ips(net: NetApi) -> None:
    ext = net.network(**{"router:external": True})
    subnet(net, ext["id"], "198.18.5.0/24", enable_dhcp=False)
    loose = fip(net, floating_network_id=ext["id"])
    router = net.create("routers", "router", external_gateway_info={"network_id": ext["id"]})
    # a router's gateway is a port in use: the network stays, and so does the floating IP
    neutron_fault(net.delete(f"/networks/{ext['id']}"), 409, "NetworkInUse")
    assert_status(net.get(f"/floatingips/{loose['id']}"), 200)
    assert_status(net.delete(f"/routers/{router['id']}"), 204)
    assert_status(net.delete(f"/networks/{ext['id']}"), 204)
    neutron_fault(net.get(f"/floatingips/{loose['id']}"), 404, "FloatingIPNotFound")
    assert assert_status(net.get("/ports", params={"device_id": loose["id"]}),
                         200)["ports"] == []


def test_floatingip_pools(net: NetApi, topo: dict, member: Member) -> None:
    pools = assert_status(net.get("/floatingip_pools", member.token),
                          200)["floatingip_pools"]
    mine = [p for p in pools if p["network_id"] == topo["ext"]["id"]]
    assert mine == [{"subnet_id": topo["ext_subnet"]["id"],
                     "subnet_name": topo["ext_subnet"]["name"],
                     "network_id": topo["ext"]["id"],
                     "project_id": topo["ext_subnet"]["project_id"],
                     "tenant_id": topo["ext_subnet"]["project_id"]}]
    private = net.network(member.token)
    subnet(net, private["id"], "10.82.0.0/24", member.token)
    again = assert_status(net.get("/floatingip_pools", member.token,
                                  params={"network_id": private["id"]}),
                          200)["floatingip_pools"]
    assert again == []
    neutron_fault(net.get("/floatingip_pools", params={"bogus": "x"}), 400)


def test_racing_associations_give_one_fixed_ip_one_floating_ip(
        net: NetApi, topo: dict, joined: dict, make_api: Callable[..., Api],
        admin_token: str) -> None:
    """Eight floating IPs raced onto one fixed IP through two replicas: one wins, the
    others are 409 (the unique key decides when the transactions really overlap)."""
    other = NetApi(make_api(), admin_token)
    port = net.create("ports", "port", joined["tok"], network_id=joined["net"]["id"])
    fips = [fip(net, joined["tok"], floating_network_id=topo["ext"]["id"])
            for _ in range(8)]

    def associate(i: int) -> tuple[int, str]:
        replica = net if i % 2 else other
        response = replica.put(f"/floatingips/{fips[i]['id']}", json={
            "floatingip": {"port_id": port["id"]}})
        return response.status_code, response.json().get("NeutronError", {}).get("type", "")

    with ThreadPoolExecutor(8) as pool:
        results = Counter(pool.map(associate, range(8)))
    assert results[(200, "")] == 1, results
    assert results[(409, "FloatingIPPortAlreadyAssociated")] == 7, results
    bound = [f for f in assert_status(net.get("/floatingips", params={
        "port_id": port["id"]}), 200)["floatingips"]]
    assert len(bound) == 1
