"""Floating IPs and their port forwardings."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.network.models.base import NAME, UUID, Standard


class FloatingIP(Standard, Base):
    """A floating IP: an address held by ``floating_port_id`` (a port on the external
    network), associated with a port's fixed IP or with nothing. One fixed IP gets at most
    one floating IP per external network (a unique index)."""

    __tablename__ = "network_floatingips"
    floating_network_id: Mapped[str] = mapped_column(UUID, index=True)
    floating_ip_address: Mapped[str] = mapped_column(sa.String(64))
    floating_port_id: Mapped[str | None] = mapped_column(UUID)
    fixed_port_id: Mapped[str | None] = mapped_column(UUID, index=True)
    fixed_ip_address: Mapped[str | None] = mapped_column(sa.String(64))
    router_id: Mapped[str | None] = mapped_column(UUID, index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="DOWN")
    dns_name: Mapped[str] = mapped_column(NAME, default="")
    dns_domain: Mapped[str] = mapped_column(NAME, default="")
    __table_args__ = (
        sa.UniqueConstraint("floating_network_id", "fixed_port_id", "fixed_ip_address",
                            name="uq_network_floatingips_fixed"),
        sa.UniqueConstraint("floating_network_id", "floating_ip_address",
                            name="uq_network_floatingips_address"),
    )


class PortForwarding(Base):
    """A port forwarding of a floating IP: traffic to (floating IP, external port range,
    protocol) goes to (internal IP of a port, internal port range)."""

    __tablename__ = "network_port_forwardings"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    floatingip_id: Mapped[str] = mapped_column(UUID, index=True)
    internal_port_id: Mapped[str] = mapped_column(UUID, index=True)
    internal_ip_address: Mapped[str] = mapped_column(sa.String(64))
    protocol: Mapped[str] = mapped_column(sa.String(8))
    external_port_start: Mapped[int] = mapped_column(sa.Integer)
    external_port_end: Mapped[int] = mapped_column(sa.Integer)
    internal_port_start: Mapped[int] = mapped_column(sa.Integer)
    internal_port_end: Mapped[int] = mapped_column(sa.Integer)
    description: Mapped[str] = mapped_column(NAME, default="")
    __table_args__ = (
        sa.UniqueConstraint("floatingip_id", "protocol", "external_port_start",
                            name="uq_network_port_forwardings_external"),
        sa.UniqueConstraint("internal_port_id", "internal_ip_address", "protocol",
                            "internal_port_start", name="uq_network_port_forwardings_internal"),
    )
