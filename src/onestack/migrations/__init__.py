"""Alembic migrations of the onestack schema (all services share one database)."""
from __future__ import annotations

import ast
from pathlib import Path


HERE = Path(__file__).parent


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["database_url"] = url
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    """Every service has its own branch of revisions; ``heads`` migrates them all."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def head_revisions() -> set[str]:
    """The heads of every branch, read from the revision files themselves (their
    ``revision``/``down_revision`` assignments) without importing Alembic, which costs a
    restart more than everything else it does when there is nothing to migrate."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (HERE / "versions").glob("*.py"):
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                    node.targets[0], ast.Name):
                name, value = node.targets[0].id, ast.literal_eval(node.value) if isinstance(
                    node.value, (ast.Constant, ast.Tuple)) else None
                if name == "revision" and value:
                    revisions.add(value)
                elif name == "down_revision" and value:
                    parents.update((value,) if isinstance(value, str) else value)
    return revisions - parents


def is_current(url: str) -> bool:
    """True when the database is at every head already (a restart): nothing to migrate."""
    import sqlalchemy as sa

    from onestack.core.db import create_engine

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return False
            applied = {row[0] for row in conn.execute(sa.text(
                "SELECT version_num FROM alembic_version"))}
    finally:
        engine.dispose()
    return applied == head_revisions()
