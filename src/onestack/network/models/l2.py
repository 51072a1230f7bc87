"""Networks and what hangs off them at layer 2."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.network.models.base import NAME, Standard


class Network(Standard, Base):
    __tablename__ = "network_networks"
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="ACTIVE")
    shared: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    router_external: Mapped[bool] = mapped_column(sa.Boolean, default=False, index=True)
    is_default: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    mtu: Mapped[int] = mapped_column(sa.Integer, default=1500)
    port_security_enabled: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    dns_domain: Mapped[str] = mapped_column(NAME, default="")
    availability_zone_hints: Mapped[list] = mapped_column(sa.JSON, default=list)
    # the first segment's provider attributes (all of them: see network_segments)
    provider_network_type: Mapped[str | None] = mapped_column(sa.String(32))
    provider_physical_network: Mapped[str | None] = mapped_column(sa.String(64))
    provider_segmentation_id: Mapped[int | None] = mapped_column(sa.Integer)
    qos_policy_id: Mapped[str | None] = mapped_column(sa.String(36))
