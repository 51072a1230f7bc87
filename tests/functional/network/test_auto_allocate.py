"""The auto-allocated topology: 409 without a default external network; then a
project's network, subnet and router (gateway on the default external network,
interface on the subnet) made once and answered again; dry-run; another project's is
forbidden to a member; DELETE takes it apart."""
from __future__ import annotations

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member


def test_auto_allocated_topology(net: NetApi, member: Member) -> None:
    project = member.project["id"]
    path = f"/auto-allocated-topology/{project}"
    neutron_fault(net.get(path, member.token), 409, "AutoAllocationFailure")
    neutron_fault(net.get(path, member.token, params={"fields": "dry-run"}), 409,
                  "AutoAllocationFailure")
    ext = net.network(**{"router:external": True, "is_default": True})
    net.create("subnets", "subnet", network_id=ext["id"], cidr="203.0.113.0/24",
               ip_version=4, enable_dhcp=False)
    dry = assert_status(net.get(path, member.token, params={"fields": "dry-run"}),
                        200)["auto_allocated_topology"]
    assert dry["id"] == "dry-run=pass"
    assert assert_status(net.get("/networks", member.token, params={
        "name": "auto_allocated_network"}), 200)["networks"] == []
    made = assert_status(net.get(path, member.token), 200)["auto_allocated_topology"]
    assert made["project_id"] == made["tenant_id"] == project
    network = assert_status(net.get(f"/networks/{made['id']}", member.token),
                            200)["network"]
    assert network["project_id"] == project and len(network["subnets"]) == 1
    [router] = assert_status(net.get("/routers", member.token), 200)["routers"]
    assert router["external_gateway_info"]["network_id"] == ext["id"]
    [iface] = assert_status(net.get("/ports", member.token, params={
        "device_id": router["id"], "device_owner": "network:router_interface"}),
        200)["ports"]
    assert iface["network_id"] == made["id"]
    again = assert_status(net.get(path, member.token), 200)["auto_allocated_topology"]
    assert again == made
    # a member may not ask for another project's
    neutron_fault(net.get("/auto-allocated-topology/someone-else", member.token), 403)
    assert_status(net.delete(path, member.token), 204)
    neutron_fault(net.get(f"/networks/{made['id']}", member.token), 404)
    neutron_fault(net.get(f"/routers/{router['id']}", member.token), 404)
    assert_status(net.delete(path, member.token), 204)
    fresh = assert_status(net.get(path, member.token), 200)["auto_allocated_topology"]
    assert fresh["id"] != made["id"]
    # its network deleted by hand (router and all): the next request makes a new one
    [router] = assert_status(net.get("/routers", member.token), 200)["routers"]
    [iface] = assert_status(net.get("/ports", member.token, params={
        "device_id": router["id"], "device_owner": "network:router_interface"}),
        200)["ports"]
    assert_status(net.put(f"/routers/{router['id']}/remove_router_interface", member.token,
                          json={"port_id": iface["id"]}), 200)
    assert_status(net.delete(f"/routers/{router['id']}", member.token), 204)
    assert_status(net.delete(f"/networks/{fresh['id']}", member.token), 204)
    third = assert_status(net.get(path, member.token), 200)["auto_allocated_topology"]
    assert third["id"] not in (made["id"], fresh["id"])
    assert_status(net.get(f"/networks/{third['id']}", member.token), 200)
