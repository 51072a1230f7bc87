"""Column types every Block Storage table shares."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Timestamp

UUID = sa.String(36)
PROJECT = sa.String(255)
NAME = sa.String(255)
TEXT = sa.String(1024)


class Stamped:
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
