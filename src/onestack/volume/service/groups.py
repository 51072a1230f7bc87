"""Generic volume groups: create (of a group type and volume types; nothing to make on a
file backend, so ``available`` at once), update (name, description, add/remove member
volumes), delete (with ``delete-volumes`` the members go to ``deleting`` for their agents),
reset status, and create-from-source (a copy of each volume of a source group, or of each
member snapshot of a group snapshot, made through the volumes area's create).

A group made from a source is ``creating`` with ``pending`` set until its volumes settle
(read paths settle it: all ``available`` → ``available``, one ``error`` → ``error``).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, NotFound
from onestack.volume import states
from onestack.volume.models.groups import Group, GroupSnapshot, GroupVolumeType
from onestack.volume.models.snapshots import Snapshot
from onestack.volume.models.volumes import Volume
from onestack.volume.service.common import AreaService
from onestack.volume.service.group_types import resolve_group_type
from onestack.volume.wake import wake

# Cinder's fields.GroupStatus
STATUSES = ("error", "available", "creating", "deleting", "deleted", "updating", "in-use",
            "failing-over", "failed-over", "error_deleting")
MEMBER_ADD_STATUSES = (states.AVAILABLE, states.IN_USE)
MEMBER_REMOVE_STATUSES = (states.AVAILABLE, states.IN_USE, states.ERROR,
                          states.ERROR_DELETING)
DELETABLE = ("available", "error")


def group_not_found(ident: str) -> NotFound:
    return NotFound(f"Group {ident} could not be found.")


@dataclass
class GroupInfo:
    row: Group
    volume_types: list[str]
    volumes: list[str]


def volume_types_of(s: Session, group_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {g: [] for g in group_ids}
    if group_ids:
        for gid, tid in s.execute(sa.select(GroupVolumeType.group_id,
                                            GroupVolumeType.volume_type_id)
                                  .where(GroupVolumeType.group_id.in_(group_ids))
                                  .order_by(GroupVolumeType.position)):
            out[gid].append(tid)
    return out


def members_of(s: Session, group_ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {g: [] for g in group_ids}
    if group_ids:
        for gid, vid in s.execute(sa.select(Volume.group_id, Volume.id).where(
                Volume.group_id.in_(group_ids)).order_by(Volume.created_at, Volume.id)):
            out[gid].append(vid)
    return out


def settle(s: Session, row: Group) -> None:
    """A pending group takes its members' outcome (see the module docstring)."""
    if not row.pending:
        return
    statuses = list(s.scalars(sa.select(Volume.status).where(Volume.group_id == row.id)))
    if any(st.startswith("error") for st in statuses):
        row.status, row.pending = states.ERROR, False
    elif all(st in (states.AVAILABLE, states.IN_USE) for st in statuses):
        row.status, row.pending = states.AVAILABLE, False
    else:
        return
    row.updated_at = utcnow()


def check_member(s: Session, ctx: RequestContext | None, group_id: str,
                 volume_type_id: str | None) -> Group:
    """For a volume created into ``group_id`` (the volumes area calls this): the group
    is the caller's, ``available``, and holds ``volume_type_id`` among its types."""
    row = s.get(Group, group_id) if len(group_id) <= 36 else None
    if row is None or (ctx is not None and row.project_id != ctx.project_id
                       and not ctx.is_admin):
        raise group_not_found(group_id)
    if row.status != states.AVAILABLE:
        raise BadRequest(f"Invalid group: Group {row.id} status must be available, but "
                         f"current status is: {row.status}.")
    if volume_type_id and volume_type_id not in volume_types_of(s, [row.id])[row.id]:
        raise BadRequest(f"Invalid volume_type: Volume type {volume_type_id} is not "
                         f"supported by group {row.id}.")
    return row


def _ids(value: Any, label: str) -> list[str]:
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise BadRequest(f"Invalid input for field/attribute {label}. Value: {value}.")
    return [v.strip() for v in value.split(",") if v.strip()]


class GroupService(AreaService):
    def visible(self, s: Session, ctx: RequestContext, group_id: str,
                lock: bool = False) -> Group:
        row = (s.get(Group, group_id, with_for_update=lock or None)
               if isinstance(group_id, str) and len(group_id) <= 36 else None)
        if row is None or (row.project_id != ctx.project_id and not ctx.is_admin):
            raise group_not_found(str(group_id))
        return row

    def _info(self, s: Session, rows: list[Group]) -> list[GroupInfo]:
        ids = [r.id for r in rows]
        types, members = volume_types_of(s, ids), members_of(s, ids)
        return [GroupInfo(r, types[r.id], members[r.id]) for r in rows]

    # --- create -----------------------------------------------------------------------
    def create(self, ctx: RequestContext, *, name: str | None, description: str | None,
               group_type: Any, volume_types: Any, availability_zone: str | None) -> Group:
        from onestack.volume.service import quotas
        from onestack.volume.service.types import resolve_type

        self.enforce("group:create", ctx, ctx.project_id)
        if not isinstance(volume_types, list) or not volume_types:
            raise BadRequest("volume_types must be provided to create group.")
        if not group_type:
            raise BadRequest("group_type must be provided to create group.")

        def work(s: Session) -> Group:
            gtype = resolve_group_type(s, ctx, group_type)
            vtypes = [resolve_type(s, ctx, t).id for t in volume_types]
            zone = self._zone(s, availability_zone)
            quotas.charge(s, ctx.project_id, {"groups": 1})
            row = Group(id=str(uuid.uuid4()), project_id=ctx.project_id,
                        user_id=ctx.user_id or "", name=name, description=description,
                        status=states.AVAILABLE, availability_zone=zone,
                        group_type_id=gtype.id, pending=False, created_at=utcnow())
            s.add(row)
            s.flush()
            for pos, tid in enumerate(dict.fromkeys(vtypes)):
                s.add(GroupVolumeType(group_id=row.id, volume_type_id=tid, position=pos))
            return row
        return self.db.write(work)

    @staticmethod
    def _zone(s: Session, asked: str | None) -> str:
        if not asked:
            return "nova"
        from onestack.volume.service.scheduler import zones

        known = zones(s)
        if known and asked not in known:
            raise BadRequest(f"Invalid input received: Availability zone '{asked}' is "
                             "invalid.")
        return asked

    def create_from_source(self, ctx: RequestContext, *, name: str | None,
                           description: str | None, source_group_id: Any,
                           group_snapshot_id: Any) -> Group:
        """A new group with a copy of every volume of the source (a group, or a group
        snapshot's member snapshots); ``creating`` until the copies are made."""
        from onestack.volume.service import quotas

        if bool(source_group_id) == bool(group_snapshot_id):
            raise BadRequest("Either 'group_snapshot_id' or 'source_group_id' must be "
                             "provided to create group from source.")
        self.enforce("group:create", ctx, ctx.project_id)

        def work(s: Session) -> tuple[Group, list[dict[str, Any]]]:
            if source_group_id:
                src = self.visible(s, ctx, source_group_id)
                settle(s, src)
                if src.status != states.AVAILABLE:
                    raise BadRequest(f"Invalid group: Source group {src.id} status must "
                                     "be available.")
                vols = list(s.scalars(sa.select(Volume).where(Volume.group_id == src.id)
                                      .order_by(Volume.created_at, Volume.id)))
                copies = [{"source_volid": v.id, "size": v.size, "volume_type":
                           v.volume_type_id, "name": v.name} for v in vols]
                group_type_id, type_group = src.group_type_id, src.id
            else:
                from onestack.volume.service import group_snapshots

                gs = group_snapshots.visible_group_snapshot(s, ctx, group_snapshot_id)
                group_snapshots.settle(s, gs)
                if gs.status != states.AVAILABLE:
                    raise BadRequest(f"Invalid group snapshot: Group snapshot {gs.id} "
                                     "status must be available.")
                snaps = list(s.scalars(sa.select(Snapshot).where(
                    Snapshot.group_snapshot_id == gs.id).order_by(Snapshot.created_at)))
                copies = [{"snapshot_id": x.id, "size": x.size, "volume_type":
                           x.volume_type_id, "name": x.name} for x in snaps]
                group_type_id, type_group = gs.group_type_id, gs.group_id
            quotas.charge(s, ctx.project_id, {"groups": 1})
            row = Group(id=str(uuid.uuid4()), project_id=ctx.project_id,
                        user_id=ctx.user_id or "", name=name, description=description,
                        status=states.CREATING, group_type_id=group_type_id,
                        source_group_id=source_group_id or None,
                        group_snapshot_id=group_snapshot_id or None,
                        pending=True, created_at=utcnow())
            source = s.get(Group, type_group)
            row.availability_zone = source.availability_zone if source else "nova"
            s.add(row)
            s.flush()
            for pos, tid in enumerate(volume_types_of(s, [type_group])[type_group]):
                s.add(GroupVolumeType(group_id=row.id, volume_type_id=tid, position=pos))
            return row, copies

        row, copies = self.db.write(work)
        self._copy_volumes(ctx, row, copies)
        return row

    def _copy_volumes(self, ctx: RequestContext, row: Group,
                      copies: list[dict[str, Any]]) -> None:
        from onestack.volume.service.volume_input import CreateRequest

        try:
            for copy in copies:
                self.volumes.create(ctx, CreateRequest(group_id=row.id, **copy))
        except Exception:
            def failed(s: Session) -> None:
                group = s.get(Group, row.id)
                if group is not None:
                    group.status, group.pending = states.ERROR, False
                    group.updated_at = utcnow()
            self.db.write(failed)
            raise

    # --- read -------------------------------------------------------------------------
    def show(self, ctx: RequestContext, group_id: str) -> GroupInfo:
        def work(s: Session) -> GroupInfo:
            row = self.visible(s, ctx, group_id)
            self.enforce("group:get", ctx, row.project_id)
            settle(s, row)
            return self._info(s, [row])[0]
        return self.db.write(work)

    def list(self, ctx: RequestContext, *, all_tenants: bool = False,
             filters: dict[str, str] | None = None) -> list[GroupInfo]:
        self.enforce("group:get_all", ctx, ctx.project_id)

        def work(s: Session) -> list[GroupInfo]:
            stmt = sa.select(Group).order_by(Group.created_at.desc(), Group.id.desc())
            if not (ctx.is_admin and all_tenants):
                stmt = stmt.where(Group.project_id == ctx.project_id)
            for key, value in (filters or {}).items():
                stmt = stmt.where(getattr(Group, key) == value)
            rows = list(s.scalars(stmt))
            for row in rows:
                settle(s, row)
            return self._info(s, rows)
        return self.db.write(work)

    # --- update -----------------------------------------------------------------------
    def update(self, ctx: RequestContext, group_id: str, changes: dict[str, Any],
               add_volumes: Any, remove_volumes: Any) -> None:
        adds, removes = _ids(add_volumes, "add_volumes"), _ids(remove_volumes,
                                                               "remove_volumes")
        if not changes and not adds and not removes:
            raise BadRequest("Name, description, add_volumes, and remove_volumes can not "
                             "be all empty in the request body.")

        def work(s: Session) -> None:
            row = self.visible(s, ctx, group_id, lock=True)
            self.enforce("group:update", ctx, row.project_id)
            settle(s, row)
            if (adds or removes) and row.status != states.AVAILABLE:
                raise BadRequest(f"Invalid group: Group {row.id} status must be "
                                 f"available, but current status is: {row.status}.")
            allowed_types = set(volume_types_of(s, [row.id])[row.id])
            for vid in removes:
                vol = s.get(Volume, vid, with_for_update=True) if len(vid) <= 36 else None
                if vol is None or vol.group_id != row.id:
                    raise BadRequest(f"Invalid volume: Cannot remove volume {vid} from "
                                     f"group {row.id} because it is not in the group.")
                if vol.status not in MEMBER_REMOVE_STATUSES:
                    raise BadRequest(f"Invalid volume: Cannot remove volume {vid} from "
                                     f"group {row.id} because volume is in an invalid "
                                     f"state: {vol.status}.")
                vol.group_id = None
            for vid in adds:
                vol = s.get(Volume, vid, with_for_update=True) if len(vid) <= 36 else None
                if vol is None or vol.project_id != row.project_id:
                    raise BadRequest(f"Invalid volume: Cannot add volume {vid} to group "
                                     f"{row.id} because volume cannot be found.")
                if vol.group_id and vol.group_id != row.id:
                    raise BadRequest(f"Invalid volume: Cannot add volume {vid} to group "
                                     f"{row.id} because it is already in group "
                                     f"{vol.group_id}.")
                if vol.status not in MEMBER_ADD_STATUSES:
                    raise BadRequest(f"Invalid volume: Cannot add volume {vid} to group "
                                     f"{row.id} because volume is in an invalid state: "
                                     f"{vol.status}.")
                if vol.volume_type_id not in allowed_types:
                    raise BadRequest(f"Invalid volume: Cannot add volume {vid} to group "
                                     f"{row.id} because volume type {vol.volume_type_id} "
                                     "is not supported by the group.")
                vol.group_id = row.id
            for key, value in changes.items():
                setattr(row, key, value)
            row.updated_at = utcnow()
        self.db.write(work)

    # --- delete / reset ---------------------------------------------------------------
    def delete(self, ctx: RequestContext, group_id: str, delete_volumes: bool) -> None:
        from onestack.volume.service import quotas

        def work(s: Session) -> list[tuple[str, str]]:
            row = self.visible(s, ctx, group_id, lock=True)
            self.enforce("group:delete", ctx, row.project_id)
            settle(s, row)
            if row.status not in DELETABLE:
                raise BadRequest(f"Invalid group: Group status must be available or "
                                 f"error, but current status is: {row.status}.")
            from onestack.volume.service.group_snapshots import settle as settle_snapshot

            kept = [gs for gs in s.scalars(sa.select(GroupSnapshot).where(
                GroupSnapshot.group_id == row.id)) if settle_snapshot(s, gs)]
            if kept:
                raise BadRequest(f"Invalid group: Group {row.id} has existing snapshots.")
            vols = list(s.scalars(sa.select(Volume).where(Volume.group_id == row.id)
                                  .with_for_update()))
            if vols and not delete_volumes:
                raise BadRequest(f"Invalid group: Group {row.id} still contains volumes. "
                                 "The delete-volumes flag is required to delete it.")
            for vol in vols:
                if vol.attach_status == states.ATTACHED or vol.status == states.IN_USE:
                    raise BadRequest(f"Invalid volume: Volume {vol.id} in group {row.id} "
                                     "is attached. Need to detach first.")
                if s.scalar(sa.select(Snapshot.id).where(Snapshot.volume_id == vol.id)
                            .limit(1)) is not None:
                    raise BadRequest(f"Invalid volume: Volume {vol.id} in group {row.id} "
                                     "still has dependent snapshots.")
            woken = []
            for vol in vols:
                if vol.status != states.DELETING:
                    vol.previous_status, vol.status = vol.status, states.DELETING
                    vol.updated_at = utcnow()
                woken.append((vol.host, vol.id))
            quotas.charge(s, row.project_id, {"groups": -1})
            s.delete(row)
            return woken

        for backend, volume_id in self.db.write(work):
            if backend:
                wake(self.platform.bus, backend, volume_id)
            else:
                self.volumes.delete(ctx, volume_id, force=True)

    def reset_status(self, ctx: RequestContext, group_id: str, status: Any) -> None:
        if status not in STATUSES:
            raise BadRequest(f"Invalid input received: Invalid group status: {status}.")

        def work(s: Session) -> None:
            row = self.visible(s, ctx, group_id, lock=True)
            self.enforce("group:reset_status", ctx, row.project_id)
            row.status, row.pending = status, False
            row.updated_at = utcnow()
        self.db.write(work)
