"""A volume as the Block Storage API shows it, per microversion and caller (Cinder's v3
view builder): the summary (id, name, links) and the detail, whose fields Tempest's
closed schemas check exactly — admin-only attributes (host, migration status, provider
id, cluster) only for admins, microversion fields only from their version on."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.volume.models.types import Encryption, VolumeType
from onestack.volume.models.volumes import (Attachment, Volume, VolumeAdminMetadata,
                                            VolumeImageMetadata, VolumeMetadata)

PREFIX = "/volume"
# admin metadata every reader sees among the volume's metadata (Cinder's
# add_visible_admin_metadata): the readonly flag and the mode it is attached in
VISIBLE_ADMIN_METADATA = ("readonly", "attached_mode")


@dataclass(frozen=True)
class Viewer:
    """Who is looking, and how: the negotiated microversion, whether the caller is an
    admin (and may see the tenant and image metadata attributes), and where links point."""

    version: tuple[int, int] = (3, 0)
    admin: bool = False
    base_url: str = ""
    link_project: str = ""
    tenant_attr: bool = True
    image_meta: bool = True
    # the attributes Cinder's extensions add to show and the detailed list only (not to
    # create and update answers): os-vol-host-attr, os-vol-mig-status-attr,
    # os-vol-tenant-attr, volume_image_metadata
    extended: bool = True

    def at_least(self, major: int, minor: int) -> bool:
        return self.version >= (major, minor)


def iso(moment: datetime | None) -> str | None:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") if moment else None


def links(viewer: Viewer, kind: str, ident: str) -> list[dict[str, str]]:
    project = f"/{viewer.link_project}" if viewer.link_project else ""
    return [{"rel": "self", "href": f"{viewer.base_url}{PREFIX}/v3{project}/{kind}/{ident}"},
            {"rel": "bookmark", "href": f"{viewer.base_url}{PREFIX}{project}/{kind}/{ident}"}]


def _chunks(ids: list[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def key_values(s: Session, model: Any, ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {i: {} for i in ids}
    for chunk in _chunks(ids):
        for vid, key, value in s.execute(sa.select(model.volume_id, model.key, model.value)
                                         .where(model.volume_id.in_(chunk))):
            out[vid][key] = value
    return out


def attachments_of(s: Session, ids: list[str], admin: bool = False
                   ) -> dict[str, list[dict[str, Any]]]:
    """The attached attachments (Cinder lists only those), oldest first; the compute
    host's name only for admins, as Cinder shows it."""
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chunk in _chunks(ids):
        for a in s.scalars(sa.select(Attachment).where(
                Attachment.volume_id.in_(chunk), Attachment.attach_status == "attached")
                .order_by(Attachment.created_at, Attachment.id)):
            out[a.volume_id].append({
                "server_id": a.instance_uuid, "attachment_id": a.id,
                "attached_at": iso(a.attach_time), "host_name": a.attached_host if admin else None,
                "volume_id": a.volume_id, "device": a.mountpoint, "id": a.volume_id})
    return out


def types_of(s: Session, type_ids: set[str]) -> dict[str, tuple[str, bool]]:
    """type id → (name, encrypted), in one query."""
    ids = [t for t in type_ids if t]
    if not ids:
        return {}
    found = {tid: (name, enc is not None) for tid, name, enc in s.execute(
        sa.select(VolumeType.id, VolumeType.name, Encryption.volume_type_id)
        .outerjoin(Encryption, Encryption.volume_type_id == VolumeType.id)
        .where(VolumeType.id.in_(ids)))}
    return {t: found.get(t, (t, False)) for t in ids}


def all_key_values(s: Session, ids: list[str], image: bool
                   ) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    """(metadata with the visible admin metadata, image metadata) of ``ids`` in one query
    over the three key/value tables (a show or a poll of a volume costs three fewer)."""
    meta: dict[str, dict[str, str]] = {i: {} for i in ids}
    imeta: dict[str, dict[str, str]] = {i: {} for i in ids}
    for chunk in _chunks(ids):
        parts = [sa.select(sa.literal("m").label("kind"), VolumeMetadata.volume_id,
                           VolumeMetadata.key, VolumeMetadata.value)
                 .where(VolumeMetadata.volume_id.in_(chunk)),
                 sa.select(sa.literal("a").label("kind"), VolumeAdminMetadata.volume_id,
                           VolumeAdminMetadata.key, VolumeAdminMetadata.value)
                 .where(VolumeAdminMetadata.volume_id.in_(chunk),
                        VolumeAdminMetadata.key.in_(VISIBLE_ADMIN_METADATA))]
        if image:
            parts.append(sa.select(sa.literal("i").label("kind"), VolumeImageMetadata.volume_id,
                                   VolumeImageMetadata.key, VolumeImageMetadata.value)
                         .where(VolumeImageMetadata.volume_id.in_(chunk)))
        admin: list[tuple[str, str, str]] = []
        for kind, vid, key, value in s.execute(sa.union_all(*parts)):
            if kind == "m":
                meta[vid][key] = value
            elif kind == "a":
                admin.append((vid, key, value))
            else:
                imeta[vid][key] = value
        for vid, key, value in admin:  # the admin's keys win, as before
            meta[vid][key] = value
    return meta, imeta


def summary(viewer: Viewer, row: Volume) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "links": links(viewer, "volumes", row.id)}


def render(s: Session, viewer: Viewer, rows: list[Volume], detail: bool = True
           ) -> list[dict[str, Any]]:
    if not detail:
        return [summary(viewer, r) for r in rows]
    ids = [r.id for r in rows]
    meta, image = all_key_values(s, ids, bool(viewer.image_meta and viewer.extended))
    attached = attachments_of(s, ids, viewer.admin)
    types = types_of(s, {r.volume_type_id for r in rows if r.volume_type_id})
    return [detail_of(viewer, r, meta[r.id], image.get(r.id) or {}, attached.get(r.id, []),
                      types.get(r.volume_type_id or "", (None, False)))
            for r in rows]


def detail_of(viewer: Viewer, r: Volume, meta: dict[str, str], image: dict[str, str],
              attachments: list[dict[str, Any]], vtype: tuple[str | None, bool]
              ) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": r.id, "status": r.status, "size": r.size,
        "availability_zone": r.availability_zone, "created_at": iso(r.created_at),
        "updated_at": iso(r.updated_at), "attachments": attachments, "name": r.name,
        "description": r.description, "volume_type": vtype[0],
        "snapshot_id": r.snapshot_id, "source_volid": r.source_volid, "metadata": meta,
        "links": links(viewer, "volumes", r.id), "user_id": r.user_id,
        "bootable": "true" if r.bootable else "false", "encrypted": vtype[1],
        "replication_status": r.replication_status, "consistencygroup_id": None,
        "multiattach": bool(r.multiattach)}
    if viewer.admin:
        out["migration_status"] = r.migration_status
    if viewer.admin and viewer.extended:
        out["os-vol-host-attr:host"] = r.host or None
        out["os-vol-mig-status-attr:migstat"] = r.migration_status
        out["os-vol-mig-status-attr:name_id"] = None
    if viewer.tenant_attr and viewer.extended:
        out["os-vol-tenant-attr:tenant_id"] = r.project_id
    if image:
        out["volume_image_metadata"] = image
    if viewer.at_least(3, 13):
        out["group_id"] = r.group_id
    if viewer.admin and viewer.at_least(3, 21):
        out["provider_id"] = None
    if viewer.at_least(3, 48):
        out["shared_targets"] = False
        out["service_uuid"] = None
    if viewer.admin and viewer.at_least(3, 61):
        out["cluster_name"] = None
    if viewer.at_least(3, 63):
        out["volume_type_id"] = r.volume_type_id
    if viewer.at_least(3, 65):
        out["consumes_quota"] = bool(r.use_quota)
    return out
