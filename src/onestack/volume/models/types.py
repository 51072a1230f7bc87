"""Volume types (with extra specs and private-type access), QoS specs and encryption
types. ``__DEFAULT__`` exists from the first migration on, as in Cinder."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.volume.models.base import NAME, PROJECT, TEXT, UUID, Stamped


class VolumeType(Stamped, Base):
    __tablename__ = "volume_types"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    description: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    is_public: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    qos_specs_id: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)


class VolumeTypeExtraSpec(Base):
    __tablename__ = "volume_type_extra_specs"
    volume_type_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_types.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    value: Mapped[str | None] = mapped_column(sa.String(255), nullable=True)


class VolumeTypeProject(Base):
    """A private type's access list."""

    __tablename__ = "volume_type_projects"
    volume_type_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_types.id", ondelete="CASCADE"), primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)


class QosSpecs(Stamped, Base):
    __tablename__ = "volume_qos_specs"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    name: Mapped[str] = mapped_column(NAME, unique=True)
    consumer: Mapped[str] = mapped_column(sa.String(32), default="back-end")
    specs: Mapped[dict] = mapped_column(sa.JSON, default=dict)


class Encryption(Stamped, Base):
    """A type's encryption (recorded: the file backend stores the bytes as given)."""

    __tablename__ = "volume_type_encryption"
    volume_type_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_types.id", ondelete="CASCADE"), primary_key=True)
    encryption_id: Mapped[str] = mapped_column(UUID, unique=True)
    provider: Mapped[str] = mapped_column(NAME)
    cipher: Mapped[str | None] = mapped_column(NAME, nullable=True)
    key_size: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    control_location: Mapped[str] = mapped_column(sa.String(32), default="front-end")


class DefaultType(Stamped, Base):
    """A project's default volume type (3.62 ``/default-types``); absent → the
    configured default (``__DEFAULT__``)."""

    __tablename__ = "volume_default_types"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    volume_type_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_types.id", ondelete="CASCADE"), index=True)
