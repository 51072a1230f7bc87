"""Keystone's security-compliance options: lockout after N failed logins, and password
history for self-service changes. The lockout's end is reached by moving the last failure
back in the database, not by sleeping."""
from __future__ import annotations

from datetime import timedelta

import pytest

from onestack.core.config import SecurityCompliance
from onestack.core.db import utcnow
from onestack.identity import models as m
from tests.support.api import assert_fault, assert_status
from tests.support.identity import password_auth

COMPLIANCE = SecurityCompliance(lockout_failure_attempts=2, lockout_duration=5,
                                unique_last_password_count=2)


@pytest.fixture
def strict(make_api):
    return make_api(security_compliance=COMPLIANCE)


def login(client, user_id: str, password: str):
    return client.post("/v3/auth/tokens", json=password_auth(user_id=user_id,
                                                             password=password))


def failures(sql, user_id: str) -> int:
    return sql.read(lambda s: s.get(m.User, user_id).failed_auth_count)


def test_lockout_after_two_failures(strict, cloud, sql):
    user = cloud.make_user(password="right-pw")
    for _ in range(2):
        assert_fault(login(strict, user["id"], "wrong-pw"), 401)
    assert failures(sql, user["id"]) == 2
    message = assert_fault(login(strict, user["id"], "right-pw"), 401)
    assert message == f"The account is locked for user: {user['id']}."
    # other users are not affected
    other = cloud.make_user(password="other-pw")
    assert_status(login(strict, other["id"], "other-pw"), 201)


def test_lockout_ends_after_the_duration(strict, cloud, sql):
    user = cloud.make_user(password="right-pw")
    for _ in range(2):
        assert_fault(login(strict, user["id"], "wrong-pw"), 401)
    assert_fault(login(strict, user["id"], "right-pw"), 401, "locked")

    def six_seconds_ago(s):
        s.get(m.User, user["id"]).last_failed_auth_at = utcnow() - timedelta(seconds=6)
    sql.write(six_seconds_ago)
    assert_status(login(strict, user["id"], "right-pw"), 201)
    assert failures(sql, user["id"]) == 0


def test_a_success_resets_the_count(strict, cloud, sql):
    user = cloud.make_user(password="right-pw")
    assert_fault(login(strict, user["id"], "wrong-pw"), 401)
    assert_status(login(strict, user["id"], "right-pw"), 201)
    assert failures(sql, user["id"]) == 0
    assert_fault(login(strict, user["id"], "wrong-pw"), 401)
    assert_status(login(strict, user["id"], "right-pw"), 201)


def test_failures_after_the_window_start_a_new_count(strict, cloud, sql):
    user = cloud.make_user(password="right-pw")
    assert_fault(login(strict, user["id"], "wrong-pw"), 401)

    def long_ago(s):
        s.get(m.User, user["id"]).last_failed_auth_at = utcnow() - timedelta(seconds=60)
    sql.write(long_ago)
    assert_fault(login(strict, user["id"], "wrong-pw"), 401)
    assert failures(sql, user["id"]) == 1
    assert_status(login(strict, user["id"], "right-pw"), 201)


def test_without_compliance_there_is_no_lockout(api, cloud):
    user = cloud.make_user(password="right-pw")
    for _ in range(4):
        assert_fault(login(api, user["id"], "wrong-pw"), 401)
    assert_status(login(api, user["id"], "right-pw"), 201)


def test_admin_can_still_reset_a_locked_users_password(strict, cloud):
    user = cloud.make_user(password="right-pw")
    for _ in range(2):
        assert_fault(login(strict, user["id"], "wrong-pw"), 401)
    assert_status(strict.patch(f"/v3/users/{user['id']}", token=cloud.admin_token,
                               json={"user": {"password": "reset-pw"}}), 200)
    assert_status(login(strict, user["id"], "reset-pw"), 201)


def change(client, user_id: str, old: str, new: str):
    return client.post(f"/v3/users/{user_id}/password",
                       json={"user": {"original_password": old, "password": new}})


def test_password_history_of_two(strict, cloud):
    user = cloud.make_user(password="pw-A")
    assert_fault(change(strict, user["id"], "pw-A", "pw-A"), 400, "Password Validation Error")
    assert_status(change(strict, user["id"], "pw-A", "pw-B"), 204)
    assert_fault(change(strict, user["id"], "pw-B", "pw-A"), 400, "2")  # one of the last two
    assert_status(change(strict, user["id"], "pw-B", "pw-C"), 204)
    assert_status(change(strict, user["id"], "pw-C", "pw-A"), 204)  # three back: allowed
    assert_status(login(strict, user["id"], "pw-A"), 201)


def test_history_does_not_bind_the_admin(strict, cloud):
    user = cloud.make_user(password="pw-A")
    assert_status(strict.patch(f"/v3/users/{user['id']}", token=cloud.admin_token,
                               json={"user": {"password": "pw-A"}}), 200)
    assert_status(login(strict, user["id"], "pw-A"), 201)


def test_without_compliance_a_password_may_be_reused(api, cloud):
    user = cloud.make_user(password="pw-A")
    assert_status(change(api, user["id"], "pw-A", "pw-B"), 204)
    assert_status(change(api, user["id"], "pw-B", "pw-A"), 204)
