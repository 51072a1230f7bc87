"""Port forwardings of a floating IP: CRUD under the floating IP, the internal address must
be the port's and reach the floating IP's network through a router (which the floating IP
then names), duplicates and overlapping ranges refused, a floating IP bound to a port has
none and the other way round, deleting the internal port takes its forwardings."""
from __future__ import annotations

from typing import Any

import pytest

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member


def subnet(net: NetApi, network_id: str, cidr: str, token: str | None = None,
           **attrs: Any) -> dict[str, Any]:
    return net.create("subnets", "subnet", token, network_id=network_id, cidr=cidr,
                      ip_version=4, **attrs)


@pytest.fixture
def setup(net: NetApi, member: Member) -> dict[str, Any]:
    tok = member.token
    ext = net.network(**{"router:external": True})
    subnet(net, ext["id"], "198.19.0.0/24", enable_dhcp=False)
    inner = net.network(tok)
    sub = subnet(net, inner["id"], "10.90.0.0/24", tok)
    router = net.create("routers", "router", tok,
                        external_gateway_info={"network_id": ext["id"]})
    assert_status(net.put(f"/routers/{router['id']}/add_router_interface", tok,
                          json={"subnet_id": sub["id"]}), 200)
    port = net.create("ports", "port", tok, network_id=inner["id"])
    fip = net.create("floatingips", "floatingip", tok, floating_network_id=ext["id"])
    return {"tok": tok, "ext": ext, "inner": inner, "router": router, "port": port,
            "fip": fip, "ip": port["fixed_ips"][0]["ip_address"]}


def pf_path(fip: dict, pf: str = "") -> str:
    return f"/floatingips/{fip['id']}/port_forwardings" + (f"/{pf}" if pf else "")


def test_port_forwarding_lifecycle(net: NetApi, setup: dict) -> None:
    tok, fip, port, ip = setup["tok"], setup["fip"], setup["port"], setup["ip"]
    body = {"internal_port_id": port["id"], "internal_ip_address": ip,
            "internal_port": 22, "external_port": 2222, "protocol": "tcp",
            "description": "ssh"}
    made = assert_status(net.post(pf_path(fip), tok, json={"port_forwarding": body}),
                         201)["port_forwarding"]
    assert made["internal_port"] == 22 and made["external_port"] == 2222
    assert made["protocol"] == "tcp" and made["internal_ip_address"] == ip
    shown = assert_status(net.get(pf_path(fip, made["id"]), tok), 200)["port_forwarding"]
    assert shown == made
    owner = assert_status(net.get(f"/floatingips/{fip['id']}", tok), 200)["floatingip"]
    assert owner["router_id"] == setup["router"]["id"]
    assert owner["port_forwardings"][0]["external_port"] == 2222
    # the same external socket again; an overlapping range
    neutron_fault(net.post(pf_path(fip), tok, json={"port_forwarding": {
        **body, "internal_port": 23}}), 400)
    neutron_fault(net.post(pf_path(fip), tok, json={"port_forwarding": {
        **{k: v for k, v in body.items() if k not in ("internal_port", "external_port")},
        "internal_port_range": "2200:2300", "external_port_range": "2200:2300"}}), 400)
    ranged = assert_status(net.post(pf_path(fip), tok, json={"port_forwarding": {
        "internal_port_id": port["id"], "internal_ip_address": ip, "protocol": "udp",
        "internal_port_range": "5000:5010", "external_port_range": "6000:6010"}}),
        201)["port_forwarding"]
    assert ranged["external_port_range"] == "6000:6010"
    listed = assert_status(net.get(pf_path(fip), tok, params={"protocol": "udp"}),
                           200)["port_forwardings"]
    assert [p["id"] for p in listed] == [ranged["id"]]
    changed = assert_status(net.put(pf_path(fip, made["id"]), tok, json={
        "port_forwarding": {"external_port": 2022}}), 200)["port_forwarding"]
    assert changed["external_port"] == 2022
    # a floating IP with forwardings cannot also be associated with a port
    neutron_fault(net.put(f"/floatingips/{fip['id']}", tok, json={"floatingip": {
        "port_id": port["id"]}}), 409, "FipInUseByPortForwarding")
    assert_status(net.delete(pf_path(fip, made["id"]), tok), 204)
    neutron_fault(net.get(pf_path(fip, made["id"]), tok), 404, "PortForwardingNotFound")
    # deleting the internal port takes the rest
    assert_status(net.delete(f"/ports/{port['id']}", tok), 204)
    assert assert_status(net.get(pf_path(fip), tok), 200)["port_forwardings"] == []


def test_port_forwarding_refusals(net: NetApi, setup: dict, member: Member) -> None:
    tok, fip, port, ip = setup["tok"], setup["fip"], setup["port"], setup["ip"]
    base = {"internal_port_id": port["id"], "internal_ip_address": ip,
            "internal_port": 80, "external_port": 8080, "protocol": "tcp"}
    neutron_fault(net.post(pf_path(fip), tok, json={"port_forwarding": {
        **base, "protocol": "icmp"}}), 400)
    neutron_fault(net.post(pf_path(fip), tok, json={"port_forwarding": {
        **base, "external_port": 70000}}), 400)
    neutron_fault(net.post(pf_path(fip), tok, json={"port_forwarding": {
        **base, "internal_ip_address": "10.90.0.250"}}), 400)
    neutron_fault(net.post(pf_path(fip), tok, json={"port_forwarding": {
        k: v for k, v in base.items() if k != "protocol"}}), 400)
    # a port behind no router to the floating IP's network
    lone = net.network(tok)
    subnet(net, lone["id"], "10.91.0.0/24", tok)
    stray = net.create("ports", "port", tok, network_id=lone["id"])
    neutron_fault(net.post(pf_path(fip), tok, json={"port_forwarding": {
        **base, "internal_port_id": stray["id"],
        "internal_ip_address": stray["fixed_ips"][0]["ip_address"]}}), 404)
    # a port with a floating IP of its own
    other = net.create("floatingips", "floatingip", tok,
                       floating_network_id=setup["ext"]["id"], port_id=port["id"])
    neutron_fault(net.post(pf_path(fip), tok, json={"port_forwarding": base}), 409,
                  "PortHasBindingFloatingIP")
    assert_status(net.put(f"/floatingips/{other['id']}", tok, json={"floatingip": {
        "port_id": None}}), 200)
    assert_status(net.post(pf_path(fip), tok, json={"port_forwarding": base}), 201)
    neutron_fault(net.put(f"/floatingips/{other['id']}", tok, json={"floatingip": {
        "port_id": port["id"]}}), 400, "PortHasPortForwarding")
    neutron_fault(net.get(pf_path(fip), params={"bogus": "1"}), 400)
    neutron_fault(net.get(pf_path({"id": port["id"]})), 404, "FloatingIPNotFound")
