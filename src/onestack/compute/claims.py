"""Placement allocations seen from compute's side: the consumer that parks a move's source
allocation, and the release of those whose consumer is a deleted instance (or the
``mig-<id>`` consumer of one's move). A delete racing the scheduler's claim can
leave such an allocation behind; the scheduler's resync releases it. Consumers that are
not instances (anything placement's own API created) are never touched."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.placement import seam as placement

MOVE_PREFIX = "mig-"


def move_consumer(instance_id: str) -> str:
    """The consumer that keeps a moving instance's source allocation until confirm/revert."""
    return MOVE_PREFIX + instance_id


def deleted_consumers(s: Session) -> list[str]:
    """Consumers with allocations whose instance is deleted, direct or through a move."""
    deleted = sa.select(cm.Instance.id).where(cm.Instance.deleted.is_(True))
    found = placement.consumers_among(s, deleted)
    moves = {c[len(MOVE_PREFIX):]: c for c in placement.consumers(s, MOVE_PREFIX)}
    if moves:
        gone = s.scalars(sa.select(cm.Instance.id).where(cm.Instance.id.in_(list(moves)),
                                                         cm.Instance.deleted.is_(True)))
        found.update(moves[i] for i in gone)
    return sorted(found)


def release_deleted(s: Session) -> list[str]:
    """Release every allocation ``deleted_consumers`` finds; returns those consumers."""
    found = deleted_consumers(s)
    for consumer in found:
        placement.release(s, consumer)
    return found
