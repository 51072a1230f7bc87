"""The attachments API (3.27+): reserve an attachment, give it a connector (connection
info back), complete it, delete it; list and show. Cinder's rules: the caller's project
owns the attachment (an admin sees every project's with ``all_tenants``), a volume in an
error state takes no attachment, a non-multiattach volume one attachment at a time.

The steps themselves are ``attach_ops`` (shared with the volume actions and compute's
seam); this class adds policy, lookups and the views.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest
from onestack.core.platform import Platform
from onestack.volume.models.volumes import Attachment, Volume
from onestack.volume.service import attach_ops as ops

FILTERS = {"volume_id": "volume_id", "status": "attach_status",
           "attach_status": "attach_status", "instance_id": "instance_uuid"}
SORT_KEYS = ("created_at", "updated_at", "id", "volume_id", "instance_uuid",
             "attach_status")
MAX_LIMIT = 1000


def iso_or_empty(moment: Any) -> str:
    return ops.iso(moment) or ""


def summary(row: Attachment) -> dict[str, Any]:
    return {"id": row.id, "status": row.attach_status, "instance": row.instance_uuid,
            "volume_id": row.volume_id}


def detail(row: Attachment) -> dict[str, Any]:
    out = summary(row)
    out.update(attached_at=iso_or_empty(row.attach_time),
               detached_at=iso_or_empty(row.detach_time), attach_mode=row.attach_mode,
               connection_info=row.connection_info or {})
    return out


@dataclass
class AttachmentQuery:
    filters: dict[str, str] = field(default_factory=dict)
    all_tenants: bool = False
    limit: int | None = None
    marker: str | None = None
    sort: list[tuple[str, str]] = field(default_factory=lambda: [("created_at", "desc")])


def visible_volume_fn(platform: Platform) -> Callable[..., Volume]:
    """The volumes area's ``visible_volume`` (404 for a volume the caller may not see)."""
    from onestack.volume.service.volumes import VolumeService

    return VolumeService(platform).visible_volume


class AttachmentService:
    def __init__(self, platform: Platform,
                 visible_volume: Callable[..., Volume] | None = None) -> None:
        self.platform = platform
        self._visible = visible_volume

    @property
    def visible_volume(self) -> Callable[..., Volume]:
        if self._visible is None:
            self._visible = visible_volume_fn(self.platform)
        return self._visible

    def is_admin(self, ctx: RequestContext) -> bool:
        return self.platform.policy.allowed("volume:context_is_admin", ctx)

    def enforce(self, rule: str, ctx: RequestContext, project_id: str) -> None:
        self.platform.policy.enforce(rule, ctx, {"project_id": project_id})

    def _attachment(self, s: Session, ctx: RequestContext, attachment_id: str,
                    lock: bool = False) -> Attachment:
        owner = None if self.is_admin(ctx) else ctx.project_id
        return ops.get_attachment(s, attachment_id, project_id=owner, lock=lock)

    # --- create / update / complete / delete -------------------------------------------
    def create(self, ctx: RequestContext, volume_id: Any, instance_uuid: Any,
               connector: Any = None, mode: str | None = None) -> dict[str, Any]:
        if not volume_id or not isinstance(volume_id, str):
            raise BadRequest("Must specify 'volume_uuid' to create attachment.")
        # optional, as in Cinder's schema: a consumer that is not a server (a host, a
        # backup or migration job) attaches without one
        if instance_uuid is not None:
            instance_uuid = str(ops.uuid_field("instance_uuid", instance_uuid))
        if connector is not None and not isinstance(connector, dict):
            raise BadRequest("Invalid input for field/attribute connector. Value: "
                             f"{connector}. {connector!r} is not of type 'object', 'null'")
        if mode is not None and mode not in ops.MODES:
            raise BadRequest(f"Invalid input for field/attribute mode. Value: {mode}. "
                             f"'{mode}' is not one of ['rw', 'ro']")

        def work(s: Session) -> dict[str, Any]:
            vol = self.visible_volume(s, ctx, volume_id, lock=True)
            self.enforce("volume:attachment_create", ctx, vol.project_id)
            if vol.multiattach and vol.status == "in-use" and vol.bootable:
                self.enforce("volume:multiattach_bootable_volume", ctx, vol.project_id)
            ops.check_not_error(vol)
            att = ops.reserve(s, vol, instance_uuid, vol.project_id)
            if connector:
                ops.connect(s, vol, att, connector, mode)
            elif ops.is_readonly(s, vol.id):
                att.attach_mode = "ro"
            elif mode:
                att.attach_mode = mode
            s.flush()
            return detail(att)

        return self.platform.db.write(work)

    def update(self, ctx: RequestContext, attachment_id: str, connector: Any
               ) -> dict[str, Any]:
        if not connector:
            raise BadRequest("Must specify 'connector' to update attachment.")

        def work(s: Session) -> dict[str, Any]:
            att = self._attachment(s, ctx, attachment_id, lock=True)
            self.enforce("volume:attachment_update", ctx, att.project_id)
            vol = ops.lock_volume(s, att.volume_id)
            ops.connect(s, vol, att, connector)
            s.flush()
            return detail(att)

        return self.platform.db.write(work)

    def complete(self, ctx: RequestContext, attachment_id: str) -> None:
        def work(s: Session) -> None:
            att = self._attachment(s, ctx, attachment_id, lock=True)
            self.enforce("volume:attachment_complete", ctx, att.project_id)
            vol = ops.lock_volume(s, att.volume_id)
            ops.complete(s, vol, att)

        self.platform.db.write(work)

    def delete(self, ctx: RequestContext, attachment_id: str) -> list[dict[str, Any]]:
        def work(s: Session) -> list[dict[str, Any]]:
            att = self._attachment(s, ctx, attachment_id, lock=True)
            self.enforce("volume:attachment_delete", ctx, att.project_id)
            vol = ops.lock_volume(s, att.volume_id)
            return [summary(a) for a in ops.remove(s, vol, att)]

        return self.platform.db.write(work)

    # --- reading ----------------------------------------------------------------------
    def show(self, ctx: RequestContext, attachment_id: str) -> dict[str, Any]:
        return self.platform.db.read(
            lambda s: detail(self._attachment(s, ctx, attachment_id)))

    def list(self, ctx: RequestContext, q: AttachmentQuery, *, details: bool
             ) -> list[dict[str, Any]]:
        admin = self.is_admin(ctx)

        def work(s: Session) -> list[dict[str, Any]]:
            query = sa.select(Attachment)
            if not (admin and q.all_tenants):
                query = query.where(Attachment.project_id == ctx.project_id)
            for key, value in q.filters.items():
                query = query.where(getattr(Attachment, FILTERS[key]) == value)
            rows = _page(s, query, q)
            return [detail(r) if details else summary(r) for r in rows]

        return self.platform.db.read(work)


def _page(s: Session, query: Any, q: AttachmentQuery) -> list[Attachment]:
    order = []
    for key, direction in q.sort:
        column = getattr(Attachment, key)
        order.append(column.asc() if direction == "asc" else column.desc())
    order.append(Attachment.id.asc())
    rows = list(s.scalars(query.order_by(*order)))
    if q.marker:
        ids = [r.id for r in rows]
        if q.marker not in ids:
            raise BadRequest(f"marker [{q.marker}] not found")
        rows = rows[ids.index(q.marker) + 1:]
    if q.limit is not None:
        rows = rows[:q.limit]
    return rows
