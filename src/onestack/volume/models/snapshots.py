"""Snapshots of volumes and their metadata."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.volume.models.base import NAME, PROJECT, TEXT, UUID, Stamped


class Snapshot(Stamped, Base):
    __tablename__ = "volume_snapshots"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    volume_id: Mapped[str] = mapped_column(UUID, index=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    user_id: Mapped[str] = mapped_column(PROJECT, default="")
    name: Mapped[str | None] = mapped_column(NAME, nullable=True)
    description: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)
    progress: Mapped[str] = mapped_column(sa.String(8), default="0%")
    size: Mapped[int] = mapped_column(sa.Integer)
    host: Mapped[str] = mapped_column(NAME, default="", index=True)  # the volume's backend
    volume_type_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    group_snapshot_id: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    provider_location: Mapped[str | None] = mapped_column(NAME, nullable=True)
    use_quota: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    # True when an admin's os-reset_status wrote the status: it is a label, not work
    # asked of the agent (Cinder's reset touches only the database), so the agent leaves
    # a row in ``creating``/``deleting`` alone while this is set; every API request that
    # asks for work (create, delete, force delete) clears it.
    status_reset: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class SnapshotMetadata(Base):
    __tablename__ = "volume_snapshot_metadata"
    snapshot_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_snapshots.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255), default="")
