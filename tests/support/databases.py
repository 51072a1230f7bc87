"""The database backends a test run covers, from ``ONESTACK_TEST_DATABASES``.

The variable is a comma list. The word ``sqlite`` means a fresh SQLite file in a temporary
directory; anything else is a server URL prefix without a database name, e.g.
``mysql+pymysql://root@127.0.0.1`` or ``postgresql+psycopg://postgres@127.0.0.1``, on which a
uniquely named database is created (and dropped afterwards). Unset means ``sqlite`` only.
"""
from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ENV = "ONESTACK_TEST_DATABASES"


@dataclass(frozen=True)
class Backend:
    spec: str  # "sqlite" or a server URL prefix

    @property
    def kind(self) -> str:
        """``sqlite``, ``mysql`` or ``postgresql`` (the test id of the backend)."""
        if self.spec == "sqlite":
            return "sqlite"
        scheme = self.spec.split("://", 1)[0]
        dialect = scheme.split("+", 1)[0]
        return "mysql" if dialect in ("mysql", "mariadb") else dialect

    @property
    def is_server(self) -> bool:
        return self.spec != "sqlite"


def configured_backends(environ: dict[str, str] | None = None) -> list[Backend]:
    environ = os.environ if environ is None else environ
    raw = environ.get(ENV, "").strip() or "sqlite"
    specs = [part.strip().rstrip("/") for part in raw.split(",") if part.strip()]
    return [Backend(spec) for spec in dict.fromkeys(specs)]


def find_backend(kind: str) -> Backend | None:
    for backend in configured_backends():
        if backend.kind == kind:
            return backend
    return None


class TestDatabase:
    """One uniquely named, empty database on a backend; ``drop`` removes it."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    def __init__(self, backend: Backend, tmp_dir: Path):
        self.backend = backend
        self.name = "onestack_test_" + uuid.uuid4().hex[:12]
        if backend.is_server:
            self._admin = sa.create_engine(self._admin_url(), isolation_level="AUTOCOMMIT",
                                           poolclass=sa.pool.NullPool)
            with self._admin.connect() as conn:
                # As an operator would: the server's default character set and collation.
                conn.execute(sa.text(f"CREATE DATABASE {self.name}"))
            self.url = f"{backend.spec}/{self.name}"
        else:
            self._admin = None
            self.url = f"sqlite:///{tmp_dir / (self.name + '.db')}"

    def _admin_url(self) -> str:
        if self.backend.kind == "postgresql":
            return self.backend.spec + "/postgres"
        return self.backend.spec + "/"

    def drop(self) -> None:
        if self._admin is None:
            return
        with self._admin.connect() as conn:
            if self.backend.kind == "postgresql":
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
            else:
                conn.execute(sa.text(f"DROP DATABASE IF EXISTS {self.name}"))
        self._admin.dispose()


@contextlib.contextmanager
def migrated_database(backend: Backend, tmp_dir: Path) -> Iterator[Any]:
    """A fresh database of ``backend``, migrated to every head, as a ``core.db.Database``;
    disposed and dropped afterwards. What direct reconcile and service tests start from."""
    from onestack import migrations
    from onestack.core.db import Database

    database = TestDatabase(backend, tmp_dir)
    try:
        migrations.upgrade(database.url)
        handle = Database(database.url)
        try:
            yield handle
        finally:
            handle.dispose()
    finally:
        database.drop()
