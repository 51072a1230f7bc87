"""Database engine and transactions, identical in behaviour on SQLite, MariaDB and PostgreSQL.

SQLite gets WAL, a busy timeout and ``BEGIN IMMEDIATE`` for write transactions, so two API
processes writing at once wait for each other instead of failing with "database is locked".
Every write transaction retries on the transient conflicts each engine reports (lock
timeouts, deadlocks, serialization failures).
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import mysql
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from onestack.core.files import private_sqlite_file

log = logging.getLogger(__name__)
T = TypeVar("T")


class Base(DeclarativeBase):
    """Declarative base of every onestack table."""


def new_id() -> str:
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Naive UTC; every backend stores the microseconds (see ``Timestamp``)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


# DATETIME with microseconds on MariaDB/MySQL too (their default drops them).
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str) -> sa.Engine:
    """An engine tuned for the backend named by ``url``. Its errors never carry the bound
    values (``hide_parameters``): a logged exception must not leak what users sent."""
    if _is_sqlite(url):
        private_sqlite_file(url)  # 0600 before SQLite makes it (or tightened, if older)
        engine = sa.create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=8,
            max_overflow=16,
            hide_parameters=True,
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            # 1 MiB page cache per connection (the default is 2): the OS caches the file anyway
            cur.execute("PRAGMA cache_size=-1024")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: sa.Connection) -> None:
            if conn.get_execution_options().get("onestack_write"):
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    kwargs: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 8, "max_overflow": 16,
                              "pool_recycle": 3600, "hide_parameters": True}
    if url.startswith("mysql"):
        kwargs["isolation_level"] = "READ COMMITTED"
    return sa.create_engine(url, **kwargs)


_TRANSIENT = (
    "database is locked",
    "deadlock",
    "lock wait timeout",
    "could not serialize",
    "serialization failure",
    "try restarting transaction",
)


def is_transient(exc: BaseException) -> bool:
    if not isinstance(exc, (OperationalError, DBAPIError)):
        return False
    text = str(getattr(exc, "orig", exc)).lower()
    return any(marker in text for marker in _TRANSIENT)


def writes_serialized(s: Session) -> bool:
    """True when ``s`` is a write transaction that holds the whole database (SQLite's
    ``BEGIN IMMEDIATE``): no other transaction can insert before it ends, so what it read
    as free stays free, and a savepoint that guards against a racing insert buys nothing.
    (MariaDB and PostgreSQL let writers overlap: there the savepoint stays.)"""
    known = s.info.get("onestack_serialized")
    if known is None:
        conn = s.connection()
        known = (conn.dialect.name == "sqlite"
                 and bool(conn.get_execution_options().get("onestack_write")))
        s.info["onestack_serialized"] = known
    return known


class Database:
    """Owns the engine and hands out read and write sessions."""

    def __init__(self, url: str):
        self.url = url
        self.engine = create_engine(url)
        self.is_sqlite = _is_sqlite(url)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(
            self.engine.execution_options(onestack_write=True), expire_on_commit=False
        )
        # Threads of one process queue here instead of spinning in SQLite's busy handler.
        self._local_write_lock = threading.Lock() if self.is_sqlite else None
        self._raw = threading.local()

    def read_value(self, sql: str) -> object:
        """First column of the first row of a tiny query, on a per-thread autocommit DBAPI
        connection: the hot-path read (a cache generation) without ORM or pool overhead."""
        conn = getattr(self._raw, "conn", None)
        for attempt in (1, 2):
            if conn is None:
                # Detached from the pool and held by this thread alone: a pooled DBAPI
                # connection must never be used by two threads at once.
                proxy = self.engine.raw_connection()
                conn = proxy.driver_connection
                proxy.detach()
                self._raw.proxy = proxy
                if self.is_sqlite:
                    conn.isolation_level = None
                else:
                    conn.autocommit = True
                self._raw.conn = conn
            try:
                cur = conn.cursor()
                cur.execute(sql)
                row = cur.fetchone()
                cur.close()
                return row[0] if row else None
            except Exception:  # noqa: BLE001 - a dropped connection: reconnect once
                self._raw.conn = conn = None
                self._raw.proxy = None
                if attempt == 2:
                    raise
        return None

    @contextlib.contextmanager
    def reader(self) -> Iterator[Session]:
        with self._read() as session, session.begin():
            yield session

    @contextlib.contextmanager
    def _writer_once(self) -> Iterator[Session]:
        lock = self._local_write_lock or contextlib.nullcontext()
        with lock, self._write() as session, session.begin():
            yield session

    def write(self, fn: Callable[[Session], T], attempts: int = 6) -> T:
        """Run ``fn`` in one write transaction, retrying transient conflicts."""
        delay = 0.02
        for attempt in range(1, attempts + 1):
            try:
                with self._writer_once() as session:
                    return fn(session)
            except (OperationalError, DBAPIError) as exc:
                if attempt == attempts or not is_transient(exc):
                    raise
                log.warning("transient database conflict, retrying (%s)", type(exc).__name__)
                time.sleep(delay)
                delay *= 2
        raise AssertionError("unreachable")

    def read(self, fn: Callable[[Session], T]) -> T:
        with self.reader() as session:
            return fn(session)

    def dispose(self) -> None:
        self.engine.dispose()


class JSONDocument(sa.types.TypeDecorator):
    """A JSON column whose usual value is an empty object: ``{}`` (and SQL NULL) come back
    without a JSON parse, which a list of hundreds of rows with two such columns each
    otherwise pays for row by row. Stored and compared exactly as ``sa.JSON``."""

    impl = sa.JSON
    cache_ok = True

    def result_processor(self, dialect: Any, coltype: Any) -> Callable[[Any], Any]:
        parse = self.impl_instance.result_processor(dialect, coltype)

        def process(value: Any) -> Any:
            if value is None or value == "{}":
                return {} if value is not None else None
            return parse(value) if parse is not None else value
        return process
