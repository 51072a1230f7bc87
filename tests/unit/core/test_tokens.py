"""Token payload packing and the Fernet codec: round trips, and rejection of anything that is
not an intact token of ours."""
from __future__ import annotations

import base64
import uuid

import pytest

from onestack.core import tokens
from onestack.core.tokens import (METHODS, SCOPES, TokenCodec, TokenError, TokenPayload,
                                  generate_key, new_audit_id, pack, unpack)


def hex_id() -> str:
    return uuid.uuid4().hex


def payload(**changes) -> TokenPayload:
    base = dict(user_id=hex_id(), methods=["password"], scope="project", scope_id=hex_id(),
                issued_at_us=1_700_000_000_123_456, expires_at=1_700_003_600,
                audit_ids=[new_audit_id()])
    base.update(changes)
    return TokenPayload(**base)


class StaticKeys:
    """A key repository the test controls (newest first, like the database one)."""

    def __init__(self, *keys: str):
        self.keys = list(keys)
        self.loads = 0

    def __call__(self) -> list[str]:
        self.loads += 1
        return list(self.keys)


# --- pack / unpack ------------------------------------------------------------------------

@pytest.mark.parametrize("scope", SCOPES)
def test_round_trip_keeps_every_field_for_each_scope(scope):
    scope_id = {"unscoped": "", "system": "all"}.get(scope, hex_id())
    original = payload(scope=scope, scope_id=scope_id,
                       trust_id=hex_id() if scope == "trust" else "")
    assert unpack(pack(original)) == original


def test_round_trip_of_every_method_and_several_audit_ids():
    original = payload(methods=list(METHODS), audit_ids=[new_audit_id(), new_audit_id()],
                       app_cred_id=hex_id())
    back = unpack(pack(original))
    assert back.methods == list(METHODS)
    assert back.audit_ids == original.audit_ids
    assert back.app_cred_id == original.app_cred_id


def test_non_hex_ids_round_trip_unchanged():
    original = payload(user_id="admin-user", scope="domain", scope_id="default",
                       trust_id="t" * 64)
    assert unpack(pack(original)) == original


def test_hex_ids_are_packed_compactly():
    short = pack(payload(user_id=hex_id()))
    long = pack(payload(user_id="x" * 32))  # 32 chars, but not hex
    assert len(long) - len(short) == 1 + 32 - 16


def test_uppercase_hex_ids_round_trip_unchanged():
    domain_id = uuid.uuid4().hex.upper()
    back = unpack(pack(payload(scope="domain", scope_id=domain_id)))
    assert back.scope_id == domain_id


@pytest.mark.parametrize("cut", [0, 1, 3, 10, 20])
def test_truncated_payload_is_rejected(cut):
    with pytest.raises(TokenError):
        unpack(pack(payload())[:cut])


def test_unknown_payload_version_is_rejected():
    raw = bytearray(pack(payload()))
    raw[0] = 99
    with pytest.raises(TokenError, match="version"):
        unpack(bytes(raw))


def test_bad_id_tag_is_rejected():
    raw = bytearray(pack(payload()))
    raw[3] = 7  # the user id's tag byte
    with pytest.raises(TokenError):
        unpack(bytes(raw))


def test_audit_ids_look_like_keystone_ones():
    audit = new_audit_id()
    assert len(audit) == 22 and "=" not in audit
    assert len(base64.urlsafe_b64decode(audit + "==")) == 16


# --- codec --------------------------------------------------------------------------------

def test_codec_round_trip_and_token_shape():
    codec = TokenCodec(StaticKeys(generate_key()))
    original = payload()
    token = codec.encode(original)
    assert "=" not in token and len(token) < 255
    assert codec.decode(token) == original


def tamper(token: str, position: int) -> str:
    char = token[position]
    return token[:position] + ("A" if char != "A" else "B") + token[position + 1:]


@pytest.mark.parametrize("position", [5, 40, 80, -3])
def test_tampered_tokens_are_rejected(position):
    codec = TokenCodec(StaticKeys(generate_key()))
    token = codec.encode(payload())
    with pytest.raises(TokenError):
        codec.decode(tamper(token, position))


@pytest.mark.parametrize("garbage", ["", "garbage", "a", "gAAAAA", "%%%%", "x" * 500,
                                     "é-not-ascii"])
def test_garbage_is_rejected(garbage):
    codec = TokenCodec(StaticKeys(generate_key()))
    with pytest.raises(TokenError):
        codec.decode(garbage)


def test_token_of_another_key_set_is_rejected():
    ours = TokenCodec(StaticKeys(generate_key()))
    theirs = TokenCodec(StaticKeys(generate_key()))
    with pytest.raises(TokenError):
        ours.decode(theirs.encode(payload()))


def test_encrypted_garbage_payload_is_rejected():
    from cryptography.fernet import Fernet

    key = generate_key()
    codec = TokenCodec(StaticKeys(key))
    token = Fernet(key).encrypt(b"\x01\x00").decode().rstrip("=")
    with pytest.raises(TokenError):
        codec.decode(token)


def test_rotation_old_tokens_still_decode_new_tokens_use_newest_key():
    old, new = generate_key(), generate_key()
    keys = StaticKeys(old)
    codec = TokenCodec(keys)
    before = codec.encode(payload())
    keys.keys = [new, old]
    codec.invalidate()
    after = codec.encode(payload())
    assert codec.decode(before).user_id
    assert TokenCodec(StaticKeys(new)).decode(after).user_id  # encrypted with the newest
    with pytest.raises(TokenError):
        TokenCodec(StaticKeys(old)).decode(after)


def test_unknown_key_triggers_one_reload_at_most_once_a_second(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(tokens.time, "monotonic", lambda: clock[0])
    old, new = generate_key(), generate_key()
    keys = StaticKeys(old)
    codec = TokenCodec(keys)
    codec.encode(payload())
    assert keys.loads == 1
    token_from_other_replica = TokenCodec(StaticKeys(new, old)).encode(payload())
    keys.keys = [new, old]
    with pytest.raises(TokenError):  # loaded less than a second ago: no reload yet
        codec.decode(token_from_other_replica)
    assert keys.loads == 1
    clock[0] += 1.5
    assert codec.decode(token_from_other_replica).methods == ["password"]
    assert keys.loads == 2


def test_no_keys_is_an_error_not_a_crash():
    codec = TokenCodec(StaticKeys())
    with pytest.raises(TokenError, match="no token keys"):
        codec.encode(payload())
