"""Ports through the API: bindings (admin), allowed address pairs, extra DHCP options,
port security and security groups, filters, visibility across projects and the network
owner's rules, faults, and the network/subnet hooks. Addresses and MACs: test_ipam.py."""
from __future__ import annotations

from typing import Any

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def subnet(net: NetApi, network: dict[str, Any], cidr: str, token: str | None = None,
           **attrs: Any) -> dict[str, Any]:
    version = 6 if ":" in cidr else 4
    return net.create("subnets", "subnet", token, network_id=network["id"], cidr=cidr,
                      ip_version=version, **attrs)


def port(net: NetApi, network: dict[str, Any], token: str | None = None,
         status: int = 201, **attrs: Any) -> dict[str, Any]:
    return net.create("ports", "port", token, status=status, network_id=network["id"],
                      **attrs)


def ips(p: dict[str, Any]) -> list[str]:
    return [f["ip_address"] for f in p["fixed_ips"]]


def test_filters_by_fixed_ips_device_and_fields(net: NetApi) -> None:
    network = net.network()
    sn = subnet(net, network, "10.27.0.0/24")
    a = port(net, network, fixed_ips=[{"ip_address": "10.27.0.11"}], device_id="dev-a")
    b = port(net, network, fixed_ips=[{"ip_address": "10.27.0.21"}])

    def listed(**params: Any) -> set[str]:
        body = assert_status(net.get("/ports", params=params), 200)
        return {p["id"] for p in body["ports"]}
    assert listed(fixed_ips="ip_address=10.27.0.11") == {a["id"]}
    assert listed(fixed_ips=f"subnet_id={sn['id']}") == {a["id"], b["id"]}
    assert listed(fixed_ips="ip_address_substr=10.27.0.1") == {a["id"]}
    assert listed(fixed_ips="ip_address_substr=10.27.0.") == {a["id"], b["id"]}
    assert listed(device_id="dev-a") == {a["id"]}
    assert listed(network_id=network["id"], mac_address=b["mac_address"]) == {b["id"]}
    neutron_fault(net.get("/ports", params={"fixed_ips": "bogus=1"}), 400)
    only = assert_status(net.get("/ports", params={"network_id": network["id"],
                                                    "fields": ["id", "mac_address"]}),
                         200)["ports"]
    assert len(only) == 2 and all(set(p) == {"id", "mac_address"} for p in only)
    shown = assert_status(net.get(f"/ports/{a['id']}", params={"fields": "fixed_ips"}),
                          200)["port"]
    assert shown == {"fixed_ips": a["fixed_ips"]}


def test_allowed_address_pairs_and_extra_dhcp_opts(net: NetApi) -> None:
    network = net.network()
    subnet(net, network, "10.29.0.0/24")
    p = port(net, network, allowed_address_pairs=[{"ip_address": "10.29.0.100"}],
             extra_dhcp_opts=[{"opt_name": "bootfile-name", "opt_value": "pxelinux.0"},
                              {"opt_name": "tftp-server", "opt_value": "10.0.0.9"}])
    assert p["allowed_address_pairs"] == [{"ip_address": "10.29.0.100",
                                           "mac_address": p["mac_address"]}]
    assert sorted((o["opt_name"], o["opt_value"], o["ip_version"])
                  for o in p["extra_dhcp_opts"]) == [
        ("bootfile-name", "pxelinux.0", 4), ("tftp-server", "10.0.0.9", 4)]
    pairs = [{"ip_address": "10.30.0.0/24", "mac_address": "fa:16:3e:aa:bb:cc"},
             {"ip_address": "10.29.0.101", "mac_address": p["mac_address"]}]
    changed = assert_status(net.put(f"/ports/{p['id']}", json={"port": {
        "allowed_address_pairs": pairs,
        "extra_dhcp_opts": [{"opt_name": "tftp-server", "opt_value": None},
                            {"opt_name": "server-ip-address", "opt_value": "10.0.0.1"}]}}),
        200)["port"]
    assert sorted(changed["allowed_address_pairs"], key=str) == sorted(pairs, key=str)
    assert sorted(o["opt_name"] for o in changed["extra_dhcp_opts"]) == [
        "bootfile-name", "server-ip-address"]
    neutron_fault(net.put(f"/ports/{p['id']}", json={"port": {
        "allowed_address_pairs": [{"ip_address": "not-an-ip"}]}}), 400)
    neutron_fault(net.put(f"/ports/{p['id']}", json={"port": {
        "allowed_address_pairs": [{"ip_address": "10.1.1.1"}, {"ip_address": "10.1.1.1"}]}}),
        400)


def test_port_security_and_security_groups(net: NetApi) -> None:
    network = net.network()
    subnet(net, network, "10.31.0.0/24")
    p = port(net, network)
    assert p["port_security_enabled"] is True and len(p["security_groups"]) == 1
    default = p["security_groups"][0]
    group = net.create("security-groups", "security_group", name=unique("sg"))
    assert port(net, network, security_groups=[])["security_groups"] == []
    with_group = port(net, network, security_groups=[group["id"]])
    assert with_group["security_groups"] == [group["id"]]
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"],
        "security_groups": ["00000000-0000-0000-0000-000000000000"]}}), 404,
        "SecurityGroupNotFound")
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "port_security_enabled": False,
        "security_groups": [group["id"]]}}), 409,
        "PortSecurityAndIPRequiredForSecurityGroups")
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"], "port_security_enabled": False,
        "allowed_address_pairs": [{"ip_address": "10.1.1.1"}]}}), 409,
        "AddressPairAndPortSecurityRequired")
    off = port(net, network, port_security_enabled=False)
    assert off["port_security_enabled"] is False and off["security_groups"] == []
    # disabling needs the groups removed first (or in the same request)
    neutron_fault(net.put(f"/ports/{p['id']}", json={"port": {
        "port_security_enabled": False}}), 409, "PortSecurityPortHasSecurityGroups")
    both = assert_status(net.put(f"/ports/{p['id']}", json={"port": {
        "port_security_enabled": False, "security_groups": []}}), 200)["port"]
    assert both["port_security_enabled"] is False and both["security_groups"] == []
    back = assert_status(net.put(f"/ports/{p['id']}", json={"port": {
        "port_security_enabled": True, "security_groups": [group["id"], default]}}),
        200)["port"]
    assert sorted(back["security_groups"]) == sorted([group["id"], default])
    by_group = assert_status(net.get("/ports", params={"security_groups": group["id"]}),
                             200)["ports"]
    assert {x["id"] for x in by_group} == {with_group["id"], p["id"]}
    # a network without port security: its ports inherit that
    closed = net.network(port_security_enabled=False)
    assert port(net, closed)["port_security_enabled"] is False


def test_binding_is_admin_only_and_bind_sets_vif(net: NetApi, member: Member) -> None:
    network = net.network(member.token)
    subnet(net, network, "10.32.0.0/24", member.token)
    mine = port(net, network, member.token)
    assert "binding:host_id" not in mine and "binding:vif_type" not in mine
    assert mine["binding:vnic_type"] == "normal"
    neutron_fault(net.post("/ports", member.token, json={"port": {
        "network_id": network["id"], "binding:host_id": "h1"}}), 403)
    neutron_fault(net.put(f"/ports/{mine['id']}", member.token, json={"port": {
        "binding:host_id": "h1"}}), 403)
    bound = assert_status(net.put(f"/ports/{mine['id']}", json={"port": {
        "binding:host_id": "h1", "binding:profile": {"a": 1}}}), 200)["port"]
    assert bound["binding:host_id"] == "h1" and bound["binding:vif_type"] == "ovs"
    assert bound["binding:vif_details"]["port_filter"] is True
    assert bound["binding:profile"] == {"a": 1} and bound["status"] == "DOWN"
    made = port(net, network, **{"binding:host_id": "h2", "binding:vnic_type": "direct"})
    assert made["binding:vif_type"] == "ovs" and made["binding:vnic_type"] == "direct"
    listed = assert_status(net.get("/ports", params={"binding:host_id": "h2"}), 200)
    assert [p["id"] for p in listed["ports"]] == [made["id"]]
    unbound = assert_status(net.put(f"/ports/{made['id']}", json={"port": {
        "binding:host_id": ""}}), 200)["port"]
    assert unbound["binding:vif_type"] == "unbound"


def test_visibility_and_network_owner_rules(net: NetApi, member: Member,
                                            make_project_member: Any) -> None:
    admin_net = net.network()
    subnet(net, admin_net, "10.33.0.0/24")
    private = port(net, admin_net)
    neutron_fault(net.post("/ports", member.token, json={"port": {
        "network_id": admin_net["id"]}}), 404, "NetworkNotFound")
    neutron_fault(net.get(f"/ports/{private['id']}", member.token), 404, "PortNotFound")
    neutron_fault(net.delete(f"/ports/{private['id']}", member.token), 404)
    shared = net.network(shared=True)
    sn = subnet(net, shared, "10.34.0.0/24")
    theirs = port(net, shared, member.token)
    assert theirs["project_id"] == member.project["id"]
    # a member of another project may ask for a subnet of a shared network, but may not
    # choose an address, a MAC or a network: device owner on it
    assert port(net, shared, member.token, fixed_ips=[{"subnet_id": sn["id"]}])
    for attrs in ({"fixed_ips": [{"ip_address": "10.34.0.50"}]},
                  {"mac_address": "fa:16:3e:01:02:03"},
                  {"device_owner": "network:router_interface"},
                  {"port_security_enabled": False}):
        neutron_fault(net.post("/ports", member.token, json={"port": {
            "network_id": shared["id"], **attrs}}), 403)
    # the network's owner (admin here) sees the member's port on its network
    listed = assert_status(net.get("/ports", params={"network_id": shared["id"]}), 200)
    assert theirs["id"] in {p["id"] for p in listed["ports"]}
    other = make_project_member()
    neutron_fault(net.get(f"/ports/{theirs['id']}", other.token), 404)
    # on its own network a member chooses freely
    own = net.network(member.token)
    own_sn = subnet(net, own, "10.35.0.0/24", member.token)
    chosen = port(net, own, member.token, mac_address="fa:16:3e:01:02:04",
                  fixed_ips=[{"subnet_id": own_sn["id"], "ip_address": "10.35.0.9"}])
    assert ips(chosen) == ["10.35.0.9"]
    neutron_fault(net.put(f"/ports/{chosen['id']}", member.token, json={"port": {
        "mac_address": "fa:16:3e:01:02:05"}}), 403)


def test_network_and_subnet_in_use(net: NetApi) -> None:
    network = net.network()
    sn = subnet(net, network, "10.36.0.0/24")
    p = port(net, network)
    neutron_fault(net.delete(f"/networks/{network['id']}"), 409, "NetworkInUse")
    neutron_fault(net.delete(f"/subnets/{sn['id']}"), 409, "SubnetInUse")
    assert_status(net.delete(f"/ports/{p['id']}"), 204)
    dhcp = port(net, network, device_owner="network:dhcp")
    assert ips(dhcp)
    assert_status(net.delete(f"/subnets/{sn['id']}"), 204)
    assert_status(net.delete(f"/networks/{network['id']}"), 204)
    neutron_fault(net.get(f"/ports/{dhcp['id']}"), 404)


def test_unknown_network_and_bad_bodies(net: NetApi) -> None:
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": "00000000-0000-0000-0000-000000000000"}}), 404, "NetworkNotFound")
    neutron_fault(net.post("/ports", json={"port": {"name": "x"}}), 400)
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": net.network()["id"], "status": "ACTIVE"}}), 400)


def test_qos_policy_and_trunk_details(net: NetApi, member: Member) -> None:
    network = net.network()
    subnet(net, network, "10.39.0.0/24")
    policy = net.create("qos/policies", "policy", name=unique("qos"))
    p = port(net, network, qos_policy_id=policy["id"])
    assert p["qos_policy_id"] == policy["id"] and p["qos_network_policy_id"] is None
    assert "trunk_details" not in p
    neutron_fault(net.post("/ports", json={"port": {
        "network_id": network["id"],
        "qos_policy_id": "00000000-0000-0000-0000-000000000000"}}), 404, "QosPolicyNotFound")
    neutron_fault(net.delete(f"/qos/policies/{policy['id']}"), 409, "QosPolicyInUse")
    cleared = assert_status(net.put(f"/ports/{p['id']}", json={"port": {
        "qos_policy_id": None}}), 200)["port"]
    assert cleared["qos_policy_id"] is None
    trunk = net.create("trunks", "trunk", port_id=p["id"])
    shown = assert_status(net.get(f"/ports/{p['id']}"), 200)["port"]
    assert shown["trunk_details"] == {"trunk_id": trunk["id"], "sub_ports": []}
    neutron_fault(net.delete(f"/ports/{p['id']}"), 409, "PortInUseAsTrunkParent")


def test_new_slaac_subnet_addresses_existing_ports(net: NetApi) -> None:
    network = net.network()
    subnet(net, network, "10.40.0.0/24")
    p = port(net, network, mac_address="fa:16:3e:00:40:01")
    router_port = port(net, network, device_owner="network:router_interface")
    v6 = subnet(net, network, "2001:db8:40::/64", ipv6_ra_mode="slaac",
                ipv6_address_mode="slaac")
    shown = assert_status(net.get(f"/ports/{p['id']}"), 200)["port"]
    assert {"subnet_id": v6["id"], "ip_address": "2001:db8:40:0:f816:3eff:fe00:4001"} \
        in shown["fixed_ips"]
    assert shown["revision_number"] > p["revision_number"]
    router_shown = assert_status(net.get(f"/ports/{router_port['id']}"), 200)["port"]
    assert len(router_shown["fixed_ips"]) == 1


def test_router_and_floating_ip_ports_cannot_be_deleted_directly(net: NetApi) -> None:
    public = net.network(**{"router:external": True})
    subnet(net, public, "198.51.100.0/24")
    fip = net.create("floatingips", "floatingip", floating_network_id=public["id"])
    fip_port = assert_status(net.get("/ports", params={"device_id": fip["id"]}),
                             200)["ports"]
    assert [p["device_owner"] for p in fip_port] == ["network:floatingip"]
    neutron_fault(net.delete(f"/ports/{fip_port[0]['id']}"), 409, "ServicePortInUse")
    router = net.create("routers", "router", name=unique("r"),
                        external_gateway_info={"network_id": public["id"]})
    gateway = assert_status(net.get("/ports", params={"device_id": router["id"]}),
                            200)["ports"]
    assert [p["device_owner"] for p in gateway] == ["network:router_gateway"]
    neutron_fault(net.delete(f"/ports/{gateway[0]['id']}"), 409, "ServicePortInUse")
    # gone with their owners
    assert_status(net.delete(f"/floatingips/{fip['id']}"), 204)
    neutron_fault(net.get(f"/ports/{fip_port[0]['id']}"), 404)


def test_create_answer_is_what_show_answers(net: NetApi, member: Member) -> None:
    network = net.network(member.token)
    subnet(net, network, "10.41.0.0/24", member.token)
    group = net.create("security-groups", "security_group", member.token, name=unique("sg"))
    made = port(net, network, member.token, security_groups=[group["id"]],
                allowed_address_pairs=[{"ip_address": "10.41.0.200"},
                                       {"ip_address": "10.42.0.0/24",
                                        "mac_address": "fa:16:3e:00:41:01"}],
                extra_dhcp_opts=[{"opt_name": "tftp-server", "opt_value": "10.0.0.9"},
                                 {"opt_name": "bootfile-name", "opt_value": "pxelinux.0"},
                                 {"opt_name": "mtu", "opt_value": "1400", "ip_version": 6}],
                dns_name="vm1")
    shown = assert_status(net.get(f"/ports/{made['id']}", member.token), 200)["port"]
    assert made == shown
    assert made["dns_assignment"] == [{"hostname": "vm1", "ip_address": ips(made)[0],
                                       "fqdn": "vm1.openstacklocal."}]
    bulk = assert_status(net.post("/ports", json={"ports": [
        {"network_id": network["id"]}, {"network_id": network["id"], "dns_name": "b"}]}),
        201)["ports"]
    for p in bulk:
        assert p == assert_status(net.get(f"/ports/{p['id']}"), 200)["port"]
