"""Metering labels and their rules."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.network.models.base import UUID, Standard


class MeteringLabel(Standard, Base):
    __tablename__ = "network_metering_labels"
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class MeteringLabelRule(Standard, Base):
    __tablename__ = "network_metering_label_rules"
    metering_label_id: Mapped[str] = mapped_column(UUID, index=True)
    direction: Mapped[str] = mapped_column(sa.String(8))
    excluded: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    remote_ip_prefix: Mapped[str | None] = mapped_column(sa.String(64))
    source_ip_prefix: Mapped[str | None] = mapped_column(sa.String(64))
    destination_ip_prefix: Mapped[str | None] = mapped_column(sa.String(64))
