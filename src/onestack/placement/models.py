"""Placement tables: resource providers with inventories, allocations claimed against them,
traits. A provider's ``generation`` changes on every write, so concurrent claimers detect
each other (compare-and-swap) and never over-commit."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from onestack.core.db import Base, Timestamp

ID = sa.String(64)


class ResourceProvider(Base):
    __tablename__ = "placement_providers"
    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True, autoincrement=True)
    uuid: Mapped[str] = mapped_column(ID, unique=True)
    name: Mapped[str] = mapped_column(sa.String(255), unique=True)
    generation: Mapped[int] = mapped_column(sa.Integer, default=0)
    parent_uuid: Mapped[str | None] = mapped_column(ID)
    root_uuid: Mapped[str | None] = mapped_column(ID)
    created_at: Mapped[datetime | None] = mapped_column(Timestamp)
    updated_at: Mapped[datetime | None] = mapped_column(Timestamp)


class Inventory(Base):
    __tablename__ = "placement_inventories"
    provider_uuid: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("placement_providers.uuid", ondelete="CASCADE"), primary_key=True)
    resource_class: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    total: Mapped[int] = mapped_column(sa.Integer)
    reserved: Mapped[int] = mapped_column(sa.Integer, default=0)
    min_unit: Mapped[int] = mapped_column(sa.Integer, default=1)
    max_unit: Mapped[int] = mapped_column(sa.Integer)
    step_size: Mapped[int] = mapped_column(sa.Integer, default=1)
    allocation_ratio: Mapped[float] = mapped_column(sa.Float, default=1.0)


class Allocation(Base):
    __tablename__ = "placement_allocations"
    consumer_uuid: Mapped[str] = mapped_column(ID, primary_key=True)
    provider_uuid: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("placement_providers.uuid", ondelete="CASCADE"), primary_key=True,
        index=True)
    resource_class: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    used: Mapped[int] = mapped_column(sa.Integer)
    project_id: Mapped[str | None] = mapped_column(ID)
    user_id: Mapped[str | None] = mapped_column(ID)


class Consumer(Base):
    __tablename__ = "placement_consumers"
    uuid: Mapped[str] = mapped_column(ID, primary_key=True)
    project_id: Mapped[str] = mapped_column(ID)
    user_id: Mapped[str] = mapped_column(ID)
    generation: Mapped[int] = mapped_column(sa.Integer, default=0)
    consumer_type: Mapped[str] = mapped_column(sa.String(64), default="INSTANCE")


class ProviderTrait(Base):
    __tablename__ = "placement_provider_traits"
    provider_uuid: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("placement_providers.uuid", ondelete="CASCADE"), primary_key=True)
    trait: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class CustomTrait(Base):
    __tablename__ = "placement_traits"
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class CustomResourceClass(Base):
    __tablename__ = "placement_resource_classes"
    name: Mapped[str] = mapped_column(sa.String(255), primary_key=True)


class ProviderAggregate(Base):
    __tablename__ = "placement_provider_aggregates"
    provider_uuid: Mapped[str] = mapped_column(
        ID, sa.ForeignKey("placement_providers.uuid", ondelete="CASCADE"), primary_key=True)
    aggregate_uuid: Mapped[str] = mapped_column(ID, primary_key=True)
