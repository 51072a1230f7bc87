"""What Nova's image proxy (``/compute/v2.1/images``) asks of the image service: lists,
single reads, deletes and custom-property edits, for a caller compute names by project and
admin flag (compute checks its own ``os_compute_api:images:*`` rules first).

Who sees what is Glance's: lists hold the project's own images, public ones and shared ones
it accepted (hidden ones left out); a single image is also found when it is community or
shared with the project in any member status; anything else is a 404. Only the owner (or an
admin) changes or deletes an image it can see (403 otherwise). A delete is the image API's
own (``removal``): rows in the transaction, then the bytes from the service's stores.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.db import Database, utcnow
from onestack.core.errors import BadRequest, Forbidden, NotFound
from onestack.image import models as m
from onestack.image import visibility
from onestack.image.drivers.base import ImageStore
from onestack.image.service.common import properties_of
from onestack.image.service.removal import discard_bytes, drop_rows


class ListFilters(Protocol):
    """The list filters Nova passes on (compute's ``Filters`` has these attributes)."""

    name: str | None
    statuses: tuple[str, ...] | None
    properties: tuple[tuple[str, str], ...]
    changes_since: datetime | None
    min_ram: int | None
    min_disk: int | None


@dataclass
class ProxyImage:
    """An image as Nova's proxy shows it (plain data: no row leaves the image service)."""

    id: str
    name: str | None
    status: str
    min_disk: int | None
    min_ram: int | None
    size: int | None
    created_at: datetime | None
    updated_at: datetime | None
    properties: dict[str, str] = field(default_factory=dict)


def _plain(row: m.Image, props: dict[str, str]) -> ProxyImage:
    return ProxyImage(row.id, row.name, row.status, row.min_disk, row.min_ram, row.size,
                      row.created_at, row.updated_at, dict(props))


def _listed(project_id: str, admin: bool) -> Any:
    shown = m.Image.os_hidden.is_not(True)
    if admin:
        return shown
    return sa.and_(shown, visibility.listed_by_default(project_id or None, "accepted"))


def _filtered(f: ListFilters) -> list[Any]:
    out: list[Any] = []
    if f.name is not None:
        out.append(m.Image.name == f.name)
    if f.statuses is not None:
        out.append(m.Image.status.in_(f.statuses))
    for key, value in f.properties:
        out.append(m.Image.id.in_(sa.select(m.ImageProperty.image_id).where(
            m.ImageProperty.name == key, m.ImageProperty.value == value)))
    if f.changes_since is not None:
        out.append(m.Image.updated_at >= f.changes_since)
    if f.min_ram is not None:
        out.append(m.Image.min_ram >= f.min_ram)
    if f.min_disk is not None:
        out.append(m.Image.min_disk >= f.min_disk)
    return out


def _find(s: Session, project_id: str, admin: bool, image_id: str, *,
          lock: bool = False) -> m.Image:
    q = sa.select(m.Image).where(m.Image.id == image_id)
    row = s.scalar(q.with_for_update() if lock else q)
    if row is None or not visibility.may_see_row(s, row, project_id or None, admin):
        raise NotFound("Image not found.")
    return row


def _owned(s: Session, project_id: str, admin: bool, image_id: str) -> m.Image:
    row = _find(s, project_id, admin, image_id, lock=True)
    if not admin and row.owner != project_id:
        raise Forbidden(f"Not authorized for image {image_id}.")
    return row


def _store_properties(s: Session, image_id: str, old: dict[str, str],
                      new: dict[str, str]) -> None:
    for key in old.keys() - new.keys():
        s.execute(sa.delete(m.ImageProperty).where(
            m.ImageProperty.image_id == image_id, m.ImageProperty.name == key))
    for key, value in new.items():
        current = s.get(m.ImageProperty, (image_id, key))
        if current is None:
            s.add(m.ImageProperty(image_id=image_id, name=key, value=value))
        elif current.value != value:
            current.value = value


@dataclass(frozen=True)
class NovaProxy:
    """The proxy's use cases over the image service's database and stores."""

    db: Database
    stores: tuple[ImageStore, ...]

    def list(self, project_id: str, admin: bool, f: ListFilters, limit: int,
             marker: str | None, detail: bool) -> list[ProxyImage]:
        """Newest first, after ``marker`` (400 when the caller cannot see it); properties
        only for the detail view."""
        def work(s: Session) -> list[ProxyImage]:
            q = sa.select(m.Image).where(_listed(project_id, admin), *_filtered(f))
            if marker is not None:
                after = s.get(m.Image, marker)
                if after is None or not visibility.may_see_row(s, after, project_id or None,
                                                               admin):
                    raise BadRequest(f"marker [{marker}] not found")
                q = q.where(sa.or_(m.Image.created_at < after.created_at, sa.and_(
                    m.Image.created_at == after.created_at, m.Image.id < after.id)))
            q = q.order_by(m.Image.created_at.desc(), m.Image.id.desc()).limit(limit)
            rows = list(s.scalars(q))
            props = properties_of(s, [r.id for r in rows]) if detail else {}
            return [_plain(r, props.get(r.id, {})) for r in rows]
        return self.db.read(work)

    def show(self, project_id: str, admin: bool, image_id: str) -> ProxyImage:
        def work(s: Session) -> ProxyImage:
            row = _find(s, project_id, admin, image_id)
            return _plain(row, properties_of(s, [row.id])[row.id])
        return self.db.read(work)

    def delete(self, project_id: str, admin: bool, image_id: str) -> None:
        """The image API's delete path: rows (403 for a protected image), then bytes."""
        def work(s: Session) -> None:
            row = _owned(s, project_id, admin, image_id)
            if row.protected:
                raise Forbidden("You are not allowed to delete the image.")
            drop_rows(s, image_id)
        self.db.write(work)
        discard_bytes(self.stores, image_id)

    def change_properties(self, project_id: str, admin: bool, image_id: str,
                          fn: Callable[[dict[str, str]], dict[str, str]],
                          max_items: int) -> dict[str, str]:
        """Apply ``fn`` (current → new properties) under the image's row lock; 403 when the
        result holds more than ``max_items`` (negative: no limit)."""
        def work(s: Session) -> dict[str, str]:
            row = _owned(s, project_id, admin, image_id)
            old = properties_of(s, [row.id])[row.id]
            new = fn(dict(old))
            if 0 <= max_items < len(new):
                raise Forbidden("Image metadata limit exceeded")
            _store_properties(s, image_id, old, new)
            row.updated_at = utcnow()
            return new
        return self.db.write(work)
