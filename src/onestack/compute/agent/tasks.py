"""The host agent's steps for the actions the API asks for on one host (``task_state``):
build, delete, the power actions, rebuild, shelve, snapshot. Each step is idempotent and
ends by writing observed state only if the task is still the one it carried out."""
from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING, Callable

from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.agent.filling import SpecFilling
from onestack.compute.agent.plugging import NetworkSteps
from onestack.compute.agent.spec import spec_of
from onestack.compute.agent.volumes import VolumeSteps
from onestack.compute.drivers.base import (PAUSED, RUNNING, SHUTDOWN, SUSPENDED, BuildAborted,
                                           DriverError, InstanceNotFound, Pausable,
                                           Rebuildable, Rescuable, Snapshotting, Suspendable,
                                           require)
from onestack.compute.scheduler import MAX_ATTEMPTS, NO_VALID_HOST
from onestack.compute.service import networking
from onestack.core.db import utcnow
from onestack.placement import seam as placement

if TYPE_CHECKING:
    from onestack.compute.agent.host import HostAgent

log = logging.getLogger(__name__)


# task state → (driver call, vm_state after, power after, event name)
SIMPLE_ACTIONS: dict[str, tuple[Callable[[object, str], None], str, int, str]] = {
    st.REBOOTING: (lambda d, i: d.reboot(i, False), st.ACTIVE, RUNNING, "reboot_instance"),
    st.REBOOTING_HARD: (lambda d, i: d.reboot(i, True), st.ACTIVE, RUNNING,
                        "reboot_instance"),
    st.POWERING_OFF: (lambda d, i: d.power_off(i), st.STOPPED, SHUTDOWN, "stop_instance"),
    st.POWERING_ON: (lambda d, i: d.power_on(i), st.ACTIVE, RUNNING, "start_instance"),
    st.PAUSING: (lambda d, i: require(d, Pausable, "pause").pause(i), st.PAUSED, PAUSED,
                 "pause_instance"),
    st.UNPAUSING: (lambda d, i: require(d, Pausable, "unpause").unpause(i), st.ACTIVE,
                   RUNNING, "unpause_instance"),
    st.SUSPENDING: (lambda d, i: require(d, Suspendable, "suspend").suspend(i),
                    st.SUSPENDED, SUSPENDED, "suspend_instance"),
    st.RESUMING: (lambda d, i: require(d, Suspendable, "resume").resume(i), st.ACTIVE,
                  RUNNING, "resume_instance"),
    st.RESCUING: (lambda d, i: d.reboot(i, True), st.RESCUED, RUNNING, "rescue_instance"),
    st.UNRESCUING: (lambda d, i: d.reboot(i, True), st.ACTIVE, RUNNING,
                    "unrescue_instance"),
}
# actions that bring a guest up: a guest that vanished is defined again first, as a hard
# reboot re-creates a domain from its definition
RECREATING = frozenset({st.POWERING_ON, st.REBOOTING, st.REBOOTING_HARD})


class TaskSteps(NetworkSteps, VolumeSteps, SpecFilling):
    """Mixed into ``HostAgent``: one method per kind of task on this host."""

    def _finish(self: HostAgent, instance_id: str, expect_task: str | None, event: str,
                **values: object) -> None:
        def work(s: Session) -> None:
            inst = s.get(cm.Instance, instance_id)
            if inst is None or inst.task_state != expect_task:
                return  # someone changed their mind meanwhile; the next pass sees it
            for k, v in values.items():
                setattr(inst, k, v)
            inst.console_log = self.driver.console_output(instance_id)
            inst.updated_at = utcnow()
            records.add_event(s, inst.id, "compute_" + event, "Success", self.host)
        self.db.write(work)

    def _failed(self: HostAgent, inst: cm.Instance, task: str, exc: Exception) -> None:
        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != task:
                return
            row.task_state = None
            if task in (st.SPAWNING, st.REBUILDING):
                row.vm_state = st.ERROR
            if task == st.LIVE_MIGRATING:
                self._abort_live_migration(s, row)
            row.updated_at = utcnow()
            records.add_fault(s, row.id, 500, str(exc), traceback.format_exc())
            records.add_event(s, row.id, "compute_" + task, "Error", self.host, str(exc))
        self.db.write(work)

    def _delete(self: HostAgent, inst: cm.Instance) -> bool:
        self.driver.destroy(inst.id)
        self._drop_volumes(inst.id)  # before the row goes: a crash here is resumed

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.deleted:
                return
            networking.release(s, self.network, row)
            records.mark_deleted(s, row)
        self.db.write(work)
        return True

    def _spawn(self: HostAgent, inst: cm.Instance) -> bool:
        if not self._plugged(inst):
            return True  # waiting for the network agent (or failed: ERROR written)
        disks = self._volumes_ready(inst)
        if disks is None:
            return True  # waiting for the volume service (or failed: ERROR written)
        try:
            spec = self._filled(spec_of(inst, block_devices=disks), inst)
            self.driver.spawn(spec)
        except BuildAborted as exc:
            self._abort_build(inst, exc)
            return True
        except DriverError as exc:
            self._reschedule(inst, exc)
            return True
        if disks:
            self._complete_volumes(inst.id)
        # the API's desired-state columns are only read here: writing back what was read
        # before the (slow) spawn would undo whatever was written meanwhile
        stopped = inst.keep_stopped
        if stopped:
            self.driver.power_off(inst.id)
        if inst.evacuating:
            self.db.write(lambda s: records.set_migration(s, s.get(cm.Instance, inst.id), "done"))
        unshelved = inst.vm_state == st.SHELVED_OFFLOADED and inst.shelved_image_id
        self._finish(inst.id, st.SPAWNING, "build_and_run_instance",
                     vm_state=st.STOPPED if stopped else st.ACTIVE, task_state=None,
                     power_state=SHUTDOWN if stopped else RUNNING,
                     launched_at=inst.launched_at or utcnow(), progress=100)
        if unshelved:
            self._drop_image(inst.shelved_image_id)
        return True

    def _reschedule(self: HostAgent, inst: cm.Instance, exc: Exception) -> None:
        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.SPAWNING:
                return
            placement.release(s, row.id)
            tried = records.add_tried_host(s, row.id, self.host)
            records.add_event(s, row.id, "compute_build_and_run_instance", "Error", self.host,
                              str(exc))
            if tried >= MAX_ATTEMPTS or row.force_host:
                row.vm_state, row.task_state, row.host, row.node = st.ERROR, None, None, None
                records.add_fault(s, row.id, 500, f"{NO_VALID_HOST} Exceeded maximum number "
                                  f"of retries. Last error: {exc}")
            else:
                row.host, row.node, row.task_state = None, None, st.SCHEDULING
            row.updated_at = utcnow()
        self.db.write(work)
        self.driver.destroy(inst.id)
        self.bus.notify("schedule", inst.id)

    def _abort_build(self: HostAgent, inst: cm.Instance, exc: BuildAborted) -> None:
        """No host could build this server (its image is no usable disk, its flavor is too
        small for it): ERROR at once with the reason as its fault, placed nowhere and its
        allocation released, so deleting it needs no agent."""
        message = f"Build of instance {inst.id} aborted: {exc}"
        trace = traceback.format_exc()

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.SPAWNING:
                return
            placement.release(s, row.id)
            records.add_event(s, row.id, "compute_build_and_run_instance", "Error", self.host,
                              message)
            row.vm_state, row.task_state, row.host, row.node = st.ERROR, None, None, None
            records.add_fault(s, row.id, 500, message, trace)
            row.updated_at = utcnow()
        self.db.write(work)
        self.driver.destroy(inst.id)

    def _simple(self: HostAgent, inst: cm.Instance, task: str) -> bool:
        call, vm_state, power, event = SIMPLE_ACTIONS[task]
        if task in RECREATING and not self._present(inst.id):
            self.driver.spawn(self._spec(inst))
        if task == st.RESCUING and isinstance(self.driver, Rescuable):
            self.driver.rescue(self._spec(inst))  # from the server's own image, as Nova's default
        elif task == st.UNRESCUING and isinstance(self.driver, Rescuable):
            self.driver.unrescue(inst.id)
        else:
            call(self.driver, inst.id)
        self._finish(inst.id, task, event, vm_state=vm_state, task_state=None,
                     power_state=power)
        return True

    def _present(self: HostAgent, instance_id: str) -> bool:
        try:
            self.driver.get_info(instance_id)
        except InstanceNotFound:
            return False
        return True

    def _rebuild(self: HostAgent, inst: cm.Instance) -> bool:
        """A stopped server is rebuilt and stays stopped."""
        if isinstance(self.driver, Rebuildable):
            self.driver.rebuild(self._spec(inst))
        else:
            self.driver.destroy(inst.id)
            self.driver.spawn(self._spec(inst))
        stopped = inst.vm_state == st.STOPPED
        if stopped:
            self.driver.power_off(inst.id)
        self._finish(inst.id, st.REBUILDING, "rebuild_instance",
                     vm_state=st.STOPPED if stopped else st.ACTIVE, task_state=None,
                     power_state=SHUTDOWN if stopped else RUNNING)
        return True

    def _shelve(self: HostAgent, inst: cm.Instance) -> bool:
        """Shelving offloads at once, as Nova's default ``shelved_offload_time = 0`` does."""
        image_id = inst.shelved_image_id
        if image_id:
            self._store_snapshot(inst, image_id)
        if self._present(inst.id):
            self.driver.power_off(inst.id)

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state not in (st.SHELVING, st.SHELVING_OFFLOADING):
                return
            row.power_state = SHUTDOWN
            placement.release(s, row.id)
            networking.unplug(s, self.network, row.id)
            row.vm_state, row.host, row.node = st.SHELVED_OFFLOADED, None, None
            row.task_state = None
            records.add_event(s, row.id, "compute_shelve_instance", "Success", self.host)
        self.db.write(work)
        self.driver.destroy(inst.id)
        return True

    def _snapshot(self: HostAgent, inst: cm.Instance) -> bool:
        if inst.snapshot_image_id:
            self._store_snapshot(inst, inst.snapshot_image_id)
            self._rotate_backups(inst)

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.IMAGE_SNAPSHOT:
                return
            row.task_state = None
            records.add_event(s, row.id, "compute_snapshot_instance", "Success", self.host)
        self.db.write(work)
        return True

    def _rotate_backups(self: HostAgent, inst: cm.Instance) -> None:
        """createBackup's rotation once the backup is stored, as Nova's compute manager
        rotates: the server's older backups of that type beyond ``rotation`` are deleted,
        rows and bytes, through the image seam (idempotent: ``keep`` is the new one)."""
        images = self.images
        if not inst.backup_type or inst.backup_rotation is None or images is None:
            return
        self.db.write(lambda s: images.rotate_backups(
            s, inst.id, inst.backup_type, int(inst.backup_rotation),
            keep=inst.snapshot_image_id))

    def _store_snapshot(self: HostAgent, inst: cm.Instance, image_id: str) -> None:
        """Store the guest's disk as the new image. A driver without a disk of its own
        (the fake) gives None: then the image it booted from is stored (or, when that has
        no bytes, a small blob naming the server)."""
        if self.images is None:
            return
        chunks = None
        if isinstance(self.driver, Snapshotting) and self._present(inst.id):
            chunks = self.driver.snapshot(inst.id)
        if chunks is None and inst.image_ref:
            chunks = self.images.open_bytes(inst.image_ref)
        if chunks is None:
            chunks = [f"onestack fake disk of server {inst.id}\n".encode()]
        self.images.store_snapshot(image_id, chunks)

    def _drop_image(self: HostAgent, image_id: str) -> None:
        if self.images is not None:
            self.images.delete(image_id)
