"""Resource claims with placement semantics.

Capacity of a resource class on a provider is ``(total - reserved) * allocation_ratio``.
A claim reads the provider's generation, checks capacity against current usage, writes the
allocations and bumps the generation only if nobody else did meanwhile (compare-and-swap);
a lost race retries from a fresh read. So concurrent schedulers — threads or replicas on
MariaDB/PostgreSQL — never over-commit a provider.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.placement import models as pm

STANDARD_CLASSES = ["VCPU", "MEMORY_MB", "DISK_GB", "PCPU", "SRIOV_NET_VF", "NUMA_SOCKET",
                    "NUMA_CORE", "NUMA_THREAD", "NUMA_MEMORY_MB", "IPV4_ADDRESS", "VGPU",
                    "VGPU_DISPLAY_HEAD", "NET_BW_EGR_KILOBIT_PER_SEC",
                    "NET_BW_IGR_KILOBIT_PER_SEC", "PCI_DEVICE", "MEM_ENCRYPTION_CONTEXT"]


class GenerationConflict(Exception):
    """Another writer changed the provider between our read and our write."""


@dataclass
class Capacity:
    total: float
    used: int

    @property
    def free(self) -> float:
        return self.total - self.used


def capacity(inv: pm.Inventory) -> float:
    return (inv.total - inv.reserved) * inv.allocation_ratio


def usages(s: Session, provider_uuid: str) -> dict[str, int]:
    rows = s.execute(sa.select(pm.Allocation.resource_class, sa.func.sum(pm.Allocation.used))
                     .where(pm.Allocation.provider_uuid == provider_uuid)
                     .group_by(pm.Allocation.resource_class))
    return {rc: int(total or 0) for rc, total in rows}


def all_usages(s: Session, only: set[str] | None = None) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    q = sa.select(pm.Allocation.provider_uuid, pm.Allocation.resource_class,
                  sa.func.sum(pm.Allocation.used))
    if only is not None:
        q = q.where(pm.Allocation.provider_uuid.in_(only))
    rows = s.execute(q.group_by(pm.Allocation.provider_uuid, pm.Allocation.resource_class))
    for provider, rc, total in rows:
        out.setdefault(provider, {})[rc] = int(total or 0)
    return out


def all_inventories(s: Session, only: set[str] | None = None
                    ) -> dict[str, dict[str, pm.Inventory]]:
    """Every provider's inventory rows (plain rows with the Inventory columns: the scheduler
    reads thousands of them per decision, so no ORM objects)."""
    out: dict[str, dict[str, pm.Inventory]] = {}
    q = sa.select(*pm.Inventory.__table__.c)
    if only is not None:
        q = q.where(pm.Inventory.provider_uuid.in_(only))
    for inv in s.execute(q):
        out.setdefault(inv.provider_uuid, {})[inv.resource_class] = inv
    return out


def fits(inventories: dict[str, pm.Inventory], used: dict[str, int],
         wanted: dict[str, int]) -> bool:
    for rc, amount in wanted.items():
        if amount <= 0:
            continue
        inv = inventories.get(rc)
        if inv is None or amount > inv.max_unit or amount < inv.min_unit:
            return False
        if used.get(rc, 0) + amount > capacity(inv):
            return False
    return True


def roomiest(s: Session, wanted: dict[str, int], limit: int) -> list[str]:
    """Up to ``limit`` providers with room for ``wanted``, most free memory first — found by
    the database, so a decision does not read every provider of a large cloud."""
    wanted = {rc: n for rc, n in wanted.items() if n > 0}
    if not wanted:
        return []
    used = (sa.select(pm.Allocation.provider_uuid, pm.Allocation.resource_class,
                      sa.func.sum(pm.Allocation.used).label("used"))
            .group_by(pm.Allocation.provider_uuid, pm.Allocation.resource_class).subquery())
    inv = pm.Inventory
    free = (inv.total - inv.reserved) * inv.allocation_ratio - sa.func.coalesce(used.c.used, 0)
    fits_one = sa.or_(*[sa.and_(inv.resource_class == rc, free >= n, inv.max_unit >= n,
                                inv.min_unit <= n) for rc, n in wanted.items()])
    ram = sa.func.max(sa.case((inv.resource_class == "MEMORY_MB", free), else_=0))
    q = (sa.select(inv.provider_uuid)
         .outerjoin(used, sa.and_(used.c.provider_uuid == inv.provider_uuid,
                                  used.c.resource_class == inv.resource_class))
         .where(fits_one).group_by(inv.provider_uuid)
         .having(sa.func.count() == len(wanted))
         .order_by(ram.desc(), inv.provider_uuid).limit(limit))
    return list(s.scalars(q))


def ensure_provider(s: Session, uuid: str, name: str, inventory: dict[str, dict]) -> None:
    """Create or refresh a provider and its inventory (what a compute agent reports)."""
    rp = s.scalar(sa.select(pm.ResourceProvider).where(pm.ResourceProvider.uuid == uuid))
    now = utcnow()
    if rp is None:
        rp = pm.ResourceProvider(uuid=uuid, name=name, generation=0, root_uuid=uuid,
                                 created_at=now, updated_at=now)
        s.add(rp)
        s.flush()
    changed = False
    current = {i.resource_class: i for i in s.scalars(
        sa.select(pm.Inventory).where(pm.Inventory.provider_uuid == uuid))}
    for rc, fields in inventory.items():
        inv = current.get(rc)
        if inv is None:
            s.add(pm.Inventory(provider_uuid=uuid, resource_class=rc, **fields))
            changed = True
        elif any(getattr(inv, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(inv, k, v)
            changed = True
    if changed:
        rp.generation += 1
        rp.updated_at = now


class Unfit(Exception):
    """The request does not fit on a provider (capacity, min/max unit, unknown class)."""

    def __init__(self, provider_uuid: str):
        super().__init__(provider_uuid)
        self.provider_uuid = provider_uuid


class UnknownProvider(Exception):
    """An allocation names a provider that does not exist."""

    def __init__(self, provider_uuid: str):
        super().__init__(provider_uuid)
        self.provider_uuid = provider_uuid


class ConsumerConflict(Exception):
    """The consumer's generation is not the one the writer read."""


def _generations(s: Session, providers: set[str]) -> dict[str, int]:
    rows = dict(s.execute(sa.select(pm.ResourceProvider.uuid, pm.ResourceProvider.generation)
                          .where(pm.ResourceProvider.uuid.in_(providers))).all())
    return {uuid: int(gen) for uuid, gen in rows.items()}


def _swap_generations(s: Session, seen: dict[str, int]) -> None:
    """Bump each provider's generation only where it is still the one read at the start:
    a concurrent writer that committed meanwhile makes this raise, so the transaction rolls
    back and the caller retries from a fresh read."""
    for uuid, generation in sorted(seen.items()):
        bumped = s.execute(sa.update(pm.ResourceProvider)
                           .where(pm.ResourceProvider.uuid == uuid,
                                  pm.ResourceProvider.generation == generation)
                           .values(generation=generation + 1, updated_at=utcnow())).rowcount
        if bumped != 1:
            raise GenerationConflict(uuid)


def _swap_consumer(s: Session, consumer: str, project_id: str, user_id: str,
                   expected: int | None, check: bool, keep: bool) -> None:
    """Create, bump or drop the consumer row; with ``check`` its generation must be
    ``expected`` (None: the consumer must not exist yet), compared and swapped."""
    row = s.get(pm.Consumer, consumer)
    if check and (row.generation if row is not None else None) != expected:
        raise ConsumerConflict(consumer)
    if row is None:
        if keep:
            s.add(pm.Consumer(uuid=consumer, project_id=project_id, user_id=user_id,
                              generation=1 if check else 0))
        return
    if not keep:
        s.execute(sa.delete(pm.Consumer).where(pm.Consumer.uuid == consumer))
        return
    swapped = s.execute(sa.update(pm.Consumer).where(pm.Consumer.uuid == consumer,
                                                     pm.Consumer.generation == row.generation)
                        .values(generation=row.generation + 1, project_id=project_id,
                                user_id=user_id)).rowcount
    if swapped != 1:
        raise ConsumerConflict(consumer)


def _allocate(s: Session, consumer: str, provider_uuid: str, wanted: dict[str, int],
              project_id: str, user_id: str) -> None:
    """Add the consumer's allocations on one provider if they fit its free capacity (as read
    in this transaction; the caller's generation swap catches a concurrent writer)."""
    inventories = {i.resource_class: i for i in s.scalars(
        sa.select(pm.Inventory).where(pm.Inventory.provider_uuid == provider_uuid))}
    if not fits(inventories, usages(s, provider_uuid), wanted):
        raise Unfit(provider_uuid)
    for rc, amount in wanted.items():
        if amount > 0:
            s.add(pm.Allocation(consumer_uuid=consumer, provider_uuid=provider_uuid,
                                resource_class=rc, used=amount, project_id=project_id,
                                user_id=user_id))


def replace_allocations(s: Session, consumer: str, allocations: dict[str, dict[str, int]],
                        project_id: str, user_id: str, *, consumer_generation: int | None = None,
                        check_consumer: bool = False) -> None:
    """Replace every allocation of ``consumer`` with ``allocations`` (provider uuid →
    resource class → amount), all or nothing: provider generations are read first and
    compared-and-swapped last, so no concurrent writer can over-commit a provider.
    Raises ``UnknownProvider``, ``Unfit``, ``ConsumerConflict`` or ``GenerationConflict``
    (the caller's transaction must then roll back)."""
    previous = set(s.scalars(sa.select(pm.Allocation.provider_uuid)
                             .where(pm.Allocation.consumer_uuid == consumer)))
    seen = _generations(s, set(allocations) | previous)
    for uuid in allocations:
        if uuid not in seen:
            raise UnknownProvider(uuid)
    s.execute(sa.delete(pm.Allocation).where(pm.Allocation.consumer_uuid == consumer))
    s.flush()
    for uuid, wanted in allocations.items():
        _allocate(s, consumer, uuid, wanted, project_id, user_id)
    _swap_consumer(s, consumer, project_id, user_id, consumer_generation, check_consumer,
                   keep=bool(allocations))
    s.flush()
    _swap_generations(s, seen)


def _claim_once(s: Session, consumer: str, project_id: str, user_id: str, provider_uuid: str,
                wanted: dict[str, int], replace: bool) -> None:
    if replace:
        replace_allocations(s, consumer, {provider_uuid: wanted}, project_id, user_id)
        return
    seen = _generations(s, {provider_uuid})
    if provider_uuid not in seen:
        raise UnknownProvider(provider_uuid)
    _allocate(s, consumer, provider_uuid, wanted, project_id, user_id)
    if s.get(pm.Consumer, consumer) is None:
        s.add(pm.Consumer(uuid=consumer, project_id=project_id, user_id=user_id, generation=0))
    s.flush()
    _swap_generations(s, seen)


def claim(db: Database, consumer: str, project_id: str, user_id: str, provider_uuid: str,
          wanted: dict[str, int], replace: bool = False, attempts: int = 10) -> bool:
    """Allocate ``wanted`` on the provider for the consumer; False when it does not fit.
    With ``replace`` the consumer's allocations anywhere are replaced (idempotent: a retried
    claim never leaves two allocations)."""
    for _ in range(attempts):
        try:
            db.write(lambda s: _claim_once(s, consumer, project_id, user_id, provider_uuid,
                                           wanted, replace))
            return True
        except GenerationConflict:
            continue
        except (Unfit, UnknownProvider):
            return False
    return False


def release(s: Session, consumer: str) -> None:
    providers = set(s.scalars(sa.select(pm.Allocation.provider_uuid)
                              .where(pm.Allocation.consumer_uuid == consumer)))
    s.execute(sa.delete(pm.Allocation).where(pm.Allocation.consumer_uuid == consumer))
    s.execute(sa.delete(pm.Consumer).where(pm.Consumer.uuid == consumer))
    if providers:
        s.execute(sa.update(pm.ResourceProvider).where(pm.ResourceProvider.uuid.in_(providers))
                  .values(generation=pm.ResourceProvider.generation + 1))


def move(s: Session, source_consumer: str, target_consumer: str) -> None:
    """Hand a consumer's allocations to another consumer id (resize/migration bookkeeping)."""
    s.execute(sa.update(pm.Allocation).where(pm.Allocation.consumer_uuid == source_consumer)
              .values(consumer_uuid=target_consumer))
