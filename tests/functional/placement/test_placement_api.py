"""The Placement API over HTTP: providers, inventories, allocations with generation
checks, candidates, traits and resource classes — on every configured database."""
from __future__ import annotations

import uuid

import pytest

V = {"OpenStack-API-Version": "placement 1.39"}


@pytest.fixture()
def place(api, admin_token):
    def call(method: str, path: str, json=None, version: dict | None = None, token=admin_token):
        headers = dict(V if version is None else version)
        headers["X-Auth-Token"] = token
        kwargs = {"headers": headers}
        if json is not None:
            kwargs["json"] = json
        return api.http.request(method, "/placement" + path, **kwargs)
    return call


def new_provider(place, total_vcpu: int = 4, total_mem: int = 2048) -> str:
    name = "rp-" + uuid.uuid4().hex[:8]
    r = place("POST", "/resource_providers", {"name": name})
    assert r.status_code == 200, r.text
    rp = r.json()
    assert rp["name"] == name and rp["generation"] == 0
    r = place("PUT", f"/resource_providers/{rp['uuid']}/inventories", {
        "resource_provider_generation": 0,
        "inventories": {"VCPU": {"total": total_vcpu}, "MEMORY_MB": {"total": total_mem}}})
    assert r.status_code == 200, r.text
    assert r.json()["resource_provider_generation"] == 1
    return rp["uuid"]


def test_version_document_needs_no_token(api):
    r = api.http.get("/placement/")
    assert r.status_code == 200
    assert r.json()["versions"][0]["max_version"] == "1.39"


def test_provider_lifecycle_and_generation_conflict(place):
    rp = new_provider(place)
    stale = place("PUT", f"/resource_providers/{rp}/inventories", {
        "resource_provider_generation": 0, "inventories": {"VCPU": {"total": 8}}})
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["code"] == "placement.concurrent_update"
    r = place("GET", f"/resource_providers/{rp}/inventories")
    assert r.json()["inventories"]["VCPU"]["total"] == 4
    assert place("DELETE", f"/resource_providers/{rp}").status_code == 204
    missing = place("GET", f"/resource_providers/{rp}")
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["status"] == 404


def test_allocations_respect_capacity_and_consumer_generation(place):
    rp = new_provider(place, total_vcpu=2)
    consumer = str(uuid.uuid4())
    body = {"allocations": {rp: {"resources": {"VCPU": 2}}}, "project_id": "p", "user_id": "u",
            "consumer_generation": None}
    assert place("PUT", f"/allocations/{consumer}", body).status_code == 204
    shown = place("GET", f"/allocations/{consumer}").json()
    assert shown["allocations"][rp]["resources"] == {"VCPU": 2}
    assert shown["consumer_generation"] == 1
    other = str(uuid.uuid4())
    over = place("PUT", f"/allocations/{other}", {**body, "allocations": {
        rp: {"resources": {"VCPU": 1}}}})
    assert over.status_code == 409
    usages = place("GET", f"/resource_providers/{rp}/usages").json()["usages"]
    assert usages["VCPU"] == 2 and usages["MEMORY_MB"] == 0
    # a stale consumer generation is refused, the right one replaces the allocation
    assert place("PUT", f"/allocations/{consumer}", body).status_code == 409
    body["consumer_generation"] = 1
    body["allocations"] = {rp: {"resources": {"VCPU": 1}}}
    assert place("PUT", f"/allocations/{consumer}", body).status_code == 204
    assert place("GET", f"/resource_providers/{rp}/usages").json()["usages"]["VCPU"] == 1
    assert place("DELETE", f"/allocations/{consumer}").status_code == 204
    assert place("DELETE", f"/allocations/{consumer}").status_code == 404


def test_allocation_candidates_filter_by_room_and_traits(place):
    small = new_provider(place, total_vcpu=1)
    big = new_provider(place, total_vcpu=64, total_mem=65536)
    trait = "CUSTOM_" + uuid.uuid4().hex[:8].upper()
    assert place("PUT", f"/traits/{trait}").status_code == 201
    assert place("PUT", f"/traits/{trait}").status_code == 204
    gen = place("GET", f"/resource_providers/{big}").json()["generation"]
    r = place("PUT", f"/resource_providers/{big}/traits",
              {"resource_provider_generation": gen, "traits": [trait]})
    assert r.status_code == 200 and r.json()["traits"] == [trait]
    found = place("GET", "/allocation_candidates?resources=VCPU:32").json()
    providers = {p for req in found["allocation_requests"] for p in req["allocations"]}
    assert big in providers and small not in providers
    found = place("GET", f"/allocation_candidates?resources=VCPU:1&required={trait}").json()
    assert set(found["provider_summaries"]) == {big}
    assert found["provider_summaries"][big]["traits"] == [trait]
    assert place("DELETE", f"/traits/{trait}").status_code == 409  # still in use


def test_resource_classes_and_unknown_class_inventory(place):
    name = "CUSTOM_" + uuid.uuid4().hex[:8].upper()
    assert place("POST", "/resource_classes", {"name": name}).status_code == 201
    assert place("POST", "/resource_classes", {"name": name}).status_code == 409
    assert place("POST", "/resource_classes", {"name": "NOT_CUSTOM"}).status_code == 400
    rp = new_provider(place)
    gen = place("GET", f"/resource_providers/{rp}").json()["generation"]
    bad = place("PUT", f"/resource_providers/{rp}/inventories", {
        "resource_provider_generation": gen, "inventories": {"CUSTOM_NOPE_X": {"total": 1}}})
    assert bad.status_code == 400
    good = place("PUT", f"/resource_providers/{rp}/inventories/{name}", {
        "resource_provider_generation": gen, "total": 5})
    assert good.status_code == 200 and good.json()["total"] == 5
    assert place("DELETE", f"/resource_classes/{name}").status_code == 409


def test_non_admin_is_refused(place, member):
    r = place("GET", "/resource_providers", token=member.token)
    assert r.status_code == 403
    assert r.json()["errors"][0]["status"] == 403


def test_old_microversion_post_answers_201_without_body(place):
    r = place("POST", "/resource_providers", {"name": "old-" + uuid.uuid4().hex[:8]},
              version={"OpenStack-API-Version": "placement 1.0"})
    assert r.status_code == 201 and r.content == b""
    assert r.headers["location"].startswith("/placement/resource_providers/")
    r = place("GET", "/resource_providers", version={"OpenStack-API-Version": "placement 9.9"})
    assert r.status_code == 406
