"""Issue 7, F16: a failed login costs one password hash whether or not the user exists, so its
duration does not tell an attacker which user names are real."""
from __future__ import annotations

import pytest

from onestack.identity import passwords
from tests.support.api import assert_fault
from tests.support.identity import password_auth


@pytest.fixture
def hashes(monkeypatch):
    """Every hash comparison the authenticator makes, as (password, stored hash)."""
    seen: list[tuple[str, str | None]] = []
    real = passwords.check_secret

    def recording(secret, hashed):
        seen.append((secret, hashed))
        return real(secret, hashed)
    monkeypatch.setattr(passwords, "check_secret", recording)
    return seen


def test_unknown_user_id_still_costs_a_hash(api, hashes):
    assert_fault(api.post("/v3/auth/tokens", json=password_auth(
        user_id="0" * 32, password="guess")), 401)
    assert [pw for pw, _ in hashes] == ["guess"]
    assert hashes[0][1]  # compared against a real bcrypt hash, not skipped


def test_unknown_user_name_and_domain_still_cost_a_hash(api, hashes):
    assert_fault(api.post("/v3/auth/tokens", json=password_auth(
        name="nobody-here", password="guess-1")), 401)
    assert_fault(api.post("/v3/auth/tokens", json=password_auth(
        name="admin", domain_id="no-such-domain", password="guess-2")), 401)
    assert [pw for pw, _ in hashes] == ["guess-1", "guess-2"]


def test_disabled_user_still_costs_a_hash(api, cloud, hashes):
    user = cloud.make_user(password="right-pw", enabled=False)
    assert_fault(api.post("/v3/auth/tokens", json=password_auth(
        user_id=user["id"], password="right-pw")), 401)
    assert [pw for pw, _ in hashes] == ["right-pw"]


def test_existing_user_costs_exactly_one_hash(api, cloud, hashes):
    user = cloud.make_user(password="right-pw")
    assert_fault(api.post("/v3/auth/tokens", json=password_auth(
        user_id=user["id"], password="wrong-pw")), 401)
    assert [pw for pw, _ in hashes] == ["wrong-pw"]
