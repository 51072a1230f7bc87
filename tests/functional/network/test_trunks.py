"""Trunks: a parent port with VLAN subports (add, remove, list), each port in at most one
trunk, VLAN ids unique per trunk, inherit from a VLAN network, and Neutron's 4xx."""
from __future__ import annotations

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status


def port(net: NetApi, network_id: str, token: str | None = None, **attrs) -> dict:
    return net.create("ports", "port", token, network_id=network_id, **attrs)


def test_trunk_lifecycle(net: NetApi, member) -> None:
    network = net.network(member.token)
    parent, sub1, sub2 = (port(net, network["id"], member.token) for _ in range(3))
    trunk = net.create("trunks", "trunk", member.token, port_id=parent["id"], name="t",
                       sub_ports=[{"port_id": sub1["id"], "segmentation_type": "vlan",
                                   "segmentation_id": 100}])
    assert trunk["status"] == "DOWN" and trunk["admin_state_up"] is True
    assert trunk["sub_ports"] == [{"port_id": sub1["id"], "segmentation_type": "vlan",
                                   "segmentation_id": 100}]
    assert trunk["project_id"] == member.project["id"] and trunk["revision_number"] == 0
    path = f"/trunks/{trunk['id']}"
    added = assert_status(net.put(f"{path}/add_subports", member.token, json={"sub_ports": [
        {"port_id": sub2["id"], "segmentation_type": "vlan", "segmentation_id": 200}]}), 200)
    assert added["id"] == trunk["id"] and len(added["sub_ports"]) == 2
    assert added["revision_number"] == 1
    listed = assert_status(net.get(f"{path}/get_subports", member.token), 200)["sub_ports"]
    assert [s["segmentation_id"] for s in listed] == [100, 200]
    # the same VLAN twice, a port already used, the parent as a subport
    sub3 = port(net, network["id"], member.token)
    neutron_fault(net.put(f"{path}/add_subports", member.token, json={"sub_ports": [
        {"port_id": sub3["id"], "segmentation_type": "vlan", "segmentation_id": 100}]}), 409,
        "DuplicateSubPort")
    neutron_fault(net.put(f"{path}/add_subports", member.token, json={"sub_ports": [
        {"port_id": sub1["id"], "segmentation_type": "vlan", "segmentation_id": 300}]}), 409,
        "TrunkPortInUse")
    neutron_fault(net.put(f"{path}/add_subports", member.token, json={"sub_ports": [
        {"port_id": parent["id"], "segmentation_type": "vlan", "segmentation_id": 300}]}),
        409, "ParentPortInUse")
    neutron_fault(net.post("/trunks", member.token, json={"trunk": {"port_id": sub1["id"]}}),
                  409, "TrunkPortInUse")
    neutron_fault(net.post("/trunks", member.token, json={"trunk": {
        "port_id": parent["id"]}}), 409, "ParentPortInUse")
    removed = assert_status(net.put(f"{path}/remove_subports", member.token, json={
        "sub_ports": [{"port_id": sub1["id"]}]}), 200)
    assert [s["port_id"] for s in removed["sub_ports"]] == [sub2["id"]]
    neutron_fault(net.put(f"{path}/remove_subports", member.token, json={
        "sub_ports": [{"port_id": sub1["id"]}]}), 404, "SubPortNotFound")
    # a disabled trunk refuses subport changes
    assert_status(net.put(path, member.token, json={"trunk": {"admin_state_up": False}}),
                  200)
    neutron_fault(net.put(f"{path}/add_subports", member.token, json={"sub_ports": [
        {"port_id": sub1["id"], "segmentation_type": "vlan", "segmentation_id": 5}]}), 409,
        "TrunkDisabled")
    assert_status(net.delete(path, member.token), 204)
    neutron_fault(net.get(path, member.token), 404, "TrunkNotFound")
    # its ports are free again
    again = net.create("trunks", "trunk", member.token, port_id=sub1["id"], sub_ports=[
        {"port_id": parent["id"], "segmentation_type": "vlan", "segmentation_id": 7}])
    assert again["port_id"] == sub1["id"]


def test_bad_subports_are_400(net: NetApi, member) -> None:
    network = net.network(member.token)
    parent, sub = (port(net, network["id"], member.token) for _ in range(2))
    for subports in ("x", ["x"], [{"segmentation_type": "vlan"}],
                     [{"port_id": "nope", "segmentation_type": "vlan", "segmentation_id": 1}],
                     [{"port_id": sub["id"], "segmentation_type": "vlan"}],
                     [{"port_id": sub["id"], "segmentation_type": "vlan",
                       "segmentation_id": 4095}],
                     [{"port_id": sub["id"], "segmentation_type": "vxlan",
                       "segmentation_id": 5}],
                     [{"port_id": sub["id"], "segmentation_type": "vlan",
                       "segmentation_id": "five"}],
                     [{"port_id": sub["id"], "segmentation_type": "inherit"}]):
        neutron_fault(net.post("/trunks", member.token, json={"trunk": {
            "port_id": parent["id"], "sub_ports": subports}}), 400, "InvalidInput")
    neutron_fault(net.post("/trunks", member.token, json={"trunk": {}}), 400)
    neutron_fault(net.post("/trunks", member.token, json={"trunk": {
        "port_id": "0b7c5e0d-1111-4222-8333-944455556666"}}), 404, "PortNotFound")
    # nothing was made by the failed attempts
    assert net.create("trunks", "trunk", member.token, port_id=parent["id"])["sub_ports"] \
        == []


def test_inherit_takes_the_vlan_networks_id(net: NetApi) -> None:
    vlan = net.network(**{"provider:network_type": "vlan",
                          "provider:physical_network": "physnet1",
                          "provider:segmentation_id": 2345})
    parent = port(net, net.network()["id"])
    sub = port(net, vlan["id"])
    trunk = net.create("trunks", "trunk", port_id=parent["id"], sub_ports=[
        {"port_id": sub["id"], "segmentation_type": "inherit"}])
    assert trunk["sub_ports"] == [{"port_id": sub["id"], "segmentation_type": "vlan",
                                   "segmentation_id": 2345}]


def test_other_projects_trunk_is_404(net: NetApi, member, make_project_member) -> None:
    other = make_project_member()
    network = net.network(member.token)
    trunk = net.create("trunks", "trunk", member.token,
                       port_id=port(net, network["id"], member.token)["id"])
    neutron_fault(net.get(f"/trunks/{trunk['id']}", other.token), 404, "TrunkNotFound")
    neutron_fault(net.put(f"/trunks/{trunk['id']}/add_subports", other.token,
                          json={"sub_ports": []}), 404)
    # another project's port is not found either
    foreign = port(net, net.network(other.token)["id"], other.token)
    neutron_fault(net.put(f"/trunks/{trunk['id']}/add_subports", member.token, json={
        "sub_ports": [{"port_id": foreign["id"], "segmentation_type": "vlan",
                       "segmentation_id": 9}]}), 404, "PortNotFound")
    assert [t["id"] for t in assert_status(net.get("/trunks", member.token, params={
        "status": "DOWN"}), 200)["trunks"]] == [trunk["id"]]


def test_trunk_details_and_ports_in_a_trunk_cannot_go(net: NetApi, member) -> None:
    """trunk-details: a parent port shows its trunk and subports (other ports show no
    trunk_details); a parent or a subport cannot be deleted while in the trunk (409)."""
    tok = member.token
    network = net.network(tok)
    parent, sub, plain = (port(net, network["id"], tok) for _ in range(3))
    trunk = net.create("trunks", "trunk", tok, port_id=parent["id"], sub_ports=[
        {"port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 42}])
    shown = assert_status(net.get(f"/ports/{parent['id']}", tok), 200)["port"]
    assert shown["trunk_details"] == {"trunk_id": trunk["id"], "sub_ports": [{
        "port_id": sub["id"], "segmentation_type": "vlan", "segmentation_id": 42,
        "mac_address": sub["mac_address"]}]}, shown["trunk_details"]
    for other in (sub, plain):
        assert "trunk_details" not in assert_status(
            net.get(f"/ports/{other['id']}", tok), 200)["port"]
    listed = {p["id"]: p for p in assert_status(net.get(
        "/ports", tok, params={"network_id": network["id"]}), 200)["ports"]}
    assert listed[parent["id"]]["trunk_details"]["trunk_id"] == trunk["id"]
    assert "trunk_details" not in listed[plain["id"]]
    neutron_fault(net.delete(f"/ports/{parent['id']}", tok), 409, "PortInUseAsTrunkParent")
    neutron_fault(net.delete(f"/ports/{sub['id']}", tok), 409, "PortInUseAsSubPort")
    assert_status(net.get(f"/ports/{parent['id']}", tok), 200)
    # out of the trunk, the subport goes; once the trunk is gone, so does the parent
    assert_status(net.put(f"/trunks/{trunk['id']}/remove_subports", tok, json={
        "sub_ports": [{"port_id": sub["id"]}]}), 200)
    assert_status(net.delete(f"/ports/{sub['id']}", tok), 204)
    assert assert_status(net.get(f"/ports/{parent['id']}", tok),
                         200)["port"]["trunk_details"]["sub_ports"] == []
    assert_status(net.delete(f"/trunks/{trunk['id']}", tok), 204)
    assert "trunk_details" not in assert_status(net.get(f"/ports/{parent['id']}", tok),
                                                200)["port"]
    assert_status(net.delete(f"/ports/{parent['id']}", tok), 204)
    extensions = {e["alias"] for e in assert_status(net.get("/extensions", tok),
                                                    200)["extensions"]}
    assert {"trunk", "trunk-details"} <= extensions
