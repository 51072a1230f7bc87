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
