"""Domains and projects over HTTP: CRUD, tags, hierarchy and list filters."""
from __future__ import annotations

import pytest

from tests.support.api import assert_fault, assert_status
from tests.support.identity import unique


def names(body: dict, key: str = "projects") -> list[str]:
    return sorted(x["name"] for x in body[key])


# --- domains ---------------------------------------------------------------------------------

def test_domain_crud(api, cloud):
    t = cloud.admin_token
    name = unique("dom")
    created = assert_status(api.post("/v3/domains", token=t, json={"domain": {
        "name": name, "description": "first", "tags": ["blue"], "color": "red"}}), 201)["domain"]
    assert created["name"] == name and created["enabled"] is True
    assert created["description"] == "first" and created["tags"] == ["blue"]
    assert created["color"] == "red"  # extra attributes are kept
    assert created["links"]["self"] == f"http://onestack.test/identity/v3/domains/{created['id']}"
    did = created["id"]

    shown = assert_status(api.get(f"/v3/domains/{did}", token=t), 200)["domain"]
    assert shown == created

    listed = assert_status(api.get("/v3/domains", token=t, params={"name": name}), 200)
    assert [d["id"] for d in listed["domains"]] == [did]
    assert listed["links"]["self"].startswith("http://onestack.test/identity/v3/domains")

    updated = assert_status(api.patch(f"/v3/domains/{did}", token=t, json={"domain": {
        "description": "second", "enabled": False}}), 200)["domain"]
    assert (updated["description"], updated["enabled"]) == ("second", False)
    disabled = assert_status(api.get("/v3/domains", token=t, params={"enabled": "false"}), 200)
    assert did in [d["id"] for d in disabled["domains"]]

    assert_status(api.delete(f"/v3/domains/{did}", token=t), 204)
    assert_fault(api.get(f"/v3/domains/{did}", token=t), 404, did)


def test_enabled_domain_cannot_be_deleted(api, cloud):
    domain = cloud.make_domain()
    assert_fault(api.delete(f"/v3/domains/{domain['id']}", token=cloud.admin_token), 403)
    assert_status(api.get(f"/v3/domains/{domain['id']}", token=cloud.admin_token), 200)


def test_deleting_a_domain_removes_its_contents(api, cloud):
    t = cloud.admin_token
    domain = cloud.make_domain()
    project = cloud.make_project(domain_id=domain["id"])
    user = cloud.make_user(domain_id=domain["id"])
    group = cloud.make_group(domain_id=domain["id"])
    assert_status(api.patch(f"/v3/domains/{domain['id']}", token=t,
                            json={"domain": {"enabled": False}}), 200)
    assert_status(api.delete(f"/v3/domains/{domain['id']}", token=t), 204)
    assert_fault(api.get(f"/v3/projects/{project['id']}", token=t), 404)
    assert_fault(api.get(f"/v3/users/{user['id']}", token=t), 404)
    assert_fault(api.get(f"/v3/groups/{group['id']}", token=t), 404)


def test_duplicate_domain_name_conflicts(api, cloud):
    domain = cloud.make_domain()
    response = api.post("/v3/domains", token=cloud.admin_token,
                        json={"domain": {"name": domain["name"]}})
    assert_fault(response, 409, domain["name"])
    listed = assert_status(api.get("/v3/domains", token=cloud.admin_token,
                                   params={"name": domain["name"]}), 200)
    assert len(listed["domains"]) == 1


def test_domain_with_explicit_id(api, cloud):
    explicit = unique("explicit").replace("-", "")
    created = cloud.make_domain(explicit_domain_id=explicit)
    assert created["id"] == explicit
    response = api.post("/v3/domains", token=cloud.admin_token, json={"domain": {
        "name": unique(), "explicit_domain_id": explicit}})
    assert_fault(response, 409)


def test_project_is_domain_creates_a_domain(api, cloud):
    body = assert_status(api.post("/v3/projects", token=cloud.admin_token, json={"project": {
        "name": unique("as-domain"), "is_domain": True}}), 201)["project"]
    assert body["is_domain"] is True and body["domain_id"] is None
    shown = assert_status(api.get(f"/v3/domains/{body['id']}", token=cloud.admin_token), 200)
    assert shown["domain"]["name"] == body["name"]


# --- projects --------------------------------------------------------------------------------

def test_project_crud(api, cloud):
    t = cloud.admin_token
    name = unique("proj")
    created = assert_status(api.post("/v3/projects", token=t, json={"project": {
        "name": name, "description": "d1", "tags": ["a", "b"], "owner": "team-x"}}),
        201)["project"]
    pid = created["id"]
    assert created["domain_id"] == "default" and created["parent_id"] == "default"
    assert created["enabled"] is True and created["is_domain"] is False
    assert created["tags"] == ["a", "b"] and created["owner"] == "team-x"
    assert created["links"]["self"].endswith(f"/v3/projects/{pid}")

    assert assert_status(api.get(f"/v3/projects/{pid}", token=t), 200)["project"] == created

    updated = assert_status(api.patch(f"/v3/projects/{pid}", token=t, json={"project": {
        "name": name + "-renamed", "description": "d2", "tags": ["c"]}}), 200)["project"]
    assert (updated["name"], updated["description"], updated["tags"]) == \
        (name + "-renamed", "d2", ["c"])

    assert_status(api.delete(f"/v3/projects/{pid}", token=t), 204)
    assert_fault(api.get(f"/v3/projects/{pid}", token=t), 404, pid)
    assert_fault(api.delete(f"/v3/projects/{pid}", token=t), 404)


def test_project_in_another_domain_and_duplicates(api, cloud):
    domain = cloud.make_domain()
    project = cloud.make_project(domain_id=domain["id"])
    assert project["domain_id"] == domain["id"] and project["parent_id"] == domain["id"]
    # the same name is fine in another domain, a conflict in the same one
    assert cloud.make_project(name=project["name"])["domain_id"] == "default"
    response = api.post("/v3/projects", token=cloud.admin_token, json={"project": {
        "name": project["name"], "domain_id": domain["id"]}})
    assert_fault(response, 409)
    listed = assert_status(api.get("/v3/projects", token=cloud.admin_token,
                                   params={"name": project["name"]}), 200)
    domains = sorted(p["domain_id"] for p in listed["projects"])
    assert domains == sorted(["default", domain["id"]])


def test_project_update_of_immutable_fields_is_refused(api, cloud):
    project = cloud.make_project()
    domain = cloud.make_domain()
    for change in ({"domain_id": domain["id"]}, {"parent_id": domain["id"]},
                   {"is_domain": True}):
        response = api.patch(f"/v3/projects/{project['id']}", token=cloud.admin_token,
                             json={"project": change})
        assert_fault(response, 400, "not allowed")
    shown = assert_status(api.get(f"/v3/projects/{project['id']}", token=cloud.admin_token),
                          200)["project"]
    assert (shown["domain_id"], shown["parent_id"], shown["is_domain"]) == \
        ("default", "default", False)


def test_hierarchy(api, cloud):
    t = cloud.admin_token
    root = cloud.make_project()
    child = cloud.make_project(parent_id=root["id"])
    grandchild = cloud.make_project(parent_id=child["id"])
    assert child["parent_id"] == root["id"] and grandchild["domain_id"] == "default"

    shown = assert_status(api.get(f"/v3/projects/{grandchild['id']}", token=t,
                                  params={"parents_as_ids": ""}), 200)["project"]
    assert shown["parents"] == {child["id"]: {root["id"]: None}}
    shown = assert_status(api.get(f"/v3/projects/{root['id']}", token=t,
                                  params={"subtree_as_ids": ""}), 200)["project"]
    assert shown["subtree"] == {child["id"]: {grandchild["id"]: None}}
    shown = assert_status(api.get(f"/v3/projects/{grandchild['id']}", token=t,
                                  params={"parents_as_list": ""}), 200)["project"]
    assert [p["project"]["id"] for p in shown["parents"]] == [child["id"], root["id"]]
    shown = assert_status(api.get(f"/v3/projects/{root['id']}", token=t,
                                  params={"subtree_as_list": ""}), 200)["project"]
    assert [p["project"]["id"] for p in shown["subtree"]] == [child["id"], grandchild["id"]]

    children = assert_status(api.get("/v3/projects", token=t,
                                     params={"parent_id": root["id"]}), 200)["projects"]
    assert [p["id"] for p in children] == [child["id"]]

    # only leaves can be deleted
    assert_fault(api.delete(f"/v3/projects/{root['id']}", token=t), 403, "not a leaf")
    assert_status(api.delete(f"/v3/projects/{grandchild['id']}", token=t), 204)
    assert_status(api.delete(f"/v3/projects/{child['id']}", token=t), 204)
    assert_status(api.delete(f"/v3/projects/{root['id']}", token=t), 204)


def test_parent_in_another_domain_is_refused(api, cloud):
    domain = cloud.make_domain()
    parent = cloud.make_project(domain_id=domain["id"])
    name = unique()
    response = api.post("/v3/projects", token=cloud.admin_token, json={"project": {
        "name": name, "parent_id": parent["id"], "domain_id": "default"}})
    assert_fault(response, 400, "different domain")
    assert_fault(api.post("/v3/projects", token=cloud.admin_token, json={"project": {
        "name": name, "parent_id": "0" * 32}}), 404)
    listed = assert_status(api.get("/v3/projects", token=cloud.admin_token,
                                   params={"name": name}), 200)
    assert listed["projects"] == []


def test_list_filters(api, cloud):
    t = cloud.admin_token
    domain = cloud.make_domain()
    on = cloud.make_project(domain_id=domain["id"], name="on-" + unique())
    off = cloud.make_project(domain_id=domain["id"], name="off-" + unique(), enabled=False)
    in_domain = assert_status(api.get("/v3/projects", token=t,
                                      params={"domain_id": domain["id"]}), 200)
    assert names(in_domain) == sorted([on["name"], off["name"]])
    enabled = assert_status(api.get("/v3/projects", token=t, params={
        "domain_id": domain["id"], "enabled": "true"}), 200)
    assert names(enabled) == [on["name"]]
    disabled = assert_status(api.get("/v3/projects", token=t, params={
        "domain_id": domain["id"], "enabled": "false"}), 200)
    assert names(disabled) == [off["name"]]
    by_name = assert_status(api.get("/v3/projects", token=t, params={"name": on["name"]}), 200)
    assert [p["id"] for p in by_name["projects"]] == [on["id"]]
    domains_as_projects = assert_status(api.get("/v3/projects", token=t,
                                                params={"is_domain": "true"}), 200)
    assert domain["id"] in [p["id"] for p in domains_as_projects["projects"]]


def test_tag_filters(api, cloud):
    t = cloud.admin_token
    domain = cloud.make_domain()
    ab = cloud.make_project(domain_id=domain["id"], tags=["a", "b"])
    a = cloud.make_project(domain_id=domain["id"], tags=["a"])
    c = cloud.make_project(domain_id=domain["id"], tags=["c"])

    def ids(**params) -> set[str]:
        body = assert_status(api.get("/v3/projects", token=t,
                                     params={"domain_id": domain["id"], **params}), 200)
        return {p["id"] for p in body["projects"]}

    assert ids(tags="a,b") == {ab["id"]}
    assert ids(tags="a") == {ab["id"], a["id"]}
    assert ids(**{"tags-any": "b,c"}) == {ab["id"], c["id"]}
    assert ids(**{"not-tags": "a,b"}) == {a["id"], c["id"]}
    assert ids(**{"not-tags-any": "b,c"}) == {a["id"]}


def test_tag_operations(api, cloud):
    t = cloud.admin_token
    project = cloud.make_project(tags=["one"])
    base = f"/v3/projects/{project['id']}/tags"
    response = api.put(f"{base}/two", token=t)
    assert_status(response, 201)
    assert response.headers["Location"].endswith(f"{base}/two")
    assert assert_status(api.get(base, token=t), 200)["tags"] == ["one", "two"]
    assert_status(api.get(f"{base}/two", token=t), 204)
    assert_fault(api.get(f"{base}/three", token=t), 404, "three")
    assert_status(api.delete(f"{base}/one", token=t), 204)
    assert_fault(api.delete(f"{base}/one", token=t), 404)
    replaced = assert_status(api.put(base, token=t, json={"tags": ["x", "y"]}), 200)
    assert replaced["tags"] == ["x", "y"]
    assert_status(api.delete(base, token=t), 204)
    assert assert_status(api.get(base, token=t), 200)["tags"] == []


def test_invalid_tags_are_refused_and_nothing_changes(api, cloud):
    project = cloud.make_project(tags=["keep"])
    base = f"/v3/projects/{project['id']}/tags"
    for tags in (["has,comma"], ["has/slash"], ["dup", "dup"], [f"t{i}" for i in range(81)],
                 ["x" * 256], [""], "a,b", [1]):
        assert_fault(api.put(base, token=cloud.admin_token, json={"tags": tags}), 400)
        assert_fault(api.patch(f"/v3/projects/{project['id']}", token=cloud.admin_token,
                               json={"project": {"tags": tags}}), 400)
    for tag in ("x" * 256, "a,b"):
        assert_fault(api.put(f"{base}/{tag}", token=cloud.admin_token), 400)
    assert assert_status(api.get(base, token=cloud.admin_token), 200)["tags"] == ["keep"]


def test_tags_of_unknown_project(api, cloud):
    assert_fault(api.get("/v3/projects/" + "0" * 32 + "/tags", token=cloud.admin_token), 404)
    assert_fault(api.put("/v3/projects/" + "0" * 32 + "/tags/x", token=cloud.admin_token), 404)


def test_non_latin1_tag_can_be_added_one_by_one(api, cloud):
    project = cloud.make_project()
    base = f"/v3/projects/{project['id']}/tags"
    response = api.put(f"{base}/日本", token=cloud.admin_token)
    assert_status(response, 201)
    assert assert_status(api.get(base, token=cloud.admin_token), 200)["tags"] == ["日本"]
