"""A restart of ``onestack up`` skips Alembic when the database is at every head; the heads
are read from the revision files, so they must be exactly what Alembic computes."""
from __future__ import annotations

from alembic.script import ScriptDirectory

from onestack import migrations


def test_heads_read_from_the_files_are_alembics_heads() -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config("sqlite://"))
    assert migrations.head_revisions() == set(script.get_heads())


def test_a_database_is_current_only_once_migrated_to_every_head(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/h.db"
    assert not migrations.is_current(url)
    head = sorted(migrations.head_revisions())[0]
    migrations.upgrade(url, head)
    assert not migrations.is_current(url)  # one branch is not all of them
    migrations.upgrade(url)
    assert migrations.is_current(url)
