"""OS-EP-FILTER's reverse listings: the projects an endpoint or an endpoint group is
associated with, rendered as projects (name and tags included)."""
from __future__ import annotations

from tests.support.api import assert_status
from tests.support.identity import unique


def test_endpoint_and_group_list_their_projects(api, cloud):
    t = cloud.admin_token
    member = cloud.make_project_member()
    project_id = member.project["id"]
    assert_status(api.put(f"/v3/projects/{project_id}/tags/blue", token=t), 201)
    service = assert_status(api.post("/v3/services", token=t, json={"service": {
        "type": unique("svc")}}), 201)["service"]
    ep = assert_status(api.post("/v3/endpoints", token=t, json={"endpoint": {
        "service_id": service["id"], "interface": "public", "url": "http://p.example"}}),
        201)["endpoint"]
    group = assert_status(api.post("/v3/OS-EP-FILTER/endpoint_groups", token=t, json={
        "endpoint_group": {"name": unique("g"), "filters": {"service_id": service["id"]}}}),
        201)["endpoint_group"]
    base = "/v3/OS-EP-FILTER"
    for listing in (f"{base}/endpoints/{ep['id']}/projects",
                    f"{base}/endpoint_groups/{group['id']}/projects"):
        assert assert_status(api.get(listing, token=t), 200)["projects"] == []
    assert_status(api.put(f"{base}/projects/{project_id}/endpoints/{ep['id']}", token=t), 204)
    assert_status(api.put(f"{base}/endpoint_groups/{group['id']}/projects/{project_id}",
                          token=t), 204)
    for listing in (f"{base}/endpoints/{ep['id']}/projects",
                    f"{base}/endpoint_groups/{group['id']}/projects"):
        projects = assert_status(api.get(listing, token=t), 200)["projects"]
        assert [(p["id"], p["name"], p["tags"]) for p in projects] == \
            [(project_id, member.project["name"], ["blue"])]
