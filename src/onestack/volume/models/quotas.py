"""Block Storage quotas: per-project limits, quota classes (``default`` is the one in
force for every project without its own limit), the usage counters ``charge`` moves, and
the per-project lock row that serialises every charge of one project."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.volume.models.base import NAME, PROJECT

RESOURCE = sa.String(300)  # ``gigabytes_<type name>`` (type names are up to 255)


class QuotaLimit(Base):
    """A project's own limit of one resource (``os-quota-sets`` PUT)."""

    __tablename__ = "volume_quotas"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    resource: Mapped[str] = mapped_column(RESOURCE, primary_key=True)
    hard_limit: Mapped[int] = mapped_column(sa.Integer)


class QuotaClassLimit(Base):
    """A quota class's limit (``os-quota-class-sets``); class ``default`` gives the
    defaults of every project."""

    __tablename__ = "volume_quota_classes"
    class_name: Mapped[str] = mapped_column(NAME, primary_key=True)
    resource: Mapped[str] = mapped_column(RESOURCE, primary_key=True)
    hard_limit: Mapped[int] = mapped_column(sa.Integer)


class QuotaUsage(Base):
    """What a project holds of one counted resource (volumes, gigabytes, …); moved only
    by ``service.quotas.charge`` under the project's lock row."""

    __tablename__ = "volume_quota_usages"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    resource: Mapped[str] = mapped_column(RESOURCE, primary_key=True)
    in_use: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)


class QuotaLock(Base):
    """One row per project, locked ``FOR UPDATE`` by every charge of the project: two
    API replicas creating in one project queue here (SQLite serialises writers anyway)."""

    __tablename__ = "volume_quota_locks"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
