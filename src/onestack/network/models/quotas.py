"""Per-project quota overrides, and the per-project row that serialises quota checks."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.network.models.base import PROJECT


class Quota(Base):
    """A project's limit for one resource (absent: the default)."""

    __tablename__ = "network_quotas"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    resource: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    limit: Mapped[int] = mapped_column("hard_limit", sa.Integer)


class QuotaLock(Base):
    """``SELECT … FOR UPDATE`` on a project's row makes "count, then create" one step for
    that project on MariaDB and PostgreSQL (SQLite serialises every writer anyway)."""

    __tablename__ = "network_quota_locks"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
