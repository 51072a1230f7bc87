"""Group snapshots: one member snapshot per volume of the group, made and deleted by the
volume agents like any snapshot (``creating`` / ``deleting`` on the volume's backend).

The group snapshot follows its members while ``pending`` (read paths settle it): all
members ``available`` → ``available``, one in ``error`` → ``error``; when deleting, once
every member is gone the group snapshot goes too (one ``error_deleting`` member →
``error_deleting``). An admin's reset clears ``pending``, so the reset status stays.
"""
from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.core.platform import Platform
from onestack.volume import states
from onestack.volume.models.groups import Group, GroupSnapshot
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.volumes import Volume
from onestack.volume.service.snapshots import type_name
from onestack.volume.wake import wake

STATUSES = ("creating", "available", "deleting", "error", "error_deleting", "deleted")
DELETABLE = ("available", "error")


def group_snapshot_not_found(ident: str) -> NotFound:
    return NotFound(f"GroupSnapshot {ident} could not be found.")


def visible_group_snapshot(s: Session, ctx: RequestContext, ident: Any,
                           lock: bool = False) -> GroupSnapshot:
    row = (s.get(GroupSnapshot, ident, with_for_update=lock or None)
           if isinstance(ident, str) and len(ident) <= 36 else None)
    if row is None or (row.project_id != ctx.project_id and not ctx.is_admin):
        raise group_snapshot_not_found(str(ident))
    return row


def settle(s: Session, row: GroupSnapshot) -> bool:
    """Moves a pending group snapshot on from its members; False when it is gone."""
    if not row.pending:
        return True
    statuses = list(s.scalars(sa.select(Snapshot.status).where(
        Snapshot.group_snapshot_id == row.id)))
    if row.status == states.DELETING:
        if not statuses:
            s.delete(row)
            return False
        if states.ERROR_DELETING in statuses:
            row.status, row.pending = states.ERROR_DELETING, False
            row.updated_at = utcnow()
        return True
    if states.ERROR in statuses:
        row.status, row.pending = states.ERROR, False
    elif all(st == states.AVAILABLE for st in statuses):
        row.status, row.pending = states.AVAILABLE, False
    else:
        return True
    row.updated_at = utcnow()
    return True


class GroupSnapshotService:
    def __init__(self, platform: Platform):
        self.platform = platform
        self.db = platform.db

    def enforce(self, rule: str, ctx: RequestContext, project_id: str) -> None:
        self.platform.policy.enforce(rule, ctx, {"project_id": project_id})

    def create(self, ctx: RequestContext, group_id: Any, name: str | None,
               description: str | None) -> GroupSnapshot:
        from onestack.volume.service import quotas
        from onestack.volume.service.groups import group_not_found

        def work(s: Session) -> tuple[GroupSnapshot, list[tuple[str, str]]]:
            group = (s.get(Group, group_id, with_for_update=True)
                     if isinstance(group_id, str) and len(group_id) <= 36 else None)
            if group is None or (group.project_id != ctx.project_id and not ctx.is_admin):
                raise group_not_found(str(group_id))
            self.enforce("group:create_group_snapshot", ctx, group.project_id)
            if group.status != states.AVAILABLE:
                raise BadRequest(f"Invalid group: Group {group.id} status must be "
                                 f"available, but current status is: {group.status}.")
            vols = list(s.scalars(sa.select(Volume).where(Volume.group_id == group.id)
                                  .order_by(Volume.created_at, Volume.id)
                                  .with_for_update()))
            for vol in vols:
                if vol.status not in (states.AVAILABLE, states.IN_USE):
                    raise BadRequest(f"Invalid volume: Volume {vol.id} status must be "
                                     f"available or in-use, but current status is: "
                                     f"{vol.status}.")
            now = utcnow()
            row = GroupSnapshot(id=str(uuid.uuid4()), group_id=group.id,
                                project_id=group.project_id, user_id=ctx.user_id or "",
                                name=name, description=description,
                                status=states.CREATING if vols else states.AVAILABLE,
                                group_type_id=group.group_type_id, pending=bool(vols),
                                created_at=now)
            s.add(row)
            s.flush()
            woken = []
            for vol in vols:
                quotas.charge(s, group.project_id, {"snapshots": 1, "gigabytes": vol.size},
                              volume_type_name=type_name(s, vol.volume_type_id))
                snap = Snapshot(id=str(uuid.uuid4()), volume_id=vol.id,
                                project_id=group.project_id, user_id=ctx.user_id or "",
                                name=f"snapshot-{row.id}", description=None,
                                status=states.CREATING, progress="0%", size=vol.size,
                                host=vol.host or "", volume_type_id=vol.volume_type_id,
                                group_snapshot_id=row.id, use_quota=True, created_at=now)
                s.add(snap)
                woken.append((snap.host, snap.id))
            return row, woken

        row, woken = self.db.write(work)
        for backend, ident in woken:
            wake(self.platform.bus, backend, ident)
        return row

    def show(self, ctx: RequestContext, ident: str) -> GroupSnapshot:
        def work(s: Session) -> GroupSnapshot | None:
            row = visible_group_snapshot(s, ctx, ident)
            self.enforce("group:get_group_snapshot", ctx, row.project_id)
            return row if settle(s, row) else None

        row = self.db.write(work)  # a settled-away row must be committed gone, then 404
        if row is None:
            raise group_snapshot_not_found(ident)
        return row

    def list(self, ctx: RequestContext, *, all_tenants: bool = False,
             filters: dict[str, str] | None = None) -> list[GroupSnapshot]:
        self.enforce("group:get_all_group_snapshots", ctx, ctx.project_id)

        def work(s: Session) -> list[GroupSnapshot]:
            stmt = sa.select(GroupSnapshot).order_by(GroupSnapshot.created_at.desc(),
                                                     GroupSnapshot.id.desc())
            if not (ctx.is_admin and all_tenants):
                stmt = stmt.where(GroupSnapshot.project_id == ctx.project_id)
            for key, value in (filters or {}).items():
                stmt = stmt.where(getattr(GroupSnapshot, key) == value)
            return [row for row in s.scalars(stmt) if settle(s, row)]
        return self.db.write(work)

    def delete(self, ctx: RequestContext, ident: str) -> None:
        def work(s: Session) -> list[tuple[str, str]] | None:
            row = visible_group_snapshot(s, ctx, ident, lock=True)
            self.enforce("group:delete_group_snapshot", ctx, row.project_id)
            if not settle(s, row):
                return None
            if row.status not in DELETABLE:
                raise BadRequest(f"Invalid group snapshot: Group snapshot status must be "
                                 f"available or error, but current status is: "
                                 f"{row.status}.")
            snaps = list(s.scalars(sa.select(Snapshot).where(
                Snapshot.group_snapshot_id == row.id).with_for_update()))
            now = utcnow()
            for snap in snaps:  # work for the agents again, even after a reset
                snap.status, snap.status_reset, snap.updated_at = states.DELETING, False, now
            row.status, row.pending, row.updated_at = states.DELETING, True, now
            if not snaps:
                s.delete(row)
            return [(x.host, x.id) for x in snaps]

        woken = self.db.write(work)
        if woken is None:
            raise group_snapshot_not_found(ident)
        for backend, snap_id in woken:
            wake(self.platform.bus, backend, snap_id)

    def reset_status(self, ctx: RequestContext, ident: str, status: Any) -> None:
        if status not in STATUSES:
            raise BadRequest(f"Invalid input received: Invalid group snapshot status: "
                             f"{status}.")

        def work(s: Session) -> None:
            row = visible_group_snapshot(s, ctx, ident, lock=True)
            self.enforce("group:reset_group_snapshot_status", ctx, row.project_id)
            row.status, row.pending = status, False
            row.updated_at = utcnow()
        self.db.write(work)
