"""Issue 7, F17: the user option ``ignore_lockout_failure_attempts`` (Keystone's name) exempts
an account from lockout under security compliance, and an admin can set it — on the bootstrap
admin too, whom two anonymous bad logins would otherwise lock out."""
from __future__ import annotations

import pytest

from onestack.core.config import SecurityCompliance
from tests.support.api import assert_fault, assert_status
from tests.support.identity import ADMIN_PASSWORD, password_auth

COMPLIANCE = SecurityCompliance(lockout_failure_attempts=2, lockout_duration=300)
EXEMPT = {"ignore_lockout_failure_attempts": True}


@pytest.fixture
def strict(make_api):
    return make_api(security_compliance=COMPLIANCE)


def login(client, password, **who):
    return client.post("/v3/auth/tokens", json=password_auth(password=password, **who))


def test_exempt_user_is_never_locked_out(strict, cloud):
    user = cloud.make_user(password="right-pw", options=EXEMPT)
    for _ in range(4):
        assert_fault(login(strict, "wrong-pw", user_id=user["id"]), 401)
    assert_status(login(strict, "right-pw", user_id=user["id"]), 201)


def test_unexempted_user_is_still_locked_out(strict, cloud):
    user = cloud.make_user(password="right-pw",
                           options={"ignore_lockout_failure_attempts": False})
    for _ in range(2):
        assert_fault(login(strict, "wrong-pw", user_id=user["id"]), 401)
    assert_fault(login(strict, "right-pw", user_id=user["id"]), 401, "locked")


def test_option_must_be_a_boolean(api, cloud):
    user = cloud.make_user()
    assert_fault(api.patch(f"/v3/users/{user['id']}", token=cloud.admin_token, json={
        "user": {"options": {"ignore_lockout_failure_attempts": "yes"}}}), 400)


def test_bootstrap_admin_can_exempt_itself(api, strict, cloud, admin_login):
    admin_id = admin_login[1]["user"]["id"]
    updated = assert_status(api.patch(f"/v3/users/{admin_id}", token=cloud.admin_token,
                                      json={"user": {"options": EXEMPT}}), 200)["user"]
    assert updated["options"]["ignore_lockout_failure_attempts"] is True
    try:
        for _ in range(3):  # anonymous bad logins by name, as an attacker would try
            assert_fault(login(strict, "not-the-password", name="admin"), 401)
        assert_status(login(strict, ADMIN_PASSWORD, name="admin"), 201)
    finally:
        assert_status(api.patch(f"/v3/users/{admin_id}", token=cloud.admin_token, json={
            "user": {"options": {"ignore_lockout_failure_attempts": None}}}), 200)
        assert_status(login(api, ADMIN_PASSWORD, name="admin"), 201)  # resets the count
