"""Password hashing: bcrypt, with passwords past bcrypt's 72-byte window pre-hashed so that
every byte counts (bcrypt alone would ignore the tail, or refuse it outright)."""
from __future__ import annotations

import pytest

from onestack.identity.passwords import check_secret, hash_secret

ROUNDS = 4


def test_hash_verifies_and_uses_the_requested_cost():
    hashed = hash_secret("correct horse", ROUNDS)
    assert hashed.startswith("$2") and hashed.split("$")[2] == "04"
    assert check_secret("correct horse", hashed)
    assert not check_secret("correct horsE", hashed)
    assert not check_secret("", hashed)


def test_hashes_are_salted():
    assert hash_secret("same", ROUNDS) != hash_secret("same", ROUNDS)


@pytest.mark.parametrize("length", [72, 73, 100, 4096])
def test_long_passwords_hash_and_verify(length):
    password = "p" * length
    hashed = hash_secret(password, ROUNDS)
    assert check_secret(password, hashed)


def test_bytes_past_72_still_count():
    head = "h" * 72
    hashed = hash_secret(head + "tail-one", ROUNDS)
    assert check_secret(head + "tail-one", hashed)
    assert not check_secret(head + "tail-two", hashed)
    assert not check_secret(head, hashed)


def test_72_bytes_counted_in_utf8_not_characters():
    # 36 two-byte characters are exactly 72 bytes; one more pushes past bcrypt's window
    at_limit, past = "é" * 36, "é" * 37
    h1, h2 = hash_secret(at_limit, ROUNDS), hash_secret(past, ROUNDS)
    assert check_secret(at_limit, h1) and not check_secret(past, h1)
    assert check_secret(past, h2) and not check_secret(at_limit, h2)
    assert not check_secret("é" * 36 + "x", h2)


@pytest.mark.parametrize("stored", [None, "", "not-a-bcrypt-hash", "$2b$04$short"])
def test_missing_or_corrupt_hash_never_verifies(stored):
    assert check_secret("anything", stored) is False
