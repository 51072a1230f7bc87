"""Users, groups and group membership over HTTP."""
from __future__ import annotations

from tests.support.api import assert_fault, assert_status
from tests.support.identity import password_auth, project_scope, unique


def test_user_crud(api, cloud):
    t = cloud.admin_token
    project = cloud.make_project()
    name = unique("user")
    created = assert_status(api.post("/v3/users", token=t, json={"user": {
        "name": name, "password": "pw-one", "default_project_id": project["id"],
        "description": "a user", "email": "u@example.org"}}), 201)["user"]
    uid = created["id"]
    assert created["name"] == name and created["domain_id"] == "default"
    assert created["enabled"] is True and created["default_project_id"] == project["id"]
    assert created["email"] == "u@example.org" and created["description"] == "a user"
    assert created["password_expires_at"] is None
    assert "password" not in created and "password_hash" not in created

    assert assert_status(api.get(f"/v3/users/{uid}", token=t), 200)["user"] == created
    listed = assert_status(api.get("/v3/users", token=t, params={"name": name}), 200)
    assert [u["id"] for u in listed["users"]] == [uid]

    updated = assert_status(api.patch(f"/v3/users/{uid}", token=t, json={"user": {
        "name": name + "-2", "enabled": False, "email": "v@example.org"}}), 200)["user"]
    assert (updated["name"], updated["enabled"], updated["email"]) == \
        (name + "-2", False, "v@example.org")
    off = assert_status(api.get("/v3/users", token=t, params={"enabled": "false"}), 200)
    assert uid in [u["id"] for u in off["users"]]

    assert_status(api.delete(f"/v3/users/{uid}", token=t), 204)
    assert_fault(api.get(f"/v3/users/{uid}", token=t), 404, uid)
    assert_fault(api.delete(f"/v3/users/{uid}", token=t), 404)


def test_user_in_another_domain_and_duplicates(api, cloud):
    domain = cloud.make_domain()
    user = cloud.make_user(domain_id=domain["id"])
    assert user["domain_id"] == domain["id"]
    assert cloud.make_user(name=user["name"])["domain_id"] == "default"
    response = api.post("/v3/users", token=cloud.admin_token, json={"user": {
        "name": user["name"], "domain_id": domain["id"]}})
    assert_fault(response, 409)
    listed = assert_status(api.get("/v3/users", token=cloud.admin_token,
                                   params={"domain_id": domain["id"]}), 200)
    assert [u["id"] for u in listed["users"]] == [user["id"]]


def test_user_in_unknown_domain(api, cloud):
    name = unique()
    assert_fault(api.post("/v3/users", token=cloud.admin_token, json={"user": {
        "name": name, "domain_id": "0" * 32}}), 404)
    listed = assert_status(api.get("/v3/users", token=cloud.admin_token,
                                   params={"name": name}), 200)
    assert listed["users"] == []


def test_user_without_password_cannot_log_in(api, cloud):
    user = cloud.make_user(password=None)
    assert_fault(api.post("/v3/auth/tokens", json=password_auth(user_id=user["id"],
                                                                password="")), 401)


def test_user_rename_conflict_and_domain_change(api, cloud):
    a, b = cloud.make_user(), cloud.make_user()
    assert_fault(api.patch(f"/v3/users/{b['id']}", token=cloud.admin_token,
                           json={"user": {"name": a["name"]}}), 409)
    domain = cloud.make_domain()
    assert_fault(api.patch(f"/v3/users/{b['id']}", token=cloud.admin_token,
                           json={"user": {"domain_id": domain["id"]}}), 400)
    shown = assert_status(api.get(f"/v3/users/{b['id']}", token=cloud.admin_token), 200)
    assert (shown["user"]["name"], shown["user"]["domain_id"]) == (b["name"], "default")


def test_user_projects_lists_direct_group_and_inherited(api, cloud):
    user = cloud.make_user()
    direct, via_group, parent = cloud.make_project(), cloud.make_project(), cloud.make_project()
    child = cloud.make_project(parent_id=parent["id"])
    group = cloud.make_group()
    assert_status(api.put(f"/v3/groups/{group['id']}/users/{user['id']}",
                          token=cloud.admin_token), 204)
    cloud.grant("reader", user=user["id"], project=direct["id"])
    cloud.grant("reader", group=group["id"], project=via_group["id"])
    cloud.grant("reader", user=user["id"], project=parent["id"], inherited=True)
    body = assert_status(api.get(f"/v3/users/{user['id']}/projects",
                                 token=cloud.admin_token), 200)
    assert {p["id"] for p in body["projects"]} == {direct["id"], via_group["id"], child["id"]}


def test_user_sees_own_projects_but_not_others(api, cloud, member):
    mine = assert_status(api.get(f"/v3/users/{member.user['id']}/projects",
                                 token=member.token), 200)
    assert [p["id"] for p in mine["projects"]] == [member.project["id"]]
    other = cloud.make_user()
    assert_fault(api.get(f"/v3/users/{other['id']}/projects", token=member.token), 403)


def test_group_crud_and_membership(api, cloud):
    t = cloud.admin_token
    name = unique("grp")
    group = assert_status(api.post("/v3/groups", token=t, json={"group": {
        "name": name, "description": "team"}}), 201)["group"]
    gid = group["id"]
    assert (group["name"], group["domain_id"], group["description"]) == \
        (name, "default", "team")
    assert assert_status(api.get(f"/v3/groups/{gid}", token=t), 200)["group"] == group
    listed = assert_status(api.get("/v3/groups", token=t, params={"name": name}), 200)
    assert [g["id"] for g in listed["groups"]] == [gid]
    renamed = assert_status(api.patch(f"/v3/groups/{gid}", token=t, json={"group": {
        "name": name + "-2"}}), 200)["group"]
    assert renamed["name"] == name + "-2"

    alice, bob = cloud.make_user(), cloud.make_user()
    for u in (alice, bob):
        assert_status(api.put(f"/v3/groups/{gid}/users/{u['id']}", token=t), 204)
    assert_status(api.put(f"/v3/groups/{gid}/users/{alice['id']}", token=t), 204)  # idempotent
    members = assert_status(api.get(f"/v3/groups/{gid}/users", token=t), 200)["users"]
    assert {u["id"] for u in members} == {alice["id"], bob["id"]}
    assert_status(api.head(f"/v3/groups/{gid}/users/{alice['id']}", token=t), 204)
    groups = assert_status(api.get(f"/v3/users/{alice['id']}/groups", token=t), 200)["groups"]
    assert [g["id"] for g in groups] == [gid]

    assert_status(api.delete(f"/v3/groups/{gid}/users/{alice['id']}", token=t), 204)
    assert_fault(api.get(f"/v3/groups/{gid}/users/{alice['id']}", token=t), 404)
    assert_fault(api.delete(f"/v3/groups/{gid}/users/{alice['id']}", token=t), 404)

    assert_status(api.delete(f"/v3/groups/{gid}", token=t), 204)
    assert_fault(api.get(f"/v3/groups/{gid}", token=t), 404)
    assert assert_status(api.get(f"/v3/users/{bob['id']}/groups", token=t), 200)["groups"] == []


def test_membership_with_unknown_ids(api, cloud):
    t = cloud.admin_token
    group, user = cloud.make_group(), cloud.make_user()
    assert_fault(api.put(f"/v3/groups/{group['id']}/users/{'0' * 32}", token=t), 404)
    assert_fault(api.put(f"/v3/groups/{'0' * 32}/users/{user['id']}", token=t), 404)
    assert assert_status(api.get(f"/v3/groups/{group['id']}/users", token=t),
                         200)["users"] == []


def test_duplicate_group_name_conflicts(api, cloud):
    group = cloud.make_group()
    assert_fault(api.post("/v3/groups", token=cloud.admin_token,
                          json={"group": {"name": group["name"]}}), 409)


def test_group_role_reaches_new_member_at_next_validation(api, cloud):
    project = cloud.make_project()
    group = cloud.make_group()
    user = cloud.make_user(password="pw-group")
    cloud.grant("member", group=group["id"], project=project["id"])
    assert_fault(api.post("/v3/auth/tokens", json=password_auth(
        user_id=user["id"], password="pw-group", scope=project_scope(project["id"]))), 401)
    assert_status(api.put(f"/v3/groups/{group['id']}/users/{user['id']}",
                          token=cloud.admin_token), 204)
    token = cloud.login(user, "pw-group", project_scope(project["id"]))
    validated = assert_status(api.get("/v3/auth/tokens", token=cloud.admin_token,
                                      headers={"X-Subject-Token": token}), 200)
    assert sorted(r["name"] for r in validated["token"]["roles"]) == ["member", "reader"]
