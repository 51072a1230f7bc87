"""The host agent: registers the host, beats, and converges every instance that concerns
this host, level-triggered. ``reconcile(id)`` re-reads the row and what the driver reports
and takes the next idempotent step: the asked-for task, the destruction of a stray, or the
power-state sync of an idle instance. ``resync()`` is one full pass: it lists what the
driver runs and what the database says should run here and reconciles every id where the
two differ or work is asked for."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.agent import observe
from onestack.compute.agent import volumes as volume_steps
from onestack.compute.agent.filling import detaches_to_finish
from onestack.compute.agent.moves import MoveSteps
from onestack.compute.agent.tasks import SIMPLE_ACTIONS, TaskSteps
from onestack.compute.drivers.base import NOSTATE, DriverError, InstanceNotFound, VirtDriver
from onestack.compute.seams import ImageSeam
from onestack.core.bus import Bus
from onestack.core.db import Database, new_id, utcnow
from onestack.placement import seam as placement

log = logging.getLogger(__name__)
# tasks another component carries out (the scheduler); the agent leaves these rows alone
NOT_MINE = frozenset({st.SCHEDULING, st.RESIZE_PREP, st.MIGRATING, st.UNSHELVING})
INCOMING = (st.RESIZE_MIGRATING, st.LIVE_MIGRATING)  # moves that may land here
# the columns the full comparison reads (``observe`` takes these rows like instances)
SLIM = sa.select(cm.Instance.id, cm.Instance.host, cm.Instance.deleted,
                 cm.Instance.task_state, cm.Instance.vm_state, cm.Instance.power_state,
                 cm.Migration.source_compute, cm.Migration.dest_compute).outerjoin(
    cm.Migration, cm.Migration.id == records.newest_migration_id())


class HostAgent(TaskSteps, MoveSteps):
    def __init__(self, db: Database, bus: Bus, host: str, driver: VirtDriver,
                 zone: str = "nova", images: ImageSeam | None = None):
        """``images``: the image service's seam (snapshots, shelved images); None when the
        cloud has no image service: snapshots then store nothing."""
        self.db = db
        self.bus = bus
        self.host = host
        self.driver = driver
        self.zone = zone
        self.images = images

    # --- registration and heartbeat ------------------------------------------
    def register(self) -> str:
        res = self.driver.host_resources()

        def work(s: Session) -> str:
            h = s.scalar(sa.select(cm.ComputeHost).where(cm.ComputeHost.host == self.host))
            now = utcnow()
            if h is None:
                h = cm.ComputeHost(uuid=new_id(), host=self.host, zone=self.zone,
                                   created_at=now, disabled=False, forced_down=False)
                s.add(h)
            h.vcpus, h.memory_mb, h.local_gb = res.vcpus, res.memory_mb, res.disk_gb
            h.hypervisor_type, h.last_seen_at, h.updated_at = res.hypervisor_type, now, now
            s.flush()
            placement.ensure_provider(s, h.uuid, self.host, {
                "VCPU": {"total": res.vcpus, "reserved": 0, "min_unit": 1,
                         "max_unit": res.vcpus, "step_size": 1, "allocation_ratio": 16.0},
                "MEMORY_MB": {"total": res.memory_mb, "reserved": 512, "min_unit": 1,
                              "max_unit": res.memory_mb, "step_size": 1,
                              "allocation_ratio": 1.5},
                "DISK_GB": {"total": res.disk_gb, "reserved": 0, "min_unit": 1,
                            "max_unit": res.disk_gb, "step_size": 1, "allocation_ratio": 1.0},
            })
            return h.uuid

        return self.db.write(work)

    def heartbeat(self) -> None:
        def work(s: Session) -> None:
            s.execute(sa.update(cm.ComputeHost).where(cm.ComputeHost.host == self.host)
                      .values(last_seen_at=utcnow()))
        self.db.write(work)

    def start(self) -> list[str]:
        """After a (re)start: register, and re-adopt the guests the driver still runs; the
        first resync then compares them with the database."""
        self.register()
        return self.driver.recover()

    # --- what to look at ---------------------------------------------------------
    def pending(self) -> list[str]:
        """Instances with a task for this host (the cheap list a wake-up reads)."""
        mine = sa.select(cm.Instance.id).where(
            cm.Instance.host == self.host, cm.Instance.deleted.is_(False),
            cm.Instance.task_state.is_not(None), cm.Instance.task_state.not_in(NOT_MINE))
        incoming = sa.select(cm.Instance.id).join(
            cm.Migration, cm.Migration.id == records.newest_migration_id()).where(
            cm.Instance.deleted.is_(False), cm.Instance.task_state.in_(INCOMING),
            cm.Migration.dest_compute == self.host)
        # one round trip; each half keeps its own index (host, task state)
        both = sa.union_all(mine, incoming)

        def work(s: Session) -> list[str]:
            found = list(s.scalars(both))
            if self.volume is not None:  # idle servers with a volume to (de)attach
                found += volume_steps.wanted_ids(s, self.host)
            found += detaches_to_finish(s, self.host)
            return list(dict.fromkeys(found))
        return self.db.read(work)

    def drifted(self) -> list[str]:
        """The full comparison: pending tasks, guests this host must not run, and idle
        instances whose row disagrees with the power state the driver reports."""
        present = self.driver.list_instances()  # before the rows: a newer row wins

        def work(s: Session) -> dict[str, sa.Row]:
            rows = {r.id: r for r in s.execute(SLIM.where(
                cm.Instance.host == self.host, cm.Instance.deleted.is_(False)))}
            others = [i for i in present if i not in rows]
            for chunk in range(0, len(others), 500):
                rows.update((r.id, r) for r in s.execute(SLIM.where(
                    cm.Instance.id.in_(others[chunk:chunk + 500]))))
            return rows
        rows = self.db.read(work)
        ids = dict.fromkeys(self.pending())
        ids.update((i, None) for i in present if not observe.keeps_copy(
            rows.get(i), self.host, _move_hosts(rows.get(i))))
        idle = [row for row in rows.values() if row.host == self.host and not row.deleted
                and row.task_state is None]
        for row in idle:
            if observe.power_verdict(row.vm_state, row.power_state,
                                     present.get(row.id, NOSTATE)) is not None:
                ids[row.id] = None
        running = [r.id for r in idle if r.id in present]
        ids.update((i, None) for i in self._nic_drift(running))
        ids.update((i, None) for i in self._console_drift(running))
        return list(ids)

    def resync(self) -> list[str]:
        """One full pass, run directly (the worker runs the same list through its
        per-id backoff): returns the ids it reconciled."""
        ids = self.drifted()
        for instance_id in ids:
            try:
                self.reconcile(instance_id)
            except DriverError:  # one guest the hypervisor refuses must not stop the pass
                log.exception("%s: reconcile of %s failed", self.host, instance_id)
        return ids

    # --- one instance ------------------------------------------------------------
    def reconcile(self, instance_id: str) -> bool:
        inst, move = self.db.read(lambda s: self._row_and_move(s, instance_id))
        if not observe.keeps_copy(inst, self.host, _move_hosts(move)):
            return self._drop_stray(instance_id)
        task = inst.task_state
        if task is None:
            self._volume_changes(inst)
            self._interface_changes(inst)
            self._console_changes(inst)
            return self._sync_power(inst)
        try:
            return self._carry_out(inst, task)
        except DriverError as exc:
            self._failed(inst, task, exc)
            return True

    def _row_and_move(self, s: Session, instance_id: str
                      ) -> tuple[cm.Instance | None, cm.Migration | None]:
        """The row, and its newest migration unless the row is placed here (then the
        move's hosts cannot change whether this host keeps it)."""
        inst = s.get(cm.Instance, instance_id)
        if inst is None or inst.deleted or inst.host == self.host:
            return inst, None
        return inst, records.current_migration(s, instance_id)

    def _carry_out(self, inst: cm.Instance, task: str) -> bool:
        if task == st.DELETING:
            return self._delete(inst)
        if task == st.SPAWNING:
            return self._spawn(inst)
        if task in SIMPLE_ACTIONS:
            return self._simple(inst, task)
        steps = {st.REBUILDING: self._rebuild, st.RESIZE_MIGRATING: self._resize,
                 st.LIVE_MIGRATING: self._live_migrate, st.RESIZE_REVERTING: self._revert,
                 st.RESIZE_CONFIRMING: self._confirm, st.SHELVING: self._shelve,
                 st.SHELVING_OFFLOADING: self._shelve, st.IMAGE_SNAPSHOT: self._snapshot}
        step = steps.get(task)
        return step(inst) if step else True

    def _drop_stray(self, instance_id: str) -> bool:
        """A guest this host must not run (or nothing at all): destroyed if present."""
        if not self._present(instance_id):
            return True
        log.info("%s: destroying stray guest %s", self.host, instance_id)
        self.driver.destroy(instance_id)
        return True

    def _sync_power(self, inst: cm.Instance) -> bool:
        """Nova's power-state sync for an idle instance: the row follows the hypervisor
        (a guest that died or vanished shows SHUTOFF), written only if the row is still
        the one read (no task asked for, no other write) when the driver was asked."""
        try:
            observed = self.driver.get_info(inst.id).power_state
        except InstanceNotFound:
            observed = NOSTATE
        verdict = observe.power_verdict(inst.vm_state, inst.power_state, observed)
        if verdict is None:
            return True
        if verdict.power_off:
            self.driver.power_off(inst.id)

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state is not None or row.deleted or \
                    row.updated_at != inst.updated_at or row.host != self.host:
                return
            if row.vm_state != verdict.vm_state:
                log.warning("%s: instance %s is %s on the hypervisor (power state %d): %s",
                            self.host, row.id, "missing" if observed == NOSTATE else "down",
                            observed, f"{row.vm_state} -> {verdict.vm_state}")
            row.vm_state, row.power_state = verdict.vm_state, verdict.power_state
            row.updated_at = utcnow()
        self.db.write(work)
        return True


def _move_hosts(move: cm.Migration | sa.Row | None) -> tuple[str | None, str | None]:
    """Source and destination of an instance's newest migration (a row of ``SLIM``
    carries them too)."""
    if move is None:
        return None, None
    return move.source_compute, move.dest_compute
