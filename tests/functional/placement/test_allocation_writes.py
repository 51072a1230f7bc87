"""``PUT /allocations/{consumer}`` and ``POST /allocations`` write through the same
compare-and-swap on provider generations as the scheduler's claim, so concurrent writers —
threads of one replica or several replicas — never over-commit a provider; malformed bodies
and query parameters are 400s, never 500s."""
from __future__ import annotations

import threading
import time
import uuid

import pytest

from onestack.placement import service as svc
from tests.functional.placement.test_placement_api import V, new_provider


@pytest.fixture()
def place(api, admin_token):
    def call(method: str, path: str, json=None, token=admin_token, app=None):
        headers = dict(V)
        headers["X-Auth-Token"] = token
        kwargs = {"headers": headers}
        if json is not None:
            kwargs["json"] = json
        return (app or api).http.request(method, "/placement" + path, **kwargs)
    return call


def allocation_body(rp: str, vcpu: int = 1) -> dict:
    return {"allocations": {rp: {"resources": {"VCPU": vcpu}}},
            "project_id": str(uuid.uuid4()), "user_id": str(uuid.uuid4()),
            "consumer_generation": None}


def test_racing_put_allocations_never_overcommit(place, make_api, monkeypatch):
    """Two replicas, eight writers, room for three: the read-check-write window is widened
    so that, without a compare-and-swap, every writer sees the same free capacity."""
    rp = new_provider(place, total_vcpu=3)
    real_usages = svc.usages

    def slow_usages(s, provider_uuid):
        used = real_usages(s, provider_uuid)
        time.sleep(0.15)
        return used
    monkeypatch.setattr(svc, "usages", slow_usages)
    replicas = [make_api(), make_api()]
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        barrier.wait()
        r = place("PUT", f"/allocations/{uuid.uuid4()}", allocation_body(rp),
                  app=replicas[n % 2])
        statuses.append(r.status_code)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    monkeypatch.setattr(svc, "usages", real_usages)
    usage = place("GET", f"/resource_providers/{rp}/usages").json()["usages"]
    assert usage["VCPU"] <= 3, (usage, statuses)
    assert statuses.count(204) == usage["VCPU"]
    assert set(statuses) <= {204, 409}, statuses


def test_post_allocations_checks_capacity_atomically(place):
    rp = new_provider(place, total_vcpu=2)
    first, second = str(uuid.uuid4()), str(uuid.uuid4())
    body = {first: allocation_body(rp, 2), second: allocation_body(rp, 1)}
    r = place("POST", "/allocations", body)
    assert r.status_code == 409, r.text
    # nothing half-written: the first consumer's allocation was rolled back with the second
    assert place("GET", f"/allocations/{first}").json()["allocations"] == {}
    assert place("GET", f"/resource_providers/{rp}/usages").json()["usages"]["VCPU"] == 0


@pytest.mark.parametrize("allocations", [
    {"RP": "not-an-object"},
    {"RP": {"resources": ["VCPU"]}},
    {"RP": {"resources": {"VCPU": "1"}}},
    {"RP": {"resources": {"VCPU": 0}}},
    {"RP": {"resources": {"VCPU": True}}},
    {"RP": {"resources": {}}},
    {"RP": {}},
    ["not", "a", "dict"],
    "string",
])
def test_malformed_allocations_are_400(place, allocations):
    rp = new_provider(place)
    if isinstance(allocations, dict):
        allocations = {rp: v for v in allocations.values()}
    body = {"allocations": allocations, "project_id": "p", "user_id": "u",
            "consumer_generation": None}
    r = place("PUT", f"/allocations/{uuid.uuid4()}", body)
    assert r.status_code == 400, r.text
    assert r.json()["errors"][0]["status"] == 400


def test_malformed_old_microversion_list_items_are_400(place, api, admin_token):
    rp = new_provider(place)
    for item in ("x", {"resource_provider": "x", "resources": {"VCPU": 1}},
                 {"resource_provider": {"uuid": rp}, "resources": "x"}):
        r = api.http.request("PUT", f"/placement/allocations/{uuid.uuid4()}", json={
            "allocations": [item]}, headers={"X-Auth-Token": admin_token,
                                             "OpenStack-API-Version": "placement 1.7"})
        assert r.status_code == 400, (item, r.text)


@pytest.mark.parametrize("consumer_item", ["x", [], 1])
def test_post_allocations_non_object_items_are_400(place, consumer_item):
    r = place("POST", "/allocations", {str(uuid.uuid4()): consumer_item})
    assert r.status_code == 400, r.text


@pytest.mark.parametrize("query", ["limit=x", "limit=-1", "limit=0", "resources=VCPU:x",
                                   "resources=VCPU:1&limit=1.5"])
def test_bad_candidate_queries_are_400(place, query):
    r = place("GET", f"/allocation_candidates?{query}")
    assert r.status_code == 400, r.text


def test_unknown_provider_in_allocations_is_400(place):
    r = place("PUT", f"/allocations/{uuid.uuid4()}",
              allocation_body(str(uuid.uuid4())))
    assert r.status_code == 400, r.text


def test_consumer_generation_is_compared_and_swapped(place):
    rp = new_provider(place, total_vcpu=4)
    consumer = str(uuid.uuid4())
    body = allocation_body(rp)
    assert place("PUT", f"/allocations/{consumer}", body).status_code == 204
    gen = place("GET", f"/allocations/{consumer}").json()["consumer_generation"]
    body["consumer_generation"] = gen
    assert place("PUT", f"/allocations/{consumer}", body).status_code == 204
    stale = place("PUT", f"/allocations/{consumer}", body)  # the same generation again
    assert stale.status_code == 409
    assert stale.json()["errors"][0]["code"] == "placement.concurrent_update"
