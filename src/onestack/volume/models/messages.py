"""User messages (Cinder's ``/messages``): what went wrong with a user's asynchronous
request (no valid backend, a failed image download, …), readable by the project."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.volume.models.base import NAME, PROJECT, TEXT, UUID


class Message(Base):
    __tablename__ = "volume_messages"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)
    request_id: Mapped[str] = mapped_column(NAME, default="")
    resource_type: Mapped[str] = mapped_column(sa.String(64))  # VOLUME, VOLUME_SNAPSHOT, …
    resource_uuid: Mapped[str | None] = mapped_column(UUID, nullable=True, index=True)
    event_id: Mapped[str] = mapped_column(sa.String(64))  # VOLUME_VOLUME_001_003
    message_level: Mapped[str] = mapped_column(sa.String(16), default="ERROR")
    user_message: Mapped[str] = mapped_column(TEXT)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp, index=True)  # guaranteed_until
