"""The host agent's steps for moves between hosts: cold migration and resize (the
destination builds the new copy; the source keeps its copy until confirm or revert), and
live migration in three steps (the destination prepares, the source sends, the destination
resumes). A copy a host no longer needs is destroyed by that host's own resync, whichever
host finished the move; the notification to it only makes that sooner."""
from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.drivers.base import (RUNNING, SHUTDOWN, LiveMigratable, Pausable,
                                           Resizable, require)
from onestack.compute.claims import move_consumer
from onestack.core.db import utcnow
from onestack.placement import seam as placement

if TYPE_CHECKING:
    from onestack.compute.agent.host import HostAgent

PREPARED, SENT = "prepared", "sent"  # live migration steps done so far


class MoveSteps:
    """Mixed into ``HostAgent``. A move's state is on its migration row (the instance's
    newest); the agents write only its ``live_step`` and ``status`` there, and never
    write back the instance's ``request`` they read."""

    def _move_of(self: HostAgent, instance_id: str) -> cm.Migration | None:
        return self.db.read(lambda s: records.current_migration(s, instance_id))

    def _resize(self: HostAgent, inst: cm.Instance) -> bool:
        move = self._move_of(inst.id)
        if move is None or move.dest_compute != self.host:
            return True
        new_flavor = move.new_flavor or inst.flavor
        if inst.host != self.host:
            self.driver.spawn(self._spec(inst, new_flavor))
        elif isinstance(self.driver, Resizable):
            self.driver.resize(self._spec(inst, new_flavor))
        stopped = inst.vm_state == st.STOPPED
        if stopped:
            self.driver.power_off(inst.id)
        self._finish(inst.id, st.RESIZE_MIGRATING, "finish_resize", vm_state=st.RESIZED,
                     task_state=None, old_flavor=inst.flavor, flavor=new_flavor,
                     flavor_id=new_flavor.get("id", inst.flavor_id),
                     host=self.host, node=self.host,
                     availability_zone=move.dest_zone or inst.availability_zone,
                     power_state=SHUTDOWN if stopped else RUNNING)
        self._rebind(inst.id, self.host)
        self.db.write(lambda s: records.set_migration(s, s.get(cm.Instance, inst.id),
                                                      "finished"))
        return True

    def _confirm(self: HostAgent, inst: cm.Instance) -> bool:
        move = self._move_of(inst.id)
        source = move.source_compute if move is not None else None

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.RESIZE_CONFIRMING:
                return
            placement.release(s, move_consumer(row.id))
            records.set_migration(s, row, "confirmed")
            row.vm_state = st.STOPPED if row.power_state == SHUTDOWN else st.ACTIVE
            row.task_state, row.old_flavor = None, None
            row.updated_at = utcnow()
            records.add_event(s, row.id, "compute_confirm_resize", "Success", self.host)
        self.db.write(work)
        if source and source != self.host:
            self._wake(source, inst.id)  # its resync destroys the source copy
        return True

    def _revert(self: HostAgent, inst: cm.Instance) -> bool:
        move = self._move_of(inst.id)
        source = (move.source_compute if move is not None else None) or self.host
        old = inst.old_flavor or inst.flavor
        if source != self.host:
            self.driver.destroy(inst.id)

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.RESIZE_REVERTING:
                return
            placement.release(s, row.id)
            placement.move(s, move_consumer(row.id), row.id)
            row.flavor, row.old_flavor = old, None
            row.flavor_id = old.get("id", row.flavor_id)
            row.host, row.node = source, source
            records.set_migration(s, row, "reverted")
            row.vm_state = st.STOPPED if row.power_state == SHUTDOWN else st.ACTIVE
            row.task_state = None
            row.updated_at = utcnow()
            records.add_event(s, row.id, "compute_revert_resize", "Success", self.host)
        self.db.write(work)
        self._rebind(inst.id, source)
        if source == self.host and isinstance(self.driver, Resizable):
            self.driver.resize(self._spec(inst, old))
        return True

    def _live_migrate(self: HostAgent, inst: cm.Instance) -> bool:
        """One step of the three, whichever this host has to take now."""
        move = self._move_of(inst.id)
        if move is None:
            return True
        step, dest = move.live_step, move.dest_compute
        source = move.source_compute or inst.host
        if dest == self.host and step is None:
            self._capable_of_live_migration().prepare_live_migration(self._spec(inst))
            self._live_step(inst.id, PREPARED)
            self._wake(source, inst.id)
        elif source == self.host and inst.host == self.host and step == PREPARED:
            self._capable_of_live_migration().live_migrate(inst.id, dest)
            self._live_step(inst.id, SENT, host=dest, node=dest,
                            availability_zone=move.dest_zone or inst.availability_zone)
            self._wake(dest, inst.id)
        elif dest == self.host and inst.host == self.host and step == SENT:
            self._capable_of_live_migration().finish_live_migration(inst.id)
            paused = inst.vm_state == st.PAUSED and isinstance(self.driver, Pausable)
            if paused:
                self.driver.pause(inst.id)
            self.db.write(lambda s: self._live_migrated(s, inst.id))
            self._rebind(inst.id, self.host)
        return True

    def _capable_of_live_migration(self: HostAgent) -> LiveMigratable:
        return require(self.driver, LiveMigratable, "live-migrate")

    def _live_step(self: HostAgent, instance_id: str, step: str, **values: object) -> None:
        def work(s: Session) -> None:
            row = s.get(cm.Instance, instance_id)
            if row is None or row.task_state != st.LIVE_MIGRATING:
                return
            move = records.current_migration(s, instance_id)
            if move is not None:
                move.live_step = step
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = utcnow()
        self.db.write(work)

    def _live_migrated(self: HostAgent, s: Session, instance_id: str) -> None:
        row = s.get(cm.Instance, instance_id)
        if row is None or row.task_state != st.LIVE_MIGRATING:
            return
        placement.release(s, move_consumer(row.id))
        records.set_migration(s, row, "completed")
        row.task_state = None
        row.console_log = self.driver.console_output(row.id)
        row.updated_at = utcnow()
        records.add_event(s, row.id, "compute_live_migration", "Success", self.host)

    def _abort_live_migration(self: HostAgent, s: Session, row: cm.Instance) -> None:
        """A failed step: the server stays (or is again) where it runs, the destination's
        claim goes back; a prepared copy is a stray its host's resync destroys."""
        records.set_migration(s, row, "error")
        move = records.current_migration(s, row.id)
        if move is not None and row.host == move.source_compute:
            placement.release(s, row.id)
            placement.move(s, move_consumer(row.id), row.id)
        else:
            placement.release(s, move_consumer(row.id))

    def _wake(self: HostAgent, host: str | None, instance_id: str) -> None:
        if host:
            self.bus.notify("compute." + host, instance_id)
