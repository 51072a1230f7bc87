"""QoS policies and their rules. ``default_for`` holds the project of a policy marked
``is_default`` (NULL otherwise) under a unique index: one default per project, whatever
races. A rule is unique per (policy, type, direction)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.network.models.base import PROJECT, UUID, Standard


class QosPolicy(Standard, Base):
    __tablename__ = "network_qos_policies"
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    default_for: Mapped[str | None] = mapped_column(PROJECT, nullable=True, unique=True)


class QosRule(Base):
    __tablename__ = "network_qos_rules"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    qos_policy_id: Mapped[str] = mapped_column(UUID, index=True)
    type: Mapped[str] = mapped_column(sa.String(32))
    direction: Mapped[str] = mapped_column(sa.String(16), default="")
    max_kbps: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    max_burst_kbps: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    dscp_mark: Mapped[int | None] = mapped_column(sa.Integer, nullable=True)
    min_kbps: Mapped[int | None] = mapped_column(sa.BigInteger, nullable=True)
    __table_args__ = (sa.UniqueConstraint("qos_policy_id", "type", "direction",
                                          name="uq_network_qos_rules_kind"),)
