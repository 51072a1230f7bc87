"""The scheduler's reconcile: place an instance that needs a host (new build, resize or
cold migration, unshelve, live migration, evacuation) by filtering hosts, weighing them and
claiming the flavor's resources atomically in placement."""
from __future__ import annotations

import logging
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import claims
from onestack.compute import records
from onestack.compute import states as st
from onestack.core.bus import Bus
from onestack.core.db import Database, utcnow
from onestack.placement import seam as placement

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
NO_VALID_HOST = "No valid host was found. There are not enough hosts available."

# task states that ask the scheduler for a host
PLACING = (st.SCHEDULING, st.RESIZE_PREP, st.MIGRATING, st.UNSHELVING)


@dataclass
class HostView:
    host: str
    uuid: str
    zone: str
    free_ram: float
    free_vcpu: float


SHORTLIST = 64  # providers placement proposes before the filters run


def candidates(s: Session, inst: cm.Instance, wanted: dict[str, int],
               exclude: set[str], only: set[str] | None = None) -> list[HostView]:
    """Hosts that pass every filter, best first (spread: most free RAM); ``only`` limits
    the search to these provider uuids."""
    now = utcnow()
    zones = records.aggregate_zones(s)  # the host rows read below carry their own
    inventories = placement.all_inventories(s, only)
    usages = placement.all_usages(s, only)
    group_hosts: set[str] = set()
    group: cm.ServerGroup | None = None
    if inst.server_group_id:
        group = s.get(cm.ServerGroup, inst.server_group_id)
        if group is not None:
            others = [m for m in group.members or [] if m != inst.id]
            if others:
                group_hosts = {h for h in s.scalars(sa.select(cm.Instance.host).where(
                    cm.Instance.id.in_(others), cm.Instance.deleted.is_(False))) if h}
    force_host = inst.force_host
    out: list[HostView] = []
    host_rows = sa.select(*cm.ComputeHost.__table__.c)
    if only is not None:
        host_rows = host_rows.where(cm.ComputeHost.uuid.in_(only))
    for h in s.execute(host_rows):
        if h.disabled and not force_host:
            continue
        if not records.host_is_up(h, now) or h.host in exclude:
            continue
        if force_host and h.host != force_host:
            continue
        zone = zones.get(h.host, h.zone)
        if inst.requested_az and zone != inst.requested_az:
            continue
        if group is not None:
            count = sum(1 for x in group_hosts if x == h.host)
            if group.policy == "affinity" and group_hosts and h.host not in group_hosts:
                continue
            if group.policy == "anti-affinity":
                limit = int((group.rules or {}).get("max_server_per_host", 1))
                members_here = s.scalar(sa.select(sa.func.count()).select_from(cm.Instance).where(
                    cm.Instance.id.in_(group.members or []), cm.Instance.host == h.host,
                    cm.Instance.deleted.is_(False), cm.Instance.id != inst.id)) or 0
                if members_here >= limit or (limit == 1 and count):
                    continue
        inv = inventories.get(h.uuid, {})
        used = usages.get(h.uuid, {})
        if not placement.fits(inv, used, wanted):
            continue
        ram = inv.get("MEMORY_MB")
        cpu = inv.get("VCPU")
        view = HostView(h.host, h.uuid, zone,
                        placement.capacity(ram) - used.get("MEMORY_MB", 0) if ram else 0,
                        placement.capacity(cpu) - used.get("VCPU", 0) if cpu else 0)
        out.append(view)
    soft = group.policy if group is not None else ""
    def weight(v: HostView) -> tuple:
        bias = 0
        if soft == "soft-affinity":
            bias = -sum(1 for x in group_hosts if x == v.host)
        elif soft == "soft-anti-affinity":
            bias = sum(1 for x in group_hosts if x == v.host)
        return (bias, -v.free_ram, -v.free_vcpu, v.host)
    out.sort(key=weight)
    return out


class Scheduler:
    def __init__(self, db: Database, bus: Bus):
        self.db = db
        self.bus = bus

    def pending(self) -> list[str]:
        return self.db.read(lambda s: list(s.scalars(sa.select(cm.Instance.id).where(
            cm.Instance.deleted.is_(False), cm.Instance.task_state.in_(PLACING),
            cm.Instance.host.is_(None) | (cm.Instance.task_state != st.SCHEDULING))
            .order_by(cm.Instance.created_at))))

    def resync(self) -> list[str]:
        """The periodic pass: release what deleted instances still hold in placement (a
        delete that raced a claim, a crash between the two), then list the pending work."""
        released = []
        if self.db.read(claims.deleted_consumers):  # a read first: writes are rare
            released = self.db.write(claims.release_deleted)
        if released:
            log.info("released the allocations of %d deleted instances", len(released))
        return self.pending()

    def reconcile(self, instance_id: str) -> bool:
        """Place one instance: every step is idempotent, so a scheduler killed anywhere
        in here is simply run again (the claim replaces the consumer's allocations).
        The row, its move, the hosts tried and the filtered hosts are read in one
        transaction; the claim and the placement are written in one more."""
        decision = self.db.read(lambda s: self._decide(s, instance_id))
        if decision is None:
            return True
        inst, wanted, hosts = decision
        moving = inst.task_state in (st.RESIZE_PREP, st.MIGRATING)
        if moving and inst.task_state == st.RESIZE_PREP:
            # same-host resize is allowed; prefer staying when it fits
            hosts.sort(key=lambda v: v.host != inst.host)
        if moving:
            self.db.write(lambda s: _park_source_allocation(s, instance_id))
        for view in hosts:
            placed = self._claim_and_place(inst, view, wanted)
            if placed is None:
                continue  # full meanwhile: the next host
            if placed:
                self.bus.notify("compute." + view.host, instance_id)
            return True
        if moving:
            self.db.write(lambda s: _restore_source_allocation(s, instance_id))
        self.db.write(lambda s: self._no_host(s, instance_id))
        return True

    def _decide(self, s: Session, instance_id: str
                ) -> tuple[cm.Instance, dict[str, int], list[HostView]] | None:
        """The instance, the resources it asks for and the hosts that pass the filters,
        best first; None when it needs no host (anymore)."""
        inst = s.get(cm.Instance, instance_id)
        if inst is None or inst.deleted or inst.task_state not in PLACING:
            return None
        if inst.task_state == st.SCHEDULING and inst.host:
            return None
        if inst.task_state == st.UNSHELVING and inst.vm_state != st.SHELVED_OFFLOADED:
            return None
        # only a move's migration row says anything here (its new flavor, live or not)
        move = records.current_migration(s, instance_id) if inst.task_state in (
            st.RESIZE_PREP, st.MIGRATING) else None
        resizing = inst.task_state == st.RESIZE_PREP and move is not None
        wanted = records.flavor_resources((move.new_flavor if resizing else None)
                                          or inst.flavor)
        exclude = records.tried_hosts(s, instance_id)
        if inst.task_state == st.MIGRATING and not records.is_live(move) and inst.host:
            exclude.add(inst.host)
        return inst, wanted, self._hosts(s, inst, wanted, exclude)

    def _claim_and_place(self, inst: cm.Instance, view: HostView, wanted: dict[str, int],
                         attempts: int = 10) -> bool | None:
        """Claim on the host and write the host in one transaction, so no crash can come
        between the two; the claim replaces whatever the consumer held (a crashed earlier
        attempt's claim). None: it does not fit; False: the instance changed meanwhile."""
        def work(s: Session) -> bool:
            # the provider's lock before the instance's row, as a delete takes them:
            # claims on one provider queue instead of deadlocking
            placement.lock_provider(s, view.uuid)
            row = s.get(cm.Instance, inst.id, with_for_update=True)
            if _still_placing(row, inst.task_state):
                placement.replace_allocations(s, inst.id, {view.uuid: wanted},
                                              inst.project_id, inst.user_id)
            return self._placed(s, inst.id, inst.task_state, view)
        for _ in range(attempts):
            try:
                return self.db.write(work)
            except placement.GenerationConflict:
                continue
            except (placement.Unfit, placement.UnknownProvider):
                return None
        return None

    def _hosts(self, s: Session, inst: cm.Instance, wanted: dict[str, int],
               exclude: set[str]) -> list[HostView]:
        """A plain request looks at placement's shortlist first; one with a zone, a host or
        a group (or whose shortlist all fails the filters) looks at every host."""
        if not (inst.requested_az or inst.force_host or inst.server_group_id):
            if (s.scalar(sa.select(sa.func.count()).select_from(cm.ComputeHost)) or 0) \
                    <= SHORTLIST:
                # the shortlist would be every host with room: filter them all at once
                # and spare the usage aggregate it costs
                return candidates(s, inst, wanted, exclude)
            shortlist = set(placement.roomiest(s, wanted, SHORTLIST))
            found = candidates(s, inst, wanted, exclude, shortlist) if shortlist else []
            if found:
                return found
        return candidates(s, inst, wanted, exclude)

    def _placed(self, s: Session, instance_id: str, expected_task: str | None,
                view: HostView) -> bool:
        """Write the chosen host (on the instance, or on its migration for a move), unless
        the instance changed since it was read: a deleted one gives back what it still
        holds (a claim that raced the API's delete). Nothing read before the claim is
        written back."""
        inst = s.get(cm.Instance, instance_id)
        if inst is not None and inst.deleted:
            placement.release(s, instance_id)
            placement.release(s, claims.move_consumer(instance_id))
            return False
        if not _still_placing(inst, expected_task):
            return False
        if inst.task_state == st.SCHEDULING or inst.task_state == st.UNSHELVING:
            if inst.evacuating:
                records.set_migration(s, inst, "accepted", view.host)
            inst.host, inst.node = view.host, view.host
            inst.availability_zone = view.zone
            inst.task_state = st.SPAWNING
        elif inst.task_state == st.RESIZE_PREP:
            inst.task_state = st.RESIZE_MIGRATING
            records.set_migration(s, inst, "migrating", view.host)
        elif inst.task_state == st.MIGRATING:
            live = records.is_live(records.current_migration(s, inst.id))
            inst.task_state = st.LIVE_MIGRATING if live else st.RESIZE_MIGRATING
            records.set_migration(s, inst, "running" if live else "migrating", view.host,
                                  view.zone)
        inst.updated_at = utcnow()
        records.add_event(s, inst.id, "conductor_schedule_and_build_instances", "Success",
                          view.host)
        return True

    def _no_host(self, s: Session, instance_id: str) -> None:
        inst = s.get(cm.Instance, instance_id)
        if inst is None:
            return
        if inst.task_state in (st.RESIZE_PREP, st.MIGRATING):
            inst.task_state = None  # the move is refused; the server keeps running where it is
            records.set_migration(s, inst, "error")
            records.add_fault(s, inst.id, 500, NO_VALID_HOST)
            records.add_event(s, inst.id, "conductor_migrate_server", "Error", "")
            return
        if inst.task_state == st.UNSHELVING:
            inst.task_state = None
            records.add_fault(s, inst.id, 500, NO_VALID_HOST)
            return
        inst.vm_state, inst.task_state = st.ERROR, None
        inst.updated_at = utcnow()
        records.add_fault(s, inst.id, 500, NO_VALID_HOST)
        records.add_event(s, inst.id, "conductor_schedule_and_build_instances", "Error", "")


def _park_source_allocation(s: Session, instance_id: str) -> None:
    """A move keeps the source allocation under the move consumer until confirm/revert;
    when a crashed attempt already parked it, the instance's own allocation is that
    attempt's claim, which the next claim replaces."""
    parked = claims.move_consumer(instance_id)
    if not placement.holds(s, parked):
        placement.move(s, instance_id, parked)


def _restore_source_allocation(s: Session, instance_id: str) -> None:
    """No host for the move: the instance keeps only its source allocation."""
    parked = claims.move_consumer(instance_id)
    if placement.holds(s, parked):
        placement.release(s, instance_id)
        placement.move(s, parked, instance_id)


def _still_placing(row: cm.Instance | None, task: str | None) -> bool:
    """The row is still waiting for the placement this scheduler is about to make."""
    if row is None or row.deleted or row.task_state != task:
        return False
    return not (row.host and task in (st.SCHEDULING, st.UNSHELVING))
