"""Trusts (delegation with trust-scoped tokens) and unified limits over HTTP."""
from __future__ import annotations

import pytest

from tests.support.api import assert_fault, assert_status
from tests.support.identity import unique

TRUSTS = "/v3/OS-TRUST/trusts"


@pytest.fixture
def trustee(cloud):
    user = cloud.make_user(password="trustee-pw")
    return user, cloud.login(user, "trustee-pw")


def make_trust(api, member, trustee_id, **attrs):
    body = {"trustor_user_id": member.user["id"], "trustee_user_id": trustee_id,
            "project_id": member.project["id"], "impersonation": False,
            "roles": [{"name": "reader"}], **attrs}
    return assert_status(api.post(TRUSTS, token=member.token, json={"trust": body}),
                         201)["trust"]


def trust_token(api, trustee_token, trust_id, status=201):
    response = api.post("/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": trustee_token}},
        "scope": {"OS-TRUST:trust": {"id": trust_id}}}})
    body = assert_status(response, status)
    return response.headers.get("x-subject-token", ""), body


def test_trust_lifecycle_and_trust_token(api, cloud, member, trustee):
    user, unscoped = trustee
    trust = make_trust(api, member, user["id"])
    assert (trust["trustor_user_id"], trust["trustee_user_id"], trust["project_id"]) == \
        (member.user["id"], user["id"], member.project["id"])
    assert [r["name"] for r in trust["roles"]] == ["reader"]
    assert trust["impersonation"] is False and trust["remaining_uses"] is None

    token, body = trust_token(api, unscoped, trust["id"])
    data = body["token"]
    assert data["OS-TRUST:trust"]["id"] == trust["id"]
    assert data["OS-TRUST:trust"]["trustor_user"]["id"] == member.user["id"]
    assert data["user"]["id"] == user["id"]  # no impersonation
    assert data["project"]["id"] == member.project["id"]
    assert [r["name"] for r in data["roles"]] == ["reader"]  # only the delegated roles

    shown = assert_status(api.get(f"{TRUSTS}/{trust['id']}", token=member.token), 200)
    assert shown["trust"]["id"] == trust["id"]
    mine = assert_status(api.get(TRUSTS, token=unscoped,
                                 params={"trustee_user_id": user["id"]}), 200)["trusts"]
    assert [t["id"] for t in mine] == [trust["id"]]
    roles = assert_status(api.get(f"{TRUSTS}/{trust['id']}/roles", token=member.token),
                          200)["roles"]
    assert [r["name"] for r in roles] == ["reader"]

    assert_status(api.delete(f"{TRUSTS}/{trust['id']}", token=member.token), 204)
    assert_fault(api.get("/v3/auth/tokens", token=cloud.admin_token,
                         headers={"X-Subject-Token": token}), 404)
    assert_fault(api.get(f"{TRUSTS}/{trust['id']}", token=member.token), 404)


def test_impersonation_and_remaining_uses(api, cloud, member, trustee):
    user, unscoped = trustee
    trust = make_trust(api, member, user["id"], impersonation=True, remaining_uses=1)
    _, body = trust_token(api, unscoped, trust["id"])
    assert body["token"]["user"]["id"] == member.user["id"]  # acting as the trustor
    _, spent = trust_token(api, unscoped, trust["id"], status=401)
    assert spent["error"]["code"] == 401


def test_trust_rules(api, cloud, member, trustee):
    user, unscoped = trustee
    body = {"trustor_user_id": member.user["id"], "trustee_user_id": user["id"],
            "project_id": member.project["id"], "impersonation": False,
            "roles": [{"name": "admin"}]}
    assert_fault(api.post(TRUSTS, token=member.token, json={"trust": body}), 403)
    body["roles"] = [{"name": "reader"}]
    assert_fault(api.post(TRUSTS, token=unscoped, json={"trust": body}), 403, "trustor")
    body["trustee_user_id"] = "0" * 32
    assert_fault(api.post(TRUSTS, token=member.token, json={"trust": body}), 404)
    listed = assert_status(api.get(TRUSTS, token=member.token,
                                   params={"trustor_user_id": member.user["id"]}), 200)
    assert listed["trusts"] == []
    # only the two parties (or an admin) see a trust; listing everything needs admin
    trust = make_trust(api, member, user["id"])
    stranger = cloud.make_project_member()
    assert_fault(api.get(f"{TRUSTS}/{trust['id']}", token=stranger.token), 403)
    assert_fault(api.get(TRUSTS, token=stranger.token), 403)
    assert_fault(api.delete(f"{TRUSTS}/{trust['id']}", token=stranger.token), 403)
    everything = assert_status(api.get(TRUSTS, token=cloud.admin_token), 200)["trusts"]
    assert trust["id"] in [t["id"] for t in everything]


def test_trust_token_cannot_be_rescoped(api, cloud, member, trustee):
    user, unscoped = trustee
    trust = make_trust(api, member, user["id"])
    token, _ = trust_token(api, unscoped, trust["id"])
    response = api.post("/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": token}},
        "scope": {"project": {"id": member.project["id"]}}}})
    assert_fault(response, 403)


def test_expired_trust_is_unusable(api, cloud, member, trustee):
    user, unscoped = trustee
    trust = make_trust(api, member, user["id"], expires_at="2001-01-01T00:00:00Z")
    trust_token(api, unscoped, trust["id"], status=401)
    assert_fault(api.get(f"{TRUSTS}/{trust['id']}", token=member.token), 404)


# --- limits ---------------------------------------------------------------------------------

@pytest.fixture
def service_id(api, cloud):
    return assert_status(api.post("/v3/services", token=cloud.admin_token, json={"service": {
        "type": unique("quota-svc")}}), 201)["service"]["id"]


def test_registered_limits_and_limits(api, cloud, member, service_id):
    t = cloud.admin_token
    registered = assert_status(api.post("/v3/registered_limits", token=t, json={
        "registered_limits": [
            {"service_id": service_id, "resource_name": "cores", "default_limit": 10},
            {"service_id": service_id, "resource_name": "ram", "default_limit": 2048,
             "region_id": "RegionOne", "description": "MiB"}]}), 201)["registered_limits"]
    assert [(r["resource_name"], r["default_limit"]) for r in registered] == \
        [("cores", 10), ("ram", 2048)]
    assert registered[1]["region_id"] == "RegionOne"
    rid = registered[0]["id"]
    shown = assert_status(api.get(f"/v3/registered_limits/{rid}", token=member.token), 200)
    assert shown["registered_limit"]["default_limit"] == 10
    patched = assert_status(api.patch(f"/v3/registered_limits/{rid}", token=t, json={
        "registered_limit": {"default_limit": 20}}), 200)["registered_limit"]
    assert patched["default_limit"] == 20
    assert_fault(api.post("/v3/registered_limits", token=t, json={"registered_limits": [
        {"service_id": service_id, "resource_name": "cores", "default_limit": 1}]}), 409)

    limits = assert_status(api.post("/v3/limits", token=t, json={"limits": [
        {"service_id": service_id, "project_id": member.project["id"],
         "resource_name": "cores", "resource_limit": 4}]}), 201)["limits"]
    (limit,) = limits
    assert (limit["project_id"], limit["resource_limit"]) == (member.project["id"], 4)
    mine = assert_status(api.get("/v3/limits", token=member.token), 200)["limits"]
    assert [x["id"] for x in mine] == [limit["id"]]
    other = cloud.make_project_member()
    assert assert_status(api.get("/v3/limits", token=other.token), 200)["limits"] == []
    updated = assert_status(api.patch(f"/v3/limits/{limit['id']}", token=t, json={
        "limit": {"resource_limit": 8}}), 200)["limit"]
    assert updated["resource_limit"] == 8
    assert_fault(api.patch(f"/v3/limits/{limit['id']}", token=member.token, json={
        "limit": {"resource_limit": 800}}), 403)
    assert_status(api.delete(f"/v3/limits/{limit['id']}", token=t), 204)
    assert_fault(api.get(f"/v3/limits/{limit['id']}", token=t), 404)
    model = assert_status(api.get("/v3/limits/model", token=member.token), 200)
    assert model["model"]["name"] == "flat"


def test_failed_batch_of_limits_writes_nothing(api, cloud, member, service_id):
    t = cloud.admin_token
    batch = [{"service_id": service_id, "project_id": member.project["id"],
              "resource_name": "instances", "resource_limit": 5},
             {"service_id": "0" * 32, "project_id": member.project["id"],
              "resource_name": "volumes", "resource_limit": 5}]
    assert_fault(api.post("/v3/limits", token=t, json={"limits": batch}), 400, "service_id")
    assert_fault(api.post("/v3/registered_limits", token=t, json={"registered_limits": [
        {"service_id": service_id, "resource_name": "instances", "default_limit": 1},
        {"service_id": service_id, "resource_name": "x", "default_limit": 1,
         "region_id": "no-such-region"}]}), 400, "region_id")
    assert assert_status(api.get("/v3/limits", token=t, params={
        "service_id": service_id}), 200)["limits"] == []
    assert assert_status(api.get("/v3/registered_limits", token=t, params={
        "service_id": service_id}), 200)["registered_limits"] == []


@pytest.mark.parametrize("limit", [
    {"resource_limit": -2}, {"resource_limit": "5"}, {"resource_limit": 1.5},
    {"resource_limit": 5, "project_id": None, "domain_id": None},
    {"resource_limit": 5, "unexpected": 1}])
def test_invalid_limits(api, cloud, member, service_id, limit):
    item = {"service_id": service_id, "project_id": member.project["id"],
            "resource_name": "cores", **limit}
    assert_fault(api.post("/v3/limits", token=cloud.admin_token, json={"limits": [item]}), 400)
    assert assert_status(api.get("/v3/limits", token=cloud.admin_token, params={
        "service_id": service_id}), 200)["limits"] == []


def test_duplicate_limits_conflict_per_region_and_owner(api, cloud, member, service_id):
    """A registered limit is unique per service, region (or none) and resource; a limit
    also per project or domain: a second one is 409, another region or owner is not."""
    t = cloud.admin_token

    def registered(region_id=None):
        item = {"service_id": service_id, "resource_name": "disk", "default_limit": 1}
        return api.post("/v3/registered_limits", token=t, json={"registered_limits": [
            {**item, **({"region_id": region_id} if region_id else {})}]})

    assert_status(registered("RegionOne"), 201)
    assert_fault(registered("RegionOne"), 409)
    assert_status(registered(), 201)
    assert_fault(registered(), 409)

    def limit(project_id=None, domain_id=None, region_id=None):
        owner = {"project_id": project_id} if project_id else {"domain_id": domain_id}
        return api.post("/v3/limits", token=t, json={"limits": [
            {"service_id": service_id, "resource_name": "disk", "resource_limit": 3,
             **owner, **({"region_id": region_id} if region_id else {})}]})

    assert_status(limit(project_id=member.project["id"]), 201)
    assert_fault(limit(project_id=member.project["id"]), 409)
    assert_status(limit(project_id=member.project["id"], region_id="RegionOne"), 201)
    assert_fault(limit(project_id=member.project["id"], region_id="RegionOne"), 409)
    other = cloud.make_project_member()
    assert_status(limit(project_id=other.project["id"]), 201)
    assert_status(limit(domain_id="default"), 201)
    assert_fault(limit(domain_id="default"), 409)
