"""Issue 8's bad-input list, one test per case, each answered as Neutron answers it: the
status and the ``NeutronError`` type (never a 500); and another project's non-shared
resources answered 404 on show, update and delete, as Neutron hides what a caller may not
read, while a network shared with everyone stays visible."""
from __future__ import annotations

from typing import Any

import pytest

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member


def post_subnet(net: NetApi, network_id: str, cidr: Any, token: str | None = None,
                **attrs: Any):
    return net.post("/subnets", token, json={"subnet": {
        "network_id": network_id, "cidr": cidr, "ip_version": 4, **attrs}})


def subnet(net: NetApi, network_id: str, cidr: str, token: str | None = None,
           **attrs: Any) -> dict[str, Any]:
    return assert_status(post_subnet(net, network_id, cidr, token, **attrs), 201)["subnet"]


def test_overlapping_cidr_on_one_network_is_400_invalid_input(net: NetApi) -> None:
    network = net.network()
    subnet(net, network["id"], "10.201.0.0/24")
    error = neutron_fault(post_subnet(net, network["id"], "10.201.0.128/25"), 400,
                          "InvalidInput")
    assert "overlaps" in error["message"], error
    # the same range on another network is fine (overlap is per network)
    subnet(net, net.network()["id"], "10.201.0.0/24")


@pytest.mark.parametrize("cidr,kind", [
    ("not-a-cidr", "InvalidInput"),       # no CIDR at all
    ("10.202.0.0/33", "InvalidInput"),    # no such prefix length
    ("300.1.2.0/24", "InvalidInput"),     # no such address
])
def test_invalid_cidr_is_400(net: NetApi, cidr: str, kind: str) -> None:
    """Neutron's cidr converter answers InvalidInput ("... is not in a CIDR format")."""
    error = neutron_fault(post_subnet(net, net.network()["id"], cidr), 400, kind)
    assert cidr in error["message"], error


def test_host_bits_are_cleared_not_refused(net: NetApi) -> None:
    made = subnet(net, net.network()["id"], "10.202.0.1/24")
    assert made["cidr"] == "10.202.0.0/24" and made["gateway_ip"] == "10.202.0.1"


@pytest.mark.parametrize("cidr", [None, 24, ["10.0.0.0/24"], {"cidr": "10.0.0.0/24"}])
def test_cidr_of_the_wrong_type_is_400(net: NetApi, cidr: Any) -> None:
    neutron_fault(post_subnet(net, net.network()["id"], cidr), 400)


def test_ip_outside_the_subnet_is_400_invalid_ip_for_subnet(net: NetApi) -> None:
    network = net.network()
    sub = subnet(net, network["id"], "10.203.0.0/24")
    error = neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"],
        "fixed_ips": [{"subnet_id": sub["id"], "ip_address": "10.203.1.5"}]}}), 400,
        "InvalidIpForSubnet")
    assert "10.203.1.5" in error["message"], error
    # an address with no subnet named, on none of the network's subnets
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "fixed_ips": [{"ip_address": "10.99.0.5"}]}}), 400,
        "InvalidIpForNetwork")
    # and on update
    port = net.create("ports", "port", network_id=network["id"])
    neutron_fault(net.put(f"/ports/{port['id']}", json={"port": {
        "fixed_ips": [{"subnet_id": sub["id"], "ip_address": "10.203.1.6"}]}}), 400,
        "InvalidIpForSubnet")


def test_duplicate_fixed_ip_is_409_ip_address_already_allocated(net: NetApi) -> None:
    network = net.network()
    sub = subnet(net, network["id"], "10.204.0.0/24")
    wanted = [{"subnet_id": sub["id"], "ip_address": "10.204.0.20"}]
    net.create("ports", "port", network_id=network["id"], fixed_ips=wanted)
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "fixed_ips": wanted}}), 409,
        "IpAddressAlreadyAllocated")
    other = net.create("ports", "port", network_id=network["id"])
    neutron_fault(net.put(f"/ports/{other['id']}", json={"port": {"fixed_ips": wanted}}),
                  409, "IpAddressAlreadyAllocated")
    # the gateway's address is taken too once a router port holds it: here the subnet's
    # gateway is free, so a port may take it only when no router does (Neutron allows it)


def test_gateway_inside_an_allocation_pool_is_409(net: NetApi) -> None:
    neutron_fault(post_subnet(net, net.network()["id"], "10.205.0.0/24",
                              gateway_ip="10.205.0.50",
                              allocation_pools=[{"start": "10.205.0.10",
                                                 "end": "10.205.0.100"}]), 409,
                  "GatewayConflictWithAllocationPools")
    made = subnet(net, net.network()["id"], "10.205.1.0/24",
                  allocation_pools=[{"start": "10.205.1.10", "end": "10.205.1.100"}])
    neutron_fault(net.put(f"/subnets/{made['id']}",
                          json={"subnet": {"gateway_ip": "10.205.1.20"}}), 409,
                  "GatewayConflictWithAllocationPools")


def test_router_interface_on_an_attached_subnet_is_400_bad_request(net: NetApi) -> None:
    network = net.network()
    sub = subnet(net, network["id"], "10.206.0.0/24")
    router = net.create("routers", "router")
    path = f"/routers/{router['id']}/add_router_interface"
    assert_status(net.put(path, json={"subnet_id": sub["id"]}), 200)
    neutron_fault(net.put(path, json={"subnet_id": sub["id"]}), 400, "BadRequest")
    # by a port on that subnet, too
    port = net.create("ports", "port", network_id=network["id"])
    neutron_fault(net.put(path, json={"port_id": port["id"]}), 400, "BadRequest")
    # and a subnet overlapping one the router has
    overlapping = subnet(net, net.network()["id"], "10.206.0.0/25")
    neutron_fault(net.put(path, json={"subnet_id": overlapping["id"]}), 400, "BadRequest")


def test_floating_ip_on_a_port_without_a_route_is_404(net: NetApi) -> None:
    ext = net.network(**{"router:external": True})
    subnet(net, ext["id"], "198.51.100.0/24", enable_dhcp=False)
    inner = net.network()
    subnet(net, inner["id"], "10.207.0.0/24")  # no router at all
    port = net.create("ports", "port", network_id=inner["id"])
    body = {"floatingip": {"floating_network_id": ext["id"], "port_id": port["id"]}}
    neutron_fault(net.post("/floatingips", json=body), 404,
                  "ExternalGatewayForFloatingIPNotFound")
    # a router joins the subnet but has no gateway to the external network
    routed = net.network()
    routed_sub = subnet(net, routed["id"], "10.207.1.0/24")
    router = net.create("routers", "router")
    assert_status(net.put(f"/routers/{router['id']}/add_router_interface",
                          json={"subnet_id": routed_sub["id"]}), 200)
    routed_port = net.create("ports", "port", network_id=routed["id"])
    neutron_fault(net.post("/floatingips", json={"floatingip": {
        "floating_network_id": ext["id"], "port_id": routed_port["id"]}}), 404,
        "ExternalGatewayForFloatingIPNotFound")
    loose = net.create("floatingips", "floatingip", floating_network_id=ext["id"])
    neutron_fault(net.put(f"/floatingips/{loose['id']}", json={"floatingip": {
        "port_id": port["id"]}}), 404, "ExternalGatewayForFloatingIPNotFound")


# --- another project's resources -------------------------------------------------------

@pytest.fixture
def theirs(net: NetApi, member: Member) -> dict[str, dict[str, Any]]:
    """One of each resource of the ``member``'s project, none shared."""
    tok = member.token
    ext = net.network(**{"router:external": True})
    subnet(net, ext["id"], "198.51.101.0/24", enable_dhcp=False)
    network = net.network(tok)
    sub = subnet(net, network["id"], "10.208.0.0/24", tok)
    router = net.create("routers", "router", tok,
                        external_gateway_info={"network_id": ext["id"]})
    assert_status(net.put(f"/routers/{router['id']}/add_router_interface", tok,
                          json={"subnet_id": sub["id"]}), 200)
    port = net.create("ports", "port", tok, network_id=network["id"])
    group = net.create("security-groups", "security_group", tok, name="theirs")
    rule = net.create("security-group-rules", "security_group_rule", tok,
                      security_group_id=group["id"], direction="ingress",
                      ethertype="IPv4", protocol="tcp", port_range_min=22,
                      port_range_max=22)
    fip = net.create("floatingips", "floatingip", tok, floating_network_id=ext["id"],
                     port_id=port["id"])
    return {"networks": network, "subnets": sub, "ports": port, "routers": router,
            "security-groups": group, "security-group-rules": rule, "floatingips": fip}


MEMBERS = {"networks": ("network", "NetworkNotFound", {"name": "x"}),
           "subnets": ("subnet", "SubnetNotFound", {"name": "x"}),
           "ports": ("port", "PortNotFound", {"name": "x"}),
           "routers": ("router", "RouterNotFound", {"name": "x"}),
           "security-groups": ("security_group", "SecurityGroupNotFound", {"name": "x"}),
           "security-group-rules": ("security_group_rule", "SecurityGroupRuleNotFound",
                                    None),
           "floatingips": ("floatingip", "FloatingIPNotFound", {"description": "x"})}


def test_another_projects_resources_are_404(net: NetApi, theirs: dict, cloud) -> None:
    outsider = cloud.make_project_member()
    tok = outsider.token
    for collection, (member, kind, change) in MEMBERS.items():
        path = f"/{collection}/{theirs[collection]['id']}"
        neutron_fault(net.get(path, tok), 404, kind)
        if change is not None:
            neutron_fault(net.put(path, tok, json={member: change}), 404, kind)
        neutron_fault(net.delete(path, tok), 404, kind)
        listed = assert_status(net.get(f"/{collection}", tok), 200)
        assert theirs[collection]["id"] not in {i["id"] for i in listed[
            collection.replace("-", "_")]}, collection
    # router actions on someone else's router
    neutron_fault(net.put(f"/routers/{theirs['routers']['id']}/add_router_interface", tok,
                          json={"subnet_id": theirs["subnets"]["id"]}), 404,
                  "RouterNotFound")
    # nothing changed for the owner: every resource still there, as it was
    for collection, (member, _, _) in MEMBERS.items():
        shown = assert_status(net.get(f"/{collection}/{theirs[collection]['id']}"), 200)
        assert shown[member].get("name", "") != "x", shown
        assert shown[member].get("description", "") != "x", shown


def test_a_port_on_another_projects_network_is_404(net: NetApi, theirs: dict,
                                                   cloud) -> None:
    outsider = cloud.make_project_member()
    neutron_fault(net.post("/ports", outsider.token, json={"port": {
        "network_id": theirs["networks"]["id"]}}), 404, "NetworkNotFound")
    neutron_fault(net.post("/subnets", outsider.token, json={"subnet": {
        "network_id": theirs["networks"]["id"], "cidr": "10.209.0.0/24",
        "ip_version": 4}}), 404, "NetworkNotFound")


def test_a_shared_network_is_visible_to_every_project(net: NetApi, member: Member,
                                                      cloud) -> None:
    shared = net.network(shared=True)
    shared_sub = subnet(net, shared["id"], "10.210.0.0/24")
    private = net.network()
    outsider = cloud.make_project_member()
    for tok in (member.token, outsider.token):
        shown = assert_status(net.get(f"/networks/{shared['id']}", tok), 200)["network"]
        assert shown["shared"] is True and shown["subnets"] == [shared_sub["id"]]
        assert_status(net.get(f"/subnets/{shared_sub['id']}", tok), 200)
        listed = {n["id"] for n in assert_status(net.get("/networks", tok),
                                                 200)["networks"]}
        assert shared["id"] in listed and private["id"] not in listed
        # a port on it is the member's own, invisible to the other member
        port = net.create("ports", "port", tok, network_id=shared["id"])
        other = outsider.token if tok == member.token else member.token
        neutron_fault(net.get(f"/ports/{port['id']}", other), 404, "PortNotFound")
    # visible is not writable: a change to the shared network is 403, as Neutron
    neutron_fault(net.put(f"/networks/{shared['id']}", member.token,
                          json={"network": {"name": "x"}}), 403)
    neutron_fault(net.delete(f"/networks/{shared['id']}", member.token), 403)
