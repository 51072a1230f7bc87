"""What every image use case needs: its dependencies, visibility and policy checks, and
the row → view step that gathers properties and tags."""
from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from onestack.core.context import RequestContext
from onestack.core.db import Database
from onestack.core.errors import NotFound
from onestack.core.policy import Policy
from onestack.image import models as m
from onestack.image import views
from onestack.image.drivers.base import ImageStore
from onestack.image.service.web_download import WebSource
from onestack.image.visibility import may_see_row

# Glance's default per-image limits (image_tag_quota, image_property_quota, image_member_quota).
MAX_TAGS = 128
MAX_PROPERTIES = 128
MAX_MEMBERS = 128
# Glance's image_size_cap default: 1 TiB.
IMAGE_SIZE_CAP = 1 << 40


def start_thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="image-import", daemon=True).start()


@dataclass
class Deps:
    db: Database
    policy: Policy
    store: ImageStore
    staging: ImageStore
    region: str = "RegionOne"
    import_methods: tuple[str, ...] = ("glance-direct", "web-download")
    size_cap: int = IMAGE_SIZE_CAP
    stores: tuple[str, ...] = field(default=())
    web: WebSource = field(default_factory=WebSource)  # where web-download may fetch from
    # Runs an import's long part (a download) after the API has answered 202.
    run_later: Callable[[Callable[[], None]], None] = field(default=start_thread)

    def __post_init__(self) -> None:
        if not self.stores:
            self.stores = (self.store.name,)

    def is_admin(self, ctx: RequestContext) -> bool:
        return self.policy.allowed("image:context_is_admin", ctx)

    def enforce(self, rule: str, ctx: RequestContext, row: m.Image | None = None,
                **extra: Any) -> None:
        self.policy.enforce(rule, ctx, {**(target(row) if row is not None else {}), **extra})


def target(row: m.Image) -> dict[str, Any]:
    return {"owner": row.owner, "visibility": row.visibility, "id": row.id}


def is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return False
    return len(value) in (32, 36)


def image_not_found(image_id: str) -> NotFound:
    return NotFound(f"No image found with ID {image_id}")


def can_see(s: Session, deps: Deps, ctx: RequestContext, row: m.Image) -> bool:
    """The one visibility rule (``image.visibility``) for this caller."""
    return may_see_row(s, row, ctx.project_id or None, deps.is_admin(ctx))


def visible_image(s: Session, deps: Deps, ctx: RequestContext, image_id: str,
                  *, lock: bool = False) -> m.Image:
    """The image if the caller may see it; 404 otherwise (never 403, so ids don't leak)."""
    if not is_uuid(image_id):
        raise image_not_found(image_id)
    if lock:
        row = s.scalar(sa.select(m.Image).where(m.Image.id == image_id).with_for_update())
    else:
        row = s.get(m.Image, image_id)
    if row is None or not can_see(s, deps, ctx, row):
        raise image_not_found(image_id)
    return row


def properties_of(s: Session, ids: list[str]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {i: {} for i in ids}
    for chunk in _chunks(ids):
        for image_id, name, value in s.execute(
                sa.select(m.ImageProperty.image_id, m.ImageProperty.name,
                          m.ImageProperty.value).where(m.ImageProperty.image_id.in_(chunk))):
            out[image_id][name] = value
    return out


def tags_of(s: Session, ids: list[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {i: [] for i in ids}
    for chunk in _chunks(ids):
        for image_id, value in s.execute(sa.select(m.ImageTag.image_id, m.ImageTag.value)
                                         .where(m.ImageTag.image_id.in_(chunk))):
            out[image_id].append(value)
    return out


def render(s: Session, rows: list[m.Image]) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    props, tags = properties_of(s, ids), tags_of(s, ids)
    return [views.image(r, props[r.id], tags[r.id]) for r in rows]


def render_one(s: Session, row: m.Image) -> dict[str, Any]:
    return render(s, [row])[0]


def set_properties(s: Session, image_id: str, changes: dict[str, str | None]) -> None:
    """Set (or, for None, remove) custom properties."""
    for name, value in changes.items():
        current = s.get(m.ImageProperty, (image_id, name))
        if value is None:
            if current is not None:
                s.delete(current)
        elif current is None:
            s.add(m.ImageProperty(image_id=image_id, name=name, value=value))
        else:
            current.value = value


def _chunks(ids: list[str], size: int = 500):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]
