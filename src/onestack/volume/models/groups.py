"""Generic volume groups (3.13+): group types with their specs, groups of volumes of the
group's volume types, and group snapshots (one member snapshot per volume, linked by
``Snapshot.group_snapshot_id``).

``pending`` marks a group or group snapshot whose status follows its members: set when the
API creates (or deletes) it, cleared once the members settle (all ``available`` → the row
is ``available``; one ``error`` → ``error``; a deleting group snapshot whose members are
all gone disappears). An admin's ``reset_status`` clears it, so a reset status stays."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.volume.models.base import NAME, PROJECT, TEXT, UUID, Stamped


class GroupType(Stamped, Base):
    __tablename__ = "volume_group_types"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    description: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    is_public: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class GroupTypeSpec(Base):
    __tablename__ = "volume_group_type_specs"
    group_type_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_group_types.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255), default="")


class Group(Stamped, Base):
    __tablename__ = "volume_groups"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    user_id: Mapped[str] = mapped_column(PROJECT, default="")
    name: Mapped[str | None] = mapped_column(NAME, nullable=True)
    description: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)
    availability_zone: Mapped[str] = mapped_column(NAME, default="nova")
    group_type_id: Mapped[str] = mapped_column(UUID, index=True)
    group_snapshot_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    source_group_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    replication_status: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    pending: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class GroupVolumeType(Base):
    __tablename__ = "volume_group_volume_types"
    group_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_groups.id", ondelete="CASCADE"), primary_key=True)
    volume_type_id: Mapped[str] = mapped_column(UUID, primary_key=True)
    position: Mapped[int] = mapped_column(sa.Integer, default=0)


class GroupSnapshot(Stamped, Base):
    __tablename__ = "volume_group_snapshots"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    group_id: Mapped[str] = mapped_column(UUID, index=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    user_id: Mapped[str] = mapped_column(PROJECT, default="")
    name: Mapped[str | None] = mapped_column(NAME, nullable=True)
    description: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)
    group_type_id: Mapped[str] = mapped_column(UUID)
    pending: Mapped[bool] = mapped_column(sa.Boolean, default=False)
