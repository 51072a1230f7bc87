"""What every Networking table shares: Neutron's standard attributes as columns, and the
one tag table every taggable resource uses."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp

UUID = sa.String(36)
PROJECT = sa.String(255)
NAME = sa.String(255)


class Standard:
    """id, project, name, description, timestamps and the revision number that every
    update bumps (``If-Match: revision_number=N`` compares with it)."""

    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True, default="")
    name: Mapped[str] = mapped_column(NAME, default="")
    description: Mapped[str] = mapped_column(NAME, default="")
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    revision_number: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Tag(Base):
    __tablename__ = "network_tags"
    resource_type: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    resource_id: Mapped[str] = mapped_column(UUID, primary_key=True)
    tag: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    __table_args__ = (sa.Index("ix_network_tags_resource_id", "resource_id"),)
