"""Network segments: how each network is carried (flat, vlan, vxlan, geneve, local).

``allocation`` is the segment's claim on the wire ("vlan:physnet1:1001",
"vxlan::42", "flat:public:"): a unique index makes two networks on the same
(type, physnet, segmentation id) impossible on every database, whatever the number of API
replicas racing for it. Local segments claim nothing (NULL, which a unique index allows
many times).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.network.models.base import NAME, PROJECT, UUID


class Segment(Base):
    __tablename__ = "network_segments"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, default="")
    network_id: Mapped[str] = mapped_column(UUID, index=True)
    name: Mapped[str | None] = mapped_column(NAME, nullable=True)
    description: Mapped[str] = mapped_column(NAME, default="")
    network_type: Mapped[str] = mapped_column(sa.String(32))
    physical_network: Mapped[str | None] = mapped_column(sa.String(64), nullable=True)
    segmentation_id: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    segment_index: Mapped[int] = mapped_column(sa.Integer, default=0)
    allocation: Mapped[str | None] = mapped_column(sa.String(128), nullable=True,
                                                   unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    revision_number: Mapped[int] = mapped_column(sa.BigInteger, default=0)
