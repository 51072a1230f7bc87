"""Issue 7, F1: a token obtained through a trust may only create a trust that Keystone's
redelegation rules allow — the parent allows redelegation and has depth left, the roles are a
subset of the parent's, the expiry is not later, no ``remaining_uses``, no wider impersonation."""
from __future__ import annotations

import pytest

from tests.support.api import assert_fault, assert_status

TRUSTS = "/v3/OS-TRUST/trusts"


@pytest.fixture
def trustor(cloud):
    """A project admin: holds admin ⇒ manager ⇒ member ⇒ reader on the project."""
    return cloud.make_project_member(role="admin")


@pytest.fixture
def trustee(cloud):
    user = cloud.make_user(password="trustee-pw")
    return user, cloud.login(user, "trustee-pw")


def create(api, token, trustor_id, trustee_id, project_id, roles, **attrs):
    body = {"trustor_user_id": trustor_id, "trustee_user_id": trustee_id,
            "project_id": project_id, "impersonation": False,
            "roles": [{"name": r} for r in roles], **attrs}
    return api.post(TRUSTS, token=token, json={"trust": body})


def trust_token(api, user_token, trust_id):
    response = api.post("/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": user_token}},
        "scope": {"OS-TRUST:trust": {"id": trust_id}}}})
    body = assert_status(response, 201)
    return response.headers["x-subject-token"], body["token"]


def parent_trust(api, trustor, trustee, roles=("member",), **attrs):
    user, unscoped = trustee
    trust = assert_status(create(api, trustor.token, trustor.user["id"], user["id"],
                                 trustor.project["id"], roles, **attrs), 201)["trust"]
    token, _ = trust_token(api, unscoped, trust["id"])
    return trust, token


def test_single_use_reader_trust_cannot_become_an_unlimited_admin_trust(api, cloud, trustor,
                                                                        trustee):
    """The reported attack: impersonating, single use, reader only → new admin trust."""
    user, _ = trustee
    _, token = parent_trust(api, trustor, trustee, roles=("reader",), impersonation=True,
                            remaining_uses=1)
    response = create(api, token, trustor.user["id"], user["id"], trustor.project["id"],
                      ["admin"], impersonation=True)
    assert_fault(response, 403)
    mine = assert_status(api.get(TRUSTS, token=trustor.token,
                                 params={"trustor_user_id": trustor.user["id"]}), 200)
    assert len(mine["trusts"]) == 1  # nothing was created


def test_a_trust_without_redelegation_cannot_be_redelegated(api, cloud, trustor, trustee):
    user, _ = trustee
    _, token = parent_trust(api, trustor, trustee, roles=("member",), impersonation=True)
    # even the same role, to the same trustee, is refused
    assert_fault(create(api, token, trustor.user["id"], user["id"], trustor.project["id"],
                        ["member"], impersonation=True), 403)


def test_redelegation_within_the_rules(api, cloud, trustor, trustee):
    user, _ = trustee
    parent, token = parent_trust(api, trustor, trustee, roles=("member",),
                                 allow_redelegation=True, redelegation_count=2)
    assert parent["redelegation_count"] == 2
    third = cloud.make_user(password="third-pw")
    child = assert_status(create(api, token, user["id"], third["id"], trustor.project["id"],
                                 ["member"], allow_redelegation=True), 201)["trust"]
    assert child["redelegation_count"] == 1  # one level used up
    assert child["expires_at"] is None and child["remaining_uses"] is None
    # the third party acts with the trustor's delegated role, not more
    _, body = trust_token(api, cloud.login(third, "third-pw"), child["id"])
    assert {r["name"] for r in body["roles"]} == {"member", "reader"}
    assert body["project"]["id"] == trustor.project["id"]


def test_redelegated_roles_must_be_a_subset(api, cloud, trustor, trustee):
    user, _ = trustee
    _, token = parent_trust(api, trustor, trustee, roles=("reader",), allow_redelegation=True)
    third = cloud.make_user()
    assert_fault(create(api, token, user["id"], third["id"], trustor.project["id"],
                        ["member"]), 403, "not in redelegated trust")
    assert_fault(create(api, token, user["id"], third["id"], trustor.project["id"],
                        ["admin"]), 403, "not in redelegated trust")


def test_redelegated_expiry_cannot_outlive_the_parent(api, cloud, trustor, trustee):
    user, _ = trustee
    _, token = parent_trust(api, trustor, trustee, allow_redelegation=True,
                            expires_at="2999-01-01T00:00:00Z")
    third = cloud.make_user()
    project = trustor.project["id"]
    assert_fault(create(api, token, user["id"], third["id"], project, ["member"],
                        expires_at="2999-06-01T00:00:00Z"), 403, "expiration")
    inherited = assert_status(create(api, token, user["id"], third["id"], project,
                                     ["member"]), 201)["trust"]
    assert inherited["expires_at"].startswith("2999-01-01T00:00:00")  # the parent's


def test_redelegated_trust_cannot_set_remaining_uses(api, cloud, trustor, trustee):
    user, _ = trustee
    _, token = parent_trust(api, trustor, trustee, allow_redelegation=True)
    third = cloud.make_user()
    assert_fault(create(api, token, user["id"], third["id"], trustor.project["id"],
                        ["member"], remaining_uses=5), 403, "remaining_uses")


def test_redelegation_cannot_add_impersonation(api, cloud, trustor, trustee):
    user, _ = trustee
    _, token = parent_trust(api, trustor, trustee, allow_redelegation=True)
    third = cloud.make_user()
    assert_fault(create(api, token, user["id"], third["id"], trustor.project["id"],
                        ["member"], impersonation=True), 403, "Impersonation")


def test_redelegation_depth_runs_out(api, cloud, trustor, trustee):
    user, _ = trustee
    _, token = parent_trust(api, trustor, trustee, allow_redelegation=True,
                            redelegation_count=1)
    third = cloud.make_user(password="third-pw")
    child = assert_status(create(api, token, user["id"], third["id"], trustor.project["id"],
                                 ["member"], allow_redelegation=True), 201)["trust"]
    assert child["redelegation_count"] == 0
    child_token, _ = trust_token(api, cloud.login(third, "third-pw"), child["id"])
    fourth = cloud.make_user()
    assert_fault(create(api, child_token, third["id"], fourth["id"], trustor.project["id"],
                        ["member"]), 403)


def test_redelegation_depth_is_capped_and_counts_cannot_be_changed(api, cloud, trustor,
                                                                   trustee):
    user, _ = trustee
    assert_fault(create(api, trustor.token, trustor.user["id"], user["id"],
                        trustor.project["id"], ["member"], allow_redelegation=True,
                        redelegation_count=4), 403)  # more than the configured 3
    _, token = parent_trust(api, trustor, trustee, allow_redelegation=True,
                            redelegation_count=3)
    third = cloud.make_user()
    assert_fault(create(api, token, user["id"], third["id"], trustor.project["id"],
                        ["member"], allow_redelegation=True, redelegation_count=3), 403)


def test_redelegatable_trust_cannot_have_remaining_uses(api, cloud, trustor, trustee):
    user, _ = trustee
    assert_fault(create(api, trustor.token, trustor.user["id"], user["id"],
                        trustor.project["id"], ["member"], allow_redelegation=True,
                        remaining_uses=2), 400)


def test_deleting_the_parent_disables_the_redelegated_trust(api, cloud, trustor, trustee):
    user, _ = trustee
    parent, token = parent_trust(api, trustor, trustee, allow_redelegation=True)
    third = cloud.make_user(password="third-pw")
    child = assert_status(create(api, token, user["id"], third["id"], trustor.project["id"],
                                 ["member"]), 201)["trust"]
    assert_status(api.delete(f"{TRUSTS}/{parent['id']}", token=trustor.token), 204)
    assert_fault(api.get(f"{TRUSTS}/{child['id']}", token=cloud.admin_token), 404)  # with it
    response = api.post("/v3/auth/tokens", json={"auth": {
        "identity": {"methods": ["token"], "token": {"id": cloud.login(third, "third-pw")}},
        "scope": {"OS-TRUST:trust": {"id": child["id"]}}}})
    assert_fault(response, 401)


def test_the_maximum_depth_is_configurable(make_api, cloud, trustor, trustee):
    shallow = make_api(trust_max_redelegation_count=1)
    user, _ = trustee
    assert_fault(create(shallow, trustor.token, trustor.user["id"], user["id"],
                        trustor.project["id"], ["member"], allow_redelegation=True,
                        redelegation_count=2), 403)
    trust = assert_status(create(shallow, trustor.token, trustor.user["id"], user["id"],
                                 trustor.project["id"], ["member"], allow_redelegation=True),
                          201)["trust"]
    assert trust["redelegation_count"] == 1  # the configured maximum, not Keystone's 3
