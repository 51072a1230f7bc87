"""Alembic environment: migrates whatever URL the caller configured."""
from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

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


if connection is not None:
    run(connection)
else:
    # hide_parameters: a failed statement's error (and log line) carries no user data
    engine = create_engine(url, poolclass=pool.NullPool, hide_parameters=True)
    with engine.connect() as conn:
        run(conn)
    engine.dispose()
