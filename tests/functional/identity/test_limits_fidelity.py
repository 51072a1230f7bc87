"""A registered limit that project limits use cannot be deleted or re-pointed (Keystone: 403)."""
from __future__ import annotations

import pytest

from tests.support.api import assert_fault, assert_status
from tests.support.identity import unique


@pytest.fixture
def service_id(api, cloud):
    return assert_status(api.post("/v3/services", token=cloud.admin_token, json={"service": {
        "type": unique("limit-svc")}}), 201)["service"]["id"]


def _registered(api, token, service_id, name="cores"):
    return assert_status(api.post("/v3/registered_limits", token=token, json={
        "registered_limits": [{"service_id": service_id, "resource_name": name,
                               "default_limit": 10, "region_id": "RegionOne"}]}),
        201)["registered_limits"][0]


def _limit(api, token, service_id, project_id, name="cores"):
    return assert_status(api.post("/v3/limits", token=token, json={"limits": [
        {"service_id": service_id, "project_id": project_id, "region_id": "RegionOne",
         "resource_name": name, "resource_limit": 4}]}), 201)["limits"][0]


def test_registered_limit_in_use_cannot_be_deleted(api, cloud, service_id):
    t = cloud.admin_token
    project = cloud.make_project()
    registered = _registered(api, t, service_id)
    limit = _limit(api, t, service_id, project["id"])

    assert_fault(api.delete(f"/v3/registered_limits/{registered['id']}", token=t), 403)
    assert_status(api.get(f"/v3/registered_limits/{registered['id']}", token=t), 200)

    assert_status(api.delete(f"/v3/limits/{limit['id']}", token=t), 204)
    assert_status(api.delete(f"/v3/registered_limits/{registered['id']}", token=t), 204)
    assert_fault(api.get(f"/v3/registered_limits/{registered['id']}", token=t), 404)


def test_registered_limit_in_use_cannot_be_updated(api, cloud, service_id):
    # Keystone refuses any update of a registered limit that project limits refer to.
    t = cloud.admin_token
    project = cloud.make_project()
    registered = _registered(api, t, service_id, "ram")
    limit = _limit(api, t, service_id, project["id"], "ram")
    url = f"/v3/registered_limits/{registered['id']}"
    for change in ({"resource_name": "ram2"}, {"default_limit": 20}):
        assert_fault(api.patch(url, token=t, json={"registered_limit": change}), 403)
    shown = assert_status(api.get(url, token=t), 200)["registered_limit"]
    assert (shown["resource_name"], shown["default_limit"]) == ("ram", 10)
    assert_status(api.delete(f"/v3/limits/{limit['id']}", token=t), 204)
    patched = assert_status(api.patch(url, token=t, json={"registered_limit": {
        "default_limit": 20}}), 200)["registered_limit"]
    assert patched["default_limit"] == 20


def test_limit_needs_a_registered_limit(api, cloud, service_id):
    t = cloud.admin_token
    project = cloud.make_project()
    response = api.post("/v3/limits", token=t, json={"limits": [
        {"service_id": service_id, "project_id": project["id"], "region_id": "RegionOne",
         "resource_name": "unregistered", "resource_limit": 4}]})
    assert_fault(response, 403)
    # Registered for another region only: still none for this one.
    _registered(api, t, service_id, "regional")
    assert_fault(api.post("/v3/limits", token=t, json={"limits": [
        {"service_id": service_id, "project_id": project["id"],
         "resource_name": "regional", "resource_limit": 4}]}), 403)


def test_unused_registered_limit_deletes(api, cloud, service_id):
    t = cloud.admin_token
    registered = _registered(api, t, service_id, "disk")
    assert_status(api.delete(f"/v3/registered_limits/{registered['id']}", token=t), 204)
