"""Tokens over HTTP: issue by every supported method and scope, validate (GET/HEAD,
``?nocatalog``), revoke, expire, and the events that invalidate tokens at once."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timezone

import pytest

from tests.support.api import assert_fault, assert_status
from tests.support.identity import password_auth, project_scope, unique

TOKENS = "/v3/auth/tokens"


def subject(token: str) -> dict[str, str]:
    return {"X-Subject-Token": token}


def assert_token_invalid(api, cloud, token: str) -> None:
    """Gone for good: 404 as a subject, 401 as the caller's own token."""
    assert_fault(api.get(TOKENS, token=cloud.admin_token, headers=subject(token)), 404)
    response = api.get("/v3/auth/projects", token=token)
    assert_fault(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")


def assert_token_valid(api, cloud, token: str) -> dict:
    return assert_status(api.get(TOKENS, token=cloud.admin_token, headers=subject(token)),
                         200)["token"]


# --- issue ---------------------------------------------------------------------------------

def test_password_project_scoped_token_body(api, cloud, member):
    token, body = cloud.issue(password_auth(user_id=member.user["id"], password=member.password,
                                            scope=project_scope(member.project["id"])))
    data = body["token"]
    assert token and len(token) < 255
    assert data["methods"] == ["password"]
    assert data["user"]["id"] == member.user["id"]
    assert data["user"]["name"] == member.user["name"]
    assert data["user"]["domain"] == {"id": "default", "name": "Default"}
    assert data["project"] == {"id": member.project["id"], "name": member.project["name"],
                               "domain": {"id": "default", "name": "Default"}}
    assert data["is_domain"] is False
    assert sorted(r["name"] for r in data["roles"]) == ["member", "reader"]
    assert len(data["audit_ids"]) == 1
    assert data["expires_at"].endswith("Z") and data["issued_at"] < data["expires_at"]
    (identity,) = [s for s in data["catalog"] if s["type"] == "identity"]
    assert {e["interface"] for e in identity["endpoints"]} == {"public", "internal", "admin"}
    assert all(e["url"] == "http://onestack.test/identity" for e in identity["endpoints"])


def test_password_auth_by_user_and_project_names(api, cloud, member):
    scope = {"project": {"name": member.project["name"], "domain": {"name": "Default"}}}
    body = password_auth(name=member.user["name"], password=member.password, scope=scope)
    body["auth"]["identity"]["password"]["user"]["domain"] = {"name": "Default"}
    _, data = cloud.issue(body)
    assert data["token"]["project"]["id"] == member.project["id"]


def test_unscoped_token_has_no_roles_or_catalog(api, cloud):
    user = cloud.make_user(password="pw-unscoped")
    token, body = cloud.issue(password_auth(user_id=user["id"], password="pw-unscoped"))
    data = body["token"]
    assert data["user"]["id"] == user["id"]
    for key in ("roles", "project", "domain", "system", "catalog"):
        assert key not in data
    # an unscoped token may not read the catalog
    assert_fault(api.get("/v3/auth/catalog", token=token), 401)


def test_default_project_scopes_a_token_without_scope(api, cloud):
    project = cloud.make_project()
    user = cloud.make_user(password="pw-default", default_project_id=project["id"])
    cloud.grant("reader", user=user["id"], project=project["id"])
    _, body = cloud.issue(password_auth(user_id=user["id"], password="pw-default"))
    assert body["token"]["project"]["id"] == project["id"]
    assert [r["name"] for r in body["token"]["roles"]] == ["reader"]


def test_domain_scoped_token(api, cloud):
    domain = cloud.make_domain()
    user = cloud.make_user(password="pw-dom")
    cloud.grant("admin", user=user["id"], domain=domain["id"])
    token, body = cloud.issue(password_auth(user_id=user["id"], password="pw-dom",
                                            scope={"domain": {"id": domain["id"]}}))
    data = body["token"]
    assert data["domain"] == {"id": domain["id"], "name": domain["name"]}
    assert "project" not in data
    assert {"admin", "member", "reader"} <= {r["name"] for r in data["roles"]}
    domains = assert_status(api.get("/v3/auth/domains", token=token), 200)["domains"]
    assert [d["id"] for d in domains] == [domain["id"]]


def test_domain_scoped_token_for_an_explicit_uppercase_domain_id(
        request, backend, api, cloud):
    domain_id = uuid.uuid4().hex.upper()
    assert cloud.make_domain(explicit_domain_id=domain_id)["id"] == domain_id
    user = cloud.make_user(password="pw-upper")
    cloud.grant("reader", user=user["id"], domain=domain_id)
    _, body = cloud.issue(password_auth(user_id=user["id"], password="pw-upper",
                                        scope={"domain": {"id": domain_id}}))
    assert body["token"]["domain"]["id"] == domain_id


def test_domain_scope_by_name(api, cloud):
    domain = cloud.make_domain()
    user = cloud.make_user(password="pw-dom2")
    cloud.grant("reader", user=user["id"], domain=domain["id"])
    _, body = cloud.issue(password_auth(user_id=user["id"], password="pw-dom2",
                                        scope={"domain": {"name": domain["name"]}}))
    assert body["token"]["domain"]["id"] == domain["id"]


def test_system_scoped_token(api, cloud):
    token, body = cloud.issue(password_auth(name="admin", password="admin-secret-pw",
                                            scope={"system": {"all": True}}))
    data = body["token"]
    assert data["system"] == {"all": True}
    assert "project" not in data and "domain" not in data
    assert "admin" in [r["name"] for r in data["roles"]]
    system = assert_status(api.get("/v3/auth/system", token=token), 200)["system"]
    assert system == [{"all": True}]


def test_member_has_no_system_scope(api, cloud, member):
    body = assert_status(api.get("/v3/auth/system", token=member.token), 200)
    assert body["system"] == []
    assert_fault(api.post(TOKENS, json=password_auth(
        user_id=member.user["id"], password=member.password,
        scope={"system": {"all": True}})), 401)


def test_scope_without_a_role_there_is_refused(api, cloud, member):
    elsewhere = cloud.make_project()
    response = api.post(TOKENS, json=password_auth(
        user_id=member.user["id"], password=member.password,
        scope=project_scope(elsewhere["id"])))
    assert_fault(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Keystone uri="http://onestack.test/identity/v3"'


@pytest.mark.parametrize("change", ["password", "user", "project"])
def test_wrong_credentials_are_a_bare_401(api, cloud, member, change):
    kwargs = dict(user_id=member.user["id"], password=member.password,
                  scope=project_scope(member.project["id"]))
    if change == "password":
        kwargs["password"] = "wrong"
    elif change == "user":
        kwargs["user_id"] = "0" * 32
    else:
        kwargs["scope"] = project_scope("f" * 32)
    response = api.post(TOKENS, json=password_auth(**kwargs))
    assert_fault(response, 401)
    assert "x-subject-token" not in response.headers


def test_unknown_user_name_and_domain_name(api, cloud):
    body = password_auth(name=unique("nobody"), password="x")
    assert_fault(api.post(TOKENS, json=body), 401)
    body = password_auth(name="admin", password="admin-secret-pw")
    body["auth"]["identity"]["password"]["user"]["domain"] = {"name": unique("nodomain")}
    assert_fault(api.post(TOKENS, json=body), 401)


def test_unsupported_method(api):
    body = {"auth": {"identity": {"methods": ["totp"], "totp": {}}}}
    assert_fault(api.post(TOKENS, json=body), 401, "unsupported method")


def test_rescope_unscoped_token_with_token_method(api, cloud, member):
    unscoped, first = cloud.issue(password_auth(user_id=member.user["id"],
                                                password=member.password))
    token, body = cloud.issue({"auth": {"identity": {"methods": ["token"],
                                                     "token": {"id": unscoped}},
                                        "scope": project_scope(member.project["id"])}})
    data = body["token"]
    assert token != unscoped
    assert data["project"]["id"] == member.project["id"]
    assert set(data["methods"]) == {"password", "token"}
    assert data["expires_at"] == first["token"]["expires_at"]  # never outlives its parent
    assert data["audit_ids"][1] == first["token"]["audit_ids"][0]  # the chain is kept


def test_rescope_with_revoked_token_fails(api, cloud, member):
    unscoped = cloud.login(member.user, member.password)
    assert_status(api.delete(TOKENS, token=cloud.admin_token, headers=subject(unscoped)), 204)
    response = api.post(TOKENS, json={"auth": {"identity": {"methods": ["token"],
                                                            "token": {"id": unscoped}}}})
    assert_fault(response, 404)


# --- application credentials --------------------------------------------------------------

def make_app_cred(api, member, **attrs):
    body = {"name": unique("appcred"), **attrs}
    response = api.post(f"/v3/users/{member.user['id']}/application_credentials",
                        token=member.token, json={"application_credential": body})
    return assert_status(response, 201)["application_credential"]


def app_cred_auth(cred, **ref):
    ref = ref or {"id": cred["id"]}
    return {"auth": {"identity": {"methods": ["application_credential"],
                                  "application_credential": {**ref,
                                                             "secret": cred["secret"]}}}}


def test_application_credential_token(api, cloud, member):
    cred = make_app_cred(api, member, description="ci robot")
    assert cred["project_id"] == member.project["id"] and cred["secret"]
    token, body = cloud.issue(app_cred_auth(cred))
    data = body["token"]
    assert data["methods"] == ["application_credential"]
    assert data["project"]["id"] == member.project["id"]
    assert data["application_credential"] == {"id": cred["id"], "name": cred["name"],
                                              "restricted": True}
    assert sorted(r["name"] for r in data["roles"]) == ["member", "reader"]
    # a restricted application credential cannot make another one
    response = api.post(f"/v3/users/{member.user['id']}/application_credentials", token=token,
                        json={"application_credential": {"name": unique()}})
    assert_fault(response, 403)


def test_application_credential_by_name_and_user(api, cloud, member):
    cred = make_app_cred(api, member)
    _, body = cloud.issue(app_cred_auth(cred, name=cred["name"],
                                        user={"id": member.user["id"]}))
    assert body["token"]["application_credential"]["id"] == cred["id"]


def test_application_credential_limited_to_chosen_roles(api, cloud, member):
    cred = make_app_cred(api, member, roles=[{"name": "reader"}])
    assert [r["name"] for r in cred["roles"]] == ["reader"]
    _, body = cloud.issue(app_cred_auth(cred))
    assert [r["name"] for r in body["token"]["roles"]] == ["reader"]


def test_application_credential_wrong_secret_and_deletion(api, cloud, member):
    cred = make_app_cred(api, member)
    bad = app_cred_auth({**cred, "secret": "not-it"})
    assert_fault(api.post(TOKENS, json=bad), 401)
    token, _ = cloud.issue(app_cred_auth(cred))
    path = f"/v3/users/{member.user['id']}/application_credentials/{cred['id']}"
    assert_status(api.delete(path, token=member.token), 204)
    assert_token_invalid(api, cloud, token)
    assert_fault(api.post(TOKENS, json=app_cred_auth(cred)), 401)


def test_expired_application_credential_is_refused(api, cloud, member):
    cred = make_app_cred(api, member, expires_at="2001-01-01T00:00:00Z")
    assert_fault(api.post(TOKENS, json=app_cred_auth(cred)), 401)


# --- validate --------------------------------------------------------------------------------

def test_validate_get_head_and_nocatalog(api, cloud, member):
    response = api.get(TOKENS, token=cloud.admin_token, headers=subject(member.token))
    data = assert_status(response, 200)["token"]
    assert response.headers["X-Subject-Token"] == member.token
    assert data["user"]["id"] == member.user["id"]
    assert data["project"]["id"] == member.project["id"]
    assert data["catalog"]

    bare = api.get(TOKENS, token=cloud.admin_token, headers=subject(member.token),
                   params={"nocatalog": ""})
    bare_data = assert_status(bare, 200)["token"]
    assert "catalog" not in bare_data
    assert bare_data["roles"] == data["roles"]

    head = api.head(TOKENS, token=cloud.admin_token, headers=subject(member.token))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["X-Subject-Token"] == member.token


def test_issue_with_nocatalog(api, cloud, member):
    response = api.post(TOKENS, params={"nocatalog": "1"}, json=password_auth(
        user_id=member.user["id"], password=member.password,
        scope=project_scope(member.project["id"])))
    data = assert_status(response, 201)["token"]
    assert "catalog" not in data and data["roles"]


def test_user_validates_own_token_but_not_others(api, cloud, member):
    assert_status(api.get(TOKENS, token=member.token, headers=subject(member.token)), 200)
    other = cloud.make_project_member()
    assert_fault(api.get(TOKENS, token=member.token, headers=subject(other.token)), 403)


def test_validate_without_subject_or_with_garbage(api, cloud):
    assert_fault(api.get(TOKENS, token=cloud.admin_token), 400, "X-Subject-Token")
    assert_fault(api.get(TOKENS, token=cloud.admin_token, headers=subject("garbage")), 404)
    head = api.head(TOKENS, token=cloud.admin_token, headers=subject("garbage"))
    assert head.status_code == 404 and head.content == b""


def test_auth_catalog_and_projects(api, cloud, member):
    catalog = assert_status(api.get("/v3/auth/catalog", token=member.token), 200)["catalog"]
    assert "identity" in {s["type"] for s in catalog}
    projects = assert_status(api.get("/v3/auth/projects", token=member.token), 200)["projects"]
    assert [p["id"] for p in projects] == [member.project["id"]]


# --- revoke ---------------------------------------------------------------------------------

def test_revoke_then_404(api, cloud, member):
    assert_token_valid(api, cloud, member.token)
    assert_status(api.delete(TOKENS, token=cloud.admin_token, headers=subject(member.token)),
                  204)
    assert_token_invalid(api, cloud, member.token)
    assert_fault(api.delete(TOKENS, token=cloud.admin_token, headers=subject(member.token)),
                 404)
    # the user still logs in; only that token died
    fresh = cloud.login(member.user, member.password, project_scope(member.project["id"]))
    assert_token_valid(api, cloud, fresh)


def test_user_revokes_own_token(api, cloud, member):
    second = cloud.login(member.user, member.password, project_scope(member.project["id"]))
    assert_status(api.delete(TOKENS, token=member.token, headers=subject(second)), 204)
    assert_token_invalid(api, cloud, second)
    assert_token_valid(api, cloud, member.token)


def test_member_cannot_revoke_someone_elses_token(api, cloud, member):
    other = cloud.make_project_member()
    assert_fault(api.delete(TOKENS, token=member.token, headers=subject(other.token)), 403)
    assert_token_valid(api, cloud, other.token)


def test_token_expires(api, cloud, make_api, member):
    short = make_api(token_expiration=1)
    # tokens expire on whole seconds: start just after a boundary, for a ~1 s lifetime
    time.sleep(1.02 - time.time() % 1)
    response = short.post(TOKENS, json=password_auth(
        user_id=member.user["id"], password=member.password,
        scope=project_scope(member.project["id"])))
    token = response.headers["X-Subject-Token"]
    expires = datetime.strptime(assert_status(response, 201)["token"]["expires_at"],
                                "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert expires.timestamp() - time.time() <= 1.0  # the configured lifetime, at most
    assert_status(short.get("/v3/auth/projects", token=token), 200)
    time.sleep(max(0.0, expires.timestamp() + 0.1 - time.time()))
    assert_fault(short.get("/v3/auth/projects", token=token), 401)
    assert_fault(short.get(TOKENS, token=cloud.admin_token, headers=subject(token)), 404)
    # the admin may still look at it with allow_expired
    late = short.get(TOKENS, token=cloud.admin_token, headers=subject(token),
                     params={"allow_expired": "1"})
    assert assert_status(late, 200)["token"]["user"]["id"] == member.user["id"]


# --- what invalidates tokens -----------------------------------------------------------------

def test_disabling_the_user_revokes_its_tokens(api, cloud, member):
    path = f"/v3/users/{member.user['id']}"
    assert_status(api.patch(path, token=cloud.admin_token, json={"user": {"enabled": False}}),
                  200)
    assert_token_invalid(api, cloud, member.token)
    assert_fault(api.post(TOKENS, json=password_auth(user_id=member.user["id"],
                                                     password=member.password)), 401)
    assert_status(api.patch(path, token=cloud.admin_token, json={"user": {"enabled": True}}),
                  200)
    assert_token_invalid(api, cloud, member.token)  # re-enabling does not revive it
    fresh = cloud.login(member.user, member.password, project_scope(member.project["id"]))
    assert_token_valid(api, cloud, fresh)


def test_self_service_password_change_revokes_tokens(api, cloud, member):
    response = api.post(f"/v3/users/{member.user['id']}/password", json={
        "user": {"original_password": member.password, "password": "brand-new-pw"}})
    assert_status(response, 204)
    assert_token_invalid(api, cloud, member.token)
    assert_fault(api.post(TOKENS, json=password_auth(user_id=member.user["id"],
                                                     password=member.password)), 401)
    assert cloud.login(member.user, "brand-new-pw")


def test_password_change_with_wrong_original_changes_nothing(api, cloud, member):
    response = api.post(f"/v3/users/{member.user['id']}/password", json={
        "user": {"original_password": "not-mine", "password": "brand-new-pw"}})
    assert_fault(response, 401)
    assert_token_valid(api, cloud, member.token)
    assert cloud.login(member.user, member.password)


def test_admin_password_reset_revokes_tokens(api, cloud, member):
    response = api.patch(f"/v3/users/{member.user['id']}", token=cloud.admin_token,
                         json={"user": {"password": "reset-by-admin"}})
    assert_status(response, 200)
    assert_token_invalid(api, cloud, member.token)
    assert cloud.login(member.user, "reset-by-admin")


def test_disabling_the_project_revokes_project_tokens_only(api, cloud, member):
    unscoped = cloud.login(member.user, member.password)
    response = api.patch(f"/v3/projects/{member.project['id']}", token=cloud.admin_token,
                         json={"project": {"enabled": False}})
    assert assert_status(response, 200)["project"]["enabled"] is False
    assert_token_invalid(api, cloud, member.token)
    assert_token_valid(api, cloud, unscoped)
    assert_fault(api.post(TOKENS, json=password_auth(
        user_id=member.user["id"], password=member.password,
        scope=project_scope(member.project["id"]))), 401)


def test_removing_the_role_invalidates_the_token(api, cloud, member):
    role_id = cloud.role_id("member")
    path = f"/v3/projects/{member.project['id']}/users/{member.user['id']}/roles/{role_id}"
    assert_status(api.delete(path, token=cloud.admin_token), 204)
    assert_token_invalid(api, cloud, member.token)


def test_deleting_the_user_invalidates_the_token(api, cloud, member):
    assert_status(api.delete(f"/v3/users/{member.user['id']}", token=cloud.admin_token), 204)
    assert_token_invalid(api, cloud, member.token)


def test_disabling_the_domain_invalidates_its_users_tokens(api, cloud):
    domain = cloud.make_domain()
    project = cloud.make_project(domain_id=domain["id"])
    user = cloud.make_user(password="pw-in-domain", domain_id=domain["id"])
    cloud.grant("member", user=user["id"], project=project["id"])
    token = cloud.login(user, "pw-in-domain", project_scope(project["id"]))
    assert_token_valid(api, cloud, token)
    assert_status(api.patch(f"/v3/domains/{domain['id']}", token=cloud.admin_token,
                            json={"domain": {"enabled": False}}), 200)
    assert_token_invalid(api, cloud, token)
    assert_fault(api.post(TOKENS, json=password_auth(user_id=user["id"],
                                                     password="pw-in-domain")), 401)


def test_revocation_events_are_listed(api, cloud, member):
    audit_id = assert_token_valid(api, cloud, member.token)["audit_ids"][0]
    assert_status(api.delete(TOKENS, token=cloud.admin_token, headers=subject(member.token)),
                  204)
    events = assert_status(api.get("/v3/OS-REVOKE/events", token=cloud.admin_token),
                           200)["events"]
    (event,) = [e for e in events if e.get("audit_id") == audit_id]
    assert event["issued_before"].endswith("Z")
    assert_fault(api.get("/v3/OS-REVOKE/events", token=member.token), 401)
