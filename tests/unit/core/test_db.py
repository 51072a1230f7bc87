"""Database transactions: which engine errors count as transient conflicts (retried) and
which do not (raised at once), and the retry loop itself on a real SQLite file."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ProgrammingError

from onestack.core import db as dbmod
from onestack.core.db import Database, is_transient


def wrapped(cls, message: str):
    return cls("SELECT 1", {}, Exception(message))


@pytest.mark.parametrize("message", [
    "database is locked",  # SQLite
    "(1213, 'Deadlock found when trying to get lock; try restarting transaction')",  # MariaDB
    "(1205, 'Lock wait timeout exceeded; try restarting transaction')",  # MariaDB
    "could not serialize access due to concurrent update",  # PostgreSQL
    "deadlock detected\nDETAIL: Process 1 waits for ShareLock",  # PostgreSQL
    "ERROR: serialization failure",
])
def test_engine_conflicts_are_transient(message):
    assert is_transient(wrapped(OperationalError, message))
    assert is_transient(wrapped(DBAPIError, message))


@pytest.mark.parametrize("exc", [
    wrapped(IntegrityError, "UNIQUE constraint failed: identity_users.name"),
    wrapped(IntegrityError, "(1062, \"Duplicate entry 'x' for key 'uq'\")"),
    wrapped(OperationalError, "no such table: identity_users"),
    wrapped(OperationalError, "(2003, \"Can't connect to MySQL server\")"),
    wrapped(ProgrammingError, "syntax error at or near \"SELEC\""),
    RuntimeError("database is locked"),  # right words, but not a database error
    ValueError("deadlock"),
])
def test_other_errors_are_not_transient(exc):
    assert not is_transient(exc)


@pytest.fixture
def sqlite_db(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'unit.db'}")
    with db.engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    yield db
    db.dispose()


def test_write_retries_transient_conflicts_then_commits(sqlite_db, monkeypatch):
    monkeypatch.setattr(dbmod.time, "sleep", lambda s: None)
    calls = []

    def work(session):
        calls.append(1)
        session.execute(sa.text("INSERT INTO t (v) VALUES ('x')"))
        if len(calls) < 3:
            raise wrapped(OperationalError, "database is locked")
        return "done"

    assert sqlite_db.write(work) == "done"
    assert len(calls) == 3
    # the failed attempts were rolled back: only the third insert is there
    assert sqlite_db.read(lambda s: s.execute(sa.text("SELECT count(*) FROM t")).scalar()) == 1


def test_write_gives_up_after_the_last_attempt(sqlite_db, monkeypatch):
    monkeypatch.setattr(dbmod.time, "sleep", lambda s: None)
    calls = []

    def work(session):
        calls.append(1)
        raise wrapped(OperationalError, "deadlock found")

    with pytest.raises(OperationalError):
        sqlite_db.write(work, attempts=4)
    assert len(calls) == 4


def test_write_does_not_retry_permanent_errors(sqlite_db):
    calls = []

    def work(session):
        calls.append(1)
        session.execute(sa.text("INSERT INTO t (id, v) VALUES (1, 'a')"))
        session.execute(sa.text("INSERT INTO t (id, v) VALUES (1, 'b')"))

    with pytest.raises(IntegrityError):
        sqlite_db.write(work)
    assert len(calls) == 1
    assert sqlite_db.read(lambda s: s.execute(sa.text("SELECT count(*) FROM t")).scalar()) == 0


def test_write_rolls_back_on_any_exception(sqlite_db):
    def work(session):
        session.execute(sa.text("INSERT INTO t (v) VALUES ('x')"))
        raise KeyError("boom")

    with pytest.raises(KeyError):
        sqlite_db.write(work)
    assert sqlite_db.read(lambda s: s.execute(sa.text("SELECT count(*) FROM t")).scalar()) == 0


def test_sqlite_connections_use_wal_and_foreign_keys(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(sa.text("PRAGMA busy_timeout")).scalar() == 30000


def test_concurrent_writers_in_one_process_all_commit(sqlite_db):
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                sqlite_db.write(lambda s: s.execute(
                    sa.text("INSERT INTO t (v) VALUES (:v)"), {"v": f"{n}-{i}"}))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sqlite_db.read(lambda s: s.execute(sa.text("SELECT count(*) FROM t")).scalar()) == 80


def test_timestamps_are_naive_utc_with_microseconds():
    now = dbmod.utcnow()
    assert now.tzinfo is None
    assert len(dbmod.new_id()) == 32 and int(dbmod.new_id(), 16) >= 0
