"""Listing volumes (``/volumes``, ``/volumes/detail``, ``/volumes/summary``) with Cinder's
filters: a non-admin may filter on the user filters (others are dropped before 3.33 and
refused from 3.33 on), an admin on any column (one the table does not have matches
nothing, as in Cinder); values are read as Python literals; ``name~`` style like filters
from 3.34; time filters from 3.60; ``all_tenants`` (and ``project_id``) for admins."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest
from onestack.volume.models.types import VolumeType
from onestack.volume.models.volumes import Volume, VolumeImageMetadata, VolumeMetadata
from onestack.volume.service import listing
from onestack.volume.service.listing import ListParams

USER_FILTERS = ("name", "status", "metadata", "bootable", "migration_status",
                "availability_zone", "group_id", "size", "created_at", "updated_at")
LEGACY_USER_FILTERS = ("name", "status", "metadata", "availability_zone", "bootable",
                       "group_id")
ALIASES = {"display_name": "name", "display_description": "description",
           "os-vol-host-attr:host": "host", "tenant_id": "project_id"}
COLUMNS = ("id", "name", "description", "status", "size", "availability_zone", "host",
           "project_id", "user_id", "bootable", "multiattach", "migration_status",
           "attach_status", "group_id", "volume_type_id", "snapshot_id", "source_volid",
           "replication_status", "created_at", "updated_at", "launched_at", "image_id",
           "backup_id")
SORT_KEYS = {c: getattr(Volume, c) for c in COLUMNS}
SORT_KEYS["display_name"] = Volume.name
BOOLEANS = ("bootable", "multiattach")
LIKE_ABLE = ("name", "description", "status", "availability_zone", "host",
             "migration_status", "attach_status")


@dataclass
class VolumePage:
    rows: list[Volume]
    count: int | None


def user_filters(filters: dict[str, str], version: tuple[int, int], admin: bool
                 ) -> dict[str, str]:
    """What of ``filters`` the caller may use (Cinder's resource filters)."""
    if admin:
        return dict(filters)
    allowed = USER_FILTERS if version >= (3, 33) else LEGACY_USER_FILTERS
    out, refused = {}, []
    for key, value in filters.items():
        base = key[:-1] if key.endswith("~") and version >= (3, 34) else key
        base = ALIASES.get(base, base) if base == "display_name" else base
        if base in allowed:
            out[key] = value
        elif version >= (3, 33):
            refused.append(key)
    if refused:
        raise BadRequest(f"Invalid filters {', '.join(sorted(refused))} are found in query "
                         "options.")
    return out


def conditions(s: Session, filters: dict[str, str], version: tuple[int, int]
               ) -> list[Any] | None:
    """SQL conditions for the filters; None when one can match nothing (an unknown
    column)."""
    out: list[Any] = []
    for key, raw in filters.items():
        like = key.endswith("~") and version >= (3, 34)
        name = ALIASES.get(key[:-1] if like else key, key[:-1] if like else key)
        if name in ("metadata", "glance_metadata"):
            cond = _metadata(VolumeMetadata if name == "metadata" else VolumeImageMetadata,
                             raw)
            if cond is None:
                return None
            out.append(cond)
            continue
        if name == "volume_type":
            value = str(raw)
            out.append(Volume.volume_type_id.in_(sa.select(VolumeType.id).where(
                sa.or_(VolumeType.id == value, VolumeType.name == value))))
            continue
        if name not in COLUMNS:
            return None
        column = getattr(Volume, name)
        if name in ("created_at", "updated_at"):
            out.append(listing.time_filter(column, name, raw))
        elif like and name in LIKE_ABLE:
            out.append(listing.like(column, raw))
        elif name in BOOLEANS:
            out.append(column.is_(_bool(name, raw, version)))
        elif name == "name":
            out.append(column == raw)  # the raw name: quotes are part of it (Cinder)
        else:
            value = listing.literal(raw)
            if isinstance(value, (list, tuple, set)):
                if name == "size":
                    value = [v for v in value if isinstance(v, int)
                             and not isinstance(v, bool) and 0 <= v <= listing.DB_MAX_INT]
                out.append(column.in_([str(v) if name != "size" else v for v in value]))
            elif name == "size":
                if not isinstance(value, int) or isinstance(value, bool) or \
                        not 0 <= value <= listing.DB_MAX_INT:
                    return None
                out.append(column == value)
            else:
                out.append(column == str(value))
    return out


def _bool(name: str, raw: str, version: tuple[int, int]) -> bool:
    low = str(raw).strip().lower()
    if low in listing.TRUE:
        return True
    if low in listing.FALSE:
        return False
    if version >= (3, 2):
        raise BadRequest(f"Invalid input received: '{raw}' is not a valid boolean value "
                         f"for filter {name}.")
    return False


def _metadata(model: Any, raw: str) -> Any:
    value = listing.literal(raw)
    if not isinstance(value, dict):
        return None
    conds = [Volume.id.in_(sa.select(model.volume_id).where(
        model.key == str(k), model.value == str(v))) for k, v in value.items()]
    return sa.and_(*conds) if conds else sa.true()


def scope(ctx: RequestContext, admin: bool, p: ListParams) -> tuple[list[Any], dict[str, str]]:
    """The project condition and the filters left: admins with ``all_tenants`` see
    every project (or the one ``project_id`` names); everyone else their own."""
    filters = dict(p.filters)
    project = filters.pop("project_id", None)
    if admin and p.all_tenants:
        return ([Volume.project_id == project] if project else []), filters
    return [Volume.project_id == ctx.project_id], filters


def list_volumes(s: Session, ctx: RequestContext, admin: bool, p: ListParams,
                 version: tuple[int, int]) -> VolumePage:
    where, filters = scope(ctx, admin, p)
    filters = user_filters(filters, version, admin)
    conds = conditions(s, filters, version)
    if conds is None:
        return VolumePage([], 0 if p.with_count else None)
    stmt = sa.select(Volume).where(*where, *conds)
    order = listing.sort_columns(p.sort, SORT_KEYS, Volume)
    rows = listing.page(s, stmt, Volume, order, p)
    total = listing.count(s, stmt) if p.with_count else None
    return VolumePage(rows, total)


def summary(s: Session, ctx: RequestContext, admin: bool, p: ListParams,
            version: tuple[int, int]) -> dict[str, Any]:
    where, filters = scope(ctx, admin, p)
    conds = conditions(s, user_filters(filters, version, admin), version)
    body: dict[str, Any] = {"total_size": 0, "total_count": 0}
    if version >= (3, 36):
        body["metadata"] = {}
    if conds is None:
        return body
    ids = sa.select(Volume.id).where(*where, *conds)
    count, size = s.execute(sa.select(sa.func.count(), sa.func.coalesce(
        sa.func.sum(Volume.size), 0)).where(*where, *conds)).one()
    body["total_count"], body["total_size"] = int(count), int(size)
    if version >= (3, 36):
        meta: dict[str, list[str]] = {}
        for key, value in s.execute(sa.select(VolumeMetadata.key, VolumeMetadata.value)
                                    .where(VolumeMetadata.volume_id.in_(ids))
                                    .order_by(VolumeMetadata.key, VolumeMetadata.value)):
            values = meta.setdefault(key, [])
            if value not in values:
                values.append(value)
        body["metadata"] = meta
    return body
