"""The host agent's volume steps, level-triggered like the network step: the server's
``BlockDevice`` rows say what is wanted, the volume seam and the virt driver are asked for
the next idempotent step, the row records how far it got.

- Before a spawn (``_volumes_ready``): volumes to make are created (for the server's owner)
  and waited for until ``available``; every mapped volume is reserved, connected to this
  host (``connection_info`` recorded on the row) and handed to the spawn as a
  ``BlockDevice``; after the spawn each is completed (``in-use``).
- On an idle server (``_volume_changes``): a reserved volume (``os-volume_attachments``)
  is connected and given to the running guest, then completed; a ``detaching`` one is
  taken from the guest, its attachment deleted (``available``) and the row dropped.
- On delete (``_drop_volumes``): every attachment goes; ``delete_on_termination``
  volumes are deleted.

A wait longer than ``volume_timeout`` for a volume being made fails the build as Nova's
``VolumeNotCreated`` does."""
from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import models as cm
from onestack.compute import records
from onestack.compute import states as st
from onestack.compute.agent.spec import spec_of
from onestack.compute.drivers.base import BlockDevice as Disk
from onestack.compute.service import volumes as service
from onestack.compute.volume_models import (ATTACHED, CREATING, DETACHING, RESERVED,
                                            BlockDevice)
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import OpenStackError

if TYPE_CHECKING:
    from onestack.compute.agent.host import HostAgent

log = logging.getLogger(__name__)
VOLUME_TIMEOUT = 180.0  # seconds, Nova's block_device_allocate_retries * interval
QUICK_WAIT = 3.0  # seconds the step itself waits for the volume agent


class BuildFailed(Exception):
    """A volume of the build cannot be used: the build ends in ERROR with this message."""


def owner_context(inst: cm.Instance) -> RequestContext:
    """The server's owner, as compute acts for it when it makes a volume."""
    return RequestContext(request_id="req-compute-" + inst.id[:8], user_id=inst.user_id,
                          project_id=inst.project_id, roles=["member", "reader"])


def wanted_ids(s: Session, host: str) -> list[str]:
    """Idle servers on ``host`` with a volume to attach or detach."""
    return list(s.scalars(sa.select(cm.Instance.id).join(
        BlockDevice, BlockDevice.instance_id == cm.Instance.id).where(
        cm.Instance.host == host, cm.Instance.deleted.is_(False),
        cm.Instance.task_state.is_(None),
        BlockDevice.state.in_((RESERVED, DETACHING))).distinct()))


class VolumeSteps:
    """Mixed into the host agent. ``volume``: the volume service's seam (None: no volume
    service; a server with mappings then fails its build)."""

    volume: Any = None
    volume_timeout: float = VOLUME_TIMEOUT
    volume_quick_wait: float = QUICK_WAIT

    def _connector(self: HostAgent, row: BlockDevice) -> dict[str, Any]:
        return {"host": self.host, "mountpoint": row.device_name, "mode": "rw",
                "platform": "x86_64", "os_type": "linux", "multipath": False}

    # --- a build ---------------------------------------------------------------
    def _volumes_ready(self: HostAgent, inst: cm.Instance) -> list[Disk] | None:
        """The guest's disks once every mapped volume is connected here; None while one
        is still being made (the next pass looks again) or when the build failed (the
        ERROR is written)."""
        rows = self.db.read(lambda s: service.rows_of(s, inst.id))
        if not rows:
            return []
        try:
            if self.volume is None:
                raise BuildFailed("no volume service")
            deadline = time.monotonic() + self.volume_quick_wait
            while not self._made(inst, rows):
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.1)
                rows = self.db.read(lambda s: service.rows_of(s, inst.id))
            return [self._connect(row) for row in
                    self.db.read(lambda s: service.rows_of(s, inst.id))]
        except (BuildFailed, OpenStackError) as exc:
            log.warning("%s: volumes of %s: %s", self.host, inst.id, exc)
            self._volume_failed(inst.id, f"Build of instance {inst.id} aborted: {exc}")
            return None

    def _made(self: HostAgent, inst: cm.Instance, rows: list[BlockDevice]) -> bool:
        """One step for each volume still being made; True when none is."""
        done = True
        for row in rows:
            if row.state != CREATING:
                continue
            if row.volume_id is None:
                made = self.volume.create_volume(
                    owner_context(inst), int(row.volume_size or 1),
                    image_id=row.uuid if row.source_type == "image" else None,
                    snapshot_id=row.uuid if row.source_type == "snapshot" else None,
                    name=f"{inst.name}-blockdevice-{(row.device_name or '').split('/')[-1]}",
                    volume_type=row.volume_type,
                    # the zone the user asked the server to be in, as Nova passes it
                    availability_zone=inst.requested_az)
                self._set(row.id, volume_id=made["id"])
                row.volume_id = made["id"]
            vol = self.volume.get(None, row.volume_id)
            if vol["status"] == "available":
                self._set(row.id, state=RESERVED)
                continue
            if vol["status"] in ("error", "error_deleting", "deleting"):
                raise BuildFailed(f"Volume {row.volume_id} did not finish being created "
                                  f"even after we waited 0 seconds or 1 attempts. And its "
                                  f"status is {vol['status']}.")
            if (utcnow() - row.created_at).total_seconds() > self.volume_timeout:
                raise BuildFailed(f"Volume {row.volume_id} did not finish being created "
                                  f"even after we waited {int(self.volume_timeout)} seconds "
                                  f"or 1 attempts. And its status is {vol['status']}.")
            done = False
        return done

    def _connect(self: HostAgent, row: BlockDevice) -> Disk:
        """Reserve (once), connect (again: idempotent), recorded on the row."""
        attachment_id = row.attachment_id
        if attachment_id is None:
            attachment_id = self.volume.reserve(None, row.volume_id, row.instance_id)
            self._set(row.id, attachment_id=attachment_id)
        info = self.volume.attach(None, attachment_id, self._connector(row))
        self._set(row.id, connection_info=info)
        return Disk(row.volume_id, row.device_name or "", row.boot_index, info)

    def _complete_volumes(self: HostAgent, instance_id: str) -> None:
        for row in self.db.read(lambda s: service.rows_of(s, instance_id)):
            if row.state == RESERVED and row.attachment_id:
                self.volume.complete(None, row.attachment_id)
                self._set(row.id, state=ATTACHED)

    def _volume_failed(self: HostAgent, instance_id: str, message: str) -> None:
        def work(s: Session) -> None:
            row = s.get(cm.Instance, instance_id)
            if row is None or row.task_state != st.SPAWNING:
                return
            row.vm_state, row.task_state = st.ERROR, None
            row.updated_at = utcnow()
            records.add_fault(s, row.id, 500, message)
            records.add_event(s, row.id, "compute_build_and_run_instance", "Error",
                              self.host, message)
        self.db.write(work)

    def _spec(self: HostAgent, inst: cm.Instance, flavor: dict | None = None) -> Any:
        """The guest's spec with its volumes connected to this host (a move's destination,
        a rebuild, a guest defined again): each attachment's connector names this host."""
        if self.volume is None:
            return self._filled(spec_of(inst, flavor), inst)
        disks = []
        for row in self.db.read(lambda s: service.rows_of(s, inst.id)):
            if row.state not in (RESERVED, ATTACHED) or not row.attachment_id:
                continue
            try:
                info = self.volume.attach(None, row.attachment_id, self._connector(row))
            except OpenStackError as exc:
                log.warning("%s: volume %s of %s: %s", self.host, row.volume_id, inst.id,
                            exc)
                continue
            self._set(row.id, connection_info=info)
            disks.append(Disk(row.volume_id, row.device_name or "", row.boot_index, info))
        return self._filled(spec_of(inst, flavor, block_devices=disks), inst)

    # --- an idle server ----------------------------------------------------------
    def _volume_changes(self: HostAgent, inst: cm.Instance) -> None:
        """Attach the reserved volumes to the running guest, detach the ``detaching``."""
        if self.volume is None:
            return
        for row in self.db.read(lambda s: service.rows_of(s, inst.id)):
            try:
                if row.state == RESERVED and row.volume_id:
                    disk = self._connect(row)
                    if self._present(inst.id):
                        self.driver.attach_volume(inst.id, disk)
                    self.volume.complete(None, row.attachment_id or
                                         self._attachment_of(row.id))
                    self._set(row.id, state=ATTACHED)
                elif row.state == DETACHING:
                    if self._present(inst.id):
                        self.driver.detach_volume(inst.id, row.volume_id)
                    if row.attachment_id:
                        self.volume.detach(None, row.attachment_id)
                    self.db.write(lambda s, rid=row.id: s.execute(
                        sa.delete(BlockDevice).where(BlockDevice.id == rid)))
            except OpenStackError as exc:
                # the volume went (deleted, or the reservation was lost): drop the mapping
                log.warning("%s: volume %s of %s: %s", self.host, row.volume_id, inst.id,
                            exc)
                self.db.write(lambda s, rid=row.id: s.execute(
                    sa.delete(BlockDevice).where(BlockDevice.id == rid)))

    def _attachment_of(self: HostAgent, row_id: str) -> str:
        return self.db.read(lambda s: s.get(BlockDevice, row_id).attachment_id)

    # --- delete --------------------------------------------------------------------
    def _drop_volumes(self: HostAgent, instance_id: str) -> None:
        if self.volume is not None:
            service.drop(self.db, self.volume, instance_id)

    def _set(self: HostAgent, row_id: str, **values: Any) -> None:
        def work(s: Session) -> None:
            row = s.get(BlockDevice, row_id)
            if row is not None:
                for k, v in values.items():
                    setattr(row, k, v)
        self.db.write(work)
