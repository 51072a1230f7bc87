"""The network agents of each host (one row per agent type and host, as Neutron keeps
them) and what is scheduled to them: networks to DHCP agents, routers to L3 agents."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.network.models.base import NAME, UUID


class Agent(Base):
    """``heartbeat_timestamp`` is the only column the agent writes after registering;
    ``admin_state_up`` and ``description`` are the operator's (the API's)."""

    __tablename__ = "network_agents"
    id: Mapped[str] = mapped_column(UUID, primary_key=True)
    agent_type: Mapped[str] = mapped_column(sa.String(64))
    binary: Mapped[str] = mapped_column(sa.String(64))
    topic: Mapped[str] = mapped_column(sa.String(64))
    host: Mapped[str] = mapped_column(NAME, index=True)
    availability_zone: Mapped[str | None] = mapped_column(NAME)
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    description: Mapped[str | None] = mapped_column(NAME)
    configurations: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    resource_versions: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    load: Mapped[int] = mapped_column(sa.Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    started_at: Mapped[datetime] = mapped_column(Timestamp)
    heartbeat_timestamp: Mapped[datetime] = mapped_column(Timestamp)
    __table_args__ = (sa.UniqueConstraint("agent_type", "host",
                                          name="uq_network_agents_type_host"),)


class DhcpBinding(Base):
    """A network served by a DHCP agent."""

    __tablename__ = "network_dhcp_agent_bindings"
    network_id: Mapped[str] = mapped_column(UUID, primary_key=True)
    agent_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_agents.id", ondelete="CASCADE"), primary_key=True,
        index=True)


class L3Binding(Base):
    """The L3 agent hosting a router (one per router: the primary key says so)."""

    __tablename__ = "network_router_l3_agent_bindings"
    router_id: Mapped[str] = mapped_column(UUID, primary_key=True)
    agent_id: Mapped[str] = mapped_column(
        UUID, sa.ForeignKey("network_agents.id", ondelete="CASCADE"), index=True)
