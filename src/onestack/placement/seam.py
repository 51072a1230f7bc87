"""The compute ↔ placement seam: every placement question and claim compute makes, and
nothing else (compute never names placement's tables).

The calls take compute's ``Session`` so that a claim, a release or a move commits or rolls
back with the instance row it is about (one transaction, one database). The claim
primitives themselves are ``placement.service``'s; this module adds the few reads and the
provider removal compute's host APIs need.
"""
from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.placement import models as pm
from onestack.placement.service import (  # noqa: F401 - the seam's claim primitives
    ConsumerConflict, GenerationConflict, Unfit, UnknownProvider, all_inventories,
    all_usages, capacity, claim, ensure_provider, fits, move, release, replace_allocations,
    roomiest, usages)


def lock_provider(s: Session, provider_uuid: str) -> None:
    """Take the provider's row lock before claiming on it. Claims on one provider then
    queue instead of deadlocking (on InnoDB an allocation insert share-locks its provider
    through the foreign key, and the generation bump then needs it exclusively). SQLite
    has one writer anyway."""
    if s.get_bind().dialect.name == "sqlite":
        return  # one writer at a time already: spare the round trip
    s.execute(sa.select(pm.ResourceProvider.id).where(pm.ResourceProvider.uuid == provider_uuid)
              .with_for_update())


def holds(s: Session, consumer: str) -> bool:
    """Whether ``consumer`` has any allocation."""
    return s.scalar(sa.select(pm.Allocation.consumer_uuid)
                    .where(pm.Allocation.consumer_uuid == consumer).limit(1)) is not None


def consumers(s: Session, prefix: str | None = None) -> set[str]:
    """Every consumer holding allocations (those whose id starts with ``prefix``)."""
    q = sa.select(pm.Allocation.consumer_uuid).distinct()
    if prefix is not None:
        q = q.where(pm.Allocation.consumer_uuid.like(prefix + "%"))
    return set(s.scalars(q))


def consumers_among(s: Session, candidates: Any) -> set[str]:
    """The consumers holding allocations whose id is among ``candidates``: ids, or a
    one-column SELECT over the caller's own table (the database matches them, so a large
    cloud's consumers are never read into memory)."""
    return set(s.scalars(sa.select(pm.Allocation.consumer_uuid).distinct()
                         .where(pm.Allocation.consumer_uuid.in_(candidates))))


def provider_in_use(s: Session, provider_uuid: str) -> bool:
    """Whether any consumer holds allocations against the provider."""
    return s.scalar(sa.select(pm.Allocation.consumer_uuid)
                    .where(pm.Allocation.provider_uuid == provider_uuid).limit(1)) is not None


def remove_provider(s: Session, provider_uuid: str) -> None:
    """Forget a provider with its inventory, traits and aggregates (a removed compute
    host's); the caller has checked ``provider_in_use``."""
    for model in (pm.Inventory, pm.ProviderTrait, pm.ProviderAggregate):
        s.execute(sa.delete(model).where(model.provider_uuid == provider_uuid))
    s.execute(sa.delete(pm.ResourceProvider).where(pm.ResourceProvider.uuid == provider_uuid))
