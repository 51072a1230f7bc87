"""The backup worker (Cinder's ``cinder-backup``): registers its service row, beats, and
moves backups out of their busy statuses, level-triggered.

``pending()`` lists the backups in ``creating``/``deleting``/``restoring`` that are this
worker's (its host, or no host yet); ``reconcile(id)`` re-reads the row and takes the
idempotent step its status asks for, writing the outcome with a conditional UPDATE (only
while the row is still in the status the step started from):

* ``creating`` (task ``backup``) → the volume's (or snapshot's) bytes read through the
  attach contract and stored as chunks, incremental against ``parent_id`` → chunk index,
  ``available``, ``size``/``object_count``; the volume (snapshot) goes back to the status
  it had. A failure → ``error`` + ``fail_reason`` + a user message, the objects it wrote
  removed, the volume back all the same.
* ``creating`` (task ``import``) → every object the imported index names is in the store
  → ``available``, else ``error``.
* ``deleting`` → the objects no other backup's index names removed, then in one
  transaction the rows gone, the parent's dependent count and the quota given back.
* ``restoring`` → the volume agent writes the bytes (its ``restoring-backup`` step, or a
  ``creating`` volume with ``backup_id``, through ``BackupSource``); once the target volume
  has left those statuses the backup is ``available`` again.

A killed worker leaves rows in their busy status; the next pass repeats the step (chunk
names are fixed per backup and index, so a repeat rewrites the same objects), so a
backup ends ``available``, ``error`` or gone — never stuck.
"""
from __future__ import annotations

import logging
from types import SimpleNamespace
from typing import Any, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.volume import states as st
from onestack.volume.backup.base import BackupStore
from onestack.volume.backup.chunks import (CHUNK_SIZE, ChunkRef, object_prefix, read_backup,
                                           write_backup)
from onestack.volume.backup.reading import VolumeReader
from onestack.volume.models.backends import Backend, Service
from onestack.volume.models.backups import Backup, BackupChunk, BackupMetadata
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.volumes import Volume

log = logging.getLogger(__name__)
BINARY = "cinder-backup"
RESTORE_BUSY = (st.CREATING, st.DOWNLOADING, st.RESTORING_BACKUP)
WORK = (st.CREATING, st.DELETING, st.BACKUP_RESTORING)


def plain(row: Any) -> SimpleNamespace:
    return SimpleNamespace(**{c.key: getattr(row, c.key) for c in row.__table__.columns})


def chunk_index(s: Session, backup_id: str) -> list[ChunkRef]:
    return [ChunkRef(c.idx, c.length, c.sha256, c.object) for c in s.scalars(
        sa.select(BackupChunk).where(BackupChunk.backup_id == backup_id)
        .order_by(BackupChunk.idx))]


class BackupSource:
    """What the volume agent restores from: ``open_backup(backup_id)`` yields the
    backup's bytes (checked chunk by chunk) from the store its index names."""

    def __init__(self, db: Database, store: BackupStore) -> None:
        self.db, self.store = db, store

    def open_backup(self, backup_id: str) -> Iterator[bytes]:
        refs = self.db.read(lambda s: chunk_index(s, backup_id))
        if not refs:
            found = self.db.read(lambda s: s.get(Backup, backup_id) is not None)
            if not found:
                raise LookupError(f"backup {backup_id} is gone")
        return read_backup(self.store, refs)


class BackupWorker:
    def __init__(self, db: Database, host: str, store: BackupStore, reader: VolumeReader,
                 zone: str = "nova", chunk_size: int = CHUNK_SIZE) -> None:
        self.db, self.host, self.store, self.reader = db, host, store, reader
        self.zone, self.chunk_size = zone, chunk_size

    # --- registration ----------------------------------------------------------------
    def register(self) -> None:
        def work(s: Session) -> None:
            row = s.get(Service, (BINARY, self.host))
            now = utcnow()
            if row is None:
                row = Service(binary=BINARY, host=self.host, created_at=now, disabled=False)
                s.add(row)
            row.availability_zone = self.zone
            row.heartbeat_at = row.updated_at = now
        self.db.write(work)

    def heartbeat(self) -> None:
        def work(s: Session) -> int:
            now = utcnow()
            return s.execute(sa.update(Service).where(
                Service.binary == BINARY, Service.host == self.host).values(
                heartbeat_at=now, updated_at=now)
                .execution_options(synchronize_session=False)).rowcount
        if self.db.write(work) == 0:
            self.register()

    # --- what to look at -------------------------------------------------------------
    def pending(self) -> list[str]:
        return self.db.read(lambda s: list(s.scalars(sa.select(Backup.id).where(
            Backup.status.in_(WORK), Backup.host.in_([self.host, ""]))
            .order_by(Backup.created_at, Backup.id))))

    def reconcile(self, backup_id: str) -> bool:
        """One idempotent step; True when nothing is left to retry now (a restore that
        is still being written is looked at again on the next pass)."""
        backup = self.db.read(lambda s: _plain_or_none(s.get(Backup, backup_id)))
        if backup is None or backup.status not in WORK:
            return True
        if backup.host != self.host:
            if backup.host or not self._claim(backup.id):
                return True
        if backup.status == st.CREATING:
            if backup.task == "import":
                self.verify_import(backup)
            else:
                self.create(backup)
        elif backup.status == st.DELETING:
            self.delete(backup)
        else:
            self.finish_restore(backup)
        return True

    def _claim(self, backup_id: str) -> bool:
        return self.db.write(lambda s: s.execute(sa.update(Backup).where(
            Backup.id == backup_id, Backup.host == "").values(host=self.host)
            .execution_options(synchronize_session=False)).rowcount == 1)

    # --- create ----------------------------------------------------------------------
    def create(self, backup: SimpleNamespace) -> None:
        try:
            refs, written = write_backup(self.store, backup.id, self._source(backup),
                                         self._parent(backup), self.chunk_size)
        except Exception as exc:  # noqa: BLE001 - whatever fails ends in error
            log.warning("backup %s: create failed: %s", backup.id, exc)
            self._remove_objects(backup.id, keep=set())
            self._fail_create(backup, str(exc) or type(exc).__name__)
            return

        def finish(s: Session) -> None:
            if not _move(s, backup.id, st.CREATING, status=st.AVAILABLE,
                         object_count=written, chunk_size=self.chunk_size,
                         fail_reason=None):
                return
            s.execute(sa.delete(BackupChunk).where(BackupChunk.backup_id == backup.id))
            s.add_all([BackupChunk(backup_id=backup.id, idx=r.idx, length=r.length,
                                   sha256=r.sha256, object=r.object) for r in refs])
            _give_back_source(s, backup)
        self.db.write(finish)

    def _source(self, backup: SimpleNamespace) -> Iterable[bytes]:
        def load(s: Session) -> tuple[Any, Any, str]:
            vol = s.get(Volume, backup.volume_id)
            snap = s.get(Snapshot, backup.snapshot_id) if backup.snapshot_id else None
            host = (snap.host if snap is not None else vol.host if vol is not None else "")
            driver = s.scalar(sa.select(Backend.driver).where(Backend.name == host)) or ""
            return _plain_or_none(vol), _plain_or_none(snap), driver
        vol, snap, driver = self.db.read(load)
        if backup.snapshot_id:
            if snap is None:
                raise LookupError(f"snapshot {backup.snapshot_id} is gone")
            return self.reader.read_snapshot(driver, snap)
        if vol is None:
            raise LookupError(f"volume {backup.volume_id} is gone")
        return self.reader.read_volume(driver, vol)

    def _parent(self, backup: SimpleNamespace) -> dict[int, ChunkRef] | None:
        if not backup.parent_id:
            return None
        refs = self.db.read(lambda s: chunk_index(s, backup.parent_id))
        return {r.idx: r for r in refs}

    def _fail_create(self, backup: SimpleNamespace, reason: str) -> None:
        def work(s: Session) -> None:
            if not _move(s, backup.id, st.CREATING, status=st.ERROR,
                         fail_reason=reason[:1000]):
                return
            _give_back_source(s, backup)
            _message(s, backup, "BACKUP_CREATE", "BACKUP_CREATE_DRIVER_ERROR")
        self.db.write(work)

    # --- import ----------------------------------------------------------------------
    def verify_import(self, backup: SimpleNamespace) -> None:
        refs = self.db.read(lambda s: chunk_index(s, backup.id))
        missing = [r.object for r in refs if r.object and not self.store.exists(r.object)]
        values: dict[str, Any] = {"status": st.AVAILABLE, "fail_reason": None}
        if missing:
            values = {"status": st.ERROR,
                      "fail_reason": f"The backup store holds no {missing[0]} "
                                     f"({len(missing)} objects missing)."}
        self.db.write(lambda s: _move(s, backup.id, st.CREATING, **values))

    # --- delete ----------------------------------------------------------------------
    def delete(self, backup: SimpleNamespace) -> None:
        try:
            keep = self.db.read(lambda s: set(s.scalars(sa.select(BackupChunk.object).where(
                BackupChunk.backup_id != backup.id, BackupChunk.object.isnot(None)))))
            self._remove_objects(backup.id, keep)
        except Exception as exc:  # noqa: BLE001
            log.warning("backup %s: delete failed: %s", backup.id, exc)

            def failed(s: Session) -> None:
                if _move(s, backup.id, st.DELETING, status="error_deleting",
                         fail_reason=str(exc)[:1000]):
                    _message(s, backup, "BACKUP_DELETE", "BACKUP_DELETE_DRIVER_ERROR")
            self.db.write(failed)
            return

        def gone(s: Session) -> None:
            row = s.get(Backup, backup.id, with_for_update=True)
            if row is None or row.status != st.DELETING:
                return
            if row.parent_id:
                s.execute(sa.update(Backup).where(Backup.id == row.parent_id).values(
                    num_dependent_backups=sa.case(
                        (Backup.num_dependent_backups > 0,
                         Backup.num_dependent_backups - 1), else_=0))
                    .execution_options(synchronize_session=False))
            if row.use_quota:
                from onestack.volume.service import quotas

                quotas.charge(s, row.project_id, {"backups": -1,
                                                  "backup_gigabytes": -int(row.size or 0)})
            s.execute(sa.delete(BackupChunk).where(BackupChunk.backup_id == row.id))
            s.execute(sa.delete(BackupMetadata).where(BackupMetadata.backup_id == row.id))
            s.delete(row)
            s.flush()
            _give_back_source(s, backup)
        self.db.write(gone)

    def _remove_objects(self, backup_id: str, keep: set[str]) -> None:
        """The objects stored under this backup's names that no kept index names (the
        chunk rows may not exist yet: a create that failed or was killed)."""
        names = set(self.store.names(object_prefix(backup_id)))
        names |= set(self.db.read(lambda s: [o for o in s.scalars(
            sa.select(BackupChunk.object).where(BackupChunk.backup_id == backup_id))
            if o]))
        for name in sorted(names - keep):
            self.store.delete(name)

    # --- restore ---------------------------------------------------------------------
    def finish_restore(self, backup: SimpleNamespace) -> None:
        """The backup is ``available`` again once its target volume is no longer being
        written (done, failed or gone)."""
        def work(s: Session) -> None:
            vol = s.get(Volume, backup.restore_volume_id) if backup.restore_volume_id \
                else None
            if vol is not None and vol.status in RESTORE_BUSY and \
                    vol.backup_id == backup.id:
                return
            _move(s, backup.id, st.BACKUP_RESTORING, status=st.AVAILABLE,
                  restore_volume_id=None)
        self.db.write(work)


# --- helpers ------------------------------------------------------------------------------
def _plain_or_none(row: Any) -> SimpleNamespace | None:
    return None if row is None else plain(row)


def _move(s: Session, backup_id: str, expect: str, **values: Any) -> bool:
    values.setdefault("updated_at", utcnow())
    return s.execute(sa.update(Backup).where(Backup.id == backup_id, Backup.status == expect)
                     .values(**values).execution_options(synchronize_session=False)
                     ).rowcount == 1


def _give_back_source(s: Session, backup: SimpleNamespace) -> None:
    """The volume (or snapshot) leaves ``backing-up`` for the status it had, unless
    another backup of it is still being made."""
    others = s.scalar(sa.select(sa.func.count()).select_from(Backup).where(
        Backup.volume_id == backup.volume_id, Backup.id != backup.id,
        Backup.status == st.CREATING, Backup.task == "backup"))
    if others:
        return
    if backup.snapshot_id:
        s.execute(sa.update(Snapshot).where(Snapshot.id == backup.snapshot_id,
                                            Snapshot.status == st.BACKING_UP)
                  .values(status=st.AVAILABLE, updated_at=utcnow())
                  .execution_options(synchronize_session=False))
        return
    vol = s.get(Volume, backup.volume_id, with_for_update=True)
    if vol is not None and vol.status == st.BACKING_UP:
        vol.status = vol.previous_status if vol.previous_status in (
            st.AVAILABLE, st.IN_USE) else (
            st.IN_USE if vol.attach_status == st.ATTACHED else st.AVAILABLE)
        vol.previous_status = None
        vol.updated_at = utcnow()


def _message(s: Session, backup: SimpleNamespace, action: str, detail: str) -> None:
    from onestack.volume.service import messages

    messages.record(s, backup.project_id, messages.Resource.VOLUME_BACKUP, backup.id, None,
                    getattr(messages.Detail, detail), getattr(messages.Action, action))
