"""Subnets through the API: defaults (gateway, pools), the checks Neutron makes on CIDRs,
gateways, pools, nameservers, routes and IPv6 modes, updates, visibility, list filters,
and what deleting a subnet or its network does."""
from __future__ import annotations

from typing import Any

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member


def subnet(net: NetApi, network: dict[str, Any], token: str | None = None,
           status: int = 201, **attrs: Any) -> dict[str, Any]:
    attrs.setdefault("ip_version", 4)
    return net.create("subnets", "subnet", token, status, network_id=network["id"], **attrs)


def post(net: NetApi, network: dict[str, Any], **attrs: Any):
    attrs.setdefault("ip_version", 4)
    return net.post("/subnets", json={"subnet": {"network_id": network["id"], **attrs}})


def test_defaults_gateway_and_pools(net: NetApi) -> None:
    network = net.network()
    made = subnet(net, network, cidr="10.10.0.7/24")
    assert made["cidr"] == "10.10.0.0/24" and made["gateway_ip"] == "10.10.0.1"
    assert made["allocation_pools"] == [{"start": "10.10.0.2", "end": "10.10.0.254"}]
    assert made["enable_dhcp"] is True and made["dns_nameservers"] == []
    assert made["host_routes"] == [] and made["ipv6_ra_mode"] is None
    assert made["subnetpool_id"] is None and made["revision_number"] == 0
    assert made["project_id"] == network["project_id"] and made["router:external"] is False
    shown = assert_status(net.get(f"/networks/{network['id']}"), 200)["network"]
    assert shown["subnets"] == [made["id"]]
    assert shown["revision_number"] == network["revision_number"] + 1
    v6 = subnet(net, network, ip_version=6, cidr="2001:db8:0:1::/64")
    assert v6["gateway_ip"] == "2001:db8:0:1::1"
    assert v6["allocation_pools"] == [{"start": "2001:db8:0:1::2",
                                       "end": "2001:db8:0:1:ffff:ffff:ffff:ffff"}]


def test_gateway_rules(net: NetApi) -> None:
    network = net.network()
    none = subnet(net, network, cidr="10.11.0.0/28", gateway_ip=None)
    assert none["gateway_ip"] is None
    assert none["allocation_pools"] == [{"start": "10.11.0.1", "end": "10.11.0.14"}]
    middle = subnet(net, net.network(), cidr="10.11.1.0/28", gateway_ip="10.11.1.5")
    assert middle["allocation_pools"] == [{"start": "10.11.1.1", "end": "10.11.1.4"},
                                          {"start": "10.11.1.6", "end": "10.11.1.14"}]
    for bad in ("10.11.2.0", "10.11.2.255"):
        neutron_fault(post(net, net.network(), cidr="10.11.2.0/24", gateway_ip=bad), 400,
                      "InvalidInput")
    neutron_fault(post(net, net.network(), cidr="10.11.2.0/24", gateway_ip="2001:db8::1"),
                  400, "InvalidInput")
    neutron_fault(post(net, net.network(), cidr="10.11.2.0/24", gateway_ip="nope"), 400)
    # outside the CIDR: Neutron cannot check it and accepts it
    outside = subnet(net, net.network(), cidr="10.11.3.0/24", gateway_ip="10.99.0.1")
    assert outside["gateway_ip"] == "10.99.0.1"


def test_allocation_pool_rules(net: NetApi) -> None:
    made = subnet(net, net.network(), cidr="10.12.0.0/24",
                  allocation_pools=[{"start": "10.12.0.100", "end": "10.12.0.120"},
                                    {"start": "10.12.0.10", "end": "10.12.0.20"}])
    assert made["allocation_pools"] == [{"start": "10.12.0.10", "end": "10.12.0.20"},
                                        {"start": "10.12.0.100", "end": "10.12.0.120"}]
    neutron_fault(post(net, net.network(), cidr="10.12.0.0/24", allocation_pools=[
        {"start": "10.12.0.1", "end": "10.12.0.20"}]), 409,
        "GatewayConflictWithAllocationPools")
    neutron_fault(post(net, net.network(), cidr="10.12.0.0/24", allocation_pools=[
        {"start": "10.12.0.10", "end": "10.12.0.20"},
        {"start": "10.12.0.15", "end": "10.12.0.30"}]), 409, "OverlappingAllocationPools")
    neutron_fault(post(net, net.network(), cidr="10.12.0.0/24", allocation_pools=[
        {"start": "10.12.0.10", "end": "10.12.1.20"}]), 400, "OutOfBoundsAllocationPool")
    neutron_fault(post(net, net.network(), cidr="10.12.0.0/24", allocation_pools=[
        {"start": "10.12.0.200", "end": "10.12.0.100"}]), 400, "InvalidAllocationPool")
    neutron_fault(post(net, net.network(), cidr="10.12.0.0/24", allocation_pools=[
        {"start": "10.12.0.255", "end": "10.12.0.255"}]), 400, "OutOfBoundsAllocationPool")
    neutron_fault(post(net, net.network(), cidr="10.12.0.0/24", allocation_pools=[
        {"start": "x", "end": "10.12.0.9"}]), 400)


def test_cidr_rules(net: NetApi) -> None:
    network = net.network()
    subnet(net, network, cidr="10.13.0.0/24")
    error = neutron_fault(post(net, network, cidr="10.13.0.128/25"), 400, "InvalidInput")
    assert "overlaps with another subnet" in error["message"]
    subnet(net, net.network(), cidr="10.13.0.0/24")  # other networks may overlap
    for bad in ("10.13.0.0", "10.13/16", "300.1.1.0/24", "10.13.0.0/33"):
        neutron_fault(post(net, net.network(), cidr=bad), 400)
    neutron_fault(post(net, net.network(), cidr="2001:db8::/64"), 400, "InvalidInput")
    neutron_fault(post(net, net.network(), cidr="0.0.0.0/0", enable_dhcp=False), 400,
                  "InvalidInput")
    neutron_fault(post(net, net.network(), cidr="10.13.5.0/31"), 400, "InvalidInput")
    tiny = subnet(net, net.network(), cidr="10.13.6.1/32", enable_dhcp=False)
    assert tiny["allocation_pools"] == [{"start": "10.13.6.1", "end": "10.13.6.1"}]
    neutron_fault(net.post("/subnets", json={"subnet": {"cidr": "10.13.7.0/24",
                                                        "ip_version": 4}}), 400)
    neutron_fault(net.post("/subnets", json={"subnet": {
        "network_id": network["id"], "ip_version": 5, "cidr": "10.13.7.0/24"}}), 400)
    neutron_fault(post(net, network), 400, "BadRequest")
    missing = "3b9f0a2e-0000-4000-8000-000000000000"
    neutron_fault(net.post("/subnets", json={"subnet": {
        "network_id": missing, "ip_version": 4, "cidr": "10.13.8.0/24"}}), 404,
        "NetworkNotFound")


def test_dns_and_routes(net: NetApi) -> None:
    made = subnet(net, net.network(), cidr="10.14.0.0/24",
                  dns_nameservers=["8.8.8.8", "1.1.1.1"],
                  host_routes=[{"destination": "10.20.0.0/16", "nexthop": "10.14.0.9"}])
    assert made["dns_nameservers"] == ["8.8.8.8", "1.1.1.1"]
    assert made["host_routes"] == [{"destination": "10.20.0.0/16", "nexthop": "10.14.0.9"}]
    neutron_fault(post(net, net.network(), cidr="10.14.0.0/24",
                       dns_nameservers=["8.8.8.8", "8.8.8.8"]), 400)
    neutron_fault(post(net, net.network(), cidr="10.14.0.0/24",
                       dns_nameservers=["2001:db8::53"]), 400, "InvalidInput")
    neutron_fault(post(net, net.network(), cidr="10.14.0.0/24",
                       dns_nameservers=[f"10.0.0.{i}" for i in range(6)]), 400,
                  "DNSNameServersExhausted")
    neutron_fault(post(net, net.network(), cidr="10.14.0.0/24", host_routes=[
        {"destination": "10.20.0.1/16", "nexthop": "10.14.0.9"}]), 400)
    neutron_fault(post(net, net.network(), cidr="10.14.0.0/24", host_routes=[
        {"destination": "2001:db8::/64", "nexthop": "10.14.0.9"}]), 400, "InvalidInput")


def test_ipv6_modes(net: NetApi) -> None:
    network = net.network()
    for i, mode in enumerate(("slaac", "dhcpv6-stateful", "dhcpv6-stateless")):
        made = subnet(net, network, ip_version=6, cidr=f"2001:db8:{i}::/64",
                      ipv6_ra_mode=mode, ipv6_address_mode=mode)
        assert (made["ipv6_ra_mode"], made["ipv6_address_mode"]) == (mode, mode)
    neutron_fault(post(net, network, ip_version=6, cidr="2001:db8:9::/64",
                       ipv6_ra_mode="slaac", ipv6_address_mode="dhcpv6-stateful"), 400,
                  "InvalidInput")
    neutron_fault(post(net, network, ip_version=6, cidr="2001:db8:9::/64",
                       ipv6_ra_mode="slaac", enable_dhcp=False), 400, "InvalidInput")
    neutron_fault(post(net, network, ip_version=6, cidr="2001:db8:9::/80",
                       ipv6_address_mode="slaac"), 400, "InvalidInput")
    neutron_fault(post(net, network, cidr="10.15.0.0/24", ipv6_ra_mode="slaac"), 400,
                  "InvalidInput")
    neutron_fault(post(net, network, ip_version=6, cidr="2001:db8:9::/64",
                       ipv6_ra_mode="bogus"), 400)
    stateful = subnet(net, network, ip_version=6, cidr="2001:db8:a::/80",
                      ipv6_address_mode="dhcpv6-stateful")
    neutron_fault(net.put(f"/subnets/{stateful['id']}",
                          json={"subnet": {"enable_dhcp": False}}), 400, "InvalidInput")


def test_update(net: NetApi) -> None:
    made = subnet(net, net.network(), cidr="10.16.0.0/24", gateway_ip="10.16.0.1",
                  allocation_pools=[{"start": "10.16.0.3", "end": "10.16.0.7"}],
                  dns_nameservers=["8.8.4.4", "8.8.8.8"])
    path = f"/subnets/{made['id']}"
    changed = assert_status(net.put(path, json={"subnet": {
        "name": "new", "gateway_ip": "10.16.0.2", "dns_nameservers": ["7.8.8.8", "7.8.4.4"],
        "host_routes": [{"destination": "10.20.0.0/32", "nexthop": "10.100.1.2"}],
        "enable_dhcp": False}}), 200)["subnet"]
    assert changed["name"] == "new" and changed["gateway_ip"] == "10.16.0.2"
    assert changed["dns_nameservers"] == ["7.8.8.8", "7.8.4.4"]
    assert changed["host_routes"] == [{"destination": "10.20.0.0/32",
                                       "nexthop": "10.100.1.2"}]
    assert changed["enable_dhcp"] is False and changed["revision_number"] == 1
    pools = assert_status(net.put(path, json={"subnet": {"allocation_pools": [
        {"start": "10.16.0.50", "end": "10.16.0.60"}]}}), 200)["subnet"]
    assert pools["allocation_pools"] == [{"start": "10.16.0.50", "end": "10.16.0.60"}]
    neutron_fault(net.put(path, json={"subnet": {"gateway_ip": "10.16.0.55"}}), 409,
                  "GatewayConflictWithAllocationPools")
    neutron_fault(net.put(path, json={"subnet": {"allocation_pools": [
        {"start": "10.16.0.2", "end": "10.16.0.9"}]}}), 409,
        "GatewayConflictWithAllocationPools")
    neutron_fault(net.put(path, json={"subnet": {"gateway_ip": "10.16.0.255"}}), 400,
                  "InvalidInput")
    neutron_fault(net.put(path, json={"subnet": {"cidr": "10.17.0.0/24"}}), 400)
    neutron_fault(net.put(path, json={"subnet": {"ip_version": 6}}), 400)
    cleared = assert_status(net.put(path, json={"subnet": {
        "gateway_ip": None, "dns_nameservers": None}}), 200)["subnet"]
    assert cleared["gateway_ip"] is None and cleared["dns_nameservers"] == []


def test_visibility_and_policy(net: NetApi, member: Member) -> None:
    private = subnet(net, net.network(), cidr="10.18.0.0/24")
    shared_net = net.network(shared=True)
    shared = subnet(net, shared_net, cidr="10.18.1.0/24")
    neutron_fault(net.get(f"/subnets/{private['id']}", member.token), 404, "SubnetNotFound")
    assert assert_status(net.get(f"/subnets/{shared['id']}", member.token), 200)
    listed = {s["id"] for s in assert_status(net.get("/subnets", member.token),
                                             200)["subnets"]}
    assert shared["id"] in listed and private["id"] not in listed
    neutron_fault(net.put(f"/subnets/{shared['id']}", member.token,
                          json={"subnet": {"name": "x"}}), 403)
    neutron_fault(net.delete(f"/subnets/{private['id']}", member.token), 404)
    # a member may not add a subnet to another project's (shared) network
    neutron_fault(net.post("/subnets", member.token, json={"subnet": {
        "network_id": shared_net["id"], "ip_version": 4, "cidr": "10.18.2.0/24"}}), 403)
    mine = net.network(member.token)
    own = subnet(net, mine, member.token, cidr="10.18.3.0/24")
    assert own["project_id"] == member.project["id"] and "segment_id" not in own
    neutron_fault(net.post("/subnets", member.token, json={"subnet": {
        "network_id": mine["id"], "ip_version": 4, "cidr": "10.18.4.0/24",
        "service_types": ["network:foo"]}}), 403)
    admin_view = assert_status(net.get(f"/subnets/{own['id']}"), 200)["subnet"]
    assert "segment_id" in admin_view


def test_filters_fields_and_bulk(net: NetApi) -> None:
    network = net.network()
    made = assert_status(net.post("/subnets", json={"subnets": [
        {"network_id": network["id"], "ip_version": 4, "cidr": "10.19.0.0/24"},
        {"network_id": network["id"], "ip_version": 6, "cidr": "2001:db8:19::/64"}]}),
        201)["subnets"]
    assert len(made) == 2
    v6 = assert_status(net.get("/subnets", params={"network_id": network["id"],
                                                   "ip_version": 6}), 200)["subnets"]
    assert [s["id"] for s in v6] == [made[1]["id"]]
    by_cidr = assert_status(net.get("/subnets", params={"cidr": "10.19.0.0/24",
                                                        "network_id": network["id"]}),
                            200)["subnets"]
    assert [s["id"] for s in by_cidr] == [made[0]["id"]]
    by_gw = assert_status(net.get("/subnets", params={"gateway_ip": "10.19.0.1"}),
                          200)["subnets"]
    assert made[0]["id"] in {s["id"] for s in by_gw}
    only = assert_status(net.get("/subnets", params={"network_id": network["id"],
                                                     "fields": ["id", "network_id"]}),
                         200)["subnets"]
    assert all(set(s) == {"id", "network_id"} for s in only) and len(only) == 2
    # a bulk create with one bad item creates nothing
    other = net.network()
    neutron_fault(net.post("/subnets", json={"subnets": [
        {"network_id": other["id"], "ip_version": 4, "cidr": "10.19.1.0/24"},
        {"network_id": other["id"], "ip_version": 4, "cidr": "10.19.1.0/25"}]}), 400)
    assert assert_status(net.get("/subnets", params={"network_id": other["id"]}),
                         200)["subnets"] == []


def test_delete_and_network_delete(net: NetApi) -> None:
    network = net.network()
    one = subnet(net, network, cidr="10.20.0.0/24")
    two = subnet(net, network, cidr="10.20.1.0/24")
    assert_status(net.delete(f"/subnets/{one['id']}"), 204)
    neutron_fault(net.get(f"/subnets/{one['id']}"), 404, "SubnetNotFound")
    neutron_fault(net.delete(f"/subnets/{one['id']}"), 404, "SubnetNotFound")
    shown = assert_status(net.get(f"/networks/{network['id']}"), 200)["network"]
    assert shown["subnets"] == [two["id"]]
    assert_status(net.delete(f"/networks/{network['id']}"), 204)
    neutron_fault(net.get(f"/subnets/{two['id']}"), 404, "SubnetNotFound")


def test_subnet_in_use_by_a_port(net: NetApi) -> None:
    network = net.network()
    made = subnet(net, network, cidr="10.21.0.0/24")
    port = net.post("/ports", json={"port": {"network_id": network["id"]}})
    if port.status_code == 404:  # no ports collection in this tree yet
        return
    assert port.status_code == 201, port.text
    assert port.json()["port"]["fixed_ips"][0]["subnet_id"] == made["id"]
    neutron_fault(net.delete(f"/subnets/{made['id']}"), 409, "SubnetInUse")
    assert_status(net.delete(f"/ports/{port.json()['port']['id']}"), 204)
    assert_status(net.delete(f"/subnets/{made['id']}"), 204)


def test_tags_and_revision(net: NetApi) -> None:
    made = subnet(net, net.network(), cidr="10.22.0.0/24")
    path = f"/subnets/{made['id']}"
    assert assert_status(net.put(f"{path}/tags", json={"tags": ["a"]}), 200)["tags"] == ["a"]
    neutron_fault(net.put(path, json={"subnet": {"name": "x"}},
                          headers={"If-Match": "revision_number=0"}), 412)


def test_shared_filter_and_quota(net: NetApi, member: Member) -> None:
    shared = subnet(net, net.network(shared=True), cidr="10.23.0.0/24")
    private = subnet(net, net.network(), cidr="10.23.1.0/24")
    listed = {s["id"] for s in assert_status(net.get("/subnets", params={"shared": "true"}),
                                             200)["subnets"]}
    assert shared["id"] in listed and private["id"] not in listed
    assert "shared" not in shared
    project = member.project["id"]
    assert_status(net.put(f"/quotas/{project}", json={"quota": {"subnet": 1}}), 200)
    mine = net.network(member.token)
    subnet(net, mine, member.token, cidr="10.23.2.0/24")
    neutron_fault(net.post("/subnets", member.token, json={"subnet": {
        "network_id": mine["id"], "ip_version": 4, "cidr": "10.23.3.0/24"}}), 409,
        "OverQuota")


def test_service_types(net: NetApi) -> None:
    network = net.network()
    made = subnet(net, network, cidr="10.24.0.0/24",
                  service_types=["test:type_1", "network:distributed"])
    assert made["service_types"] == ["network:distributed", "test:type_1"]
    listed = assert_status(net.get("/subnets", params={"service_types": "test:type_1"}),
                           200)["subnets"]
    assert [s["id"] for s in listed] == [made["id"]]
    neutron_fault(post(net, network, cidr="10.24.1.0/24", service_types=["bogus:x"]), 400,
                  "InvalidSubnetServiceType")
    neutron_fault(post(net, network, cidr="10.24.1.0/24", service_types=[7]), 400)
    changed = assert_status(net.put(f"/subnets/{made['id']}", json={"subnet": {
        "service_types": ["compute:nova"]}}), 200)["subnet"]
    assert changed["service_types"] == ["compute:nova"]


def test_subnets_on_segments(net: NetApi) -> None:
    network = net.network()
    first = assert_status(net.get("/segments", params={"network_id": network["id"]}),
                          200)["segments"][0]
    plain = subnet(net, network, cidr="10.25.0.0/24")
    # a network's only subnet joins its only segment; it cannot move afterwards
    joined = assert_status(net.put(f"/subnets/{plain['id']}", json={"subnet": {
        "segment_id": first["id"]}}), 200)["subnet"]
    assert joined["segment_id"] == first["id"]
    neutron_fault(post(net, network, cidr="10.25.1.0/24"), 400,
                  "SubnetsNotAllAssociatedWithSegments")
    on_segment = subnet(net, network, cidr="10.25.2.0/24", segment_id=first["id"])
    assert on_segment["segment_id"] == first["id"]
    neutron_fault(net.put(f"/subnets/{plain['id']}", json={"subnet": {
        "segment_id": None}}), 400, "SubnetsNotAllAssociatedWithSegments")
    elsewhere = assert_status(net.get("/segments", params={
        "network_id": net.network()["id"]}), 200)["segments"][0]
    neutron_fault(post(net, network, cidr="10.25.3.0/24", segment_id=elsewhere["id"]), 400,
                  "NetworkIdsDontMatch")
    lonely = net.network()
    lonely_subnet = subnet(net, lonely, cidr="10.25.4.0/24")
    neutron_fault(net.put(f"/subnets/{lonely_subnet['id']}", json={"subnet": {
        "segment_id": first["id"]}}), 400, "NetworkIdsDontMatch")
