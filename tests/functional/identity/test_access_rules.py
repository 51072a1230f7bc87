"""Issue 7, F2: an application credential's access rules are enforced for every request it
authenticates, on every service: a request no rule matches (service type, path template with
``*`` for one segment and ``**`` for any, method) answers 401."""
from __future__ import annotations

from tests.support.api import assert_fault, assert_status
from tests.support.identity import unique


def restricted_token(api, member, rules):
    cred = assert_status(api.post(
        f"/v3/users/{member.user['id']}/application_credentials", token=member.token,
        json={"application_credential": {"name": unique("app"), "access_rules": rules}}),
        201)["application_credential"]
    response = api.post("/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": cred["id"], "secret": cred["secret"]}}}})
    assert_status(response, 201)
    return response.headers["x-subject-token"], cred


def raw(api, method, url, token, **kw):
    """A request outside the identity mount (``/compute/...``, ``/image/...``)."""
    return api.http.request(method, url, headers={"X-Auth-Token": token}, **kw)


def test_only_the_listed_identity_request_is_allowed(api, cloud, member):
    token, cred = restricted_token(api, member, [
        {"service": "identity", "path": "/v3/users/*/application_credentials",
         "method": "GET"}])
    path = f"/v3/users/{member.user['id']}/application_credentials"
    listed = assert_status(api.get(path, token=token), 200)["application_credentials"]
    assert cred["id"] in [c["id"] for c in listed]
    assert_fault(api.get("/v3/auth/projects", token=token), 401)
    assert_fault(api.get(f"{path}/{cred['id']}", token=token), 401)  # * is one segment
    assert api.head(path, token=token).status_code == 401  # the method counts
    # validating its own token is always allowed, as keystonemiddleware allows it
    assert_status(api.get("/v3/auth/tokens", token=token,
                          headers={"X-Subject-Token": token}), 200)


def test_double_star_matches_any_depth(api, cloud, member):
    token, cred = restricted_token(api, member, [
        {"service": "identity", "path": "/v3/users/**", "method": "GET"}])
    uid = member.user["id"]
    assert_status(api.get(f"/v3/users/{uid}/application_credentials/{cred['id']}",
                          token=token), 200)
    assert_fault(api.get("/v3/projects", token=token), 401)


def test_compute_rule_does_not_open_identity_or_image(api, cloud, member):
    token, _ = restricted_token(api, member, [
        {"service": "compute", "path": "/v2.1/servers", "method": "GET"}])
    assert_status(raw(api, "GET", "/compute/v2.1/servers", token), 200)
    assert raw(api, "GET", "/compute/v2.1/flavors", token).status_code == 401
    assert raw(api, "GET", "/image/v2/images", token).status_code == 401
    assert raw(api, "POST", "/image/v2/images", token, json={"name": "x"}).status_code == 401
    assert_fault(api.get("/v3/auth/projects", token=token), 401)


def test_image_rule_allows_only_its_method(api, cloud, member):
    token, _ = restricted_token(api, member, [
        {"service": "image", "path": "/v2/images", "method": "GET"}])
    assert_status(raw(api, "GET", "/image/v2/images", token), 200)
    assert raw(api, "POST", "/image/v2/images", token,
               json={"name": unique("img")}).status_code == 401


def test_credential_without_rules_is_not_path_restricted(api, cloud, member):
    cred = assert_status(api.post(
        f"/v3/users/{member.user['id']}/application_credentials", token=member.token,
        json={"application_credential": {"name": unique("app")}}),
        201)["application_credential"]
    response = api.post("/v3/auth/tokens", json={"auth": {"identity": {
        "methods": ["application_credential"],
        "application_credential": {"id": cred["id"], "secret": cred["secret"]}}}})
    token = response.headers["x-subject-token"]
    assert_status(api.get("/v3/auth/projects", token=token), 200)
    assert_status(raw(api, "GET", "/compute/v2.1/flavors", token), 200)
