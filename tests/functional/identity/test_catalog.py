"""Regions, services and endpoints over HTTP, and the catalog tokens carry."""
from __future__ import annotations

import pytest

from tests.support.api import assert_fault, assert_status
from tests.support.identity import unique


def catalog_of(api, cloud, token: str) -> list[dict]:
    body = assert_status(api.get("/v3/auth/tokens", token=cloud.admin_token,
                                 headers={"X-Subject-Token": token}), 200)
    return body["token"]["catalog"]


def test_region_crud_and_hierarchy(api, cloud):
    t = cloud.admin_token
    parent = assert_status(api.post("/v3/regions", token=t, json={"region": {
        "description": "parent"}}), 201)["region"]
    assert len(parent["id"]) == 32 and parent["parent_region_id"] is None
    rid = unique("Region")
    child = assert_status(api.put(f"/v3/regions/{rid}", token=t, json={"region": {
        "description": "child", "parent_region_id": parent["id"]}}), 201)["region"]
    assert (child["id"], child["parent_region_id"]) == (rid, parent["id"])
    named = assert_status(api.post("/v3/regions", token=t, json={"region": {
        "id": rid + "-b", "description": "chosen id"}}), 201)["region"]
    assert named["id"] == rid + "-b"
    assert_fault(api.put(f"/v3/regions/{rid}", token=t, json={"region": {}}), 409)
    assert_fault(api.post("/v3/regions", token=t, json={"region": {"id": rid}}), 409)

    assert assert_status(api.get(f"/v3/regions/{rid}", token=t), 200)["region"] == child
    children = assert_status(api.get("/v3/regions", token=t, params={
        "parent_region_id": parent["id"]}), 200)["regions"]
    assert [r["id"] for r in children] == [rid]
    updated = assert_status(api.patch(f"/v3/regions/{rid}", token=t, json={"region": {
        "description": "renamed"}}), 200)["region"]
    assert updated["description"] == "renamed"
    assert_fault(api.patch(f"/v3/regions/{rid}", token=t, json={"region": {
        "parent_region_id": rid}}), 400)

    assert_fault(api.delete(f"/v3/regions/{parent['id']}", token=t), 403, "child regions")
    assert_status(api.delete(f"/v3/regions/{rid}", token=t), 204)
    assert_status(api.delete(f"/v3/regions/{parent['id']}", token=t), 204)
    assert_fault(api.get(f"/v3/regions/{rid}", token=t), 404, rid)


def test_region_hierarchy_cannot_become_circular(api, cloud):
    t = cloud.admin_token
    a = assert_status(api.post("/v3/regions", token=t, json={"region": {}}), 201)["region"]
    b = assert_status(api.post("/v3/regions", token=t, json={"region": {
        "parent_region_id": a["id"]}}), 201)["region"]
    assert_fault(api.patch(f"/v3/regions/{a['id']}", token=t, json={"region": {
        "parent_region_id": b["id"]}}), 400)
    shown = assert_status(api.get(f"/v3/regions/{a['id']}", token=t), 200)["region"]
    assert shown["parent_region_id"] is None


def test_region_with_unknown_parent(api, cloud):
    rid = unique("orphan")
    assert_fault(api.put(f"/v3/regions/{rid}", token=cloud.admin_token, json={"region": {
        "parent_region_id": "no-such-region"}}), 404)
    assert_fault(api.get(f"/v3/regions/{rid}", token=cloud.admin_token), 404)


def test_service_and_endpoint_crud_and_catalog(api, cloud, member):
    t = cloud.admin_token
    stype = unique("svc")
    service = assert_status(api.post("/v3/services", token=t, json={"service": {
        "type": stype, "name": "things", "description": "a service"}}), 201)["service"]
    sid = service["id"]
    assert (service["type"], service["name"], service["enabled"]) == (stype, "things", True)
    assert assert_status(api.get(f"/v3/services/{sid}", token=t), 200)["service"] == service
    by_type = assert_status(api.get("/v3/services", token=t, params={"type": stype}), 200)
    assert [s["id"] for s in by_type["services"]] == [sid]

    endpoints = {}
    for interface in ("public", "internal"):
        ep = assert_status(api.post("/v3/endpoints", token=t, json={"endpoint": {
            "service_id": sid, "interface": interface, "region_id": "RegionOne",
            "url": f"http://things.example/{interface}"}}), 201)["endpoint"]
        assert ep["region"] == ep["region_id"] == "RegionOne" and ep["enabled"] is True
        endpoints[interface] = ep
    listed = assert_status(api.get("/v3/endpoints", token=t, params={"service_id": sid}),
                           200)["endpoints"]
    assert {e["interface"] for e in listed} == {"public", "internal"}
    public = assert_status(api.get("/v3/endpoints", token=t, params={
        "service_id": sid, "interface": "public"}), 200)["endpoints"]
    assert [e["id"] for e in public] == [endpoints["public"]["id"]]

    (entry,) = [s for s in catalog_of(api, cloud, member.token) if s["type"] == stype]
    assert entry["name"] == "things" and entry["id"] == sid
    assert {e["url"] for e in entry["endpoints"]} == {"http://things.example/public",
                                                      "http://things.example/internal"}

    eid = endpoints["internal"]["id"]
    moved = assert_status(api.patch(f"/v3/endpoints/{eid}", token=t, json={"endpoint": {
        "url": "http://moved.example/", "enabled": False}}), 200)["endpoint"]
    assert (moved["url"], moved["enabled"]) == ("http://moved.example/", False)
    (entry,) = [s for s in catalog_of(api, cloud, member.token) if s["type"] == stype]
    assert [e["interface"] for e in entry["endpoints"]] == ["public"]  # disabled ones hide

    assert_status(api.patch(f"/v3/services/{sid}", token=t, json={"service": {
        "enabled": False}}), 200)
    assert stype not in {s["type"] for s in catalog_of(api, cloud, member.token)}

    assert_status(api.delete(f"/v3/services/{sid}", token=t), 204)
    assert_fault(api.get(f"/v3/services/{sid}", token=t), 404)
    assert_fault(api.get(f"/v3/endpoints/{eid}", token=t), 404)  # went with the service


def test_endpoint_with_new_region_creates_it(api, cloud):
    t = cloud.admin_token
    service = assert_status(api.post("/v3/services", token=t, json={"service": {
        "type": unique("svc")}}), 201)["service"]
    region = unique("Region")
    assert_status(api.post("/v3/endpoints", token=t, json={"endpoint": {
        "service_id": service["id"], "interface": "admin", "url": "https://x.example",
        "region": region}}), 201)
    assert assert_status(api.get(f"/v3/regions/{region}", token=t), 200)["region"]["id"] == \
        region


def test_endpoint_validation(api, cloud):
    t = cloud.admin_token
    service = assert_status(api.post("/v3/services", token=t, json={"service": {
        "type": unique("svc")}}), 201)["service"]
    for bad in ({"interface": "sideways", "url": "http://x", "service_id": service["id"]},
                {"interface": "public", "url": "not a url", "service_id": service["id"]},
                {"interface": "public", "url": "http://x", "service_id": "0" * 32},
                {"interface": "public", "service_id": service["id"]},
                {"interface": "public", "url": "http://" + "x" * 300,
                 "service_id": service["id"]}):
        assert_fault(api.post("/v3/endpoints", token=t, json={"endpoint": bad}), 400)
    listed = assert_status(api.get("/v3/endpoints", token=t,
                                   params={"service_id": service["id"]}), 200)
    assert listed["endpoints"] == []


def test_member_reads_catalog_through_token_not_admin_api(api, cloud, member):
    assert_fault(api.get("/v3/services", token=member.token), 403)
    assert_fault(api.post("/v3/services", token=member.token,
                          json={"service": {"type": unique()}}), 403)
    assert_fault(api.post("/v3/regions", token=member.token, json={"region": {}}), 403)
    regions = assert_status(api.get("/v3/regions", token=member.token), 200)["regions"]
    assert "RegionOne" in [r["id"] for r in regions]  # regions are public
    catalog = assert_status(api.get("/v3/auth/catalog", token=member.token), 200)["catalog"]
    assert "identity" in {s["type"] for s in catalog}


def test_endpoint_filtering_by_project(api, cloud):
    t = cloud.admin_token
    member = cloud.make_project_member()
    service = assert_status(api.post("/v3/services", token=t, json={"service": {
        "type": unique("svc")}}), 201)["service"]
    ep = assert_status(api.post("/v3/endpoints", token=t, json={"endpoint": {
        "service_id": service["id"], "interface": "public", "url": "http://only.example"}}),
        201)["endpoint"]
    link = f"/v3/OS-EP-FILTER/projects/{member.project['id']}/endpoints/{ep['id']}"
    assert_status(api.put(link, token=t), 204)
    assert_status(api.get(link, token=t), 200)
    catalog = catalog_of(api, cloud, member.token)
    assert [s["type"] for s in catalog] == [service["type"]]  # only the associated endpoint
    listed = assert_status(api.get(f"/v3/OS-EP-FILTER/projects/{member.project['id']}"
                                   "/endpoints", token=t), 200)["endpoints"]
    assert [e["id"] for e in listed] == [ep["id"]]
    assert_status(api.delete(link, token=t), 204)
    assert_fault(api.get(link, token=t), 404)
    assert "identity" in {s["type"] for s in catalog_of(api, cloud, member.token)}
