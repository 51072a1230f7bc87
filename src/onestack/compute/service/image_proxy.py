"""Nova's image proxy use cases (``/images`` and ``/images/{id}/metadata``). What a caller
sees follows Glance, since Nova answered with the caller's token: lists hold the project's own
images, public ones and shared ones it accepted; a single image is also found when it is
community or shared with the project in any member status; anything else is a 404. Only the
owner (or an admin) changes or deletes an image it can see (403 otherwise, as Glance
refuses). An image's Nova ``metadata`` is its custom properties (``ImageProperty`` rows).

Who sees an image is decided by the image service's one rule (``image.visibility``); the
proxy still reads and writes the image rows itself for listing, metadata and delete."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.compute import quotas
from onestack.compute.service.deps import ResourceDeps
from onestack.core.context import RequestContext
from onestack.core.db import utcnow
from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.image import models as im
from onestack.image import visibility
from onestack.image.stores import filesystem_stores

RULE = "os_compute_api:images:"


@dataclass
class Filters:
    """The list filters Nova passes on to Glance."""

    name: str | None = None
    statuses: tuple[str, ...] | None = None
    properties: tuple[tuple[str, str], ...] = ()
    changes_since: datetime | None = None
    min_ram: int | None = None
    min_disk: int | None = None


def visible_clause(project_id: str, admin: bool) -> Any:
    """What a list shows (Glance's default list): own, public and accepted shared images,
    hidden ones (``os_hidden``) left out; built from the image service's visibility rule."""
    shown = im.Image.os_hidden.is_not(True)
    if admin:
        return shown
    return sa.and_(shown, sa.or_(visibility.owned_by(project_id or None),
                                 im.Image.visibility == "public",
                                 visibility.shared_with(project_id or None, "accepted")))


def can_see(s: Session, row: im.Image, project_id: str, admin: bool) -> bool:
    """What a single read finds: the image service's one rule (a list's images, community
    ones and shared ones in any member status)."""
    return visibility.may_see_row(s, row, project_id or None, admin)


def filter_clauses(f: Filters) -> list[Any]:
    out: list[Any] = []
    if f.name is not None:
        out.append(im.Image.name == f.name)
    if f.statuses is not None:
        out.append(im.Image.status.in_(f.statuses))
    for key, value in f.properties:
        out.append(im.Image.id.in_(sa.select(im.ImageProperty.image_id).where(
            im.ImageProperty.name == key, im.ImageProperty.value == value)))
    if f.changes_since is not None:
        out.append(im.Image.updated_at >= f.changes_since)
    if f.min_ram is not None:
        out.append(im.Image.min_ram >= f.min_ram)
    if f.min_disk is not None:
        out.append(im.Image.min_disk >= f.min_disk)
    return out


def properties_of(s: Session, ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {i: {} for i in ids}
    for start in range(0, len(ids), 500):
        for image_id, name, value in s.execute(
                sa.select(im.ImageProperty.image_id, im.ImageProperty.name,
                          im.ImageProperty.value)
                .where(im.ImageProperty.image_id.in_(ids[start:start + 500]))):
            out[image_id][name] = value
    return out


def is_admin(deps: ResourceDeps, ctx: RequestContext) -> bool:
    return deps.allowed(ctx, RULE + "admin")


def _find(s: Session, ctx: RequestContext, image_id: str, admin: bool, *,
          lock: bool = False) -> im.Image:
    q = sa.select(im.Image).where(im.Image.id == image_id)
    row = s.scalar(q.with_for_update() if lock else q)
    if row is None or not can_see(s, row, ctx.project_id, admin):
        raise NotFound("Image not found.")
    return row


def _owned(s: Session, ctx: RequestContext, image_id: str, admin: bool) -> im.Image:
    row = _find(s, ctx, image_id, admin, lock=True)
    if not admin and row.owner != ctx.project_id:
        raise Forbidden(f"Not authorized for image {image_id}.")
    return row


@dataclass
class Listed:
    """A page of images, with their properties when the detail view was asked for."""

    rows: list[im.Image]
    props: dict[str, dict[str, str]]


def list_images(deps: ResourceDeps, ctx: RequestContext, f: Filters, limit: int,
                marker: str | None, detail: bool) -> Listed:
    """Newest first, after ``marker`` (400 when the caller cannot see it)."""
    deps.enforce(ctx, RULE + "list")
    admin = is_admin(deps, ctx)

    def work(s: Session) -> Listed:
        q = sa.select(im.Image).where(visible_clause(ctx.project_id, admin),
                                      *filter_clauses(f))
        if marker is not None:
            after = s.get(im.Image, marker)
            if after is None or not can_see(s, after, ctx.project_id, admin):
                raise BadRequest(f"marker [{marker}] not found")
            q = q.where(sa.or_(im.Image.created_at < after.created_at, sa.and_(
                im.Image.created_at == after.created_at, im.Image.id < after.id)))
        q = q.order_by(im.Image.created_at.desc(), im.Image.id.desc()).limit(limit)
        rows = list(s.scalars(q))
        return Listed(rows, properties_of(s, [r.id for r in rows]) if detail else {})
    return deps.read(work)


def show_image(deps: ResourceDeps, ctx: RequestContext,
               image_id: str) -> tuple[im.Image, dict[str, str]]:
    deps.enforce(ctx, RULE + "show")
    admin = is_admin(deps, ctx)

    def work(s: Session) -> tuple[im.Image, dict[str, str]]:
        row = _find(s, ctx, image_id, admin)
        return row, properties_of(s, [row.id])[row.id]
    return deps.read(work)


def delete_image(deps: ResourceDeps, ctx: RequestContext, image_id: str) -> None:
    """Delete the rows, then the bytes: an upload (or a snapshot) still streaming finds no
    row and cleans up after itself, as in the image service."""
    deps.enforce(ctx, RULE + "delete")
    admin = is_admin(deps, ctx)

    def work(s: Session) -> None:
        row = _owned(s, ctx, image_id, admin)
        if row.protected:
            raise Forbidden("You are not allowed to delete the image.")
        for model in (im.ImageProperty, im.ImageTag, im.ImageMember):
            s.execute(sa.delete(model).where(model.image_id == image_id))
        s.delete(row)
    deps.write(work)
    for store in filesystem_stores(deps.db.url):
        store.delete(image_id)


def read_metadata(deps: ResourceDeps, ctx: RequestContext, image_id: str) -> dict[str, str]:
    deps.enforce(ctx, RULE + "metadata:show")
    admin = is_admin(deps, ctx)

    def work(s: Session) -> dict[str, str]:
        row = _find(s, ctx, image_id, admin)
        return properties_of(s, [row.id])[row.id]
    return deps.read(work)


def authorize_metadata_change(deps: ResourceDeps, ctx: RequestContext) -> None:
    deps.enforce(ctx, RULE + "metadata:update")


def _store_properties(s: Session, image_id: str, old: dict[str, str],
                      new: dict[str, str]) -> None:
    for key in old.keys() - new.keys():
        s.execute(sa.delete(im.ImageProperty).where(
            im.ImageProperty.image_id == image_id, im.ImageProperty.name == key))
    for key, value in new.items():
        current = s.get(im.ImageProperty, (image_id, key))
        if current is None:
            s.add(im.ImageProperty(image_id=image_id, name=key, value=value))
        elif current.value != value:
            current.value = value


def change_metadata(deps: ResourceDeps, ctx: RequestContext, image_id: str,
                    fn: Callable[[dict[str, str]], dict[str, str]]) -> dict[str, str]:
    """Apply ``fn`` (current properties → new properties) under the image's row lock,
    within the ``metadata_items`` quota; returns the new properties."""
    authorize_metadata_change(deps, ctx)
    admin = is_admin(deps, ctx)

    def work(s: Session) -> dict[str, str]:
        row = _owned(s, ctx, image_id, admin)
        old = properties_of(s, [row.id])[row.id]
        new = fn(dict(old))
        limit = quotas.limits_for(s, ctx.project_id)["metadata_items"]
        if 0 <= limit < len(new):
            raise Forbidden("Image metadata limit exceeded")
        _store_properties(s, image_id, old, new)
        row.updated_at = utcnow()
        return new
    return deps.write(work)
