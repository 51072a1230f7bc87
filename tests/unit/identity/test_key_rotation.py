"""Staged-key rotation: a replica that has not re-read the keys since a rotation still
validates tokens issued with the new primary, and old tokens survive until their key is
pruned."""
from __future__ import annotations

from pathlib import Path

import pytest

from onestack import migrations
from onestack.core.db import Database
from onestack.core.tokens import TokenCodec, TokenError, TokenPayload
from onestack.identity.service import keys


def payload() -> TokenPayload:
    return TokenPayload(user_id="u" * 32, methods=["password"], issued_at_us=1,
                        expires_at=2_000_000_000, audit_ids=[])


def test_a_stale_replica_accepts_tokens_made_after_a_rotation(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    migrations.upgrade(url)
    db = Database(url)
    try:
        db.write(keys.ensure_keys)
        stale_replica = TokenCodec(lambda: keys.active_keys(db))
        first = stale_replica.encode(payload())  # loads the key set once
        keys.rotate(db, max_active=3)
        fresh_replica = TokenCodec(lambda: keys.active_keys(db))
        second = fresh_replica.encode(payload())
        # the stale replica never re-read the keys, yet the new primary was its staged key
        assert stale_replica.decode(second).user_id == "u" * 32
        assert fresh_replica.decode(first).user_id == "u" * 32
        # after enough rotations the first key is pruned and its tokens stop validating
        for _ in range(3):
            keys.rotate(db, max_active=3)
        newest = TokenCodec(lambda: keys.active_keys(db))
        with pytest.raises(TokenError):
            newest.decode(first)
        assert len(keys.active_keys(db)) == 4  # three primaries and the staged key
    finally:
        db.dispose()
