"""Unified limits set through the identity API are enforced by the image service."""
from __future__ import annotations

from tests.functional.image.conftest import assert_glance_fault
from tests.support.api import assert_status


def image_service_id(cloud) -> str:
    body = assert_status(cloud.api.get("/v3/services", token=cloud.admin_token,
                                       params={"type": "image"}), 200)
    (service,) = body["services"]
    return service["id"]


def test_project_limits(glance, cloud, owner):
    service = image_service_id(cloud)
    limits = [{"service_id": service, "project_id": owner.project["id"],
               "region_id": "RegionOne", "resource_name": "image_count_total",
               "resource_limit": 2},
              {"service_id": service, "project_id": owner.project["id"],
               "region_id": "RegionOne", "resource_name": "image_size_total",
               "resource_limit": 1}]
    # a project limit needs a registered default first, as in Keystone
    for name in ("image_count_total", "image_size_total"):
        cloud.api.post("/v3/registered_limits", token=cloud.admin_token, json={
            "registered_limits": [{"service_id": service, "region_id": "RegionOne",
                                   "resource_name": name, "default_limit": 1000}]})
    assert_status(cloud.api.post("/v3/limits", token=cloud.admin_token,
                                 json={"limits": limits}), 201)
    first = glance.create(owner.token, disk_format="raw", container_format="bare")
    glance.create(owner.token)
    assert_glance_fault(glance.post("/v2/images", token=owner.token, json={}), 413)
    assert_glance_fault(glance.upload(owner.token, first["id"], b"x" * (2 << 20)), 413)
    assert glance.show(owner.token, first["id"])["status"] == "queued"
    usage = assert_status(glance.get("/v2/info/usage", token=owner.token), 200)["usage"]
    assert usage["image_count_total"] == {"limit": 2, "usage": 2}
    assert usage["image_size_total"] == {"limit": 1, "usage": 0}
