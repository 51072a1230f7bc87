"""Placement allocations seen from compute's side: the lock a claim takes on its provider,
whether a consumer holds any, and the release of those whose consumer is a deleted instance
(or the ``mig-<id>`` consumer of one's move). A delete racing the scheduler's claim can
leave such an allocation behind; the scheduler's resync releases it. Consumers that are
not instances (anything placement's own API created) are never touched."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.placement import models as pm
from onestack.placement import service as placement

MOVE_PREFIX = "mig-"


def move_consumer(instance_id: str) -> str:
    """The consumer that keeps a moving instance's source allocation until confirm/revert."""
    return MOVE_PREFIX + instance_id


def lock_provider(s: Session, provider_uuid: str) -> None:
    """Take the provider's row lock before claiming on it. Claims on one provider then
    queue instead of deadlocking (on InnoDB an allocation insert share-locks its provider
    through the foreign key, and the generation bump then needs it exclusively); taken
    before the instance's row, as a delete takes them. SQLite has one writer anyway."""
    if s.get_bind().dialect.name == "sqlite":
        return  # one writer at a time already: spare the round trip
    s.execute(sa.select(pm.ResourceProvider.id).where(pm.ResourceProvider.uuid == provider_uuid)
              .with_for_update())


def holds(s: Session, consumer: str) -> bool:
    return s.scalar(sa.select(pm.Allocation.consumer_uuid)
                    .where(pm.Allocation.consumer_uuid == consumer).limit(1)) is not None


def deleted_consumers(s: Session) -> list[str]:
    """Consumers with allocations whose instance is deleted, direct or through a move."""
    direct = set(s.scalars(sa.select(pm.Allocation.consumer_uuid).distinct()
                           .join(cm.Instance, cm.Instance.id == pm.Allocation.consumer_uuid)
                           .where(cm.Instance.deleted.is_(True))))
    moves = {c[len(MOVE_PREFIX):]: c for c in s.scalars(
        sa.select(pm.Allocation.consumer_uuid).distinct()
        .where(pm.Allocation.consumer_uuid.like(MOVE_PREFIX + "%")))}
    if moves:
        gone = s.scalars(sa.select(cm.Instance.id).where(cm.Instance.id.in_(list(moves)),
                                                         cm.Instance.deleted.is_(True)))
        direct.update(moves[i] for i in gone)
    return sorted(direct)


def release_deleted(s: Session) -> list[str]:
    """Release every allocation ``deleted_consumers`` finds; returns those consumers."""
    found = deleted_consumers(s)
    for consumer in found:
        placement.release(s, consumer)
    return found
