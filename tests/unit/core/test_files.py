"""Private files: made 0600 by ``os.open`` (never written, then chmod'ed), directories 0700,
an older installation tightened, SQLite's companion files as private as the database, and
every ``onestack`` command running under umask 077.

Tests that need a permissive umask set 0 for their own duration: then any mode that comes
out private was chosen by the code, not by the environment."""
from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from onestack.cli.up import write_client_config
from onestack.core import files
from tests.support.processes import cli_env, onestack_executable


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.fixture
def no_chmod(monkeypatch) -> list[str]:
    """Records (and refuses) every chmod: a file private only after a chmod was readable
    by others for a moment."""
    calls: list[str] = []

    def refuse(path, *args, **kwargs):
        calls.append(str(path))
        raise AssertionError(f"chmod({path}) after creation")

    monkeypatch.setattr(os, "chmod", refuse)
    monkeypatch.setattr(Path, "chmod", lambda self, *a, **k: refuse(self))
    return calls


def test_write_private_is_0600_from_creation(tmp_path, open_umask, no_chmod):
    target = tmp_path / "secret"
    files.write_private(target, "pw\n")
    assert target.read_text() == "pw\n"
    assert mode(target) == 0o600
    assert no_chmod == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret"]  # no temporary left


def test_write_private_replaces_a_looser_file(tmp_path, open_umask):
    target = tmp_path / "clouds.yaml"
    target.write_text("old")
    target.chmod(0o644)
    files.write_private(target, b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o600


def test_write_private_does_not_follow_a_planted_temporary_symlink(tmp_path, open_umask):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("untouched")
    target = tmp_path / "openrc"
    (tmp_path / f".openrc.{os.getpid()}.tmp").symlink_to(elsewhere)
    files.write_private(target, "export X=1\n")
    assert elsewhere.read_text() == "untouched"
    assert target.read_text() == "export X=1\n" and not target.is_symlink()


def test_client_config_is_private_from_creation(tmp_path, open_umask, no_chmod):
    write_client_config(tmp_path, "http://127.0.0.1:1/identity/v3", "pw", "RegionOne")
    assert mode(tmp_path / "clouds.yaml") == 0o600
    assert mode(tmp_path / "openrc") == 0o600
    assert "OS_PASSWORD='pw'" in (tmp_path / "openrc").read_text()
    assert no_chmod == []


def test_private_dir_made_and_tightened(tmp_path, open_umask):
    fresh = files.private_dir(tmp_path / "a" / "data")
    assert mode(fresh) == 0o700
    loose = tmp_path / "loose"
    loose.mkdir(mode=0o755)
    files.private_dir(loose)
    assert mode(loose) == 0o700


def test_existing_installation_is_tightened(tmp_path, open_umask):
    data = tmp_path / "data"
    (data / "images" / "staging").mkdir(parents=True)
    for d in (data, data / "images", data / "images" / "staging"):
        d.chmod(0o755)
    for name, perm in (("onestack.db", 0o644), ("onestack.db-wal", 0o644),
                       ("admin-password", 0o644), ("clouds.yaml", 0o640), ("openrc", 0o644),
                       ("fake-compute1.json", 0o644), ("images/abc", 0o664),
                       ("images/staging/def", 0o644), ("ok-0600", 0o600),
                       ("notes.txt", 0o644), ("run.sh", 0o755)):
        (data / name).write_text(name)
        (data / name).chmod(perm)
    outside = tmp_path / "outside"
    outside.write_text("not ours")
    outside.chmod(0o644)
    (data / "images" / "link").symlink_to(outside)

    changed = files.prepare_data_dir(data, f"sqlite:///{data / 'onestack.db'}")

    assert {mode(data / d) for d in ("", "images", "images/staging")} == {0o700}
    assert {mode(data / f) for f in ("onestack.db", "onestack.db-wal", "admin-password",
                                     "clouds.yaml", "openrc", "fake-compute1.json",
                                     "images/abc", "images/staging/def")} == {0o600}
    assert mode(outside) == 0o644  # a symlink is not followed
    # the user's own files in a shared directory are theirs (behind a 0700 dir now)
    assert mode(data / "notes.txt") == 0o644 and mode(data / "run.sh") == 0o755
    assert data / "onestack.db" in changed and data / "ok-0600" not in changed
    assert files.prepare_data_dir(data, f"sqlite:///{data / 'onestack.db'}") == []


def test_tighten_tree_keeps_the_owner_bits(tmp_path, open_umask):
    (tmp_path / "t" / "sub").mkdir(parents=True)
    (tmp_path / "t" / "sub" / "tool").write_text("#!/bin/sh\n")
    (tmp_path / "t" / "sub" / "tool").chmod(0o755)
    files.tighten_tree(tmp_path / "t")
    assert mode(tmp_path / "t" / "sub" / "tool") == 0o700
    assert mode(tmp_path / "t" / "sub") == 0o700


def test_sqlite_database_and_companions_private(tmp_path, open_umask):
    url_path = tmp_path / "onestack.db"
    files.private_sqlite_file(f"sqlite:///{url_path}")
    assert mode(url_path) == 0o600
    conn = sqlite3.connect(url_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    conn.commit()
    try:
        for suffix in ("-wal", "-shm"):
            companion = tmp_path / ("onestack.db" + suffix)
            assert companion.exists() and mode(companion) == 0o600, suffix
    finally:
        conn.close()


def test_sqlite_companions_of_an_old_database_tightened(tmp_path, open_umask):
    for name in ("old.db", "old.db-wal", "old.db-shm"):
        (tmp_path / name).write_text("")
        (tmp_path / name).chmod(0o644)
    files.private_sqlite_file(f"sqlite:///{tmp_path / 'old.db'}")
    assert {mode(tmp_path / n) for n in ("old.db", "old.db-wal", "old.db-shm")} == {0o600}


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:",
                                 "postgresql+psycopg://u@h/db", "mysql+pymysql://u@h/db"])
def test_urls_without_a_file_are_left_alone(url):
    assert files.sqlite_path(url) is None
    files.private_sqlite_file(url)


def test_every_command_runs_under_a_private_umask(tmp_path):
    """``onestack db upgrade`` creates its SQLite file through Alembic's own engine: only
    the process umask makes it private."""
    exe = onestack_executable()
    if exe is None:
        pytest.skip("no onestack console script in this environment")
    database = tmp_path / "migrated.db"
    result = subprocess.run([exe, "db", "upgrade", "--database-url", f"sqlite:///{database}"],
                            env=cli_env(), capture_output=True, text=True, timeout=120,
                            preexec_fn=lambda: os.umask(0o022))
    assert result.returncode == 0, result.stderr[-2000:]
    made = [p for p in tmp_path.iterdir() if p.name.startswith("migrated.db")]
    assert database in made
    assert {p.name: mode(p) for p in made} == {p.name: 0o600 for p in made}


def test_database_on_an_old_sqlite_file_tightens_it(tmp_path, open_umask):
    """``onestack api --database-url sqlite:///…`` on a file an older version left 0644."""
    from onestack.core.db import Database

    path = tmp_path / "old-api.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    db = Database(f"sqlite:///{path}")
    try:
        assert db.read_value("SELECT 1") == 1
        assert mode(path) == 0o600
    finally:
        db.dispose()


def test_prepare_data_dir_tightens_the_trees_made_at_first_use(tmp_path, open_umask):
    """The volume and backup stores and a QEMU host's guest dirs are made when their seam is
    first used, which may be after a start has answered; an older loose copy of them must be
    tightened by the start itself (CI saw ``volumes`` left 0755 by a restart)."""
    data = tmp_path / "data"
    for tree in ("volumes/.scratch", "backups/backup-1", "qemu-compute1/guest-0"):
        (data / tree).mkdir(parents=True)
        (data / tree / "bytes").write_text("x")
    for name in ("metadata-proxy-secret", "qemu-accel.json"):
        (data / name).write_text("x")
    for path in [data, *data.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)

    files.prepare_data_dir(data, f"sqlite:///{data / 'onestack.db'}")

    loose = {str(p.relative_to(data)): oct(mode(p)) for p in data.rglob("*") if mode(p) & 0o077}
    assert loose == {}
