"""``onestack up`` on an existing data dir bootstraps again: with the same admin password it
must not hash it again (one bcrypt is a quarter of a second of a restart); with another
password the admin gets the new one."""
from __future__ import annotations

import pytest

from onestack import migrations
from onestack.core.db import Database
from onestack.identity import bootstrap as boot
from onestack.identity.passwords import check_secret
from onestack.identity import models as m


def test_restart_with_the_same_password_hashes_nothing(tmp_path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path}/b.db"
    migrations.upgrade(url)
    db = Database(url)
    try:
        boot.bootstrap(db, admin_password="pw-one", public_url="http://x", password_hash_rounds=4)

        def no_hashing(*_a, **_k):
            raise AssertionError("hashed the admin password again")
        monkeypatch.setattr(boot, "hash_secret", no_hashing)
        boot.bootstrap(db, admin_password="pw-one", public_url="http://x", password_hash_rounds=4)
        with pytest.raises(AssertionError, match="hashed"):
            boot.bootstrap(db, admin_password="pw-two", public_url="http://x",
                           password_hash_rounds=4)
        monkeypatch.undo()
        boot.bootstrap(db, admin_password="pw-two", public_url="http://x", password_hash_rounds=4)
        stored = db.read(lambda s: s.query(m.User).filter_by(name="admin").one().password_hash)
        assert check_secret("pw-two", stored)
    finally:
        db.dispose()
