"""Routers: the router rows, which ports are a router's (its gateway and interfaces), its
extra routes, and the topology auto-allocation made for a project."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base
from onestack.network.models.base import PROJECT, UUID, Standard


class Router(Standard, Base):
    """A router. ``gw_port_id`` is its gateway port on ``gw_network_id`` (an external
    network), or None without a gateway."""

    __tablename__ = "network_routers"
    admin_state_up: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="ACTIVE")
    gw_network_id: Mapped[str | None] = mapped_column(UUID, index=True)
    gw_port_id: Mapped[str | None] = mapped_column(UUID)
    enable_snat: Mapped[bool] = mapped_column(sa.Boolean, default=True)
    distributed: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    ha: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    availability_zone_hints: Mapped[list] = mapped_column(sa.JSON, default=list)
    flavor_id: Mapped[str | None] = mapped_column(UUID)


class RouterPort(Base):
    """A port that belongs to a router. The primary key on ``port_id`` alone means a port
    can never be attached to two routers, whatever the races."""

    __tablename__ = "network_router_ports"
    port_id: Mapped[str] = mapped_column(UUID, primary_key=True)
    router_id: Mapped[str] = mapped_column(UUID, index=True)
    port_type: Mapped[str] = mapped_column(sa.String(64))


class RouterRoute(Base):
    """One extra route of a router."""

    __tablename__ = "network_router_routes"
    router_id: Mapped[str] = mapped_column(UUID, primary_key=True)
    destination: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    nexthop: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class AutoAllocatedTopology(Base):
    """What ``GET /v2.0/auto-allocated-topology/{project}`` made for a project; the primary
    key makes a second, racing allocation for the same project fail."""

    __tablename__ = "network_auto_allocated_topologies"
    project_id: Mapped[str] = mapped_column(PROJECT, primary_key=True)
    network_id: Mapped[str] = mapped_column(UUID)
    router_id: Mapped[str | None] = mapped_column(UUID)
