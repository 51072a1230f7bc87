"""Alembic environment: migrates whatever URL the caller configured."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, event, pool

from onestack.core.db import Base
from onestack import models_registry  # noqa: F401  (every registered service's models)

config = context.config
url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
connection = config.attributes.get("connection")


def run(conn) -> None:
    context.configure(connection=conn, target_metadata=Base.metadata,
                      render_as_batch=conn.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def one_sqlite_transaction(engine) -> None:
    """pysqlite runs DDL outside any transaction, so each of the ~100 statements of a fresh
    schema is its own commit and fsync (~2 s of a cold start spent waiting on the disk).
    Here the driver's own transaction handling is off and the migration's transaction is a
    real ``BEGIN``: one commit for the whole upgrade, in WAL mode as the server runs it."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN")


if connection is not None:
    run(connection)
else:
    # hide_parameters: a failed statement's error (and log line) carries no user data
    engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        one_sqlite_transaction(engine)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
