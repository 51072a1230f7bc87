"""``/v2.0/segments``: admin-only CRUD of a network's segments; each network shows its
first segment as its provider attributes; a member sees no segment."""
from __future__ import annotations

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status


def test_every_network_has_a_segment(net: NetApi) -> None:
    made = net.network()
    listed = assert_status(net.get("/segments", params={"network_id": made["id"]}),
                           200)["segments"]
    assert len(listed) == 1
    seg = listed[0]
    assert seg["network_type"] == "vxlan" and seg["physical_network"] is None
    assert seg["segmentation_id"] == made["provider:segmentation_id"]
    assert seg["name"] is None and seg["revision_number"] == 0 and "tenant_id" not in seg
    assert_status(net.delete(f"/networks/{made['id']}"), 204)
    neutron_fault(net.get(f"/segments/{seg['id']}"), 404, "SegmentNotFound")


def test_create_update_delete_segment(net: NetApi) -> None:
    made = net.network(**{"provider:network_type": "vlan",
                          "provider:physical_network": "physnet1"})
    seg = net.create("segments", "segment", network_id=made["id"], network_type="vlan",
                     physical_network="physnet1", segmentation_id=3500, name="second")
    assert (seg["segmentation_id"], seg["name"]) == (3500, "second")
    neutron_fault(net.post("/segments", json={"segment": {
        "network_id": made["id"], "network_type": "vlan", "physical_network": "physnet1",
        "segmentation_id": 3500}}), 409, "VlanIdInUse")
    changed = assert_status(net.put(f"/segments/{seg['id']}", json={
        "segment": {"name": "renamed", "description": "d"}}), 200)["segment"]
    assert changed["name"] == "renamed" and changed["revision_number"] == 1
    neutron_fault(net.put(f"/segments/{seg['id']}", json={
        "segment": {"segmentation_id": 7}}), 400)
    assert len(assert_status(net.get("/segments", params={"network_id": made["id"]}),
                             200)["segments"]) == 2
    assert_status(net.delete(f"/segments/{seg['id']}"), 204)
    # the id is free again
    again = net.create("segments", "segment", network_id=made["id"], network_type="vlan",
                       physical_network="physnet1", segmentation_id=3500)
    assert_status(net.delete(f"/segments/{again['id']}"), 204)


def test_segment_errors(net: NetApi, member) -> None:
    neutron_fault(net.post("/segments", json={"segment": {
        "network_id": "0b7c5e0d-1111-4222-8333-944455556666", "network_type": "vxlan"}}),
        404, "NetworkNotFound")
    made = net.network()
    neutron_fault(net.post("/segments", json={"segment": {"network_id": made["id"]}}), 400)
    neutron_fault(net.post("/segments", json={"segment": {
        "network_id": made["id"], "network_type": "flat"}}), 400, "InvalidInput")
    mine = net.network(member.token)
    neutron_fault(net.post("/segments", member.token, json={"segment": {
        "network_id": mine["id"], "network_type": "vxlan"}}), 403)
    seg = assert_status(net.get("/segments", params={"network_id": mine["id"]}),
                        200)["segments"][0]
    neutron_fault(net.get(f"/segments/{seg['id']}", member.token), 404)
    assert assert_status(net.get("/segments", member.token), 200)["segments"] == []
