"""Routers through the API: CRUD, admin-only distributed/ha, the external gateway (an
external network only, SNAT admin-only), interfaces by subnet and by port, extra routes,
and Neutron's refusals."""
from __future__ import annotations

from typing import Any

import pytest

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def router(net: NetApi, token: str | None = None, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("name", unique("router"))
    return net.create("routers", "router", token, **attrs)


def update(net: NetApi, rid: str, token: str | None = None, status: int = 200,
           **attrs: Any) -> dict[str, Any]:
    return assert_status(net.put(f"/routers/{rid}", token, json={"router": attrs}),
                         status).get("router", {})


def test_create_show_update_delete(net: NetApi) -> None:
    made = router(net, admin_state_up=False, description="d")
    assert made["status"] == "ACTIVE" and made["admin_state_up"] is False
    assert made["external_gateway_info"] is None and made["routes"] == []
    assert made["distributed"] is False and made["ha"] is False
    assert made["availability_zone_hints"] == [] and made["flavor_id"] is None
    assert made["project_id"] == made["tenant_id"] and made["revision_number"] == 0
    shown = assert_status(net.get(f"/routers/{made['id']}"), 200)["router"]
    assert shown == made
    changed = update(net, made["id"], name="renamed", admin_state_up=True)
    assert changed["name"] == "renamed" and changed["admin_state_up"] is True
    assert changed["revision_number"] == 1
    listed = assert_status(net.get("/routers", params={"name": "renamed"}), 200)["routers"]
    assert made["id"] in [r["id"] for r in listed]
    assert_status(net.delete(f"/routers/{made['id']}"), 204)
    neutron_fault(net.get(f"/routers/{made['id']}"), 404, "RouterNotFound")
    neutron_fault(net.delete(f"/routers/{made['id']}"), 404, "RouterNotFound")
    neutron_fault(net.put(f"/routers/{made['id']}", json={"router": {"name": "x"}}), 404)


def test_distributed_and_ha_are_admin_only(net: NetApi, member: Member) -> None:
    neutron_fault(net.post("/routers", member.token,
                           json={"router": {"distributed": True}}), 403)
    neutron_fault(net.post("/routers", member.token, json={"router": {"ha": True}}), 403)
    mine = router(net, member.token)
    assert "distributed" not in mine and "ha" not in mine
    dvr = router(net, distributed=True, project_id=member.project["id"])
    assert dvr["distributed"] is True
    shown = assert_status(net.get(f"/routers/{dvr['id']}", member.token), 200)["router"]
    assert "distributed" not in shown


def test_upgrade_to_distributed_needs_admin_state_down(net: NetApi) -> None:
    up = router(net)
    neutron_fault(net.put(f"/routers/{up['id']}", json={"router": {"distributed": True}}),
                  400, "BadRequest")
    down = router(net, admin_state_up=False, distributed=False, ha=False)
    assert update(net, down["id"], distributed=True)["distributed"] is True
    neutron_fault(net.put(f"/routers/{down['id']}",
                          json={"router": {"distributed": False}}), 400)


def test_availability_zone_hints(net: NetApi) -> None:
    zoned = router(net, availability_zone_hints=["nova"])
    assert zoned["availability_zone_hints"] == ["nova"]
    assert zoned["availability_zones"] == []  # until an L3 agent hosts it
    neutron_fault(net.post("/routers", json={"router": {
        "availability_zone_hints": ["atlantis"]}}), 404, "AvailabilityZoneNotFound")


def test_router_quota(net: NetApi, member: Member) -> None:
    project = member.project["id"]
    assert_status(net.put(f"/quotas/{project}", json={"quota": {"router": 1}}), 200)
    router(net, member.token)
    neutron_fault(net.post("/routers", member.token, json={"router": {}}), 409, "OverQuota")


def test_other_projects_router_is_404(net: NetApi, member: Member) -> None:
    theirs = router(net)
    neutron_fault(net.get(f"/routers/{theirs['id']}", member.token), 404, "RouterNotFound")
    neutron_fault(net.put(f"/routers/{theirs['id']}/add_router_interface", member.token,
                          json={"subnet_id": theirs["id"]}), 404, "RouterNotFound")
    listed = assert_status(net.get("/routers", member.token), 200)["routers"]
    assert theirs["id"] not in [r["id"] for r in listed]


def test_bad_bodies(net: NetApi) -> None:
    neutron_fault(net.post("/routers", json={"router": {"routes": []}}), 400)
    neutron_fault(net.post("/routers", json={"router": {
        "external_gateway_info": {"network_id": "x"}}}), 400, "InvalidInput")
    neutron_fault(net.post("/routers", json={"router": {
        "external_gateway_info": {"bogus": 1}}}), 400)
    made = router(net)
    neutron_fault(net.put(f"/routers/{made['id']}",
                          json={"router": {"routes": [{"destination": "10.0.0.0/24"}]}}),
                  400)
    neutron_fault(net.put(f"/routers/{made['id']}/add_router_interface", json={}), 400,
                  "BadRequest")


def subnet(net: NetApi, network_id: str, cidr: str, token: str | None = None,
           **attrs: Any) -> dict[str, Any]:
    version = 6 if ":" in cidr else 4
    return net.create("subnets", "subnet", token, network_id=network_id, cidr=cidr,
                      ip_version=version, **attrs)


@pytest.fixture(scope="module")
def public(net: NetApi) -> dict[str, Any]:
    ext = net.network(**{"router:external": True})
    ext["subnet"] = subnet(net, ext["id"], "198.51.100.0/24", enable_dhcp=False)
    return ext


def ports_of(net: NetApi, **filters: str) -> list[dict[str, Any]]:
    return assert_status(net.get("/ports", params=filters), 200)["ports"]


def test_gateway_set_change_and_clear(net: NetApi, public: dict, member: Member) -> None:
    made = router(net, member.token, external_gateway_info={"network_id": public["id"]})
    gw = made["external_gateway_info"]
    assert gw["network_id"] == public["id"] and gw["enable_snat"] is True
    [fixed] = gw["external_fixed_ips"]
    assert fixed["subnet_id"] == public["subnet"]["id"]
    [port] = ports_of(net, device_id=made["id"], device_owner="network:router_gateway")
    assert port["network_id"] == public["id"] and port["project_id"] == ""
    assert port["fixed_ips"][0]["ip_address"] == fixed["ip_address"]
    # the gateway port is the router's: not deletable through the ports API
    neutron_fault(net.delete(f"/ports/{port['id']}"), 409)
    # enable_snat and external_fixed_ips are admin-only
    neutron_fault(net.put(f"/routers/{made['id']}", member.token, json={"router": {
        "external_gateway_info": {"network_id": public["id"], "enable_snat": False}}}), 403)
    neutron_fault(net.post("/routers", member.token, json={"router": {
        "external_gateway_info": {"network_id": public["id"], "external_fixed_ips": [
            {"subnet_id": public["subnet"]["id"]}]}}}), 403)
    nosnat = update(net, made["id"], external_gateway_info={
        "network_id": public["id"], "enable_snat": False})["external_gateway_info"]
    assert nosnat["enable_snat"] is False and nosnat["external_fixed_ips"] == gw[
        "external_fixed_ips"]
    cleared = update(net, made["id"], member.token, external_gateway_info={})
    assert cleared["external_gateway_info"] is None
    assert ports_of(net, device_id=made["id"]) == []
    assert_status(net.delete(f"/routers/{made['id']}", member.token), 204)


def test_gateway_refusals(net: NetApi, public: dict) -> None:
    private = net.network()
    subnet(net, private["id"], "10.55.0.0/24")
    made = router(net)
    neutron_fault(net.put(f"/routers/{made['id']}", json={"router": {
        "external_gateway_info": {"network_id": private["id"]}}}), 400, "BadRequest")
    neutron_fault(net.put(f"/routers/{made['id']}", json={"router": {
        "external_gateway_info": {"network_id": made["id"]}}}), 404, "NetworkNotFound")
    # a chosen gateway address that a port holds already
    taken = net.create("ports", "port", network_id=public["id"])
    ip = taken["fixed_ips"][0]
    neutron_fault(net.post("/routers", json={"router": {"external_gateway_info": {
        "network_id": public["id"], "external_fixed_ips": [ip]}}}), 409)
    assert_status(net.delete(f"/ports/{taken['id']}"), 204)
    fixed = router(net, external_gateway_info={"network_id": public["id"],
                                               "external_fixed_ips": [ip]})
    assert fixed["external_gateway_info"]["external_fixed_ips"] == [ip]


def test_interfaces_by_subnet_and_port(net: NetApi, member: Member) -> None:
    tok = member.token
    a, b = net.network(tok), net.network(tok)
    sa_ = subnet(net, a["id"], "10.60.0.0/24", tok)
    sb = subnet(net, b["id"], "10.61.0.0/24", tok)
    made = router(net, tok)
    added = assert_status(net.put(f"/routers/{made['id']}/add_router_interface", tok,
                                  json={"subnet_id": sa_["id"]}), 200)
    assert set(added) == {"id", "tenant_id", "project_id", "subnet_id", "subnet_ids",
                          "port_id", "network_id"}
    assert added["id"] == made["id"] and added["subnet_ids"] == [sa_["id"]]
    assert added["network_id"] == a["id"]
    port = assert_status(net.get(f"/ports/{added['port_id']}", tok), 200)["port"]
    assert port["device_id"] == made["id"]
    assert port["device_owner"] == "network:router_interface"
    assert port["fixed_ips"] == [{"subnet_id": sa_["id"], "ip_address": "10.60.0.1"}]
    # again, or an overlapping subnet: 400
    neutron_fault(net.put(f"/routers/{made['id']}/add_router_interface", tok,
                          json={"subnet_id": sa_["id"]}), 400, "BadRequest")
    c = net.network(tok)
    overlapping = subnet(net, c["id"], "10.60.0.0/25", tok)
    neutron_fault(net.put(f"/routers/{made['id']}/add_router_interface", tok,
                          json={"subnet_id": overlapping["id"]}), 400, "BadRequest")
    # by port: a port with a device is in use
    used = net.create("ports", "port", tok, network_id=b["id"], device_id="vm-1")
    neutron_fault(net.put(f"/routers/{made['id']}/add_router_interface", tok,
                          json={"port_id": used["id"]}), 409, "PortInUse")
    free = net.create("ports", "port", tok, network_id=b["id"])
    by_port = assert_status(net.put(f"/routers/{made['id']}/add_router_interface", tok,
                                    json={"port_id": free["id"]}), 200)
    assert by_port["port_id"] == free["id"] and by_port["subnet_id"] == sb["id"]
    owned = assert_status(net.get(f"/ports/{free['id']}", tok), 200)["port"]
    assert owned["device_id"] == made["id"]
    # in use: no delete of the router, its subnets or its interface ports
    neutron_fault(net.delete(f"/routers/{made['id']}", tok), 409, "RouterInUse")
    neutron_fault(net.delete(f"/ports/{free['id']}", tok), 409)
    neutron_fault(net.delete(f"/subnets/{sa_['id']}", tok), 409)
    # remove: by subnet, by port; a second time is 404
    neutron_fault(net.put(f"/routers/{made['id']}/remove_router_interface", tok,
                          json={"subnet_id": overlapping["id"]}), 404,
                  "RouterInterfaceNotFoundForSubnet")
    neutron_fault(net.put(f"/routers/{made['id']}/remove_router_interface", tok,
                          json={"port_id": used["id"]}), 404, "RouterInterfaceNotFound")
    gone = assert_status(net.put(f"/routers/{made['id']}/remove_router_interface", tok,
                                 json={"subnet_id": sa_["id"]}), 200)
    assert gone["port_id"] == added["port_id"] and gone["subnet_id"] == sa_["id"]
    neutron_fault(net.get(f"/ports/{added['port_id']}", tok), 404)
    assert_status(net.put(f"/routers/{made['id']}/remove_router_interface", tok,
                          json={"port_id": free["id"]}), 200)
    neutron_fault(net.put(f"/routers/{made['id']}/remove_router_interface", tok,
                          json={"port_id": free["id"]}), 404, "RouterInterfaceNotFound")
    assert_status(net.delete(f"/routers/{made['id']}", tok), 204)
    assert_status(net.delete(f"/subnets/{sa_['id']}", tok), 204)


def test_interface_needs_a_gateway_ip(net: NetApi) -> None:
    n = net.network()
    bare = subnet(net, n["id"], "10.62.0.0/24", gateway_ip=None)
    made = router(net)
    neutron_fault(net.put(f"/routers/{made['id']}/add_router_interface",
                          json={"subnet_id": bare["id"]}), 400, "BadRequest")
    port = net.create("ports", "port", network_id=n["id"], fixed_ips=[])
    neutron_fault(net.put(f"/routers/{made['id']}/add_router_interface",
                          json={"port_id": port["id"]}), 400, "BadRequest")
    # a port on two IPv4 subnets
    first = subnet(net, n["id"], "10.65.0.0/24")
    second = subnet(net, n["id"], "10.66.0.0/24")
    both = net.create("ports", "port", network_id=n["id"], fixed_ips=[
        {"subnet_id": first["id"]}, {"subnet_id": second["id"]}])
    neutron_fault(net.put(f"/routers/{made['id']}/add_router_interface",
                          json={"port_id": both["id"]}), 400, "BadRequest")


def test_interface_on_someone_elses_subnet(net: NetApi, member: Member) -> None:
    shared = net.network(shared=True)
    sub = subnet(net, shared["id"], "10.63.0.0/24")
    made = router(net, member.token)
    neutron_fault(net.put(f"/routers/{made['id']}/add_router_interface", member.token,
                          json={"subnet_id": sub["id"]}), 400, "BadRequest")
    # shared with the member's project by an RBAC policy: allowed
    rbac_net = net.network()
    rbac_sub = subnet(net, rbac_net["id"], "10.64.0.0/24")
    net.create("rbac-policies", "rbac_policy", object_type="network",
               object_id=rbac_net["id"], action="access_as_shared",
               target_tenant=member.project["id"])
    assert_status(net.put(f"/routers/{made['id']}/add_router_interface", member.token,
                          json={"subnet_id": rbac_sub["id"]}), 200)
    # an IPv6 subnet taking its RAs from an outside router
    v6net = net.network(member.token)
    v6 = subnet(net, v6net["id"], "2001:db8:63::/64", member.token,
                ipv6_address_mode="slaac")
    neutron_fault(net.put(f"/routers/{made['id']}/add_router_interface", member.token,
                          json={"subnet_id": v6["id"]}), 400, "BadRequest")


def test_extra_routes(net: NetApi) -> None:
    made = router(net, admin_state_up=True)
    nets = [net.network() for _ in range(2)]
    subs = [subnet(net, n["id"], f"10.7{i}.0.0/24") for i, n in enumerate(nets)]
    for sub in subs:
        assert_status(net.put(f"/routers/{made['id']}/add_router_interface",
                              json={"subnet_id": sub["id"]}), 200)
    routes = [{"destination": "192.0.2.0/24", "nexthop": "10.70.0.5"},
              {"destination": "198.18.0.0/16", "nexthop": "10.71.0.9"}]
    changed = update(net, made["id"], routes=routes)
    assert sorted(changed["routes"], key=lambda r: r["destination"]) == routes
    neutron_fault(net.put(f"/routers/{made['id']}", json={"router": {"routes": [
        {"destination": "192.0.2.0/24", "nexthop": "10.99.0.5"}]}}), 400, "InvalidRoutes")
    neutron_fault(net.put(f"/routers/{made['id']}", json={"router": {"routes": [
        {"destination": "192.0.2.0/24", "nexthop": "10.70.0.1"}]}}), 400, "InvalidRoutes")
    # an interface a route needs stays
    neutron_fault(net.put(f"/routers/{made['id']}/remove_router_interface",
                          json={"subnet_id": subs[0]["id"]}), 409,
                  "RouterInterfaceInUseByRoute")
    added = assert_status(net.put(f"/routers/{made['id']}/add_extraroutes", json={
        "router": {"routes": [{"destination": "203.0.113.0/24", "nexthop": "10.70.0.6"},
                              routes[0]]}}), 200)["router"]
    assert len(added["routes"]) == 3
    left = assert_status(net.put(f"/routers/{made['id']}/remove_extraroutes", json={
        "router": {"routes": routes}}), 200)["router"]
    assert left["routes"] == [{"destination": "203.0.113.0/24", "nexthop": "10.70.0.6"}]
    neutron_fault(net.put(f"/routers/{made['id']}/add_extraroutes", json={
        "router": {"routes": None}}), 400, "InvalidInput")
    assert update(net, made["id"], routes=None)["routes"] == []
    assert_status(net.put(f"/routers/{made['id']}/remove_router_interface",
                          json={"subnet_id": subs[0]["id"]}), 200)
