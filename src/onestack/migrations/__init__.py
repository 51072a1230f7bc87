"""Alembic migrations of the onestack schema (all services share one database)."""
from __future__ import annotations

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
