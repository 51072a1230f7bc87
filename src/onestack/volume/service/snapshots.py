"""Snapshots: the use cases behind ``/snapshots`` (create, list, show, update, delete,
metadata, the admin and status actions).

The API writes the wanted transition as the status in the transaction that validates the
request (``creating``, ``deleting``) and wakes the volume agent of the snapshot's backend
(the volume's ``host``); the agent takes the snapshot through the driver and writes
``available`` (or ``error`` with a user message), or deletes the row. Quota (``snapshots``
and ``gigabytes``, also per volume type) is charged in the create's transaction; the agent
releases it when it removes a row.

A snapshot of another project's volume, or another project's snapshot, is a 404 (decided
before any policy rule runs); forbidden actions are 403.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.volume import states
from onestack.volume.models.snapshots import Snapshot, SnapshotMetadata
from onestack.volume.service.common import AreaService
from onestack.volume.service import listing
from onestack.volume.wake import wake

# Cinder's fields.SnapshotStatus
STATUSES = ("error", "available", "creating", "deleting", "deleted", "updating",
            "error_deleting", "unmanaging", "backing-up", "restoring")
# os-update_snapshot_status: from → allowed targets (Cinder's status_map)
UPDATE_STATUS_MAP = {"creating": ("available", "error"),
                     "deleting": ("deleted", "error_deleting")}
DELETABLE = ("available", "error")
MAX_LIMIT = 1000  # Cinder's osapi_max_limit
# sort keys as the API names them → columns
SORT_KEYS = {"id": "id", "status": "status", "size": "size", "volume_size": "size",
             "created_at": "created_at", "updated_at": "updated_at",
             "name": "name", "display_name": "name",
             "description": "description", "display_description": "description",
             "volume_id": "volume_id", "project_id": "project_id", "user_id": "user_id",
             "progress": "progress"}
# filters a non-admin may use (Cinder's resource_filters "snapshot")
USER_FILTERS = ("name", "status", "volume_id", "metadata", "availability_zone",
                "group_snapshot_id")
ADMIN_FILTERS = USER_FILTERS + ("project_id", "user_id", "host", "progress")
LIKE_FILTERS = ("name", "status", "volume_id")  # ``name~`` (3.34)


def snapshot_not_found(ident: str) -> NotFound:
    return NotFound(f"Snapshot {ident} could not be found.")


@dataclass
class SnapshotQuery:
    """A parsed list request (``api.snapshots.parse_query`` builds it)."""

    limit: int | None = None
    offset: int = 0
    marker: str | None = None
    sort: list[tuple[str, str]] = field(default_factory=list)  # (column, asc|desc)
    filters: dict[str, Any] = field(default_factory=dict)
    like: dict[str, str] = field(default_factory=dict)
    all_tenants: bool = False
    with_count: bool = False


@dataclass
class Page:
    rows: list[Snapshot]
    metadata: dict[str, dict[str, str]]
    count: int | None = None
    more: bool = False  # a full page: there may be a next one


def metadata_of(s: Session, ids: Iterable[str]) -> dict[str, dict[str, str]]:
    ids = list(ids)
    out: dict[str, dict[str, str]] = {i: {} for i in ids}
    for chunk in range(0, len(ids), 500):
        part = ids[chunk:chunk + 500]
        for sid, key, value in s.execute(sa.select(
                SnapshotMetadata.snapshot_id, SnapshotMetadata.key, SnapshotMetadata.value)
                .where(SnapshotMetadata.snapshot_id.in_(part))):
            out[sid][key] = value
    return out


def check_metadata(meta: Any) -> dict[str, str]:
    """A metadata object: string keys of 1–255 characters, string values up to 255."""
    if not isinstance(meta, dict):
        raise BadRequest("Invalid input received: metadata must be a dictionary.")
    for key, value in meta.items():
        if not isinstance(key, str) or not key.strip():
            raise BadRequest("Invalid input received: Metadata property key blank.")
        if len(key) > 255:
            raise BadRequest("Invalid input received: Metadata property key greater "
                             "than 255 characters.")
        if not isinstance(value, str):
            raise BadRequest(f"Invalid input for field/attribute {key}. Value: {value}. "
                             f"{value!r} is not of type 'string'")
        if len(value) > 255:
            raise BadRequest("Invalid input received: Metadata property value greater "
                             "than 255 characters.")
    return dict(meta)


def release_quota(s: Session, row: Snapshot) -> None:
    """Give back what the snapshot held (when its row goes without the agent)."""
    if not row.use_quota:
        return
    from onestack.volume.service import quotas

    quotas.charge(s, row.project_id, {"snapshots": -1, "gigabytes": -int(row.size)},
                  volume_type_name=type_name(s, row.volume_type_id))


def type_name(s: Session, type_id: str | None) -> str | None:
    if not type_id:
        return None
    from onestack.volume.models.types import VolumeType

    return s.scalar(sa.select(VolumeType.name).where(VolumeType.id == type_id))


class SnapshotService(AreaService):
    def visible(self, s: Session, ctx: RequestContext, snapshot_id: str,
                lock: bool = False) -> Snapshot:
        """The caller's snapshot (any project's for an admin); 404 otherwise."""
        if not isinstance(snapshot_id, str) or len(snapshot_id) > 36:
            raise snapshot_not_found(str(snapshot_id))
        row = s.get(Snapshot, snapshot_id, with_for_update=lock or None)
        if row is None or (row.project_id != ctx.project_id and not ctx.is_admin):
            raise snapshot_not_found(snapshot_id)
        return row

    # --- create ---------------------------------------------------------------------
    def create(self, ctx: RequestContext, volume_id: Any, *, name: str | None,
               description: str | None, force: bool, metadata: dict[str, str]
               ) -> tuple[Snapshot, dict[str, str]]:
        if not isinstance(volume_id, str) or not volume_id:
            raise NotFound(f"Volume {volume_id} could not be found.")

        def work(s: Session) -> Snapshot:
            volume = self.volumes.visible_volume(s, ctx, volume_id, lock=True)
            self.enforce("volume:create_snapshot", ctx, volume.project_id)
            allowed = (states.AVAILABLE, states.IN_USE) if force else (states.AVAILABLE,)
            if volume.status not in allowed:
                raise BadRequest(f"Invalid volume: Volume {volume.id} status must be "
                                 f"available, but current status is: {volume.status}.")
            if volume.migration_status not in (None, "", "success", "error"):
                raise BadRequest("Invalid volume: Volume cannot be snapshotted while "
                                 "migrating.")
            from onestack.volume.service import quotas

            quotas.charge(s, volume.project_id, {"snapshots": 1, "gigabytes": volume.size},
                          volume_type_name=type_name(s, volume.volume_type_id))
            now = utcnow()
            row = Snapshot(id=str(uuid.uuid4()), volume_id=volume.id,
                           project_id=volume.project_id, user_id=ctx.user_id or "",
                           name=name, description=description, status=states.CREATING,
                           progress="0%", size=volume.size, host=volume.host or "",
                           volume_type_id=volume.volume_type_id, use_quota=True,
                           created_at=now)
            s.add(row)
            s.flush()
            for key, value in metadata.items():
                s.add(SnapshotMetadata(snapshot_id=row.id, key=key, value=value))
            return row

        row = self.db.write(work)
        wake(self.platform.bus, row.host, row.id)
        return row, dict(metadata)

    # --- read -----------------------------------------------------------------------
    def show(self, ctx: RequestContext, snapshot_id: str) -> tuple[Snapshot, dict[str, str]]:
        def work(s: Session) -> tuple[Snapshot, dict[str, str]]:
            row = self.visible(s, ctx, snapshot_id)
            self.enforce("volume:get_snapshot", ctx, row.project_id)
            return row, metadata_of(s, [row.id])[row.id]
        return self.db.read(work)

    def list(self, ctx: RequestContext, q: SnapshotQuery) -> Page:
        self.enforce("volume:get_all_snapshots", ctx, ctx.project_id)

        def work(s: Session) -> Page:
            stmt = sa.select(Snapshot)
            filters = dict(q.filters)
            if not (ctx.is_admin and (q.all_tenants or "project_id" in filters)):
                filters.pop("project_id", None)  # an admin's own filter; others see theirs
                stmt = stmt.where(Snapshot.project_id == ctx.project_id)
            stmt = self._filtered(stmt, filters, q.like)
            count = listing.count(s, stmt) if q.with_count else None
            limit = min(q.limit if q.limit is not None else MAX_LIMIT, MAX_LIMIT)
            if limit == 0:
                return Page([], {}, count)
            order = listing.sort_columns(q.sort or [("created_at", "desc")],
                                         {name: getattr(Snapshot, name)
                                          for name in set(SORT_KEYS.values())}, Snapshot)
            if q.marker:
                marker = s.get(Snapshot, q.marker) if len(q.marker) <= 36 else None
                if marker is None or (marker.project_id != ctx.project_id
                                      and not ctx.is_admin):
                    raise NotFound(f"Marker {q.marker} could not be found.")
            rows = listing.page(s, stmt, Snapshot, order, listing.ListParams(
                limit=limit, marker=q.marker, offset=q.offset))
            # Cinder links the next page whenever a page is full
            return Page(rows, metadata_of(s, [r.id for r in rows]), count,
                        more=len(rows) == limit)
        return self.db.read(work)

    @staticmethod
    def _filtered(stmt: sa.Select, filters: dict[str, Any], like: dict[str, str]
                  ) -> sa.Select:
        for key, value in filters.items():
            if key == "metadata":
                for mk, mv in value.items():
                    stmt = stmt.where(sa.exists().where(
                        SnapshotMetadata.snapshot_id == Snapshot.id,
                        SnapshotMetadata.key == mk, SnapshotMetadata.value == str(mv)))
            elif key == "availability_zone":
                from onestack.volume.models.volumes import Volume

                stmt = stmt.where(sa.exists().where(Volume.id == Snapshot.volume_id,
                                                    Volume.availability_zone == value))
            else:
                column = getattr(Snapshot, key)
                values = value if isinstance(value, list) else [value]
                stmt = stmt.where(column.in_([str(v) for v in values]))
        for key, value in like.items():
            stmt = stmt.where(listing.like(getattr(Snapshot, key), value))
        return stmt

    # --- update / delete ------------------------------------------------------------
    def update(self, ctx: RequestContext, snapshot_id: str, changes: dict[str, Any]
               ) -> tuple[Snapshot, dict[str, str]]:
        def work(s: Session) -> tuple[Snapshot, dict[str, str]]:
            row = self.visible(s, ctx, snapshot_id, lock=True)
            self.enforce("volume:update_snapshot", ctx, row.project_id)
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
            return row, metadata_of(s, [row.id])[row.id]
        return self.db.write(work)

    def delete(self, ctx: RequestContext, snapshot_id: str, *, force: bool = False) -> None:
        def work(s: Session) -> Snapshot:
            row = self.visible(s, ctx, snapshot_id, lock=True)
            if force:
                self.enforce("volume_extension:snapshot_admin_actions:force_delete", ctx,
                             row.project_id)
            else:
                self.enforce("volume:delete_snapshot", ctx, row.project_id)
                if row.status not in DELETABLE:
                    raise BadRequest("Invalid snapshot: Volume Snapshot status must be "
                                     "available or error and must not be part of a group.")
                if row.group_snapshot_id:
                    raise BadRequest(f"Invalid snapshot: Snapshot {row.id} is part of a "
                                     "group snapshot and cannot be deleted alone.")
            row.status, row.status_reset = states.DELETING, False
            row.updated_at = utcnow()
            return row
        row = self.db.write(work)
        wake(self.platform.bus, row.host, row.id)

    # --- actions --------------------------------------------------------------------
    def reset_status(self, ctx: RequestContext, snapshot_id: str, status: Any) -> None:
        if status not in STATUSES:
            raise BadRequest(f"Invalid input received: Invalid snapshot status: {status}.")

        def work(s: Session) -> None:
            row = self.visible(s, ctx, snapshot_id, lock=True)
            self.enforce("volume_extension:snapshot_admin_actions:reset_status", ctx,
                         row.project_id)
            # a label, not work for the agent (see ``Snapshot.status_reset``)
            row.status, row.status_reset = status, True
            row.updated_at = utcnow()
        self.db.write(work)

    def update_status(self, ctx: RequestContext, snapshot_id: str, status: Any,
                      progress: Any) -> None:
        """``os-update_snapshot_status``: what a driver outside Cinder reports (creating →
        available/error, deleting → deleted/error_deleting; ``deleted`` removes the row)."""
        if not isinstance(status, str) or not status:
            raise BadRequest("'status' must be specified.")
        if progress is not None and not isinstance(progress, str):
            raise BadRequest("Invalid input received: progress must be a string.")

        def work(s: Session) -> None:
            row = self.visible(s, ctx, snapshot_id, lock=True)
            self.enforce("snapshot_extension:snapshot_actions:update_snapshot_status", ctx,
                         row.project_id)
            if status not in UPDATE_STATUS_MAP.get(row.status, ()):
                raise BadRequest(f"Provided snapshot status {status} not allowed for "
                                 f"snapshot with status {row.status}.")
            if status == "deleted":
                release_quota(s, row)
                s.delete(row)
                return
            row.status = status
            if progress is not None:
                row.progress = progress
            row.updated_at = utcnow()
        self.db.write(work)

    def update_progress(self, ctx: RequestContext, snapshot_id: str, progress: Any) -> None:
        if not isinstance(progress, (str, int)):
            raise BadRequest("Invalid input received: progress must be a string.")

        def work(s: Session) -> None:
            row = self.visible(s, ctx, snapshot_id, lock=True)
            self.enforce("volume_extension:snapshot_admin_actions:reset_status", ctx,
                         row.project_id)
            row.progress = str(progress)
            row.updated_at = utcnow()
        self.db.write(work)

    # --- metadata -------------------------------------------------------------------
    def get_metadata(self, ctx: RequestContext, snapshot_id: str) -> dict[str, str]:
        def work(s: Session) -> dict[str, str]:
            row = self.visible(s, ctx, snapshot_id)
            self.enforce("volume:get_snapshot_metadata", ctx, row.project_id)
            return metadata_of(s, [row.id])[row.id]
        return self.db.read(work)

    def set_metadata(self, ctx: RequestContext, snapshot_id: str, meta: dict[str, str],
                     *, replace: bool) -> dict[str, str]:
        """Merge ``meta`` (``replace``: make it the whole metadata); returns all of it."""
        def work(s: Session) -> dict[str, str]:
            row = self.visible(s, ctx, snapshot_id, lock=True)
            self.enforce("volume:update_snapshot_metadata", ctx, row.project_id)
            held = {m.key: m for m in s.scalars(sa.select(SnapshotMetadata).where(
                SnapshotMetadata.snapshot_id == row.id))}
            for key, item in held.items():
                if replace and key not in meta:
                    s.delete(item)
            for key, value in meta.items():
                if key in held:
                    held[key].value = value
                else:
                    s.add(SnapshotMetadata(snapshot_id=row.id, key=key, value=value))
            row.updated_at = utcnow()
            s.flush()
            return metadata_of(s, [row.id])[row.id]
        return self.db.write(work)

    def delete_metadata_item(self, ctx: RequestContext, snapshot_id: str, key: str) -> None:
        def work(s: Session) -> None:
            row = self.visible(s, ctx, snapshot_id, lock=True)
            self.enforce("volume:delete_snapshot_metadata", ctx, row.project_id)
            item = s.get(SnapshotMetadata, (row.id, key))
            if item is None:
                raise NotFound(f"Snapshot {row.id} has no metadata with key {key}.")
            s.delete(item)
            row.updated_at = utcnow()
        self.db.write(work)
