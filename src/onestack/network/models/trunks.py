"""Trunks. ``network_trunk_ports`` holds every port a trunk uses — its parent and its
subports — keyed by the port: a port belongs to at most one trunk, in one role, whatever
races; a (segmentation type, id) is unique within a trunk."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.network.models.base import UUID, Standard


class Trunk(Standard, Base):
    __tablename__ = "network_trunks"
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    port_id: Mapped[str] = mapped_column(UUID, index=True)


class TrunkPort(Base):
    __tablename__ = "network_trunk_ports"
    port_id: Mapped[str] = mapped_column(UUID, primary_key=True)
    trunk_id: Mapped[str] = mapped_column(UUID, index=True)
    is_parent: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    segmentation_type: Mapped[str | None] = mapped_column(sa.String(32), nullable=True)
    segmentation_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    __table_args__ = (sa.UniqueConstraint("trunk_id", "segmentation_type", "segmentation_id",
                                          name="uq_network_trunk_ports_segmentation"),)
