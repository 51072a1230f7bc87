"""A server's block device mappings (Nova's BDMs) for volumes, one typed row each
(``compute_block_devices``). The API writes what was asked (the source, the size, the
boot index, ``delete_on_termination``, the device); the host agent fills in the volume it
made, the attachment and the connection the volume service answered, and moves ``state``:

- ``creating``: a volume to make (image, snapshot or blank source) — the agent asks the
  volume service for it (``volume_id`` written at once) and waits until it is available;
- ``reserved``: an existing (or made) volume to attach — the agent reserves it if
  ``attachment_id`` is empty, connects it, gives it to the guest, completes it;
- ``attached``: the guest has it;
- ``detaching``: the user asked to detach — the agent takes it from the guest, then the
  attachment goes and so does the row.

A ``kill -9`` anywhere leaves a row that says what is still to do."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp

CREATING, RESERVED, ATTACHED, DETACHING = "creating", "reserved", "attached", "detaching"


class BlockDevice(Base):
    __tablename__ = "compute_block_devices"
    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)  # Nova's bdm uuid
    instance_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    source_type: Mapped[str] = mapped_column(sa.String(16))  # volume|image|snapshot|blank
    uuid: Mapped[str | None] = mapped_column(sa.String(64))  # the source's id
    volume_id: Mapped[str | None] = mapped_column(sa.String(36), index=True)
    volume_size: Mapped[int | None] = mapped_column(sa.Integer)
    volume_type: Mapped[str | None] = mapped_column(sa.String(255))
    boot_index: Mapped[int | None] = mapped_column(sa.Integer)
    device_name: Mapped[str | None] = mapped_column(sa.String(255))
    tag: Mapped[str | None] = mapped_column(sa.String(60))
    delete_on_termination: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    attachment_id: Mapped[str | None] = mapped_column(sa.String(36))
    connection_info: Mapped[dict | None] = mapped_column(sa.JSON)
    state: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
