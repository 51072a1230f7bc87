"""Volume transfers: a volume offered by its project to whoever presents the auth key.
The key is shown once, at create; only a salted hash of it is kept."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.volume.models.base import NAME, PROJECT, UUID, Stamped


class Transfer(Stamped, Base):
    __tablename__ = "volume_transfers"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    # one open transfer per volume
    volume_id: Mapped[str] = mapped_column(UUID, unique=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True)  # the source project
    name: Mapped[str | None] = mapped_column(NAME, nullable=True)
    salt: Mapped[str] = mapped_column(sa.String(64))
    crypt_hash: Mapped[str] = mapped_column(sa.String(128))
    no_snapshots: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    destination_project_id: Mapped[str | None] = mapped_column(PROJECT, nullable=True)
    accepted: Mapped[bool] = mapped_column(sa.Boolean, default=False)
