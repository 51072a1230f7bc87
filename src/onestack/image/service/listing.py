"""``GET /v2/images``: who sees what, filters, sorting and marker pagination.

The filtered, visible set is read as a narrow projection (id and the sort columns), sorted
here so that NULLs order the same on every backend (first when ascending), cut at the
marker, and only the page's rows are loaded in full.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.errors import BadRequest
from onestack.image import models as m
from onestack.image import visibility as vis
from onestack.image.service.common import Deps, can_see, is_uuid, render

SORT_KEYS = ("name", "status", "container_format", "disk_format", "size", "id", "created_at",
             "updated_at", "visibility", "owner", "min_ram", "min_disk", "virtual_size",
             "protected", "os_hidden")
STRING_COLUMNS = ("name", "status", "container_format", "disk_format", "owner", "id",
                  "checksum", "os_hash_value", "os_hash_algo")
INT_COLUMNS = ("size", "min_ram", "min_disk", "virtual_size")
TIME_COLUMNS = ("created_at", "updated_at")
TIME_OPS = {"gt": "__gt__", "gte": "__ge__", "lt": "__lt__", "lte": "__le__",
            "eq": "__eq__", "neq": "__ne__"}
DEFAULT_LIMIT = 25
MAX_LIMIT = 1000


@dataclass
class ImageQuery:
    """A parsed list request (the API layer builds it from the query string)."""

    limit: int = DEFAULT_LIMIT
    marker: str | None = None
    sort: list[tuple[str, str]] = field(default_factory=lambda: [("created_at", "desc")])
    visibility: str | None = None
    member_status: str = "accepted"
    os_hidden: bool | None = False
    protected: bool | None = None
    tags: list[str] = field(default_factory=list)
    size_min: int | None = None
    size_max: int | None = None
    columns: dict[str, list[Any]] = field(default_factory=dict)  # column → allowed values
    times: list[tuple[str, str, datetime]] = field(default_factory=list)
    properties: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Page:
    images: list[dict[str, Any]]
    next_marker: str | None


def visibility_clause(ctx: RequestContext, admin: bool, visibility: str | None,
                      member_status: str) -> Any:
    """The listed images: what the caller may see (``image.visibility``), narrowed by the
    ``visibility`` filter; shared images shared with the caller only in ``member_status``.
    Without a filter a list holds the caller's own, public and (accepted) shared images."""
    project = ctx.project_id or None
    if admin:
        if visibility in (None, "all"):
            return sa.true()
        return m.Image.visibility == visibility
    if visibility is None:
        return vis.listed_by_default(project, member_status)
    mine, shared_with_me = vis.owned_by(project), vis.shared_with(project, member_status)
    if visibility == "all":
        return sa.or_(mine, m.Image.visibility.in_(vis.EVERYONE), shared_with_me)
    if visibility == "private":
        return sa.and_(mine, m.Image.visibility == "private")
    if visibility == "shared":
        return shared_with_me
    return m.Image.visibility == visibility  # public, community


def _filters(q: ImageQuery) -> list[Any]:
    out: list[Any] = []
    if q.os_hidden is not None:
        out.append(m.Image.os_hidden.is_(q.os_hidden))
    if q.protected is not None:
        out.append(m.Image.protected.is_(q.protected))
    if q.size_min is not None:
        out.append(m.Image.size >= q.size_min)
    if q.size_max is not None:
        out.append(m.Image.size <= q.size_max)
    for name, values in q.columns.items():
        out.append(getattr(m.Image, name).in_(values))
    for name, op, when in q.times:
        out.append(getattr(getattr(m.Image, name), TIME_OPS[op])(when))
    for tag in q.tags:
        out.append(sa.exists().where(m.ImageTag.image_id == m.Image.id,
                                     m.ImageTag.value == tag))
    for name, values in q.properties.items():
        out.append(sa.exists().where(m.ImageProperty.image_id == m.Image.id,
                                     m.ImageProperty.name == name,
                                     m.ImageProperty.value.in_(values)))
    return out


def _compare(sort: list[tuple[str, str]]):
    def cmp(a: tuple, b: tuple) -> int:
        for i, (_, direction) in enumerate(sort):
            x, y = a[i + 1], b[i + 1]
            if x == y:
                continue
            if x is None:
                result = -1
            elif y is None:
                result = 1
            else:
                result = -1 if x < y else 1
            return result if direction == "asc" else -result
        return 0
    return cmp


def list_images(s: Session, deps: Deps, ctx: RequestContext, q: ImageQuery) -> Page:
    admin = deps.is_admin(ctx)
    sort = list(q.sort)
    keys = [k for k, _ in sort]
    for tie in ("created_at", "id"):
        if tie not in keys:
            sort.append((tie, sort[-1][1] if sort else "desc"))
            keys.append(tie)
    columns = [m.Image.id] + [getattr(m.Image, k) for k in keys]
    stmt = sa.select(*columns).where(
        visibility_clause(ctx, admin, q.visibility, q.member_status), *_filters(q))
    rows = [tuple(r) for r in s.execute(stmt)]
    cmp = _compare(sort)
    rows.sort(key=functools.cmp_to_key(cmp))
    if q.marker is not None:
        rows = _after_marker(s, deps, ctx, rows, q.marker, keys, cmp)
    page_ids = [r[0] for r in rows[:q.limit]]
    next_marker = page_ids[-1] if len(rows) > q.limit and page_ids else None
    loaded = {r.id: r for r in s.scalars(sa.select(m.Image).where(m.Image.id.in_(page_ids)))}
    return Page(render(s, [loaded[i] for i in page_ids]), next_marker)


def _after_marker(s: Session, deps: Deps, ctx: RequestContext, rows: list[tuple],
                  marker: str, keys: list[str], cmp) -> list[tuple]:
    for index, row in enumerate(rows):
        if row[0] == marker:
            return rows[index + 1:]
    image = s.get(m.Image, marker) if is_uuid(marker) else None
    if image is None or not can_see(s, deps, ctx, image):
        raise BadRequest(f"Invalid marker. Image {marker} could not be found.")
    pivot = (image.id, *[getattr(image, k) for k in keys])
    return [r for r in rows if cmp(r, pivot) > 0]
