"""Volumes, their three kinds of metadata and their attachments.

``status`` is both what the API shows and the agent's work list (see ``volume.states``).
``host`` is the backend the scheduler placed the volume on (``host@backend#pool``, as
Cinder spells it); the agent serving that backend is the only writer of statuses that
end a busy step. Sizes are GiB, as in the API.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.volume.models.base import NAME, PROJECT, TEXT, UUID, Stamped


class Volume(Stamped, Base):
    __tablename__ = "volume_volumes"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    user_id: Mapped[str] = mapped_column(PROJECT, default="")
    name: Mapped[str | None] = mapped_column(NAME, nullable=True)
    description: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    size: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)
    attach_status: Mapped[str] = mapped_column(sa.String(32), default="detached")
    migration_status: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    previous_status: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    availability_zone: Mapped[str] = mapped_column(NAME, default="nova")
    # the backend (``host@backend#pool``); empty until scheduled
    host: Mapped[str] = mapped_column(NAME, default="", index=True)
    volume_type_id: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    # where the bytes come from when creating: at most one of these is set
    snapshot_id: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    source_volid: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    image_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    backup_id: Mapped[str | None] = mapped_column(UUID, nullable=True)  # restore target
    bootable: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    multiattach: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    replication_status: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    group_id: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    # what the driver says locates the bytes (a file name for the file backend)
    provider_location: Mapped[str | None] = mapped_column(NAME, nullable=True)
    # extend: the size the agent grows the volume to; upload: the image being written
    target_size: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    task_image_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    use_quota: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    launched_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)


class _KeyValue:
    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255), default="")


class VolumeMetadata(_KeyValue, Base):
    """The user's ``metadata``."""

    __tablename__ = "volume_metadata"
    volume_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_volumes.id", ondelete="CASCADE"), primary_key=True)


class VolumeAdminMetadata(_KeyValue, Base):
    """What only the service and admins write (``readonly``, ``attached_mode``)."""

    __tablename__ = "volume_admin_metadata"
    volume_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_volumes.id", ondelete="CASCADE"), primary_key=True)


class VolumeImageMetadata(_KeyValue, Base):
    """``volume_image_metadata``: the source image's properties, carried to images
    uploaded from the volume and to servers booted from it."""

    __tablename__ = "volume_image_metadata"
    volume_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_volumes.id", ondelete="CASCADE"), primary_key=True)


class Attachment(Stamped, Base):
    """One attachment of a volume to a server (a multiattach volume has several). The
    connector is what the consumer (a compute host) sent; ``connection_info`` is what
    the volume driver answered: all a virt driver needs to reach the bytes."""

    __tablename__ = "volume_attachments"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    volume_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_volumes.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[str] = mapped_column(PROJECT, default="")
    instance_uuid: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    attached_host: Mapped[str | None] = mapped_column(NAME, nullable=True)
    mountpoint: Mapped[str | None] = mapped_column(NAME, nullable=True)
    # reserved → attaching → attached → detaching (then the row goes)
    attach_status: Mapped[str] = mapped_column(sa.String(32), default="reserved")
    attach_mode: Mapped[str] = mapped_column(sa.String(8), default="rw")
    connector: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    connection_info: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    attach_time: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    detach_time: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
