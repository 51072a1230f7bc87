"""The volume agent of one host: registers its backend (``<host>@<backend>#<backend>``),
beats, and moves the volumes and snapshots placed on that backend out of their busy
statuses, level-triggered.

Work is named by keys, ``volume:<id>`` and ``snapshot:<id>``, and one key for every empty
volume waiting in ``creating`` (``EMPTY_CREATES``: a burst of creates is one pass with one
write, not one each). ``pending()`` is the cheap list (ids of rows of this backend in a
status the agent acts on); ``reconcile(key)`` re-reads that one row (those rows), takes
the idempotent driver step its status asks for and writes the outcome with a conditional
UPDATE (only while the row is still in the status the step started from, so an
operator's reset or a concurrent delete is never overwritten). A
killed agent leaves rows in their busy status; the next pass (this agent restarted, or
the next resync) repeats the step — every driver operation is idempotent — so a row ends
``available``, in an ``error*`` status with a user message, or gone, never stuck.

Each column keeps one writer: the API writes the wanted transition (``creating``,
``deleting``, ``extending`` + ``target_size``, ``uploading`` + ``task_image_id``, …) and
the quota/capacity it claims; the agent writes the outcome and gives back what a delete
or a failure frees.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.bus import Bus
from onestack.core.db import Database, utcnow
from onestack.volume import states as st
from onestack.volume.agent.snapshot_steps import SNAPSHOT_STATUSES, SnapshotSteps
from onestack.volume.agent.volume_steps import (EMPTY_BATCH, VOLUME_STEPS, VolumeSteps,
                                                is_empty_create)
from onestack.volume.drivers.base import VolumeDriver
from onestack.volume.models.backends import Backend
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.volumes import Volume

log = logging.getLogger(__name__)
EMPTY_CREATES = "volumes:create-empty"  # the work key of every empty create, one pass


def empty_creates_key(volume_ids: list[str]) -> str:
    """The key of the empty creates waiting: it changes whenever another one comes, so
    the worker never takes new work for the work it has just done."""
    return f"{EMPTY_CREATES}:{len(volume_ids)}:{volume_ids[-1]}"


def plain(row: Any) -> SimpleNamespace:
    """The row's columns as plain data (nothing lazy outlives the session)."""
    return SimpleNamespace(**{c.key: getattr(row, c.key) for c in row.__table__.columns})


class VolumeAgent(VolumeSteps, SnapshotSteps):
    def __init__(self, db: Database, bus: Bus | None, host: str, driver: VolumeDriver,
                 zone: str = "nova", backend: str = "file", images: Any = None,
                 backups: Any = None, ratio: float = 20.0, scratch: Path | None = None):
        """``images``: the image service's seam (``ImageSeam``: ``describe``,
        ``open_bytes``, ``store_snapshot``, ``delete``), None without an image service;
        ``backups``: what restores read backup bytes from (``open_backup(backup_id)``),
        None until the backup service exists; ``scratch``: where image conversions write
        (the system's temporary directory when None)."""
        self.db, self.bus, self.host, self.driver = db, bus, host, driver
        self.zone, self.backend = zone, backend
        self.name = f"{host}@{backend}#{backend}"
        self.images, self.backups = images, backups
        self.ratio = ratio
        self.scratch = scratch
        self._empty_lock = threading.Lock()
        self._empty_running = self._empty_asked = False

    # --- registration and heartbeat ----------------------------------------------------
    def register(self) -> str:
        """The backend row, created or refreshed (an operator's disable stays)."""
        info, cap = self.driver.info(), self.driver.capacity()

        def work(s: Session) -> str:
            row = s.get(Backend, self.name)
            now = utcnow()
            if row is None:
                row = Backend(name=self.name, host=self.host, backend=self.backend,
                              created_at=now, allocated_capacity_gb=0, disabled=False,
                              frozen=False)
                s.add(row)
            row.driver, row.storage_protocol = info.driver, info.storage_protocol
            row.vendor_name, row.driver_version = info.vendor_name, info.driver_version
            row.availability_zone = self.zone
            row.total_capacity_gb = cap.total_gb
            row.max_over_subscription_ratio = self.ratio
            row.heartbeat_at = row.updated_at = now
            return row.name
        return self.db.write(work)

    def heartbeat(self) -> None:
        """Beat with the capacity refreshed; a backend row an operator removed comes
        back."""
        total = self.driver.capacity().total_gb

        def work(s: Session) -> int:
            now = utcnow()
            return s.execute(sa.update(Backend).where(Backend.name == self.name).values(
                heartbeat_at=now, updated_at=now, total_capacity_gb=total)
                .execution_options(synchronize_session=False)).rowcount
        if self.db.write(work) == 0:
            self.register()

    def start(self) -> None:
        self.register()

    # --- what to look at ---------------------------------------------------------------
    def pending(self) -> list[str]:
        """The work keys: ``EMPTY_CREATES`` first when empty volumes wait in
        ``creating`` (all of them are one pass), then ``volume:<id>`` for every other
        busy volume and ``snapshot:<id>`` for every busy snapshot."""
        def work(s: Session) -> list[str]:
            volumes = s.execute(sa.select(Volume.id, is_empty_create()).where(
                Volume.host == self.name, Volume.status.in_(list(VOLUME_STEPS)))
                .order_by(Volume.updated_at, Volume.id)).all()
            snaps = s.scalars(sa.select(Snapshot.id).where(
                Snapshot.host == self.name, Snapshot.status.in_(SNAPSHOT_STATUSES),
                Snapshot.status_reset.is_(False))  # an admin's reset labels, asks nothing
                .order_by(Snapshot.created_at, Snapshot.id))
            empty = [v for v, e in volumes if e]
            return ([empty_creates_key(empty)] if empty else []) + \
                [f"volume:{v}" for v, e in volumes if not e] + \
                [f"snapshot:{i}" for i in snaps]
        return self.db.read(work)

    def reconcile(self, key: str) -> bool:
        """One idempotent step for ``key``; True when nothing is left to retry (failures
        that end in an error status are done too); a database error propagates and the
        worker retries with backoff."""
        if key.startswith(EMPTY_CREATES + ":"):
            self.drain_empty_creates()
            return True
        kind, _, ident = key.partition(":")
        if kind == "volume":
            return self.reconcile_volume(ident)
        if kind == "snapshot":
            return self.reconcile_snapshot(ident)
        log.warning("volume agent %s: unknown work key %r", self.host, key)
        return True

    def drain_empty_creates(self) -> None:
        """Passes of ``create_empty_volumes`` until one began after the last ask. A call
        while another thread runs them only asks for one more pass: the worker's threads
        never make the same volumes twice, and a create committed while a pass runs is
        never left for the resync."""
        with self._empty_lock:
            self._empty_asked = True
            if self._empty_running:
                return
            self._empty_running = True
        try:
            while True:
                with self._empty_lock:
                    if not self._empty_asked:
                        self._empty_running = False
                        return
                    self._empty_asked = False
                if self.create_empty_volumes() >= EMPTY_BATCH:
                    with self._empty_lock:
                        self._empty_asked = True  # more wait than one pass takes
        except BaseException:
            with self._empty_lock:
                self._empty_running = False
            raise

    def reconcile_volume(self, volume_id: str) -> bool:
        vol = self._load(Volume, volume_id)
        if vol is None or vol.host != self.name:
            return True
        step: Callable[[SimpleNamespace], None] | None = VOLUME_STEPS.get(vol.status)
        if step is not None:
            step(self, vol)
        return True

    def reconcile_snapshot(self, snapshot_id: str) -> bool:
        snap = self._load(Snapshot, snapshot_id)
        if snap is None or snap.host != self.name or getattr(snap, "status_reset", False):
            return True
        if snap.status == st.CREATING:
            self.create_snapshot(snap)
        elif snap.status == st.DELETING:
            self.delete_snapshot(snap)
        elif snap.status in SNAPSHOT_STATUSES:
            self.manage_snapshot(snap)
        return True

    # --- shared helpers ----------------------------------------------------------------
    def _load(self, model: Any, ident: str) -> SimpleNamespace | None:
        def work(s: Session) -> SimpleNamespace | None:
            row = s.get(model, ident)
            return None if row is None else plain(row)
        return self.db.read(work)

    @staticmethod
    def _move(s: Session, model: Any, ident: str, expect: tuple[str, ...] | str,
              **values: Any) -> bool:
        """``values`` on the row while its status is still one of ``expect``."""
        expect = (expect,) if isinstance(expect, str) else expect
        values.setdefault("updated_at", utcnow())
        done = s.execute(sa.update(model).where(model.id == ident,
                                                model.status.in_(expect))
                         .values(**values).execution_options(synchronize_session=False))
        return done.rowcount == 1

    @staticmethod
    def _message(s: Session, project_id: str, resource: str, resource_id: str,
                 action: Any, detail: Any) -> None:
        from onestack.volume.service import messages

        messages.record(s, project_id, getattr(messages.Resource, resource), resource_id,
                        None, getattr(messages.Detail, detail),
                        getattr(messages.Action, action))


__all__ = ["VolumeAgent", "plain"]
