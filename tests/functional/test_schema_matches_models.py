"""The migrations build exactly the schema the models describe, on every backend: a
migration that forgets a column, an index or a constraint (the ones IPAM and quotas rely
on to refuse duplicates) fails here, not in production."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import onestack.models_registry  # noqa: F401 - every service's tables in Base.metadata
from onestack.core.db import Base


def test_migrated_schema_equals_the_models(db_url: str) -> None:
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert [d for d in diffs if "alembic_version" not in repr(d)] == []
