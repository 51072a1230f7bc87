"""``Database`` behaves the same on every configured backend: a failed write leaves nothing,
timestamps keep their microseconds, concurrent writers all commit. Each test gets a fresh
database on each backend of ``ONESTACK_TEST_DATABASES``."""
from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
import sqlalchemy as sa

from onestack.core.db import Database, Timestamp
from tests.support.databases import Backend, TestDatabase, configured_backends

BACKENDS = configured_backends()
METADATA = sa.MetaData()
ITEMS = sa.Table("items", METADATA, sa.Column("id", sa.Integer, primary_key=True),
                 sa.Column("name", sa.String(32)), sa.Column("at", Timestamp))
COUNT = sa.select(sa.func.count()).select_from(ITEMS)


@pytest.fixture(params=BACKENDS, ids=[b.kind for b in BACKENDS])
def backend(request) -> Backend:
    return request.param


@pytest.fixture
def db(backend: Backend, tmp_path) -> Iterator[Database]:
    database = TestDatabase(backend, tmp_path)
    db = Database(database.url)
    try:
        METADATA.create_all(db.engine)
        yield db
    finally:
        db.dispose()
        database.drop()


def failing_insert(session) -> None:
    session.execute(ITEMS.insert().values(id=1, name="half"))
    session.execute(ITEMS.insert().values(id=2, name="written"))
    raise KeyError("the use case failed after two inserts")


def test_failed_write_leaves_no_rows(db):
    with pytest.raises(KeyError):
        db.write(failing_insert)
    assert db.read(lambda s: s.scalar(COUNT)) == 0


def test_failed_write_after_a_hot_path_read_leaves_no_rows(db):
    """The per-thread autocommit connection of ``read_value`` must not leak its autocommit
    into write sessions (it did, on PostgreSQL, while it went back to the pool)."""
    assert db.read_value("SELECT 1") == 1
    with pytest.raises(KeyError):
        db.write(failing_insert)
    assert db.read(lambda s: s.scalar(COUNT)) == 0


def test_timestamps_keep_microseconds(db):
    at = datetime(2030, 1, 2, 3, 4, 5, 678901)
    db.write(lambda s: s.execute(ITEMS.insert().values(id=7, name="t", at=at)))
    assert db.read(lambda s: s.scalar(sa.select(ITEMS.c.at))) == at


def test_concurrent_writers_all_commit(db):
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(5):
                db.write(lambda s, i=i: s.execute(
                    ITEMS.insert().values(id=n * 100 + i + 1, name=f"{n}-{i}")))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.read(lambda s: s.scalar(COUNT)) == 30


def test_unique_violation_is_not_retried_and_not_transient(db):
    from onestack.core.db import is_transient

    db.write(lambda s: s.execute(ITEMS.insert().values(id=1, name="a")))
    attempts = []

    def duplicate(session):
        attempts.append(1)
        session.execute(ITEMS.insert().values(id=1, name="b"))

    with pytest.raises(sa.exc.IntegrityError) as info:
        db.write(duplicate)
    assert attempts == [1]
    assert not is_transient(info.value)


def test_hot_path_reads_from_many_threads_while_writing(db):
    """Each thread's ``read_value`` connection is its own: reads and writes interleaved from
    several threads neither fail nor see each other's transactions half-done."""
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(10):
                assert db.read_value("SELECT 1") == 1
                db.write(lambda s, i=i: s.execute(
                    ITEMS.insert().values(id=n * 100 + i + 1, name=f"{n}-{i}")))
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert db.read(lambda s: s.scalar(COUNT)) == 80
