"""The volume agent's steps for volumes, one per busy status (``VOLUME_STEPS``).

* ``creating`` → the bytes (empty; from a snapshot; a clone of ``source_volid``; an image's
  bytes through the image seam, shown as ``downloading`` while they copy, the image's
  attributes and properties becoming ``volume_image_metadata`` and the volume
  ``bootable``; a backup's bytes through the backup hook) → ``available`` with
  ``launched_at`` and ``provider_location``; a failure → ``error`` + a user message (the
  capacity the scheduler claimed stays claimed until the volume is deleted, as Cinder's
  allocated capacity does).
* ``deleting`` → the driver's delete, then in one transaction: the backend's capacity
  and the project's quota given back and the rows gone (a failure → ``error_deleting``).
* ``extending`` → grown to ``target_size`` → ``available`` (``in-use`` when attached).
  The API charged the quota and claimed the backend's capacity for the difference; a
  failure gives both back → ``error_extending``.
* ``uploading`` → the bytes read into the queued image ``task_image_id`` (converted to its
  ``disk_format`` when that is not raw) → back to ``available``/``in-use``; a failure
  deletes the image and records a message, the volume goes back all the same.
* ``retyping`` → back to ``available``/``in-use`` (the file backend's bytes do not depend on
  the type; the API changed the type).
* ``reverting`` → the bytes of the volume's snapshot in ``restoring`` copied back → both
  ``available``; a failure → volume ``error``, snapshot ``available``.
* ``restoring-backup`` → the backup's bytes written over the volume → ``available``.
* ``managing`` → the bytes named by ``provider_location`` (a manage request's
  ``source-name``) adopted under the volume's id → ``available`` with their size; the
  quota ``gigabytes`` and the backend's capacity are charged then (the API charged the
  ``volumes`` count); a failure → ``error_managing`` + a user message.
"""
from __future__ import annotations

import logging
import tempfile
from contextlib import ExitStack, closing
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import utcnow
from onestack.volume import states as st
from onestack.volume.drivers import convert
from onestack.volume.models.backends import Backend
from onestack.volume.models.types import VolumeType
from onestack.volume.models.volumes import (Attachment, Volume, VolumeAdminMetadata,
                                            VolumeImageMetadata, VolumeMetadata)

log = logging.getLogger(__name__)
REVERTING = "reverting"  # os-revert (3.40): the volume; its snapshot shows ``restoring``
MANAGING, ERROR_MANAGING = "managing", "error_managing"  # manage (admin): adopt bytes
SNAPSHOT_RESTORING = "restoring"
EMPTY_BATCH = 200  # empty creates finished in one pass (the rest: the next pass)
IMAGE_ATTRIBUTES = ("checksum", "container_format", "disk_format", "min_disk", "min_ram",
                    "size")


class StepFailed(Exception):
    """A step that cannot finish: ``detail`` names the Cinder message detail."""

    def __init__(self, message: str, detail: str = "UNKNOWN_ERROR"):
        super().__init__(message)
        self.detail = detail


def is_empty_create() -> Any:
    """The rows ``create_empty_volumes`` takes: ``creating``, with no bytes to copy."""
    return sa.and_(Volume.status == st.CREATING, Volume.snapshot_id.is_(None),
                   Volume.source_volid.is_(None), Volume.image_id.is_(None),
                   Volume.backup_id.is_(None))


def idle_status(vol: SimpleNamespace) -> str:
    """Where a volume goes back to after a step: in-use when attached."""
    return st.IN_USE if vol.attach_status == st.ATTACHED else st.AVAILABLE


def type_name(s: Session, type_id: str | None) -> str | None:
    return s.scalar(sa.select(VolumeType.name).where(VolumeType.id == type_id)) \
        if type_id else None


class VolumeSteps:
    # (provided by VolumeAgent)
    db: Any
    driver: Any
    images: Any
    backups: Any
    scratch: Path | None
    name: str
    _move: Callable[..., bool]
    _message: Callable[..., None]
    _load: Callable[..., Any]

    # --- create --------------------------------------------------------------------------
    def create_volume(self, vol: SimpleNamespace) -> None:
        image_meta: dict[str, str] | None = None
        bootable = bool(vol.bootable)
        action = "CREATE_VOLUME_FROM_BACKEND"
        try:
            if vol.backup_id:
                action = "BACKUP_RESTORE"
                location = self.driver.write_volume(vol.id, vol.size,
                                                    self._backup_bytes(vol.backup_id))
            elif vol.snapshot_id:
                location = self.driver.create_from_snapshot(vol.id, vol.snapshot_id,
                                                            vol.size)
                image_meta, bootable = self._inherited(self._snapshot_volume(vol))
            elif vol.source_volid:
                location = self.driver.clone_volume(vol.id, vol.source_volid, vol.size)
                image_meta, bootable = self._inherited(vol.source_volid)
            elif vol.image_id:
                action = "COPY_IMAGE_TO_VOLUME"
                self.db.write(lambda s: self._move(s, Volume, vol.id, st.CREATING,
                                                   status=st.DOWNLOADING))
                location, image_meta = self._copy_image(vol)
                bootable = True
            else:
                location = self.driver.create_volume(vol.id, vol.size)
        except Exception as exc:  # noqa: BLE001 - whatever the backend says ends in error
            detail = getattr(exc, "detail", "DRIVER_FAILED_CREATE")
            log.warning("volume %s: create failed: %s", vol.id, exc)
            self._fail(vol, (st.CREATING, st.DOWNLOADING), st.ERROR, action, detail)
            return

        def finish(s: Session) -> None:
            now = utcnow()
            if not self._move(s, Volume, vol.id, (st.CREATING, st.DOWNLOADING),
                              status=st.AVAILABLE, provider_location=location,
                              launched_at=now, bootable=bootable):
                return
            if image_meta is not None:
                s.execute(sa.delete(VolumeImageMetadata).where(
                    VolumeImageMetadata.volume_id == vol.id))
                for key, value in image_meta.items():
                    s.add(VolumeImageMetadata(volume_id=vol.id, key=key[:255],
                                              value=str(value)[:255]))
        self.db.write(finish)

    def create_empty_volumes(self) -> int:
        """Every empty volume waiting in ``creating`` on this backend (``EMPTY_BATCH`` at
        most): the driver makes each, then one transaction marks them all ``available``.
        A burst of creates costs the database one read and one write per pass instead of
        a read and a write per volume — in ``onestack up`` each of those queues for the
        write lock and the interpreter behind the API's requests. Returns how many rows
        were looked at; a failed create ends that volume in ``error`` as ``create_volume``
        does."""
        rows = self.db.read(lambda s: s.execute(
            sa.select(Volume.id, Volume.size, Volume.bootable, Volume.project_id)
            .where(Volume.host == self.name, is_empty_create())
            .order_by(Volume.created_at, Volume.id).limit(EMPTY_BATCH)).all())
        made: list[dict[str, Any]] = []
        for vol in rows:
            try:
                location = self.driver.create_volume(vol.id, vol.size)
            except Exception as exc:  # noqa: BLE001 - as create_volume: the volume errs
                log.warning("volume %s: create failed: %s", vol.id, exc)
                self._fail(vol, st.CREATING, st.ERROR, "CREATE_VOLUME_FROM_BACKEND",
                           getattr(exc, "detail", "DRIVER_FAILED_CREATE"))
                continue
            made.append({"b_id": vol.id, "b_location": location,
                         "b_bootable": bool(vol.bootable)})
        if made:
            now = utcnow()
            table = Volume.__table__
            # one statement executed for every row; each row moves only while still
            # ``creating`` (a delete or a reset meanwhile wins)
            finish = sa.update(table).where(
                table.c.id == sa.bindparam("b_id"), table.c.status == st.CREATING
            ).values(status=st.AVAILABLE, provider_location=sa.bindparam("b_location"),
                     bootable=sa.bindparam("b_bootable"), launched_at=now, updated_at=now)
            self.db.write(lambda s: s.connection().execute(finish, made))
        return len(rows)

    def _snapshot_volume(self, vol: SimpleNamespace) -> str | None:
        from onestack.volume.models.snapshots import Snapshot

        return self.db.read(lambda s: s.scalar(
            sa.select(Snapshot.volume_id).where(Snapshot.id == vol.snapshot_id)))

    def _inherited(self, source_id: str | None) -> tuple[dict[str, str] | None, bool]:
        """The source volume's image metadata and bootable flag (a clone, or a volume
        from a snapshot of it)."""
        if not source_id:
            return None, False

        def work(s: Session) -> tuple[dict[str, str] | None, bool]:
            bootable = s.scalar(sa.select(Volume.bootable).where(Volume.id == source_id))
            meta = {r.key: r.value for r in s.scalars(sa.select(VolumeImageMetadata).where(
                VolumeImageMetadata.volume_id == source_id))}
            return (meta or None), bool(bootable)
        return self.db.read(work)

    def _copy_image(self, vol: SimpleNamespace) -> tuple[str, dict[str, str]]:
        if self.images is None:
            raise StepFailed("no image service")
        info = self.images.describe(vol.image_id)
        if info is None or info.get("status") != "active":
            raise StepFailed(f"image {vol.image_id} is not active")
        chunks = self.images.open_bytes(vol.image_id)
        if chunks is None:
            raise StepFailed(f"image {vol.image_id} has no data")
        size = int(info.get("virtual_size") or info.get("size") or 0)
        if size > vol.size * (1 << 30):
            raise StepFailed("image larger than the volume", "NOT_ENOUGH_SPACE_FOR_IMAGE")
        with closing_iter(chunks):
            location = self.driver.write_volume(vol.id, vol.size, chunks,
                                                info.get("disk_format") or "raw")
        meta = {"image_id": info["id"], "image_name": info.get("name") or ""}
        meta.update({k: str(info[k]) for k in IMAGE_ATTRIBUTES if info.get(k) is not None})
        meta.update(info.get("properties") or {})
        return location, meta

    def _backup_bytes(self, backup_id: str) -> Iterable[bytes]:
        if self.backups is None:
            raise StepFailed(f"cannot restore backup {backup_id}: no backup service",
                             "BACKUP_RESTORE_ERROR")
        return self.backups.open_backup(backup_id)

    # --- delete --------------------------------------------------------------------------
    def delete_volume(self, vol: SimpleNamespace) -> None:
        if not self._snapshots_gone(vol):
            self._fail(vol, st.DELETING, st.ERROR_DELETING, None, None)
            return
        try:
            self.driver.delete_volume(vol.id)
        except Exception as exc:  # noqa: BLE001
            log.warning("volume %s: delete failed: %s", vol.id, exc)
            self._fail(vol, st.DELETING, st.ERROR_DELETING, None, None)
            return

        def finish(s: Session) -> None:
            row = s.scalar(sa.select(Volume).where(Volume.id == vol.id,
                                                   Volume.status == st.DELETING)
                           .with_for_update())
            if row is None:
                return
            release_capacity(s, row.host, row.size)
            if row.use_quota:
                charge(s, row.project_id, {"volumes": -1, "gigabytes": -int(row.size)},
                       type_name(s, row.volume_type_id))
            for model in (VolumeMetadata, VolumeAdminMetadata, VolumeImageMetadata,
                          Attachment):
                s.execute(sa.delete(model).where(model.volume_id == row.id))
            s.delete(row)
        self.db.write(finish)

    def _snapshots_gone(self, vol: SimpleNamespace) -> bool:
        """A cascade delete marks the volume's snapshots ``deleting`` with it: they go
        first (a client must never list a snapshot of a volume already gone). False when
        one is left (its own delete failed, or it is not being deleted)."""
        from onestack.volume.models.snapshots import Snapshot

        def ids(s: Session) -> list[str]:
            return list(s.scalars(sa.select(Snapshot.id).where(
                Snapshot.volume_id == vol.id, Snapshot.status == st.DELETING)))
        for sid in self.db.read(ids):
            self.reconcile_snapshot(sid)
        return not self.db.read(lambda s: s.scalar(sa.select(sa.func.count()).select_from(
            Snapshot).where(Snapshot.volume_id == vol.id)))

    # --- extend --------------------------------------------------------------------------
    def extend_volume(self, vol: SimpleNamespace) -> None:
        target = int(vol.target_size or vol.size)
        try:
            if target > vol.size:
                self.driver.extend_volume(vol.id, target)
        except Exception as exc:  # noqa: BLE001
            log.warning("volume %s: extend failed: %s", vol.id, exc)

            def undo(s: Session) -> None:
                if target > vol.size:
                    release_capacity(s, vol.host, target - vol.size)
                    if vol.use_quota:
                        charge(s, vol.project_id, {"gigabytes": vol.size - target},
                               type_name(s, vol.volume_type_id))
            self._fail(vol, st.EXTENDING, st.ERROR_EXTENDING, "EXTEND_VOLUME",
                       "DRIVER_FAILED_EXTEND", also=undo, target_size=None,
                       previous_status=None)
            return

        self.db.write(lambda s: self._move(s, Volume, vol.id, st.EXTENDING,
                                           status=idle_status(vol), previous_status=None,
                                           size=max(target, vol.size), target_size=None))

    # --- upload to an image --------------------------------------------------------------
    def upload_volume(self, vol: SimpleNamespace) -> None:
        image_id = vol.task_image_id
        back = dict(status=idle_status(vol), task_image_id=None, previous_status=None)
        if not image_id or self.images is None:
            self.db.write(lambda s: self._move(s, Volume, vol.id, st.UPLOADING, **back))
            return
        try:
            info = self.images.describe(image_id) or {}
            fmt = (info.get("disk_format") or "raw").lower()
            with ExitStack() as stack:
                chunks = self._volume_bytes(vol.id, fmt, stack)
                stored = self.images.store_snapshot(image_id, chunks)
            if not stored:
                log.info("volume %s: image %s went away during the upload", vol.id,
                         image_id)
        except Exception as exc:  # noqa: BLE001
            log.warning("volume %s: upload to image %s failed: %s", vol.id, image_id, exc)
            try:
                self.images.delete(image_id)
            except Exception:  # noqa: BLE001 - the message matters more than the cleanup
                log.exception("volume %s: removing image %s failed", vol.id, image_id)
            self._fail(vol, st.UPLOADING, back["status"], "COPY_VOLUME_TO_IMAGE",
                       "FAILED_TO_UPLOAD_VOLUME", task_image_id=None, previous_status=None)
            return
        self.db.write(lambda s: self._move(s, Volume, vol.id, st.UPLOADING, **back))

    def _volume_bytes(self, volume_id: str, fmt: str, stack: ExitStack) -> Iterator[bytes]:
        raw = self.driver.read_volume(volume_id)
        if not convert.needs_conversion(fmt):
            return raw
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(
            prefix="onestack-upload-", dir=self.scratch)))
        with closing_iter(raw):
            convert.write_sparse(tmp / "raw", raw)
        convert.from_raw(tmp / "raw", fmt, tmp / "out")
        return file_chunks(tmp / "out")

    # --- retype, revert, restore ---------------------------------------------------------
    def retype_volume(self, vol: SimpleNamespace) -> None:
        self.db.write(lambda s: self._move(s, Volume, vol.id, st.RETYPING,
                                           status=idle_status(vol)))

    def revert_volume(self, vol: SimpleNamespace) -> None:
        from onestack.volume.models.snapshots import Snapshot

        snap_id = self.db.read(lambda s: s.scalar(
            sa.select(Snapshot.id).where(Snapshot.volume_id == vol.id,
                                         Snapshot.status == SNAPSHOT_RESTORING)
            .order_by(Snapshot.created_at.desc())))
        try:
            if snap_id is None:
                raise StepFailed(f"volume {vol.id} has no snapshot being restored")
            self.driver.revert_to_snapshot(vol.id, snap_id)
        except Exception as exc:  # noqa: BLE001
            log.warning("volume %s: revert failed: %s", vol.id, exc)

            def release(s: Session) -> None:
                if snap_id:
                    self._move(s, Snapshot, snap_id, SNAPSHOT_RESTORING, status=st.AVAILABLE)
            self._fail(vol, REVERTING, st.ERROR, None, None, also=release)
            return

        def finish(s: Session) -> None:
            if self._move(s, Volume, vol.id, REVERTING, status=st.AVAILABLE):
                self._move(s, Snapshot, snap_id, SNAPSHOT_RESTORING, status=st.AVAILABLE)
        self.db.write(finish)

    def restore_volume(self, vol: SimpleNamespace) -> None:
        try:
            if not vol.backup_id:
                raise StepFailed(f"volume {vol.id} names no backup to restore")
            self.driver.write_volume(vol.id, vol.size, self._backup_bytes(vol.backup_id))
        except Exception as exc:  # noqa: BLE001
            log.warning("volume %s: restore failed: %s", vol.id, exc)
            self._fail(vol, st.RESTORING_BACKUP, st.ERROR_RESTORING, "BACKUP_RESTORE",
                       "BACKUP_RESTORE_ERROR")
            return
        self.db.write(lambda s: self._move(s, Volume, vol.id, st.RESTORING_BACKUP,
                                           status=idle_status(vol)))

    def manage_volume(self, vol: SimpleNamespace) -> None:
        try:
            location, size = self.driver.manage_existing(vol.id, vol.provider_location or "")
        except Exception as exc:  # noqa: BLE001
            log.warning("volume %s: manage of %r failed: %s", vol.id,
                        vol.provider_location, exc)
            self._fail(vol, MANAGING, ERROR_MANAGING, "CREATE_VOLUME_FROM_BACKEND",
                       "DRIVER_FAILED_CREATE")
            return

        def finish(s: Session) -> None:
            from onestack.volume.service.quotas import QuotaError

            row = s.scalar(sa.select(Volume).where(Volume.id == vol.id,
                                                   Volume.status == MANAGING)
                           .with_for_update())
            if row is None:
                return
            row.updated_at = utcnow()
            if row.use_quota:
                try:
                    charge(s, row.project_id, {"gigabytes": size},
                           type_name(s, row.volume_type_id))
                except QuotaError:
                    row.status = ERROR_MANAGING
                    self._message(s, row.project_id, "VOLUME", row.id,
                                  "CREATE_VOLUME_FROM_BACKEND", "QUOTA_EXCEED")
                    return
            row.status, row.size, row.provider_location = st.AVAILABLE, size, location
            row.launched_at = row.updated_at
            s.execute(sa.update(Backend).where(Backend.name == row.host).values(
                allocated_capacity_gb=Backend.allocated_capacity_gb + size)
                .execution_options(synchronize_session=False))
        self.db.write(finish)

    # --- failure -------------------------------------------------------------------------
    def _fail(self, vol: SimpleNamespace, expect: Any, status: str, action: str | None,
              detail: str | None, also: Callable[[Session], None] | None = None,
              **values: Any) -> None:
        """``status`` (an error, or the idle status after a failed upload) and, when the
        row was still in ``expect``, a user message for the project."""
        def work(s: Session) -> None:
            if not self._move(s, Volume, vol.id, expect, status=status, **values):
                return
            if also is not None:
                also(s)
            if action and detail:
                self._message(s, vol.project_id, "VOLUME", vol.id, action, detail)
            else:
                from onestack.volume.service import messages

                messages.record(s, vol.project_id, messages.Resource.VOLUME, vol.id, None,
                                messages.Detail.UNKNOWN_ERROR)
        self.db.write(work)


def release_capacity(s: Session, backend: str, size_gb: int) -> None:
    from onestack.volume.service.scheduler import release

    release(s, backend, int(size_gb))


def charge(s: Session, project_id: str, deltas: dict[str, int],
           volume_type_name: str | None) -> None:
    from onestack.volume.service.quotas import charge as quota_charge

    quota_charge(s, project_id, deltas, volume_type_name)


class closing_iter(closing):  # type: ignore[type-arg]
    """``closing`` for an iterator that may have no ``close`` (a list of chunks)."""

    def __init__(self, it: Any):
        super().__init__(it if hasattr(it, "close") else _NoClose())


class _NoClose:
    def close(self) -> None:
        return None


def file_chunks(path: Path, size: int = 1 << 20) -> Iterator[bytes]:
    with open(path, "rb") as f:
        while block := f.read(size):
            yield block


VOLUME_STEPS: dict[str, Callable[[Any, SimpleNamespace], None]] = {
    st.CREATING: VolumeSteps.create_volume,
    st.DOWNLOADING: VolumeSteps.create_volume,
    st.DELETING: VolumeSteps.delete_volume,
    st.EXTENDING: VolumeSteps.extend_volume,
    st.UPLOADING: VolumeSteps.upload_volume,
    st.RETYPING: VolumeSteps.retype_volume,
    REVERTING: VolumeSteps.revert_volume,
    st.RESTORING_BACKUP: VolumeSteps.restore_volume,
    MANAGING: VolumeSteps.manage_volume,
}
