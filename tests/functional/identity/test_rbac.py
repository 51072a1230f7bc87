"""Who may do what: a member of one project against the admin APIs and against another
project's resources; domain-scoped readers; an operator's policy file."""
from __future__ import annotations

import pytest

from tests.support.api import assert_fault, assert_status
from tests.support.identity import password_auth, unique

ADMIN_ONLY = [
    ("POST", "/v3/users", {"user": {"name": "x"}}),
    ("GET", "/v3/users", None),
    ("POST", "/v3/projects", {"project": {"name": "x"}}),
    ("GET", "/v3/projects", None),
    ("POST", "/v3/domains", {"domain": {"name": "x"}}),
    ("GET", "/v3/domains", None),
    ("POST", "/v3/groups", {"group": {"name": "x"}}),
    ("GET", "/v3/groups", None),
    ("POST", "/v3/roles", {"role": {"name": "x"}}),
    ("GET", "/v3/role_assignments", None),
    ("POST", "/v3/services", {"service": {"type": "x"}}),
    ("GET", "/v3/services", None),
    ("GET", "/v3/endpoints", None),
    ("POST", "/v3/regions", {"region": {}}),
    ("POST", "/v3/limits", {"limits": [{"service_id": "s", "resource_name": "r",
                                       "resource_limit": 1, "project_id": "p"}]}),
    ("POST", "/v3/registered_limits", {"registered_limits": [
        {"service_id": "s", "resource_name": "r", "default_limit": 1}]}),
    ("GET", "/v3/policies", None),
    ("GET", "/v3/OS-REVOKE/events", None),
    ("GET", "/v3/OS-TRUST/trusts", None),
]


def test_member_is_forbidden_on_admin_apis(api, member):
    for method, path, body in ADMIN_ONLY:
        kwargs = {"json": body} if body is not None else {}
        response = api.request(method, path, token=member.token, **kwargs)
        assert response.status_code == 403, f"{method} {path}: {response.status_code}"
        assert_fault(response, 403)


def test_member_cannot_administer_its_own_project(api, cloud, member):
    pid = member.project["id"]
    assert_fault(api.patch(f"/v3/projects/{pid}", token=member.token,
                           json={"project": {"description": "mine now"}}), 403)
    assert_fault(api.delete(f"/v3/projects/{pid}", token=member.token), 403)
    assert_fault(api.put(f"/v3/projects/{pid}/tags/mine", token=member.token), 403)
    role = cloud.role_id("admin")
    assert_fault(api.put(f"/v3/projects/{pid}/users/{member.user['id']}/roles/{role}",
                         token=member.token), 403)
    shown = assert_status(api.get(f"/v3/projects/{pid}", token=cloud.admin_token), 200)
    assert shown["project"]["description"] == "" and shown["project"]["tags"] == []


def test_member_reads_what_is_its_own(api, cloud, member):
    pid, uid = member.project["id"], member.user["id"]
    assert assert_status(api.get(f"/v3/projects/{pid}", token=member.token),
                         200)["project"]["id"] == pid
    assert_status(api.get(f"/v3/projects/{pid}/tags", token=member.token), 200)
    assert assert_status(api.get(f"/v3/users/{uid}", token=member.token),
                         200)["user"]["id"] == uid
    assert assert_status(api.get("/v3/domains/default", token=member.token),
                         200)["domain"]["name"] == "Default"
    assert_fault(api.get("/v3/roles", token=member.token), 403)  # Keystone: admins only
    assert_status(api.get(f"/v3/users/{uid}/groups", token=member.token), 200)


def test_member_cannot_see_another_projects_resources(api, cloud, member):
    other = cloud.make_project_member()
    group = cloud.make_group()
    domain = cloud.make_domain()
    for path in (f"/v3/projects/{other.project['id']}",
                 f"/v3/projects/{other.project['id']}/tags",
                 f"/v3/users/{other.user['id']}",
                 f"/v3/users/{other.user['id']}/projects",
                 f"/v3/users/{other.user['id']}/groups",
                 f"/v3/users/{other.user['id']}/application_credentials",
                 f"/v3/users/{other.user['id']}/access_rules",
                 f"/v3/groups/{group['id']}",
                 f"/v3/domains/{domain['id']}"):
        assert_fault(api.get(path, token=member.token), 403)
    # credentials of others are simply not there for a non-admin
    cred = assert_status(api.post("/v3/credentials", token=other.token, json={"credential": {
        "type": "cert", "user_id": other.user["id"], "blob": "b"}}), 201)["credential"]
    assert_fault(api.get(f"/v3/credentials/{cred['id']}", token=member.token), 404)
    assert_fault(api.patch(f"/v3/credentials/{cred['id']}", token=member.token,
                           json={"credential": {"blob": "stolen"}}), 404)


def test_member_cannot_give_a_credential_to_someone_else(api, cloud, member):
    other = cloud.make_project_member()
    cred = assert_status(api.post("/v3/credentials", token=member.token, json={"credential": {
        "type": "cert", "user_id": member.user["id"], "blob": "planted"}}), 201)["credential"]
    response = api.patch(f"/v3/credentials/{cred['id']}", token=member.token,
                         json={"credential": {"user_id": other.user["id"]}})
    assert response.status_code in (400, 403), response.text
    assert_fault(response, response.status_code)
    theirs = assert_status(api.get("/v3/credentials", token=other.token), 200)["credentials"]
    assert cred["id"] not in [c["id"] for c in theirs]


def test_member_cannot_change_other_users(api, cloud, member):
    other = cloud.make_user(password="other-pw")
    assert_fault(api.patch(f"/v3/users/{other['id']}", token=member.token,
                           json={"user": {"password": "hijacked"}}), 403)
    assert_fault(api.delete(f"/v3/users/{other['id']}", token=member.token), 403)
    assert cloud.login(other, "other-pw")


def test_missing_resources_are_404_even_for_members(api, member):
    for path in ("/v3/projects/" + "0" * 32, "/v3/users/" + "0" * 32,
                 "/v3/groups/" + "0" * 32):
        assert_fault(api.get(path, token=member.token), 404)


def test_admin_role_on_any_project_administers_the_cloud(api, cloud):
    project_admin = cloud.make_project_member(role="admin")
    body = assert_status(api.get("/v3/users", token=project_admin.token,
                                 params={"name": "admin"}), 200)
    assert [u["name"] for u in body["users"]] == ["admin"]


def test_reader_role_reads_but_does_not_write(api, cloud):
    reader = cloud.make_project_member(role="reader")
    assert_status(api.get(f"/v3/projects/{reader.project['id']}", token=reader.token), 200)
    assert_fault(api.post("/v3/projects", token=reader.token,
                          json={"project": {"name": unique()}}), 403)


@pytest.fixture
def domain_reader(cloud):
    """A reader scoped to a fresh domain holding one project, user and group."""
    domain = cloud.make_domain()
    inside_project = cloud.make_project(domain_id=domain["id"])
    inside_user = cloud.make_user(domain_id=domain["id"])
    inside_group = cloud.make_group(domain_id=domain["id"])
    reader = cloud.make_user(password="domain-reader-pw", domain_id=domain["id"])
    cloud.grant("reader", user=reader["id"], domain=domain["id"])
    token = cloud.login(reader, "domain-reader-pw", {"domain": {"id": domain["id"]}})
    return {"domain": domain, "project": inside_project, "user": inside_user,
            "group": inside_group, "reader": reader, "token": token}


def test_domain_reader_lists_projects_of_its_domain_only(api, cloud, domain_reader):
    token, did = domain_reader["token"], domain_reader["domain"]["id"]
    listed = assert_status(api.get("/v3/projects", token=token), 200)["projects"]
    assert {p["id"] for p in listed} == {domain_reader["project"]["id"]}
    users = assert_status(api.get("/v3/users", token=token, params={"domain_id": did}),
                          200)["users"]
    assert {u["id"] for u in users} == {domain_reader["user"]["id"],
                                        domain_reader["reader"]["id"]}
    assert_fault(api.get("/v3/users", token=token, params={"domain_id": "default"}), 403)
    assert_status(api.get(f"/v3/users/{domain_reader['user']['id']}", token=token), 200)
    assert_fault(api.get(f"/v3/users/{cloud.make_user()['id']}", token=token), 403)
    assert_fault(api.post("/v3/users", token=token, json={"user": {"name": unique()}}), 403)


@pytest.mark.parametrize("collection", ["users", "groups"])
def test_domain_reader_listing_without_filter_stays_in_its_domain(
        api, cloud, domain_reader, collection):
    cloud.make_user()
    cloud.make_group()
    listed = assert_status(api.get(f"/v3/{collection}", token=domain_reader["token"]),
                           200)[collection]
    assert listed and {x["domain_id"] for x in listed} == {domain_reader["domain"]["id"]}


def test_domain_reader_sees_only_its_domains_role_assignments(api, cloud, domain_reader):
    body = assert_status(api.get("/v3/role_assignments", token=domain_reader["token"]), 200)
    outside = [a for a in body["role_assignments"]
               if a.get("scope", {}).get("project", {}).get("id") == cloud.admin_project_id]
    assert outside == []


def test_policy_file_overrides_a_rule(make_api, cloud, member, tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text('"identity:list_roles": "role:admin"\n')
    strict = make_api(policy_file=str(path))
    assert_fault(strict.get("/v3/roles", token=member.token), 403, "identity:list_roles")
    assert_status(strict.get("/v3/roles", token=cloud.admin_token), 200)
    # rules not in the file keep their defaults
    assert_status(strict.get(f"/v3/projects/{member.project['id']}", token=member.token), 200)


def test_unauthenticated_password_change_needs_the_old_password(api, cloud):
    user = cloud.make_user(password="old-pw-123")
    response = api.post(f"/v3/users/{user['id']}/password", json={
        "user": {"original_password": "guess", "password": "new-pw-123"}})
    assert_fault(response, 401)
    assert_fault(api.post("/v3/auth/tokens", json=password_auth(
        user_id=user["id"], password="new-pw-123")), 401)
