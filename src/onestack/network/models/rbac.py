"""RBAC policies: an object (a network, a QoS policy) shared with one project or with all
(``*``). One row per (object type, object, action, target): a unique index makes a second
identical policy impossible, whatever races."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.network.models.base import PROJECT, UUID


class RbacPolicy(Base):
    __tablename__ = "network_rbac_policies"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    project_id: Mapped[str] = mapped_column(PROJECT, index=True, default="")
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str] = mapped_column(UUID, index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    target_tenant: Mapped[str] = mapped_column(PROJECT, index=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    updated_at: Mapped[datetime] = mapped_column(Timestamp)
    revision_number: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    __table_args__ = (sa.UniqueConstraint("object_type", "object_id", "action",
                                          "target_tenant",
                                          name="uq_network_rbac_policies_entry"),)
