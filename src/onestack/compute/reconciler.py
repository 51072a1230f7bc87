"""The host agent's reconcile: compare an instance's desired state (its row) with what the
driver reports and take the next idempotent step; write observed state back. Also the
agent's registration, heartbeat and inventory report."""
from __future__ import annotations

import logging
import traceback
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.drivers.base import (PAUSED, RUNNING, SHUTDOWN, SUSPENDED, DriverError,
                                           InstanceSpec, VirtDriver)
from onestack.compute.scheduler import MAX_ATTEMPTS, NO_VALID_HOST
from onestack.core.bus import Bus
from onestack.core.db import Database, new_id, utcnow
from onestack.placement import service as placement

log = logging.getLogger(__name__)


def spec_of(inst: cm.Instance, flavor: dict | None = None) -> InstanceSpec:
    f = flavor or inst.flavor
    return InstanceSpec(inst.id, inst.name, int(f["vcpus"]), int(f["ram"]), int(f["disk"]),
                        inst.image_ref, inst.user_data, dict(inst.metadata_ or {}))


# task state → (driver call, vm_state after, power after, event name)
SIMPLE_ACTIONS: dict[str, tuple[Callable[[VirtDriver, cm.Instance], None], str, int, str]] = {
    st.REBOOTING: (lambda d, i: d.reboot(i.id, False), st.ACTIVE, RUNNING, "reboot_instance"),
    st.REBOOTING_HARD: (lambda d, i: d.reboot(i.id, True), st.ACTIVE, RUNNING,
                        "reboot_instance"),
    st.POWERING_OFF: (lambda d, i: d.power_off(i.id), st.STOPPED, SHUTDOWN, "stop_instance"),
    st.POWERING_ON: (lambda d, i: d.power_on(i.id), st.ACTIVE, RUNNING, "start_instance"),
    st.PAUSING: (lambda d, i: d.pause(i.id), st.PAUSED, PAUSED, "pause_instance"),
    st.UNPAUSING: (lambda d, i: d.unpause(i.id), st.ACTIVE, RUNNING, "unpause_instance"),
    st.SUSPENDING: (lambda d, i: d.suspend(i.id), st.SUSPENDED, SUSPENDED,
                    "suspend_instance"),
    st.RESUMING: (lambda d, i: d.resume(i.id), st.ACTIVE, RUNNING, "resume_instance"),
    st.RESCUING: (lambda d, i: d.reboot(i.id, True), st.RESCUED, RUNNING, "rescue_instance"),
    st.UNRESCUING: (lambda d, i: d.reboot(i.id, True), st.ACTIVE, RUNNING,
                    "unrescue_instance"),
}


class HostAgent:
    def __init__(self, db: Database, bus: Bus, host: str, driver: VirtDriver,
                 zone: str = "nova"):
        self.db = db
        self.bus = bus
        self.host = host
        self.driver = driver
        self.zone = zone

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

    # --- reconcile -------------------------------------------------------------
    def pending(self) -> list[str]:
        def work(s: Session) -> list[str]:
            mine = sa.select(cm.Instance.id).where(
                cm.Instance.host == self.host, cm.Instance.deleted.is_(False),
                cm.Instance.task_state.is_not(None),
                cm.Instance.task_state.not_in((st.SCHEDULING, st.RESIZE_PREP, st.MIGRATING,
                                               st.UNSHELVING)))
            ids = list(s.scalars(mine))
            # resizes/migrations that land here from another host
            moving = s.scalars(sa.select(cm.Instance).where(
                cm.Instance.deleted.is_(False),
                cm.Instance.task_state.in_((st.RESIZE_MIGRATING, st.LIVE_MIGRATING))))
            ids += [i.id for i in moving if (i.request or {}).get("dest_host") == self.host
                    and i.id not in ids]
            return ids
        return self.db.read(work)

    def reconcile(self, instance_id: str) -> bool:
        inst = self.db.read(lambda s: s.get(cm.Instance, instance_id))
        if inst is None or inst.deleted:
            return True
        task = inst.task_state
        try:
            if task == st.DELETING:
                return self._delete(inst)
            if task == st.SPAWNING:
                return self._spawn(inst)
            if task in SIMPLE_ACTIONS:
                return self._simple(inst, task)
            if task == st.REBUILDING:
                return self._rebuild(inst)
            if task == st.RESIZE_MIGRATING:
                return self._resize(inst)
            if task == st.LIVE_MIGRATING:
                return self._live_migrate(inst)
            if task == st.RESIZE_REVERTING:
                return self._revert(inst)
            if task == st.RESIZE_CONFIRMING:
                return self._confirm(inst)
            if task in (st.SHELVING, st.SHELVING_OFFLOADING):
                return self._shelve(inst)
            if task == st.IMAGE_SNAPSHOT:
                return self._snapshot(inst)
        except DriverError as exc:
            self._failed(inst, task or "", exc)
            return True
        return True

    def _finish(self, instance_id: str, expect_task: str | None, event: str,
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

    def _failed(self, inst: cm.Instance, task: str, exc: Exception) -> None:
        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None:
                return
            row.task_state = None
            if task in (st.SPAWNING, st.REBUILDING):
                row.vm_state = st.ERROR
            records.add_fault(s, row.id, 500, str(exc), traceback.format_exc())
            records.add_event(s, row.id, "compute_" + task, "Error", self.host, str(exc))
        self.db.write(work)

    def _delete(self, inst: cm.Instance) -> bool:
        self.driver.destroy(inst.id)

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.deleted:
                return
            records.mark_deleted(s, row)
        self.db.write(work)
        return True

    def _spawn(self, inst: cm.Instance) -> bool:
        try:
            self.driver.spawn(spec_of(inst))
        except DriverError as exc:
            self._reschedule(inst, exc)
            return True
        req = dict(inst.request or {})
        stopped = req.pop("keep_stopped", False)
        if stopped:
            self.driver.power_off(inst.id)
        if req.get("evacuate"):
            self.db.write(lambda s: records.set_migration(s, s.get(cm.Instance, inst.id), "done"))
            req.pop("evacuate")
        shelved_image = req.pop("shelved_image", None)
        self._finish(inst.id, st.SPAWNING, "build_and_run_instance",
                     vm_state=st.STOPPED if stopped else st.ACTIVE, task_state=None,
                     power_state=SHUTDOWN if stopped else RUNNING,
                     launched_at=inst.launched_at or utcnow(), progress=100, request=req)
        if shelved_image:
            self._drop_image(shelved_image)
        return True

    def _reschedule(self, inst: cm.Instance, exc: Exception) -> None:
        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.SPAWNING:
                return
            placement.release(s, row.id)
            req = dict(row.request or {})
            tried = list(req.get("tried_hosts", [])) + [self.host]
            req["tried_hosts"] = tried
            row.request = req
            records.add_event(s, row.id, "compute_build_and_run_instance", "Error", self.host,
                              str(exc))
            if len(tried) >= MAX_ATTEMPTS or req.get("force_host"):
                row.vm_state, row.task_state, row.host, row.node = st.ERROR, None, None, None
                records.add_fault(s, row.id, 500, f"{NO_VALID_HOST} Exceeded maximum number "
                                  f"of retries. Last error: {exc}")
            else:
                row.host, row.node, row.task_state = None, None, st.SCHEDULING
            row.updated_at = utcnow()
        self.db.write(work)
        self.driver.destroy(inst.id)
        self.bus.notify("schedule", inst.id)

    def _simple(self, inst: cm.Instance, task: str) -> bool:
        call, vm_state, power, event = SIMPLE_ACTIONS[task]
        call(self.driver, inst)
        self._finish(inst.id, task, event, vm_state=vm_state, task_state=None,
                     power_state=power)
        return True

    def _rebuild(self, inst: cm.Instance) -> bool:
        """A stopped server is rebuilt and stays stopped."""
        self.driver.rebuild(spec_of(inst))
        stopped = inst.vm_state == st.STOPPED
        if stopped:
            self.driver.power_off(inst.id)
        self._finish(inst.id, st.REBUILDING, "rebuild_instance",
                     vm_state=st.STOPPED if stopped else st.ACTIVE, task_state=None,
                     power_state=SHUTDOWN if stopped else RUNNING)
        return True

    def _resize(self, inst: cm.Instance) -> bool:
        req = dict(inst.request or {})
        dest = req.get("dest_host")
        if dest != self.host:
            return True
        new_flavor = req.get("new_flavor") or inst.flavor
        if inst.host != self.host:
            self.driver.spawn(spec_of(inst, new_flavor))
        else:
            self.driver.resize(spec_of(inst, new_flavor))
        if req.get("auto_confirm"):
            pass
        stopped = inst.vm_state == st.STOPPED
        if stopped:
            self.driver.power_off(inst.id)
        self._finish(inst.id, st.RESIZE_MIGRATING, "finish_resize", vm_state=st.RESIZED,
                     task_state=None, old_flavor=inst.flavor, flavor=new_flavor,
                     flavor_id=new_flavor.get("id", inst.flavor_id),
                     host=self.host, node=self.host,
                     availability_zone=req.get("dest_zone", inst.availability_zone),
                     power_state=SHUTDOWN if stopped else RUNNING)
        self.db.write(lambda s: records.set_migration(s, s.get(cm.Instance, inst.id),
                                                      "finished"))
        return True

    def _confirm(self, inst: cm.Instance) -> bool:
        source = (inst.request or {}).get("source_host")
        if source and source != self.host:
            self._destroy_on(source, inst.id)

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.RESIZE_CONFIRMING:
                return
            placement.release(s, "mig-" + row.id)
            records.set_migration(s, row, "confirmed")
            row.vm_state = st.STOPPED if row.power_state == SHUTDOWN else st.ACTIVE
            row.task_state, row.old_flavor = None, None
            row.request = {k: v for k, v in (row.request or {}).items()
                           if k not in ("source_host", "dest_host", "new_flavor", "dest_zone")}
            records.add_event(s, row.id, "compute_confirm_resize", "Success", self.host)
        self.db.write(work)
        return True

    def _revert(self, inst: cm.Instance) -> bool:
        req = inst.request or {}
        source = req.get("source_host") or self.host
        old = inst.old_flavor or inst.flavor
        if source != self.host:
            self.driver.destroy(inst.id)

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.RESIZE_REVERTING:
                return
            placement.release(s, row.id)
            placement.move(s, "mig-" + row.id, row.id)
            row.flavor, row.old_flavor = old, None
            row.flavor_id = old.get("id", row.flavor_id)
            row.host, row.node = source, source
            records.set_migration(s, row, "reverted")
            row.vm_state = st.STOPPED if row.power_state == SHUTDOWN else st.ACTIVE
            row.task_state = None
            row.request = {k: v for k, v in req.items()
                           if k not in ("source_host", "dest_host", "new_flavor", "dest_zone")}
            records.add_event(s, row.id, "compute_revert_resize", "Success", self.host)
        self.db.write(work)
        if source == self.host:
            self.driver.resize(spec_of(inst, old))
        return True

    def _live_migrate(self, inst: cm.Instance) -> bool:
        req = dict(inst.request or {})
        if req.get("dest_host") != self.host:
            return True
        self.driver.spawn(spec_of(inst))
        source = req.get("source_host")
        if source and source != self.host:
            self._destroy_on(source, inst.id)

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.LIVE_MIGRATING:
                return
            placement.release(s, "mig-" + row.id)
            records.set_migration(s, row, "completed")
            row.host, row.node = self.host, self.host
            row.availability_zone = req.get("dest_zone", row.availability_zone)
            row.task_state = None
            row.request = {k: v for k, v in req.items()
                           if k not in ("source_host", "dest_host", "live", "dest_zone")}
            records.add_event(s, row.id, "compute_live_migration", "Success", self.host)
        self.db.write(work)
        return True

    def _destroy_on(self, host: str, instance_id: str) -> None:
        """Ask the source host to drop its copy (it also does so by itself on resync)."""
        self.bus.notify("compute." + host, instance_id)

    def _shelve(self, inst: cm.Instance) -> bool:
        image_id = (inst.request or {}).get("shelved_image")
        if image_id:
            self._store_snapshot(inst, image_id)
        self.driver.power_off(inst.id)
        offload = True  # shelved_offload_time = 0: offload at once, as Nova's default 0 does

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state not in (st.SHELVING, st.SHELVING_OFFLOADING):
                return
            row.power_state = SHUTDOWN
            if offload:
                placement.release(s, row.id)
                row.vm_state, row.host, row.node = st.SHELVED_OFFLOADED, None, None
            else:
                row.vm_state = st.SHELVED
            row.task_state = None
            records.add_event(s, row.id, "compute_shelve_instance", "Success", self.host)
        self.db.write(work)
        if offload:
            self.driver.destroy(inst.id)
        return True

    def _snapshot(self, inst: cm.Instance) -> bool:
        image = (inst.request or {}).get("snapshot")
        if image:
            self._store_snapshot(inst, image["image_id"])

        def work(s: Session) -> None:
            row = s.get(cm.Instance, inst.id)
            if row is None or row.task_state != st.IMAGE_SNAPSHOT:
                return
            row.task_state = None
            row.request = {k: v for k, v in (row.request or {}).items() if k != "snapshot"}
            records.add_event(s, row.id, "compute_snapshot_instance", "Success", self.host)
        self.db.write(work)
        return True

    def _store_snapshot(self, inst: cm.Instance, image_id: str) -> None:
        """The fake hypervisor's disk is the image it booted from (or, when that has no
        bytes, a small blob naming the server): store it as the new image."""
        try:
            from onestack.image import snapshots
        except ImportError:
            return
        chunks = snapshots.source_bytes(self.db.url, inst.image_ref) if inst.image_ref \
            else None
        if chunks is None:
            chunks = [f"onestack fake disk of server {inst.id}\n".encode()]
        snapshots.store_snapshot(self.db, image_id, chunks)

    def _drop_image(self, image_id: str) -> None:
        try:
            from onestack.image import snapshots
        except ImportError:
            return
        snapshots.delete_image(self.db, image_id)

    # --- repair after restarts ---------------------------------------------------
    def cleanup_strays(self) -> None:
        """Destroy driver instances this host should not run (deleted, or moved away)."""
        present = self.driver.list_instances()
        if not present:
            return
        rows = self.db.read(lambda s: {i.id: i for i in s.scalars(
            sa.select(cm.Instance).where(cm.Instance.id.in_(list(present))))})
        for instance_id in present:
            row = rows.get(instance_id)
            keep = row is not None and not row.deleted and (
                row.host == self.host or (row.request or {}).get("dest_host") == self.host
                or (row.request or {}).get("source_host") == self.host)
            if not keep:
                self.driver.destroy(instance_id)
