"""Backends (Cinder's ``cinder-volume`` services and their pools) and the other services
``os-services`` lists. A volume agent registers its backend and heartbeats; the scheduler
places a volume on a backend by claiming capacity with one conditional UPDATE, so two
API replicas racing for the last GiB cannot both win."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp
from onestack.volume.models.base import NAME, TEXT, Stamped


class Backend(Stamped, Base):
    __tablename__ = "volume_backends"
    # ``host@backend#pool`` (one pool per backend here)
    name: Mapped[str] = mapped_column(NAME, primary_key=True)
    host: Mapped[str] = mapped_column(NAME, index=True)  # the agent's host
    backend: Mapped[str] = mapped_column(NAME)  # volume_backend_name
    driver: Mapped[str] = mapped_column(sa.String(64))
    availability_zone: Mapped[str] = mapped_column(NAME, default="nova")
    storage_protocol: Mapped[str] = mapped_column(sa.String(32), default="file")
    vendor_name: Mapped[str] = mapped_column(sa.String(64), default="onestack")
    driver_version: Mapped[str] = mapped_column(sa.String(32), default="1.0.0")
    total_capacity_gb: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # what volumes placed here hold (claimed by the scheduler, released on delete)
    allocated_capacity_gb: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # thin provisioning: how far allocations may exceed the total
    max_over_subscription_ratio: Mapped[float] = mapped_column(sa.Float, default=1.0)
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    frozen: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)


class Service(Stamped, Base):
    """``cinder-scheduler``/``cinder-backup`` style entries of ``os-services`` (the volume
    service entries are the backends)."""

    __tablename__ = "volume_services"
    binary: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    host: Mapped[str] = mapped_column(NAME, primary_key=True)
    availability_zone: Mapped[str] = mapped_column(NAME, default="nova")
    disabled: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(TEXT, nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(Timestamp, nullable=True)
