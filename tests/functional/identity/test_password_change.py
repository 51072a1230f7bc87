"""Issue 7, F9: ``POST /v3/users/{id}/password`` goes through the authenticator — a wrong
original password is a 401 that counts toward lockout, a locked or disabled user gets 401, and
an unknown user id gets the same 401 (no enumeration)."""
from __future__ import annotations

import pytest

from onestack.core.config import SecurityCompliance
from onestack.identity import models as m
from tests.support.api import assert_fault, assert_status
from tests.support.identity import password_auth

COMPLIANCE = SecurityCompliance(lockout_failure_attempts=2, lockout_duration=300)


@pytest.fixture
def strict(make_api):
    return make_api(security_compliance=COMPLIANCE)


def change(client, user_id, original, new):
    return client.post(f"/v3/users/{user_id}/password", json={"user": {
        "original_password": original, "password": new}})


def failures(sql, user_id):
    return sql.read(lambda s: s.get(m.User, user_id).failed_auth_count)


def test_wrong_original_password_counts_toward_lockout(strict, cloud, sql):
    user = cloud.make_user(password="right-pw-1")
    assert_fault(change(strict, user["id"], "wrong-pw", "new-pw-1"), 401)
    assert failures(sql, user["id"]) == 1
    assert_fault(change(strict, user["id"], "wrong-pw", "new-pw-1"), 401)
    assert failures(sql, user["id"]) == 2
    # locked now: neither a password change nor a login with the right password works
    assert_fault(change(strict, user["id"], "right-pw-1", "new-pw-1"), 401)
    assert_fault(strict.post("/v3/auth/tokens", json=password_auth(
        user_id=user["id"], password="right-pw-1")), 401, "locked")


def test_disabled_user_cannot_change_password(api, cloud):
    user = cloud.make_user(password="right-pw-2", enabled=False)
    assert_fault(change(api, user["id"], "right-pw-2", "new-pw-2"), 401)
    # the old password is still the one stored
    assert_status(api.patch(f"/v3/users/{user['id']}", token=cloud.admin_token,
                            json={"user": {"enabled": True}}), 200)
    assert_status(api.post("/v3/auth/tokens", json=password_auth(
        user_id=user["id"], password="right-pw-2")), 201)


def test_unknown_user_is_401_like_a_wrong_password(api, cloud):
    unknown = assert_fault(change(api, "0" * 32, "whatever", "new-pw-3"), 401)
    user = cloud.make_user(password="right-pw-3")
    wrong = assert_fault(change(api, user["id"], "whatever", "new-pw-3"), 401)
    assert unknown == wrong


def test_right_password_still_changes_it(strict, cloud):
    user = cloud.make_user(password="right-pw-4")
    assert_status(change(strict, user["id"], "right-pw-4", "new-pw-4"), 204)
    assert_status(strict.post("/v3/auth/tokens", json=password_auth(
        user_id=user["id"], password="new-pw-4")), 201)
