"""Backups: the use cases behind ``/backups`` (create, list, show, update, delete,
restore, the admin actions, export and import of records).

The API writes the wanted transition in the transaction that validates the request and
wakes the backup worker of the backup's host (``volume.backup.<host>``):

* create → backup ``creating`` (quota ``backups``/``backup_gigabytes`` charged), the
  volume ``backing-up`` (its status kept in ``previous_status``) or the snapshot
  ``backing-up``; an incremental names the newest available backup of the volume as its
  parent (whose dependent count grows). The worker stores the bytes → ``available``.
* delete → ``deleting``; the worker removes the objects and the row, gives the quota back.
* restore → backup ``restoring`` with ``restore_volume_id``; the target is a new volume
  (placed and charged like any create, ``creating`` with ``backup_id``) or an existing
  available one (``restoring-backup`` with ``backup_id``). The volume agent writes the
  bytes; the source volume's metadata and ``bootable`` come with them.
* import → a row ``creating`` (task ``import``) with the record's chunk index; the worker
  checks the store holds every object → ``available``.

Another project's backup is a 404 (decided before any policy rule); forbidden is 403.
"""
from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.platform import Platform
from onestack.volume import states
from onestack.volume.backup.base import SERVICE_PREFIX
from onestack.volume.models.backends import Service
from onestack.volume.models.backups import Backup, BackupChunk, BackupMetadata
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.volumes import (Volume, VolumeImageMetadata, VolumeMetadata)

BINARY = "cinder-backup"
SERVICE_NAME = SERVICE_PREFIX + "onestack_file"  # what our records carry
HEARTBEAT_WINDOW = timedelta(seconds=60)
RESET_STATUSES = ("available", "error")
# sort keys as the API names them → columns
SORT_KEYS = {"id": Backup.id, "status": Backup.status, "size": Backup.size,
             "object_count": Backup.object_count, "created_at": Backup.created_at,
             "updated_at": Backup.updated_at, "name": Backup.name,
             "display_name": Backup.name, "description": Backup.description,
             "display_description": Backup.description, "volume_id": Backup.volume_id,
             "project_id": Backup.project_id, "user_id": Backup.user_id,
             "availability_zone": Backup.availability_zone, "container": Backup.container,
             "data_timestamp": Backup.data_timestamp}
# filters (Cinder's resource_filters "backup", plus what admins may name)
USER_FILTERS = ("name", "status", "volume_id", "display_name")
ADMIN_FILTERS = USER_FILTERS + ("project_id", "user_id", "host", "availability_zone",
                                "parent_id", "snapshot_id")
LIKE_FILTERS = ("name", "status", "volume_id")
# what an exported record carries of the row
RECORD_FIELDS = ("id", "user_id", "project_id", "volume_id", "snapshot_id",
                 "availability_zone", "name", "description", "container", "service", "size",
                 "object_count", "chunk_size", "parent_id", "data_timestamp", "volume_meta")


def backup_not_found(ident: str) -> NotFound:
    return NotFound(f"Backup {ident} could not be found.")


@dataclass
class Page:
    rows: list[Backup]
    metadata: dict[str, dict[str, str]]
    count: int | None = None
    more: bool = False


@dataclass
class Restored:
    backup_id: str
    volume_id: str
    volume_name: str | None


def metadata_of(s: Session, ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {i: {} for i in ids}
    for start in range(0, len(ids), 500):
        for bid, key, value in s.execute(sa.select(
                BackupMetadata.backup_id, BackupMetadata.key, BackupMetadata.value)
                .where(BackupMetadata.backup_id.in_(ids[start:start + 500]))):
            out[bid][key] = value
    return out


def check_metadata(meta: Any) -> dict[str, str]:
    if not isinstance(meta, dict):
        raise BadRequest("Invalid input received: metadata must be a dictionary.")
    for key, value in meta.items():
        if not isinstance(key, str) or not key.strip() or len(key) > 255:
            raise BadRequest("Invalid input received: Metadata property key blank or "
                             "greater than 255 characters.")
        if not isinstance(value, str) or len(value) > 255:
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}. "
                             "must be a string of at most 255 characters")
    return dict(meta)


def wake_backup(bus: Any, host: str, ident: str) -> None:
    if bus is not None and host:
        from onestack.volume.backup.runner import topic

        bus.notify(topic(host), ident)


class BackupService:
    def __init__(self, platform: Platform,
                 visible_volume: Callable[..., Volume] | None = None) -> None:
        self.platform = platform
        self.db = platform.db
        self._visible_volume = visible_volume

    # --- seams and checks -------------------------------------------------------------
    @property
    def visible_volume(self) -> Callable[..., Volume]:
        """The volumes area's ``visible_volume`` (404 for what the caller cannot see)."""
        if self._visible_volume is None:
            from onestack.volume.service.volumes import VolumeService

            self._visible_volume = VolumeService(self.platform).visible_volume
        return self._visible_volume

    def is_admin(self, ctx: RequestContext) -> bool:
        return self.platform.policy.allowed("volume:context_is_admin", ctx)

    def enforce(self, rule: str, ctx: RequestContext, project_id: str | None) -> None:
        self.platform.policy.enforce(rule, ctx, {"project_id": project_id})

    def allowed(self, rule: str, ctx: RequestContext, project_id: str | None) -> bool:
        return self.platform.policy.allowed(rule, ctx, {"project_id": project_id})

    def visible(self, s: Session, ctx: RequestContext, backup_id: Any,
                lock: bool = False) -> Backup:
        if not isinstance(backup_id, str) or not backup_id or len(backup_id) > 36:
            raise backup_not_found(str(backup_id))
        row = s.get(Backup, backup_id, with_for_update=lock or None,
                    populate_existing=lock or None)
        if row is None or (row.project_id != ctx.project_id and not self.is_admin(ctx)):
            raise backup_not_found(backup_id)
        return row

    @staticmethod
    def backup_host(s: Session, zone: str | None, current: str = "") -> str:
        """An up ``cinder-backup`` service's host — ``current`` when it is up, else one
        in ``zone`` first (Cinder's ``_get_available_backup_service_host``); 404 when none
        is up."""
        rows = list(s.scalars(sa.select(Service).where(
            Service.binary == BINARY, Service.disabled.is_(False),
            Service.heartbeat_at >= utcnow() - HEARTBEAT_WINDOW)
            .order_by(Service.heartbeat_at.desc(), Service.host)))
        if current and any(row.host == current for row in rows):
            return current
        for row in rows:
            if not zone or row.availability_zone == zone:
                return row.host
        if rows:
            return rows[0].host
        raise NotFound("Service cinder-backup could not be found.")

    # --- create -----------------------------------------------------------------------
    def create(self, ctx: RequestContext, volume_id: Any, *, name: str | None = None,
               description: str | None = None, incremental: bool = False,
               force: bool = False, snapshot_id: str | None = None,
               container: str | None = None, metadata: dict[str, str] | None = None,
               availability_zone: str | None = None) -> Backup:
        self.enforce("backup:create", ctx, ctx.project_id)

        def work(s: Session) -> Backup:
            vol = self.visible_volume(s, ctx, volume_id, lock=True)
            snap = self._snapshot(s, ctx, vol, snapshot_id) if snapshot_id else None
            if snap is None:
                if vol.status not in (states.AVAILABLE, states.IN_USE):
                    raise BadRequest("Invalid volume: Volume to be backed up must be "
                                     "available or in-use, but the current status is "
                                     f"\"{vol.status}\".")
                if vol.status == states.IN_USE and not force:
                    raise BadRequest("Invalid volume: Backing up an in-use volume must use "
                                     "the force flag.")
            zone = availability_zone or vol.availability_zone
            host = self.backup_host(s, zone)
            from onestack.volume.service import quotas

            quotas.charge(s, ctx.project_id, {"backups": 1, "backup_gigabytes": vol.size})
            parent = self._parent(s, vol, snap) if incremental else None
            now = utcnow()
            row = Backup(id=str(uuid.uuid4()), project_id=ctx.project_id,
                         user_id=ctx.user_id or "", volume_id=vol.id,
                         snapshot_id=snap.id if snap else None, host=host,
                         availability_zone=zone, name=name, description=description,
                         container=container, status=states.CREATING, task="backup",
                         service=SERVICE_NAME, size=vol.size, object_count=0,
                         parent_id=parent.id if parent else None, num_dependent_backups=0,
                         data_timestamp=snap.created_at if snap else now,
                         volume_meta=self._volume_meta(s, vol), use_quota=True,
                         created_at=now)
            s.add(row)
            if parent is not None:
                parent.num_dependent_backups = (parent.num_dependent_backups or 0) + 1
            if snap is not None:
                snap.status, snap.updated_at = states.BACKING_UP, now
            else:
                vol.previous_status, vol.status = vol.status, states.BACKING_UP
                vol.updated_at = now
            s.flush()
            for key, value in (metadata or {}).items():
                s.add(BackupMetadata(backup_id=row.id, key=key, value=value))
            return row

        row = self.db.write(work)
        wake_backup(self.platform.bus, row.host, row.id)
        return row

    @staticmethod
    def _snapshot(s: Session, ctx: RequestContext, vol: Volume, snapshot_id: Any
                  ) -> Snapshot:
        snap = s.get(Snapshot, snapshot_id, with_for_update=True) \
            if isinstance(snapshot_id, str) and len(snapshot_id) <= 36 else None
        if snap is None or (snap.project_id != vol.project_id):
            raise NotFound(f"Snapshot {snapshot_id} could not be found.")
        if snap.volume_id != vol.id:
            raise BadRequest(f"Invalid volume: Volume {vol.id} does not match with "
                             f"snapshot.volume_id {snap.volume_id}.")
        if snap.status != states.AVAILABLE:
            raise BadRequest("Invalid snapshot: Snapshot to be backed up must be available, "
                             f"but the current status is \"{snap.status}\".")
        return snap

    @staticmethod
    def _parent(s: Session, vol: Volume, snap: Snapshot | None) -> Backup:
        """The newest available backup of the volume (older than the snapshot when
        backing up a snapshot), locked; 400 when there is none."""
        stmt = sa.select(Backup).where(Backup.volume_id == vol.id,
                                       Backup.status == states.AVAILABLE)
        if snap is not None:
            stmt = stmt.where(Backup.data_timestamp < snap.created_at)
        parent = s.scalar(stmt.order_by(Backup.data_timestamp.desc(),
                                        Backup.created_at.desc()).limit(1)
                          .with_for_update())
        if parent is None:
            raise BadRequest("Invalid backup: No backups available to do an incremental "
                             "backup.")
        return parent

    @staticmethod
    def _volume_meta(s: Session, vol: Volume) -> dict[str, Any]:
        """What a restore gives the volume it writes (Cinder keeps it in the backup)."""
        def pairs(model: Any) -> dict[str, str]:
            return {k: v for k, v in s.execute(sa.select(model.key, model.value).where(
                model.volume_id == vol.id))}
        return {"metadata": pairs(VolumeMetadata), "bootable": bool(vol.bootable),
                "image_metadata": pairs(VolumeImageMetadata),
                "volume_type_id": vol.volume_type_id}

    # --- read -------------------------------------------------------------------------
    def show(self, ctx: RequestContext, backup_id: str) -> tuple[Backup, dict[str, str]]:
        def work(s: Session) -> tuple[Backup, dict[str, str]]:
            row = self.visible(s, ctx, backup_id)
            self.enforce("backup:get", ctx, row.project_id)
            return row, metadata_of(s, [row.id])[row.id]
        return self.db.read(work)

    def list(self, ctx: RequestContext, params: Any, like: dict[str, str]) -> Page:
        """``params``: a ``listing.ListParams`` whose filters the API checked."""
        from onestack.volume.service import listing

        self.enforce("backup:get_all", ctx, ctx.project_id)
        admin = self.is_admin(ctx)

        def work(s: Session) -> Page:
            stmt = sa.select(Backup)
            filters = dict(params.filters)
            project = filters.pop("project_id", None) if admin else None
            if not (admin and params.all_tenants) or project:
                stmt = stmt.where(Backup.project_id == (project or ctx.project_id))
            for key, value in filters.items():
                if key == "metadata":
                    for mk, mv in value.items():
                        stmt = stmt.where(sa.exists().where(
                            BackupMetadata.backup_id == Backup.id,
                            BackupMetadata.key == str(mk),
                            BackupMetadata.value == str(mv)))
                    continue
                column = SORT_KEYS.get(key) if key != "host" else Backup.host
                column = column if column is not None else getattr(Backup, key)
                stmt = stmt.where(column == str(value))
            for key, value in like.items():
                stmt = stmt.where(listing.like(SORT_KEYS[key], value))
            count = listing.count(s, stmt) if params.with_count else None
            order = listing.sort_columns(params.sort, SORT_KEYS, Backup)
            rows = listing.page(s, stmt, Backup, order, params)
            return Page(rows, metadata_of(s, [r.id for r in rows]), count,
                        more=bool(rows) and len(rows) >= params.page_size)
        return self.db.read(work)

    # --- update -----------------------------------------------------------------------
    def update(self, ctx: RequestContext, backup_id: str, changes: dict[str, Any]
               ) -> tuple[Backup, dict[str, str]]:
        def work(s: Session) -> tuple[Backup, dict[str, str]]:
            row = self.visible(s, ctx, backup_id, lock=True)
            self.enforce("backup:update", ctx, row.project_id)
            for key in ("name", "description"):
                if key in changes:
                    setattr(row, key, changes[key])
            if "metadata" in changes:
                s.execute(sa.delete(BackupMetadata).where(BackupMetadata.backup_id == row.id))
                s.flush()
                for key, value in changes["metadata"].items():
                    s.add(BackupMetadata(backup_id=row.id, key=key, value=value))
            row.updated_at = utcnow()
            s.flush()
            return row, metadata_of(s, [row.id])[row.id]
        return self.db.write(work)

    # --- delete -----------------------------------------------------------------------
    def delete(self, ctx: RequestContext, backup_id: str, force: bool = False) -> None:
        def work(s: Session) -> str:
            row = self.visible(s, ctx, backup_id, lock=True)
            if force:
                self.enforce("volume_extension:backup_admin_actions:force_delete", ctx,
                             row.project_id)
            else:
                self.enforce("backup:delete", ctx, row.project_id)
                if row.status not in (states.AVAILABLE, states.ERROR):
                    raise BadRequest("Invalid backup: Backup status must be available or "
                                     "error")
            dependents = s.scalar(sa.select(sa.func.count()).select_from(Backup).where(
                Backup.parent_id == row.id))
            if dependents:
                raise BadRequest("Invalid backup: Incremental backups exist for this "
                                 "backup.")
            row.host = self._any_host(s, row.availability_zone, row.host)
            row.status, row.updated_at = states.DELETING, utcnow()
            return row.host
        host = self.db.write(work)
        wake_backup(self.platform.bus, host, backup_id)

    def _any_host(self, s: Session, zone: str | None, current: str) -> str:
        """The worker to do it: ``current`` while it is up, else another up one (its
        objects are in the shared store), else ``current`` (it will when it is back)."""
        try:
            return self.backup_host(s, zone, current)
        except NotFound:
            return current

    # --- restore ----------------------------------------------------------------------
    def restore(self, ctx: RequestContext, backup_id: str, volume_id: str | None = None,
                name: str | None = None) -> Restored:
        out: list[tuple[str, str]] = []  # (what to wake, its host) after the commit

        def work(s: Session) -> Restored:
            backup = self.visible(s, ctx, backup_id, lock=True)
            self.enforce("backup:restore", ctx, backup.project_id)
            if backup.status != states.AVAILABLE:
                raise BadRequest("Invalid backup: Backup status must be available")
            if volume_id is None:
                vol = self._new_volume(s, ctx, backup, name)
            else:
                vol = self.visible_volume(s, ctx, volume_id, lock=True)
                if vol.status != states.AVAILABLE:
                    raise BadRequest("Invalid volume: Volume to be restored to must be "
                                     "available")
                if backup.size > vol.size:
                    raise BadRequest(f"Invalid volume: volume size {vol.size} is too small "
                                     f"to restore backup of size {backup.size}.")
                vol.status = states.RESTORING_BACKUP
            vol.backup_id = backup.id
            vol.updated_at = utcnow()
            self._give_volume_meta(s, vol, backup.volume_meta or {})
            backup.host = self._any_host(s, backup.availability_zone, backup.host)
            backup.status, backup.restore_volume_id = states.BACKUP_RESTORING, vol.id
            backup.updated_at = utcnow()
            s.flush()
            out.extend([("volume", vol.host), ("backup", backup.host)])
            return Restored(backup.id, vol.id, vol.name)

        restored = self.db.write(work)
        from onestack.volume.wake import wake

        wake(self.platform.bus, out[0][1], restored.volume_id)
        wake_backup(self.platform.bus, out[1][1], restored.backup_id)
        return restored

    def _new_volume(self, s: Session, ctx: RequestContext, backup: Backup,
                    name: str | None) -> Volume:
        """A volume of the backup's size, placed and charged as any create, for the
        volume agent to write (``creating`` with ``backup_id``)."""
        from onestack.volume.models.types import VolumeType
        from onestack.volume.service import quotas, scheduler
        from onestack.volume.service.types import default_type

        meta = backup.volume_meta or {}
        vtype = s.get(VolumeType, meta["volume_type_id"]) \
            if meta.get("volume_type_id") else None
        vtype = vtype or default_type(s, ctx.project_id)
        quotas.charge(s, ctx.project_id, {"volumes": 1, "gigabytes": backup.size,
                                          "per_volume_gigabytes": backup.size},
                      volume_type_name=vtype.name)
        try:
            backend = scheduler.place(s, backup.size, None, vtype)
        except scheduler.NoValidBackend as exc:
            raise BadRequest(f"Invalid volume: Error while creating volume for restoring "
                             f"backup {backup.id}: {exc}") from exc
        vol = Volume(id=str(uuid.uuid4()), project_id=ctx.project_id,
                     user_id=ctx.user_id or "",
                     name=name if name is not None else f"restore_backup_{backup.id}",
                     description="auto-created_from_restore_from_backup", size=backup.size,
                     status=states.CREATING, attach_status=states.DETACHED,
                     host=backend.name, availability_zone=backend.availability_zone,
                     volume_type_id=vtype.id, multiattach=False, bootable=False,
                     use_quota=True, created_at=utcnow())
        s.add(vol)
        s.flush()
        return vol

    @staticmethod
    def _give_volume_meta(s: Session, vol: Volume, meta: dict[str, Any]) -> None:
        """The source volume's metadata (merged), ``bootable`` and image metadata."""
        for model, pairs in ((VolumeMetadata, meta.get("metadata") or {}),
                             (VolumeImageMetadata, meta.get("image_metadata") or {})):
            for key, value in pairs.items():
                found = s.get(model, (vol.id, key))
                if found is None:
                    s.add(model(volume_id=vol.id, key=key, value=value))
                else:
                    found.value = value
        if meta.get("bootable"):
            vol.bootable = True

    # --- admin actions ----------------------------------------------------------------
    def reset_status(self, ctx: RequestContext, backup_id: str, status: Any) -> None:
        if not isinstance(status, str) or status.lower() not in RESET_STATUSES:
            raise BadRequest(f"Invalid input for field/attribute status. Value: {status}. "
                             f"'{status}' is not one of ['available', 'error']")

        def work(s: Session) -> None:
            row = self.visible(s, ctx, backup_id, lock=True)
            self.enforce("volume_extension:backup_admin_actions:reset_status", ctx,
                         row.project_id)
            row.status, row.updated_at = status.lower(), utcnow()
        self.db.write(work)

    # --- export / import --------------------------------------------------------------
    def export_record(self, ctx: RequestContext, backup_id: str) -> dict[str, str]:
        def work(s: Session) -> dict[str, str]:
            row = self.visible(s, ctx, backup_id)
            self.enforce("backup:export-import", ctx, row.project_id)
            if row.status != states.AVAILABLE:
                raise BadRequest(f"Invalid backup: Backup status must be available and not "
                                 f"{row.status}.")
            record: dict[str, Any] = {k: getattr(row, k) for k in RECORD_FIELDS}
            if row.data_timestamp is not None:
                record["data_timestamp"] = row.data_timestamp.isoformat()
            record["metadata"] = metadata_of(s, [row.id])[row.id]
            record["chunks"] = [[c.idx, c.length, c.sha256, c.object] for c in s.scalars(
                sa.select(BackupChunk).where(BackupChunk.backup_id == row.id)
                .order_by(BackupChunk.idx))]
            url = base64.b64encode(json.dumps(record).encode()).decode()
            return {"backup_service": row.service or SERVICE_NAME, "backup_url": url}
        return self.db.read(work)

    def import_record(self, ctx: RequestContext, backup_service: Any, backup_url: Any
                      ) -> Backup:
        self.enforce("backup:backup-import", ctx, ctx.project_id)
        if not isinstance(backup_service, str) or not backup_service.startswith(
                SERVICE_PREFIX):
            raise NotFound(f"Service {backup_service} could not be found.")
        record = decode_record(backup_url)

        def work(s: Session) -> Backup:
            host = self.backup_host(s, record.get("availability_zone"))
            ident = record["id"]
            if s.get(Backup, ident) is not None:
                raise BadRequest("Invalid backup: Backup already exists in database.")
            size = int(record.get("size") or 0)
            from onestack.volume.service import quotas

            quotas.charge(s, ctx.project_id, {"backups": 1, "backup_gigabytes": size})
            now = utcnow()
            row = Backup(id=ident, project_id=ctx.project_id, user_id=ctx.user_id or "",
                         volume_id=str(record.get("volume_id") or "")[:36],
                         snapshot_id=record.get("snapshot_id"), host=host,
                         availability_zone=record.get("availability_zone"),
                         name=record.get("name"), description=record.get("description"),
                         container=record.get("container"), status=states.CREATING,
                         task="import", service=backup_service, size=size,
                         object_count=int(record.get("object_count") or 0),
                         chunk_size=int(record.get("chunk_size") or 0), parent_id=None,
                         num_dependent_backups=0,
                         data_timestamp=_when(record.get("data_timestamp")),
                         volume_meta=record.get("volume_meta"), use_quota=True,
                         created_at=now)
            s.add(row)
            s.flush()
            for key, value in (record.get("metadata") or {}).items():
                s.add(BackupMetadata(backup_id=ident, key=str(key), value=str(value)))
            for idx, length, sha, obj in record.get("chunks") or []:
                s.add(BackupChunk(backup_id=ident, idx=int(idx), length=int(length),
                                  sha256=str(sha), object=obj))
            return row
        row = self.db.write(work)
        wake_backup(self.platform.bus, row.host, row.id)
        return row


def decode_record(url: Any) -> dict[str, Any]:
    """An exported record (base64 of a JSON object with at least an ``id``); 400 for
    anything else."""
    try:
        record = json.loads(base64.b64decode(str(url), validate=True).decode())
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("Invalid backup: Can't parse backup record.") from exc
    if not isinstance(record, dict) or not isinstance(record.get("id"), str) or \
            not record["id"] or len(record["id"]) > 36:
        raise BadRequest("Invalid backup: Can't parse backup record.")
    chunks = record.get("chunks") or []
    if not isinstance(chunks, list) or not all(
            isinstance(c, list) and len(c) == 4 for c in chunks):
        raise BadRequest("Invalid backup: Can't parse backup record.")
    if record.get("volume_meta") is not None and not isinstance(record["volume_meta"], dict):
        raise BadRequest("Invalid backup: Can't parse backup record.")
    if not isinstance(record.get("metadata") or {}, dict):
        raise BadRequest("Invalid backup: Can't parse backup record.")
    return record


def _when(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequest("Invalid backup: Can't parse backup record.") from exc
    return moment.replace(tzinfo=None)
