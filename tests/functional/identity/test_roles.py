"""Roles, implied roles, grants and ``/v3/role_assignments`` over HTTP."""
from __future__ import annotations

import pytest

from tests.support.api import assert_fault, assert_status
from tests.support.identity import project_scope, unique


def test_bootstrap_roles_and_their_implications(api, cloud):
    t = cloud.admin_token
    roles = assert_status(api.get("/v3/roles", token=t), 200)["roles"]
    assert {"admin", "member", "reader", "manager", "service"} <= {r["name"] for r in roles}
    admin = cloud.role_id("admin")
    implies = assert_status(api.get(f"/v3/roles/{admin}/implies", token=t), 200)
    assert implies["role_inference"]["prior_role"]["id"] == admin
    assert implies["role_inference"]["implies"]  # admin implies something
    inferences = assert_status(api.get("/v3/role_inferences", token=t), 200)["role_inferences"]
    pairs = {(i["prior_role"]["name"], x["name"]) for i in inferences for x in i["implies"]}
    assert ("member", "reader") in pairs

    def closure(name: str) -> set[str]:
        found, frontier = set(), {name}
        while frontier:
            frontier = {b for a, b in pairs if a in frontier} - found
            found |= frontier
        return found
    assert {"member", "reader"} <= closure("admin")  # admin ⇒ … ⇒ member ⇒ reader
    assert "admin" not in closure("member")
    assert_fault(api.delete(f"/v3/roles/{admin}", token=t), 403, "immutable")


def test_role_crud(api, cloud):
    t = cloud.admin_token
    name = unique("role")
    role = assert_status(api.post("/v3/roles", token=t, json={"role": {
        "name": name, "description": "can deploy"}}), 201)["role"]
    rid = role["id"]
    assert (role["name"], role["domain_id"], role["description"]) == (name, None, "can deploy")
    assert assert_status(api.get(f"/v3/roles/{rid}", token=t), 200)["role"] == role
    listed = assert_status(api.get("/v3/roles", token=t, params={"name": name}), 200)
    assert [r["id"] for r in listed["roles"]] == [rid]
    updated = assert_status(api.patch(f"/v3/roles/{rid}", token=t, json={"role": {
        "description": "changed"}}), 200)["role"]
    assert updated["description"] == "changed"
    assert_fault(api.post("/v3/roles", token=t, json={"role": {"name": name}}), 409)
    assert_status(api.delete(f"/v3/roles/{rid}", token=t), 204)
    assert_fault(api.get(f"/v3/roles/{rid}", token=t), 404, rid)


def test_domain_specific_roles(api, cloud):
    t = cloud.admin_token
    domain = cloud.make_domain()
    local = cloud.make_role(domain_id=domain["id"])
    assert local["domain_id"] == domain["id"]
    in_domain = assert_status(api.get("/v3/roles", token=t,
                                      params={"domain_id": domain["id"]}), 200)["roles"]
    assert [r["id"] for r in in_domain] == [local["id"]]
    global_names = {r["name"] for r in assert_status(api.get("/v3/roles", token=t),
                                                     200)["roles"]}
    assert local["name"] not in global_names
    # the same name may exist globally
    assert cloud.make_role(name=local["name"])["domain_id"] is None
    # a global role may not imply a domain-specific one
    reader = cloud.role_id("reader")
    assert_fault(api.put(f"/v3/roles/{reader}/implies/{local['id']}", token=t), 403)
    # a domain role may only be granted inside its domain
    project = cloud.make_project()
    user = cloud.make_user()
    assert_fault(api.put(f"/v3/projects/{project['id']}/users/{user['id']}/roles/"
                         f"{local['id']}", token=t), 403)


def test_implied_role_crud_and_cycles(api, cloud):
    t = cloud.admin_token
    a, b, c = cloud.make_role(), cloud.make_role(), cloud.make_role()
    created = assert_status(api.put(f"/v3/roles/{a['id']}/implies/{b['id']}", token=t),
                            201)["role_inference"]
    assert created["prior_role"]["id"] == a["id"] and created["implies"]["id"] == b["id"]
    assert_status(api.put(f"/v3/roles/{b['id']}/implies/{c['id']}", token=t), 201)
    shown = assert_status(api.get(f"/v3/roles/{a['id']}/implies/{b['id']}", token=t), 200)
    assert shown["role_inference"]["implies"]["name"] == b["name"]
    assert_status(api.head(f"/v3/roles/{a['id']}/implies/{b['id']}", token=t), 204)
    for prior, implied in ((c, a), (b, a), (a, a)):
        assert_fault(api.put(f"/v3/roles/{prior['id']}/implies/{implied['id']}", token=t),
                     403, "cycle")
    assert_fault(api.get(f"/v3/roles/{a['id']}/implies/{c['id']}", token=t), 404)
    assert_status(api.delete(f"/v3/roles/{a['id']}/implies/{b['id']}", token=t), 204)
    assert_fault(api.delete(f"/v3/roles/{a['id']}/implies/{b['id']}", token=t), 404)
    listed = assert_status(api.get(f"/v3/roles/{a['id']}/implies", token=t), 200)
    assert listed["role_inference"]["implies"] == []


def test_implied_role_shows_up_in_tokens(api, cloud):
    boss, helper = cloud.make_role(), cloud.make_role()
    assert_status(api.put(f"/v3/roles/{boss['id']}/implies/{helper['id']}",
                          token=cloud.admin_token), 201)
    m = cloud.make_project_member(role=boss["id"])
    body = assert_status(api.get("/v3/auth/tokens", token=cloud.admin_token,
                                 headers={"X-Subject-Token": m.token}), 200)
    assert sorted(r["id"] for r in body["token"]["roles"]) == sorted([boss["id"], helper["id"]])


@pytest.mark.parametrize("target", ["project", "domain", "system"])
@pytest.mark.parametrize("actor", ["user", "group"])
def test_grant_check_list_revoke(api, cloud, target, actor):
    t = cloud.admin_token
    role = cloud.make_role()
    actor_id = (cloud.make_user() if actor == "user" else cloud.make_group())["id"]
    if target == "project":
        prefix = f"/v3/projects/{cloud.make_project()['id']}"
    elif target == "domain":
        prefix = f"/v3/domains/{cloud.make_domain()['id']}"
    else:
        prefix = "/v3/system"
    base = f"{prefix}/{actor}s/{actor_id}/roles"
    assert_fault(api.get(f"{base}/{role['id']}", token=t), 404)
    assert api.head(f"{base}/{role['id']}", token=t).status_code == 404
    assert_status(api.put(f"{base}/{role['id']}", token=t), 204)
    assert_status(api.put(f"{base}/{role['id']}", token=t), 204)  # idempotent
    assert_status(api.get(f"{base}/{role['id']}", token=t), 204)
    assert_status(api.head(f"{base}/{role['id']}", token=t), 204)
    listed = assert_status(api.get(base, token=t), 200)["roles"]
    assert [r["id"] for r in listed] == [role["id"]]
    assert_status(api.delete(f"{base}/{role['id']}", token=t), 204)
    assert_fault(api.delete(f"{base}/{role['id']}", token=t), 404)
    assert assert_status(api.get(base, token=t), 200)["roles"] == []


def test_grants_on_unknown_things_are_404(api, cloud):
    t = cloud.admin_token
    project, user, role = cloud.make_project(), cloud.make_user(), cloud.make_role()
    missing = "0" * 32
    for path in (f"/v3/projects/{missing}/users/{user['id']}/roles/{role['id']}",
                 f"/v3/projects/{project['id']}/users/{missing}/roles/{role['id']}",
                 f"/v3/projects/{project['id']}/users/{user['id']}/roles/{missing}",
                 f"/v3/projects/{project['id']}/groups/{missing}/roles/{role['id']}",
                 f"/v3/domains/{missing}/users/{user['id']}/roles/{role['id']}",
                 f"/v3/domains/{project['id']}/users/{user['id']}/roles/{role['id']}"):
        assert_fault(api.put(path, token=t), 404)
    listed = assert_status(api.get("/v3/role_assignments", token=t,
                                   params={"user.id": user["id"]}), 200)
    assert listed["role_assignments"] == []


def test_inherited_grants(api, cloud):
    t = cloud.admin_token
    parent = cloud.make_project()
    child = cloud.make_project(parent_id=parent["id"])
    user = cloud.make_user(password="pw-inh")
    role = cloud.make_role()
    path = (f"/v3/OS-INHERIT/projects/{parent['id']}/users/{user['id']}/roles/{role['id']}"
            "/inherited_to_projects")
    assert_status(api.put(path, token=t), 204)
    assert_status(api.get(path, token=t), 204)
    listed = assert_status(api.get(f"/v3/OS-INHERIT/projects/{parent['id']}/users/"
                                   f"{user['id']}/roles/inherited_to_projects", token=t), 200)
    assert [r["id"] for r in listed["roles"]] == [role["id"]]
    # the inherited grant works on the child, not on the parent itself
    token = cloud.login(user, "pw-inh", project_scope(child["id"]))
    assert token
    assert_fault(api.post("/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": token}},
        "scope": project_scope(parent["id"])}}), 401)
    assert_status(api.delete(path, token=t), 204)
    assert_fault(api.get(path, token=t), 404)


def test_role_assignments_listing(api, cloud):
    t = cloud.admin_token
    domain = cloud.make_domain()
    parent = cloud.make_project(domain_id=domain["id"])
    child = cloud.make_project(domain_id=domain["id"], parent_id=parent["id"])
    user = cloud.make_user(domain_id=domain["id"])
    group = cloud.make_group(domain_id=domain["id"])
    assert_status(api.put(f"/v3/groups/{group['id']}/users/{user['id']}", token=t), 204)
    lead, dev = cloud.make_role(), cloud.make_role()
    assert_status(api.put(f"/v3/roles/{lead['id']}/implies/{dev['id']}", token=t), 201)
    cloud.grant(lead["id"], user=user["id"], project=parent["id"])
    cloud.grant(dev["id"], group=group["id"], project=parent["id"], inherited=True)

    def listing(**params) -> list[dict]:
        body = assert_status(api.get("/v3/role_assignments", token=t, params=params), 200)
        assert body["links"]["self"].startswith(
            "http://onestack.test/identity/v3/role_assignments")
        return body["role_assignments"]

    direct = listing(**{"user.id": user["id"]})
    assert [(a["role"]["id"], a["scope"]["project"]["id"]) for a in direct] == \
        [(lead["id"], parent["id"])]
    group_rows = listing(**{"group.id": group["id"]})
    assert group_rows[0]["scope"]["OS-INHERIT:inherited_to"] == "projects"

    effective = listing(**{"user.id": user["id"], "effective": ""})
    got = sorted((a["role"]["id"], a["scope"]["project"]["id"]) for a in effective)
    assert got == sorted([(lead["id"], parent["id"]), (dev["id"], parent["id"]),
                          (dev["id"], child["id"])])
    via_group = [a for a in effective if a["scope"]["project"]["id"] == child["id"]]
    assert via_group[0]["links"]["membership"].endswith(
        f"/groups/{group['id']}/users/{user['id']}")
    implied = [a for a in effective if "prior_role" in a["links"]]
    assert implied[0]["links"]["prior_role"].endswith(f"/roles/{lead['id']}")

    by_project = listing(**{"scope.project.id": child["id"], "effective": ""})
    assert {a["user"]["id"] for a in by_project} == {user["id"]}
    subtree = listing(**{"scope.project.id": parent["id"], "include_subtree": "true",
                         "effective": "", "role.id": dev["id"]})
    assert {a["scope"]["project"]["id"] for a in subtree} == {parent["id"], child["id"]}

    named = listing(**{"user.id": user["id"], "include_names": ""})
    assert named[0]["user"]["name"] == user["name"]
    assert named[0]["user"]["domain"] == {"id": domain["id"], "name": domain["name"]}
    assert named[0]["role"]["name"] == lead["name"]
    assert named[0]["scope"]["project"]["name"] == parent["name"]


@pytest.mark.parametrize("params", [{"user.id": "a", "group.id": "b"},
                                    {"scope.project.id": "a", "scope.domain.id": "b"},
                                    {"effective": "", "group.id": "x"}])
def test_role_assignments_contradictory_filters(api, cloud, params):
    assert_fault(api.get("/v3/role_assignments", token=cloud.admin_token, params=params), 400)


def test_system_assignments_listed(api, cloud):
    user = cloud.make_user()
    cloud.grant("reader", user=user["id"], system=True)
    body = assert_status(api.get("/v3/role_assignments", token=cloud.admin_token, params={
        "user.id": user["id"], "scope.system": "all"}), 200)
    assert [a["scope"] for a in body["role_assignments"]] == [{"system": {"all": True}}]


def test_no_role_may_imply_admin(api, cloud):
    t = cloud.admin_token
    role = assert_status(api.post("/v3/roles", token=t, json={"role": {
        "name": unique()}}), 201)["role"]
    admin = cloud.role_id("admin")
    assert_fault(api.put(f"/v3/roles/{role['id']}/implies/{admin}", token=t), 403, "admin")
    assert_fault(api.get(f"/v3/roles/{role['id']}/implies/{admin}", token=t), 404)
