"""Volume backups, their metadata and their chunk index.

A backup's bytes live in the backup store (``volume.backup``) as chunk objects; the index
here says, for every chunk of the volume, which object holds its bytes (``None``: all
zeros, nothing stored) and its sha256. An incremental backup's index names its parent's
objects for the chunks that did not change, so a backup's bytes are whole from its own
index alone; deleting a backup removes only the objects no other index names.

``status`` is the worker's work list as for volumes: ``creating`` (a backup, or an
imported record being checked), ``deleting``, ``restoring`` (a volume is being written
from it).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.volume.models.base import NAME, PROJECT, TEXT, UUID, Stamped


class Backup(Stamped, Base):
    __tablename__ = "volume_backups"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    user_id: Mapped[str] = mapped_column(PROJECT, default="")
    volume_id: Mapped[str] = mapped_column(UUID, index=True)
    snapshot_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    # the backup service host that holds it (``cinder-backup`` service's host)
    host: Mapped[str] = mapped_column(NAME, default="", index=True)
    availability_zone: Mapped[str | None] = mapped_column(NAME, nullable=True)
    name: Mapped[str | None] = mapped_column(NAME, nullable=True)
    description: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    container: Mapped[str | None] = mapped_column(NAME, nullable=True)
    status: Mapped[str] = mapped_column(sa.String(32), index=True)
    # what the worker does for ``creating``: "backup" (read the volume) or "import"
    task: Mapped[str] = mapped_column(sa.String(16), default="backup")
    fail_reason: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    service: Mapped[str] = mapped_column(NAME, default="")  # the store's driver name
    size: Mapped[int] = mapped_column(sa.Integer, default=0)  # GiB, the volume's
    object_count: Mapped[int] = mapped_column(sa.Integer, default=0)
    chunk_size: Mapped[int] = mapped_column(sa.Integer, default=0)  # bytes per chunk
    parent_id: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    num_dependent_backups: Mapped[int] = mapped_column(sa.Integer, default=0)
    data_timestamp: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
    # the volume a restore writes (``restoring``)
    restore_volume_id: Mapped[str | None] = mapped_column(UUID, nullable=True)
    # the source volume's metadata, bootable and image metadata, given to restored volumes
    volume_meta: Mapped[dict | None] = mapped_column(sa.JSON, nullable=True)
    use_quota: Mapped[bool] = mapped_column(sa.Boolean, default=True)


class BackupMetadata(Base):
    """The user's backup ``metadata`` (3.43)."""

    __tablename__ = "volume_backup_metadata"
    backup_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_backups.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(NAME, primary_key=True)
    value: Mapped[str] = mapped_column(sa.String(255), default="")


class BackupChunk(Base):
    """Chunk ``idx`` of a backup: ``length`` bytes from ``idx * chunk_size``, held by the
    store object ``object`` (None: zeros) with this ``sha256``."""

    __tablename__ = "volume_backup_chunks"
    backup_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("volume_backups.id", ondelete="CASCADE"), primary_key=True)
    idx: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=False)
    length: Mapped[int] = mapped_column(sa.Integer)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    object: Mapped[str | None] = mapped_column(NAME, nullable=True, index=True)
