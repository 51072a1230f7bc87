"""Metering labels and rules through the API: admin-only CRUD, filters, a rule needs a
visible label and a prefix, overlapping rules of one label and direction are refused,
deleting a label takes its rules; and the service providers list."""
from __future__ import annotations

from tests.functional.network.conftest import NetApi, neutron_fault
from tests.support.api import assert_status
from tests.support.identity import Member, unique


def label(net: NetApi, **attrs: object) -> dict:
    attrs.setdefault("name", unique("label"))
    return net.create("metering/metering-labels", "metering_label", **attrs)


def rule(net: NetApi, status: int = 201, **attrs: object) -> dict:
    attrs.setdefault("direction", "ingress")
    return net.create("metering/metering-label-rules", "metering_label_rule",
                      status=status, **attrs)


def test_labels_and_rules(net: NetApi) -> None:
    made = label(net, description="counted")
    assert set(made) == {"id", "name", "description", "project_id", "tenant_id", "shared"}
    assert made["shared"] is False
    shown = assert_status(net.get(f"/metering/metering-labels/{made['id']}"),
                          200)["metering_label"]
    assert shown == made
    assert assert_status(net.get("/metering/metering-labels", params={"id": "33"}),
                         200)["metering_labels"] == []
    listed = assert_status(net.get("/metering/metering-labels", params={"id": made["id"]}),
                           200)["metering_labels"]
    assert [m["id"] for m in listed] == [made["id"]]
    first = rule(net, metering_label_id=made["id"], remote_ip_prefix="10.0.0.0/24")
    assert first["excluded"] is False and first["direction"] == "ingress"
    assert first["remote_ip_prefix"] == "10.0.0.0/24" and first["source_ip_prefix"] is None
    assert first["project_id"] == made["project_id"]
    v6 = rule(net, metering_label_id=made["id"], remote_ip_prefix="fd02::/64",
              excluded=True)
    assert v6["excluded"] is True
    # the same prefix egress is no overlap; ingress again is
    rule(net, metering_label_id=made["id"], remote_ip_prefix="10.0.0.0/24",
         direction="egress")
    neutron_fault(net.post("/metering/metering-label-rules", json={"metering_label_rule": {
        "metering_label_id": made["id"], "remote_ip_prefix": "10.0.0.128/25",
        "direction": "ingress"}}), 409, "MeteringLabelRuleOverlaps")
    neutron_fault(net.post("/metering/metering-label-rules", json={"metering_label_rule": {
        "metering_label_id": made["id"], "direction": "ingress"}}), 400)
    neutron_fault(net.post("/metering/metering-label-rules", json={"metering_label_rule": {
        "metering_label_id": made["id"], "remote_ip_prefix": "10.9.0.0/24",
        "source_ip_prefix": "10.8.0.0/24"}}), 400)
    neutron_fault(net.post("/metering/metering-label-rules", json={"metering_label_rule": {
        "metering_label_id": made["id"], "remote_ip_prefix": "10.9.0.0/24",
        "direction": "sideways"}}), 400)
    neutron_fault(net.post("/metering/metering-label-rules", json={"metering_label_rule": {
        "metering_label_id": first["id"], "remote_ip_prefix": "10.9.0.0/24"}}), 404,
        "MeteringLabelNotFound")
    rules = assert_status(net.get("/metering/metering-label-rules",
                                  params={"metering_label_id": made["id"]}),
                          200)["metering_label_rules"]
    assert len(rules) == 3
    assert_status(net.delete(f"/metering/metering-label-rules/{v6['id']}"), 204)
    neutron_fault(net.get(f"/metering/metering-label-rules/{v6['id']}"), 404,
                  "MeteringLabelRuleNotFound")
    assert_status(net.delete(f"/metering/metering-labels/{made['id']}"), 204)
    assert assert_status(net.get("/metering/metering-label-rules",
                                 params={"metering_label_id": made["id"]}),
                         200)["metering_label_rules"] == []
    neutron_fault(net.get(f"/metering/metering-labels/{made['id']}"), 404,
                  "MeteringLabelNotFound")


def test_metering_is_admin_only(net: NetApi, member: Member) -> None:
    neutron_fault(net.post("/metering/metering-labels", member.token,
                           json={"metering_label": {"name": "x"}}), 403)
    # as Neutron: a list drops what the caller may not read (an empty list, not a 403)
    assert assert_status(net.get("/metering/metering-labels", member.token),
                         200)["metering_labels"] == []


def test_service_providers(net: NetApi, member: Member) -> None:
    listed = assert_status(net.get("/service-providers", member.token),
                           200)["service_providers"]
    assert listed and all(p["service_type"] == "L3_ROUTER_NAT" for p in listed)
    assert set(listed[0]) == {"service_type", "name", "default"}
    only = assert_status(net.get("/service-providers", params={
        "name": "dvr", "fields": "name"}), 200)["service_providers"]
    assert only == [{"name": "dvr"}]
